"""The drill's parts without running a night: fault flags, the plan and its files, the clock, the CLI's
usage errors, and Ctrl-C leaving nothing behind (that one runs the real command briefly)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from datetime import datetime, timedelta, timezone

import pytest

from toolcheck import require_tool
from pregon.cli import main
from pregon.difusor.config import load_config as load_difusor
from pregon.errors import InputError
from pregon.instituto.config import load_config as load_instituto
from pregon.simulacro import faults
from pregon.simulacro.plan import Plan, check_port_free, write_all
from pregon.simulacro.sshd import free_port
from pregon.times import AcceleratedClock

MX = timezone(timedelta(hours=-6))


def free_base(n: int = 3) -> int:
    """A port P with P..P+n free on 127.0.0.1."""
    for _ in range(50):
        base = 20000 + free_port() % 30000
        try:
            for p in range(base, base + n + 1):
                check_port_free(p, "test")
            return base
        except InputError:
            continue
    raise AssertionError("no free port range")


def test_fault_flags():
    f = faults.parse("down:2:40-60", 3)
    assert (f.kind, f.difusor, f.start_min, f.end_min) == ("down", 2, 40, 60)
    assert faults.parse("tamper:1:5", 3).nth == 5
    assert faults.parse("slow:3:2.0", 3).delay == 2.0
    for bad in ("down:2:60-40", "down:4:1-2", "tamper:1:0", "slow:1:x", "explode:1:1", "down:0:1-2", ""):
        with pytest.raises(InputError):
            faults.parse(bad, 3)


def test_fault_counters_and_corruption(tmp_path):
    fs = faults.Faults(faults.parse_all(["tamper:2:2", "slow:1:0.5"], 2), ["a", "b"])
    assert [fs.count_and_tamper("b") for _ in range(3)] == [False, True, False]
    assert fs.count_and_tamper("a") is False and fs.delay("a") == 0.5 and fs.delay("b") == 0
    src = tmp_path / "p.tar.gz"
    src.write_bytes(bytes(range(256)) * 10)
    bad = faults.corrupt_copy(src, tmp_path / "bad")
    assert bad.name == src.name and bad.stat().st_size == src.stat().st_size
    assert bad.read_bytes() != src.read_bytes()


def test_clock_shared_origin(monkeypatch):
    """Two processes built from the same argv show the same drill time; real time is pinned, not raced."""
    import pregon.times as clock_mod

    wall = 1_717_380_000.0
    monkeypatch.setattr(clock_mod.time, "time", lambda: wall)
    start = datetime(2024, 6, 2, 20, 0, tzinfo=MX)
    origin = wall - 10
    a = AcceleratedClock(start, 360, origin)
    b = AcceleratedClock.from_argv(*[a.argv()[i] for i in (1, 3, 5)])
    assert a.now() == b.now() == start + timedelta(seconds=3600)
    assert a.real_seconds(timedelta(seconds=720)) == 2.0
    assert abs(a.wall(start + timedelta(hours=1)) - (origin + 10)) < 1e-6


def test_plan_defaults_and_files(tmp_path):
    p = Plan(out=tmp_path / "d", scale=0.05, n=4, port=free_base(4))
    assert p.speed == 360 and p.cuts == 49 and p.slot_seconds == 2.5
    assert [d.method for d in p.difusores] == ["sftp", "rsync", "pull", "sftp"]
    assert [d.port for d in p.difusores] == [p.port + i for i in (1, 2, 3, 4)]
    write_all(p)
    cfg = load_instituto(p.inst_toml)
    assert cfg.start == p.start and cfg.end == p.start + timedelta(hours=12)
    assert cfg.cadence == timedelta(minutes=15) and cfg.ssh_key.name == "id_ed25519"
    assert cfg.monitor.lag_limit_seconds == pytest.approx(p.slot_seconds * p.speed)
    for d in p.difusores:
        dc = load_difusor(d.toml)
        assert dc.id == d.id and dc.public_keys and dc.serve.port == d.port
        assert (dc.pull is not None) == (d.method == "pull")
        assert dc.window_start == p.start
    marker = tomllib.loads((p.out / "simulacro.toml").read_text())
    assert marker["simulacro"]["preset"] == "morelos" and len(marker["difusor"]) == 4
    # the same --out again is reset; a foreign directory is refused
    write_all(p)
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not made by"):
        write_all(Plan(out=other, scale=0.05))
    assert (other / "notes.txt").read_text() == "keep me"


def test_cli_usage_errors(tmp_path, capsys):
    assert main(["simulacro", "--fault", "down:9:1-2", "--out", str(tmp_path / "x"), "--no-linger"]) == 2
    assert "difusor 9 does not exist" in capsys.readouterr().err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        assert main(["simulacro", "--port", str(busy), "--out", str(tmp_path / "y"), "--no-linger"]) == 2
    assert "in use" in capsys.readouterr().err
    assert main(["simulacro", "--scale", "2", "--no-linger"]) == 2


def _descendants_with(text: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmd:
            found.append(int(pid))
    return found


def test_ctrl_c_stops_cleanly(tmp_path):
    for tool in ("/usr/sbin/sshd", "ssh-keygen", "rsync"):
        require_tool(tool)
    out = tmp_path / "ctrlc"
    port = free_base(3)
    proc = subprocess.Popen([sys.executable, "-m", "pregon.cli", "simulacro", "--scale", "0.05", "--hours", "6",
                             "--speed", "720", "--port", str(port), "--out", str(out), "--no-pdf"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("corte   2"):
                break
        assert any(x.startswith("corte   2") for x in lines), "".join(lines)
        assert _descendants_with(str(out)), "children should be running mid-night"
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = "".join(lines) + rest
    assert "Ctrl-C" in text and "interrumpido" in text and "resumen del simulacro" in text
    assert (out / "resumen.json").exists()
    time.sleep(0.5)
    assert _descendants_with(str(out)) == [], "a process of the drill survived it"
    for d in ("el-diario", "tv-norte", "uni-pull"):
        assert (out / "difusores" / d / "memoria" / "memoria.html").exists()


def test_pull_only_drill_with_link_faults(tmp_path, capsys):
    """Through the CLI, no sshd needed: two pull difusores, one download corrupted on the wire (caught by the
    pull client against the signed index, downloaded again), the other on a slow link."""
    import json

    out = tmp_path / "pull"
    code = main(["simulacro", "--methods", "pull", "--difusores", "2", "--scale", "0.05", "--hours", "1.25",
                 "--speed", "720", "--port", str(free_base(2)), "--out", str(out), "--no-linger", "--no-pdf",
                 "--fault", "tamper:1:2", "--fault", "slow:2:0.3", "--json"])
    text = capsys.readouterr().out
    assert code == 0, text
    summary = json.loads(text[text.index("\n{") + 1:])
    assert summary["cuts"] == 6 and summary["cut_skipped"] == 0
    assert all(d["current"] and d["method"] == "pull" for d in summary["difusores"])
    assert "se altera en tránsito (descarga)" in text and "pull-incident" in text
    first = summary["difusores"][0]
    assert any(i["event"] == "pull-incident" for i in first["incidents"])
    assert summary["difusores"][1]["lag_max_s"] >= 0.3  # the slow link shows in its lag
    assert "sin PDF: --no-pdf" in text
    for d in ("el-diario", "tv-norte"):
        assert (out / "difusores" / d / "memoria" / "memoria.html").exists()


@pytest.mark.parametrize("kind", ["database", "site"])
def test_drill_with_cortes_from_the_institutes_own_prep_system(tmp_path, capsys, kind):
    """--source database|site: the drill's stand-in PREP system drops each corte (its database zips, or a
    finished site) and the institute publishes every drop; each difusor ends on the last one."""
    import json

    out = tmp_path / kind
    code = main(["simulacro", "--source", kind, "--methods", "pull", "--difusores", "1", "--scale", "0.05",
                 "--hours", "1", "--speed", "360", "--port", str(free_base(1)), "--out", str(out),
                 "--no-linger", "--no-pdf", "--json"])
    text = capsys.readouterr().out
    assert code == 0, text
    summary = json.loads(text[text.index("\n{") + 1:])
    assert summary["cuts"] == summary["cuts_planned"] == 5 and summary["cut_failed"] == 0
    assert all(d["current"] for d in summary["difusores"])
    drops = sorted(p.name for p in (out / "instituto" / "entregas").iterdir())
    assert drops == [f"corte-{k:04d}" for k in range(1, 6)]
    journal = [json.loads(line) for line in (out / "instituto" / "work" / "journal.jsonl").read_text().splitlines()]
    assert [e["drop"] for e in journal if e["event"] == "cut"] == drops
    assert not [e for e in journal if e["event"] == "drop-refused"]
    if kind == "site":  # published unmodified: the official site is the drop, byte for byte
        last = out / "instituto" / "entregas" / drops[-1]
        official = (out / "instituto" / "work" / "official").resolve()
        assert sorted(p.relative_to(last) for p in last.rglob("*")) == sorted(p.relative_to(official)
                                                                             for p in official.rglob("*"))
        assert (out / "instituto" / "publicado" / "difusores" / "index.html").exists()
