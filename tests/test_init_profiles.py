"""`pregon instituto init --perfil` and `pregon difusor init --perfil` for each of the five calls: the files
they write read back as the call states (window, end rule, cadence, lag, kept-until date, drills), the web
server the call names is configured, the firewall lets SSH/rsync in only from the institute (checked by the
real `nft -c`), and the host checks (NTP, syslog) fail loudly when the host does not meet them."""

from __future__ import annotations

import json
import socket
import subprocess
from datetime import timedelta

import pytest

from pregon import perfiles
from pregon.cli import main
from pregon.difusor import setup as difusor_setup
from pregon.difusor.config import load_config as load_difusor
from pregon.instituto.config import load_config as load_instituto
from toolcheck import require_tool

PROFILES = perfiles.names()


def test_the_five_calls_are_shipped():
    assert PROFILES == ["ieem-2021", "iem-2021", "iepc-chis-2024", "iepc-dgo-2022", "impepac-2021"]


@pytest.mark.parametrize("name", PROFILES)
def test_instituto_init_writes_the_call(name, tmp_path, capsys):
    p = perfiles.load(name)
    assert main(["instituto", "init", str(tmp_path / "inst"), "--perfil", name, "--json"]) == 0
    written = json.loads(capsys.readouterr().out)["written"]
    cfg = load_instituto(tmp_path / "inst" / "instituto.toml")
    assert cfg.profile == name and cfg.name == p.institute and cfg.election == p.proceso_id
    assert cfg.start == p.window.start and cfg.end == p.window.last_cut()
    assert cfg.cadence == timedelta(minutes=p.cadence.minutes)
    assert cfg.end_when_captured == (p.window.end_rule == "hours_or_captured")
    assert cfg.calendar.get("drills", []) == list(p.drills)
    assert cfg.monitor.lag_limit_seconds == (p.cadence.lag_limit_seconds or 60)
    assert cfg.ttl >= p.window.published_until() - p.window.start  # the last package outlives the call's date
    assert (tmp_path / "inst" / "keys" / "pregon.key").exists()
    pushes = any(m in ("sftp", "rsync") for m in p.transport.methods)
    assert (tmp_path / "inst" / "keys" / "id_ed25519").exists() == pushes
    assert str(tmp_path / "inst" / "instituto.toml") in written
    # a second init does not overwrite
    assert main(["instituto", "init", str(tmp_path / "inst"), "--perfil", name]) == 2
    assert "already exists" in capsys.readouterr().err


def test_durango_is_24_hours_or_captured(tmp_path):
    assert main(["instituto", "init", str(tmp_path), "--perfil", "iepc-dgo-2022"]) == 0
    cfg = load_instituto(tmp_path / "instituto.toml")
    assert cfg.end - cfg.start == timedelta(hours=24) and cfg.end_when_captured
    assert cfg.start.isoformat() == "2022-06-05T20:00:00-05:00"


@pytest.fixture
def host_ok(monkeypatch, tmp_path):
    """A host that meets the calls: a synchronised clock and a syslog socket that takes messages."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "log"))
    monkeypatch.setattr(difusor_setup, "SYSLOG_SOCKET", str(tmp_path / "log"))
    monkeypatch.setattr(difusor_setup, "clock_synchronised", lambda: True)
    yield
    sock.close()


@pytest.mark.parametrize("name", PROFILES)
def test_difusor_init_writes_the_call(name, tmp_path, host_ok, capsys):
    p = perfiles.load(name)
    pub = tmp_path / "instituto.pub"
    assert main(["instituto", "init", str(tmp_path / "inst"), "--perfil", name]) == 0
    pub.write_bytes((tmp_path / "inst" / "keys" / "pregon.pub").read_bytes())
    capsys.readouterr()
    d = tmp_path / "el-diario"
    args = ["difusor", "init", str(d), "--perfil", name, "--id", "el-diario", "--clave-publica", str(pub),
            "--sitio-oficial", "https://prep.example.mx/", "--instituto-ip", "203.0.113.10",
            "--admin-ip", "2001:db8::/64", "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert all(c["ok"] for c in out["checks"])
    cfg = load_difusor(d / "difusor.toml")
    assert cfg.id == "el-diario" and cfg.election == p.proceso_id and len(cfg.public_keys) == 1
    assert cfg.window_start == p.window.start and cfg.window_end == p.window.last_cut()
    assert cfg.keep_until == p.window.keep_until and cfg.official_url == "https://prep.example.mx/"
    server = difusor_setup.server_for(p)
    conf = (d / difusor_setup.SERVER_FILES[server]).read_text()
    assert str(d / "current") in conf  # absolute
    assert ("<VirtualHost" in conf) == (server == "apache") and ("server {" in conf) == (server == "nginx")
    assert p.web.servers[0] in (server, "any")
    rules = (d / "nftables-pregon.conf").read_text()
    ports = ", ".join(str(x) for x in sorted(p.transport.ports))
    assert f"ip saddr @instituto4 tcp dport {{ {ports} }} accept" in rules and "203.0.113.10" in rules
    assert f"tcp dport {{ {ports} }} drop" in rules and "2001:db8::/64" in rules
    nft = require_tool("nft")
    check = subprocess.run([nft, "-c", "-f", str(d / "nftables-pregon.conf")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_difusor_init_refuses_what_the_call_does_not_allow(tmp_path, host_ok, capsys):
    base = ["difusor", "init", str(tmp_path / "d"), "--id", "el-diario"]
    assert main(base + ["--perfil", "ieem-2021"]) == 2  # it pushes: the institute's address is needed
    assert "--instituto-ip" in capsys.readouterr().err
    assert main(base + ["--perfil", "ieem-2021", "--instituto-ip", "203.0.113.10", "--server", "nginx"]) == 2
    assert "names apache" in capsys.readouterr().err
    assert main(base + ["--perfil", "ieem-2021", "--instituto-ip", "300.1.1.1"]) == 2
    assert "not an IP address" in capsys.readouterr().err
    assert main(base + ["--perfil", "nope", "--instituto-ip", "203.0.113.10"]) == 2
    assert "use one of" in capsys.readouterr().err


def test_a_host_without_ntp_or_syslog_is_told_and_exits_1(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(difusor_setup, "clock_synchronised", lambda: False)
    monkeypatch.setattr(difusor_setup, "SYSLOG_SOCKET", str(tmp_path / "no-such-socket"))
    assert main(["difusor", "init", str(tmp_path / "d"), "--perfil", "iepc-chis-2024", "--id", "medio",
                 "--instituto-ip", "203.0.113.10"]) == 1
    captured = capsys.readouterr()
    assert "✗ NTP" in captured.out and "✗ syslog" in captured.out
    assert (tmp_path / "d" / "difusor.toml").exists()  # the files are written; the host is what needs work
