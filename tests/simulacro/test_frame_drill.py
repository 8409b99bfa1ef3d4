"""A method-2 difusor in a drill: its page holds the institute's snippet, the drill's stand-in for the
institute's web server lets exactly the registered framing difusores frame the official site, and the
monitor finds the frame in order (and out of order once the registry no longer lists it)."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import http.client
import http.server
import threading
from datetime import datetime, timezone
from types import SimpleNamespace

from instituto.kit import difusor
from pregon.instituto.config import MonitorConfig
from pregon.instituto.framing import frames_site, iframe_sources
from pregon.instituto.monitor import Monitor
from pregon.instituto.registry import Registry
from pregon.simulacro import faults as faults_mod
from pregon.simulacro.plan import Plan, write_difusor
from pregon.simulacro.run import InstituteServer
from pregon.times import ManualClock
from serve.servers_kit import free_port

START = datetime(2024, 6, 3, 2, 0, tzinfo=timezone.utc)


def _headers(port: int, path: str) -> tuple[int, dict]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()


def test_the_framing_difusors_page_frames_the_official_site(tmp_path):
    plan = Plan(out=tmp_path / "drill", n=2, profile="iepc-chis-2024", start=START)
    assert [d.method for d in plan.difusores] == ["sftp", "frame"]
    d = plan.difusores[1]
    assert not d.hosts and not d.push
    write_difusor(plan, d)
    page = (d.root / "current" / "index.html").read_text("utf-8")
    sources = iframe_sources(page, d.url)
    assert sources and all(frames_site(s, plan.official_url) for s in sources)
    assert "IEPC Chiapas" in page and d.nombre in page


def test_the_drill_server_lets_exactly_the_registered_frames_in(tmp_path):
    inst = tmp_path / "instituto"
    (inst / "work" / "official").mkdir(parents=True)
    (inst / "work" / "official" / "index.html").write_text("<h1>PREP</h1>")
    (inst / "publicado").mkdir()
    (inst / "publicado" / "index.json").write_text("{}")
    reg = Registry(inst / "difusores")
    page_port = free_port()
    marco = difusor("marco", port=page_port)
    reg.add(dataclasses.replace(marco, transfer=dataclasses.replace(marco.transfer, method="frame")))
    reg.add(difusor("uni"))  # a pull difusor frames nothing
    plan = SimpleNamespace(inst=inst, work=inst / "work")
    port = free_port()
    server = InstituteServer(SimpleNamespace(plan=plan, faults=faults_mod.Faults([], ["marco", "uni"]),
                                             note=lambda m: None), port)
    server.start()
    try:
        status, h = _headers(port, "/")
        assert status == 200
        assert h["content-security-policy"] == (f"frame-ancestors 'self' http://127.0.0.1:{page_port} "
                                                "https://marco.example.mx")
        assert "content-security-policy" not in _headers(port, "/publicado/index.json")[1]

        # the monitor, through the same server, finds the frame allowed while registered, refused once blocked
        site = f"http://127.0.0.1:{port}/"
        page_root = tmp_path / "page"
        page_root.mkdir()
        (page_root / "index.html").write_text(f'<iframe src="{site}"></iframe>')
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(page_root))
        page = http.server.ThreadingHTTPServer(("127.0.0.1", page_port), handler)
        threading.Thread(target=page.serve_forever, daemon=True).start()
        try:
            mon = Monitor(MonitorConfig(observations=tmp_path / "obs.jsonl", timeout_seconds=5), reg,
                          work=inst / "work", site_url=site, clock=ManualClock(START))
            assert {o.difusor: o.status for o in asyncio.run(mon.round())}["marco"] == "ok"
            reg.block("marco", "prueba", START)
            assert "127.0.0.1" not in _headers(port, "/")[1]["content-security-policy"]
            assert {o.difusor: o.status for o in asyncio.run(mon.round())}["marco"] == "notice-shown"
        finally:
            page.shutdown()
            page.server_close()
    finally:
        server.stop()
