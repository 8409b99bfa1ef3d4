"""A drill's nginx writes its access log through the drill's relay (child.py `nginx`): every request lands in
[serve] access_log in the combined format with the drill's time of that instant, so an nginx difusor's memoria
sees its visitors on the night's timeline (nginx's own clock is the wall's, hours before election night)."""

from __future__ import annotations

import http.client
import socket
import os
import signal
import subprocess
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from toolcheck import require_tool

from pregon.analytics import logparse
from pregon.difusor.config import load_config
from pregon.simulacro import child, webservers
from pregon.times import AcceleratedClock

START = datetime(2024, 6, 2, 20, 0, tzinfo=ZoneInfo("America/Mexico_City"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, agent: str) -> int:
    for _ in range(200):  # bounded: nginx may still be starting
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", path, headers={"User-Agent": agent})
            status = c.getresponse().status
            c.close()
            return status
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nginx never answered on {port}")


def test_the_relay_puts_each_line_on_the_drills_clock(tmp_path):
    require_tool("nginx")
    (tmp_path / "current").mkdir()
    (tmp_path / "current" / "index.html").write_text("<p>hola</p>")
    port = _free_port()
    toml = tmp_path / "difusor.toml"
    toml.write_text(f'[difusor]\nid = "d1"\nroot = "."\npublic_keys = []\n'
                    '[window]\nstart = "2024-06-02T20:00"\nend = "2024-06-03T08:00"\ntz = "America/Mexico_City"\n'
                    f'[serve]\nhost = "127.0.0.1"\nport = {port}\naccess_log = "access.log"\n')
    cfg = load_config(toml)
    clock = AcceleratedClock(START, speed=360.0)
    argv, env = webservers.argv("nginx", cfg, port, tmp_path / "nginx", clock.argv(), toml)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        before = clock.now()
        statuses = [_get(port, p, f"Mozilla/5.0 prueba {i}") for i, p in enumerate(["/", "/index.html", "/falta"])]
        after = clock.now()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # as the drill stops it: the whole group
        out, _ = proc.communicate(timeout=20)
    assert statuses == [200, 200, 404]
    assert proc.returncode == 0, out
    lines = (tmp_path / "access.log").read_text().splitlines()
    assert len(lines) == 3, lines
    stamps = []
    for line, agent in zip(lines, ["prueba 0", "prueba 1", "prueba 2"]):
        rec = logparse.parse_line(line.encode())
        assert rec is not None, line
        assert agent in line and line.startswith("127.0.0.1 - - [")
        stamps.append(rec.time)
    # on the drill's night (nginx's wall clock would say today), within the requests' span
    # (nginx's $msec has millisecond resolution: at 360x a few simulated seconds)
    slack = timedelta(seconds=2)
    assert all(before - slack <= t <= after + slack for t in stamps), (before, stamps, after)
    assert stamps == sorted(stamps)


def test_restamp_leaves_other_lines_alone():
    clock = AcceleratedClock(START, speed=60.0, origin=1_700_000_000.0)
    tz = ZoneInfo("America/Mexico_City")
    line = b'127.0.0.9 - - [1700000060.500] "GET / HTTP/1.1" 200 5 "-" "x"'
    assert child.restamp(line, clock, tz) == b'127.0.0.9 - - [02/Jun/2024:21:00:30 -0600] "GET / HTTP/1.1" 200 5 "-" "x"'
    plain = b'127.0.0.9 - - [02/Jun/2024:21:00:30 -0600] "GET /[1700000060] HTTP/1.1" 200 5 "-" "x"'
    assert child.restamp(plain, clock, tz) == plain
