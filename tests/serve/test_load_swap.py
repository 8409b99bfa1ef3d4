"""Under wrk load against nginx, 50 activations in a row: zero non-2xx, every body from exactly one corte."""

from __future__ import annotations

import re
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from toolcheck import require_tool
from difusor.kit import T0, Institute, drop, make_config
from pregon.times import ManualClock
from pregon.difusor.pipeline import Receiver
from serve.servers_kit import Nginx, cleanup, get, world_readable_tmp

LUA = Path(__file__).with_name("wrk_check.lua")
ACTIVATIONS = 50


@pytest.mark.slow
def test_fifty_activations_under_wrk_load(tmp_path):
    nginx = require_tool("nginx")
    wrk = require_tool("wrk")
    base = world_readable_tmp("pregon-load-")
    try:
        inst = Institute(tmp_path / "inst")
        inst.instant = lambda seq: T0 + timedelta(seconds=seq)  # all cortes in the (frozen) past
        cfg = make_config(base / "difusor", inst)
        clock = ManualClock(T0 + timedelta(hours=1))
        r = Receiver(cfg, clock=clock, durable=False, check_clock=False)
        r.start()
        drop(inst.full(1), cfg.inbox)
        assert r.scan_inbox()[0].activated
        packages = [inst.delta() for _ in range(ACTIVATIONS)]
        with Nginx(cfg, base / "nginx", nginx) as srv:
            load = subprocess.Popen([wrk, "-t2", "-c16", "-d120s", "-s", str(LUA), f"http://127.0.0.1:{srv.port}/"],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                get(srv.port, "/")  # the load is running against a live server
                activated = 0
                for p in packages:
                    drop(p, cfg.inbox)
                    [out] = r.scan_inbox()
                    assert out.verdict == "accepted", out
                    activated += out.activated
                    # one more request of our own per swap, so each cut is surely seen by someone
                    assert get(srv.port, "/json/main.json")[0] == 200
            finally:
                load.send_signal(signal.SIGINT)
                output, _ = load.communicate(timeout=30)
        assert activated == ACTIVATIONS
        m = re.search(r"PREGON total=(\d+) non2xx=(\d+) mixed=(\d+) cortes=(\d+)", output)
        assert m, output
        total, non2xx, mixed, cortes = map(int, m.groups())
        assert total > 0, output
        assert non2xx == 0, output
        assert mixed == 0, output
        assert cortes >= 2, output  # wrk saw the cut change under it
        assert "Socket errors" not in output, output
    finally:
        cleanup(base)
