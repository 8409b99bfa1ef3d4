"""`pregon simulacro --perfil P --hours 2 --no-linger` for each of the five calls: the drill runs under the
call's rules (its elections and election day, cadence, transport, the web server it names: the real Apache for
IEEM, IMPEPAC, IEM and Durango) and ends with the call's checklist, every observable rule ✔ with evidence."""

from __future__ import annotations

import json

import pytest

from pregon import perfiles
from pregon.cli import main
from pregon.errors import InputError
from pregon.simulacro.plan import Plan, check
from pregon.simulacro.sshd import free_port
from toolcheck import require_tool


def port_base() -> int:
    for _ in range(20):
        base = 20000 + free_port() % 30000
        try:
            check(Plan(out="/tmp/unused", hours=2, n=2, port=base, methods=("pull",)))
            return base
        except InputError:
            continue
    raise AssertionError("no free port range")


@pytest.mark.parametrize("name", perfiles.names())
def test_a_drill_under_each_call_meets_it(name, tmp_path, capsys):
    p = perfiles.load(name)
    for tool in ("sshd", "ssh", "ssh-keygen") + (("rsync",) if "rsync" in p.transport.methods else ()):
        require_tool("/usr/sbin/sshd" if tool == "sshd" else tool)
    if "apache" in p.web.servers:
        require_tool("apache2")
    out = tmp_path / "drill"
    args = ["simulacro", "--perfil", name, "--hours", "2", "--speed", "240", "--difusores", "2", "--scale", "0.03",
            "--no-linger", "--no-pdf", "--out", str(out), "--port", str(port_base())]
    code = main(args)
    summary = json.loads((out / "resumen.json").read_text())
    items = summary["checklist"]
    assert code == 0, [i for i in items if not i["ok"]] or capsys.readouterr().err
    assert summary["profile"] == name and items and all(i["ok"] for i in items)
    assert all(set(i) == {"rule", "ok", "evidence"} and i["evidence"] for i in items)
    rules = " ".join(i["rule"] for i in items)
    assert f"cada {p.cadence.minutes:g} minutos" in rules and ", ".join(p.elections) in rules
    if p.cadence.lag_limit_seconds:
        assert f"{p.cadence.lag_limit_seconds:g} s después del instituto" in rules
    if "frame" in p.transport.methods:
        assert "Método 2" in rules
    if p.web.servers[0] == "apache":
        assert any("Apache" in i["evidence"] for i in items if i["rule"].startswith("Servidor web"))
    assert summary["operator"]  # what the drill cannot show is said, not claimed
