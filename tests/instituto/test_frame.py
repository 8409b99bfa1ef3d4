"""Method 2 (a difusor frames the official site): the snippet, the frame-ancestors the institute's nginx sends,
and the monitor's verdicts on framing difusores served for real on loopback; Chromium enforces the policy."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import threading
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from instituto.kit import START, difusor, simulate
from instituto.webkit import WebServer, instituto_toml
from pregon import durable
from pregon.cli import main
from pregon.errors import InputError
from pregon.instituto.config import load_config
from pregon.instituto.framing import ancestors_allow, frame_ancestor_lists, frames_site, iframe_sources, source_allows
from pregon.instituto.monitor import Monitor
from pregon.instituto.registry import Registry
from pregon.instituto.scheduler import Scheduler
from pregon.instituto.webconfig import frame_ancestors, frame_src, origin, snippet
from pregon.times import ManualClock
from serve.servers_kit import cleanup, free_port, world_readable_tmp
from toolcheck import CHROMIUM, require_playwright

SITE = "https://prep.impepac.mx/"


# --- units ------------------------------------------------------------------------------------------------------


def test_snippet_frames_the_site_and_escapes():
    html = snippet(SITE, institute="IMPEPAC <Morelos>")
    assert iframe_sources(html, "https://eldiario.mx/prep/") == [SITE]
    assert 'title="Resultados preliminares del PREP — sitio oficial de IMPEPAC &lt;Morelos&gt;"' in html
    assert "<Morelos>" not in html and "width:100%" in html and "min-height" in html
    assert snippet(SITE, institute="X") == snippet(SITE, institute="X")  # deterministic
    assert frame_src(SITE, "embed/index.html") == SITE + "embed/index.html"
    for bad in ("../x.html", "/embed/index.html", "https://evil.mx/", "//evil.mx/", "a b.html", "x?y=1"):
        with pytest.raises(InputError, match="--page"):
            frame_src(SITE, bad)


def test_frames_site_same_origin_and_path_prefix():
    site = "https://prep.ieem.org.mx/prep/"
    assert frames_site("https://prep.ieem.org.mx/prep/", site)
    assert frames_site("https://PREP.ieem.org.mx:443/prep/embed/index.html", site)
    assert frames_site("https://prep.ieem.org.mx/prep", site)
    for other in ("http://prep.ieem.org.mx/prep/", "https://prep.ieem.org.mx/otro/", "https://prep.ieem.org.mx:8443/prep/",
                  "https://prep.ieem.org.mx.evil.mx/prep/", "https://evil.mx/prep.ieem.org.mx/prep/",
                  "https://prep.ieem.org.mx/prepa/", "javascript:alert(1)", "about:blank"):
        assert not frames_site(other, site), other
    page = ('<p><iframe src="/x/"></iframe><IFRAME SRC="https://a.mx/p/"></IFRAME><iframe></iframe>'
            '<iframe src="embed/index.html"/>')
    assert iframe_sources(page, "https://b.mx/prep/") == ["https://b.mx/x/", "https://a.mx/p/",
                                                            "https://b.mx/prep/embed/index.html"]


def test_csp_source_matching():
    site = "https://prep.mx/"
    anc = "https://www.eldiario.mx/prep/"
    assert source_allows("https://www.eldiario.mx", anc, site)
    assert source_allows("https://*.eldiario.mx", anc, site)
    assert not source_allows("https://*.eldiario.mx", "https://eldiario.mx/", site)
    assert source_allows("www.eldiario.mx", anc, site) and source_allows("https:", anc, site)
    assert source_allows("http://www.eldiario.mx", anc, site)  # an http source admits its https upgrade
    assert not source_allows("https://www.eldiario.mx", "http://www.eldiario.mx/", site)
    assert not source_allows("https://www.eldiario.mx:8443", anc, site)
    assert source_allows("https://www.eldiario.mx:*", "https://www.eldiario.mx:8443/", site)
    assert not source_allows("'self'", anc, site) and source_allows("'self'", "https://prep.mx/x", site)
    assert not source_allows("'none'", anc, site) and source_allows("*", anc, site)
    assert frame_ancestor_lists(["default-src 'self'; frame-ancestors 'self' https://a.mx", "img-src *"]) == [
        ["'self'", "https://a.mx"]]
    assert ancestors_allow(["frame-ancestors 'self' https://www.eldiario.mx"], None, anc, site)
    # every policy must allow it
    assert not ancestors_allow(["frame-ancestors *", "frame-ancestors 'self'"], None, anc, site)
    assert not ancestors_allow([], "DENY", anc, site) and not ancestors_allow([], "SAMEORIGIN", anc, site)
    assert ancestors_allow([], None, anc, site)


def test_frame_ancestors_lists_exactly_the_active_framing_difusores(tmp_path):
    reg = Registry(tmp_path / "difusores")
    for ident, method in (("marco", "frame"), ("otro-marco", "frame"), ("copia", "pull")):
        d = difusor(ident, port=9000 + len(ident))
        reg.add(dataclasses.replace(d, transfer=dataclasses.replace(d.transfer, method=method)))
    reg.block("otro-marco", "prueba", START)
    assert frame_ancestors(reg) == "'self' http://127.0.0.1:9005 https://marco.example.mx"
    assert origin("HTTPS://WWW.Diario.MX:443/prep/", "x") == "https://www.diario.mx"
    for bad in ('https://a.mx";add_header x y;/', "https://user@a.mx/", "ftp://a.mx/", "https://a_b.mx/",
                "https://a.mx:99999/"):
        with pytest.raises(InputError):
            origin(bad, "sitio")


# --- end to end: the institute's nginx, framing difusores on loopback, the monitor --------------------------------


class Pages:
    """A difusor's own web server (a real one, on loopback): a directory, and the paths it was asked for."""

    def __init__(self, root: Path):
        self.root = root
        self.paths: list[str] = []
        outer = self

        class H(SimpleHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                outer.paths.append(self.path)
                super().do_GET()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(H, directory=str(root)))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def enlace(self) -> str:
        return f"http://127.0.0.1:{self.port}/prep/"

    def page(self, body: str) -> None:
        (self.root / "prep").mkdir(parents=True, exist_ok=True)
        (self.root / "prep" / "index.html").write_text(
            "<!DOCTYPE html><html lang=\"es\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\">"
            f"<title>Diario</title></head><body><h1>Resultados PREP</h1>\n{body}</body></html>", "utf-8")

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _framing(ident: str, pages: Pages):
    d = difusor(ident)
    return dataclasses.replace(d, enlace=pages.enlace, transfer=dataclasses.replace(d.transfer, method="frame"))


def _snippet(capsys, cfg_path, ident) -> str:
    code = main(["instituto", "difusores", "snippet", ident, "--config", str(cfg_path)])
    out = capsys.readouterr().out
    assert code == 0
    return out


@pytest.fixture
def framed(tmp_path_factory, capsys):
    """An institute with one cut behind its generated nginx, and five framing difusores."""
    root = world_readable_tmp("pregon-frame-")
    pages = {}
    try:
        feed = simulate(tmp_path_factory.getbasetemp() / "feed-frame")
        port = free_port()
        site = f"http://127.0.0.1:{port}/"
        cfg_path = instituto_toml(root / "inst", feed, site_url=site)
        cfg = load_config(cfg_path)
        reg = Registry(cfg.registry)
        pages = {i: Pages(root / i) for i in ("bueno", "ajeno", "vacio", "tarde", "bloqueado")}
        for ident in ("bueno", "ajeno", "vacio", "bloqueado"):
            reg.add(_framing(ident, pages[ident]))
        assert asyncio.run(Scheduler(cfg, ManualClock(START)).run(max_cuts=1)) == 1
        pages["bueno"].page(_snippet(capsys, cfg_path, "bueno"))
        pages["bloqueado"].page(_snippet(capsys, cfg_path, "bloqueado"))
        pages["ajeno"].page('<iframe src="https://otro.example.mx/prep/" title="otro"></iframe>')
        pages["vacio"].page("<p>Pronto publicaremos los resultados.</p>")
        yield root, cfg_path, cfg, reg, pages, port, site
    finally:
        for p in pages.values():
            p.stop()
        cleanup(root)


def _round(cfg, reg, site, when):
    mon = Monitor(cfg.monitor, reg, work=cfg.work, site_url=site, clock=ManualClock(when))
    return {o.difusor: o for o in asyncio.run(mon.round())}


def test_monitor_judges_framing_difusores_through_nginx(framed, capsys):
    root, cfg_path, cfg, reg, pages, port, site = framed
    with WebServer("nginx", cfg_path, root / "nginx", port):
        # registered after the configuration was generated: the official site does not let it frame
        reg.add(_framing("tarde", pages["tarde"]))
        pages["tarde"].page(_snippet(capsys, cfg_path, "tarde"))
        # blocked after it: the configuration still lets it frame until it is regenerated
        reg.block("bloqueado", "prueba", START + timedelta(minutes=1))
        r = httpx.get(site, timeout=5)
        origins = sorted({f"http://127.0.0.1:{pages[i].port}" for i in ("bueno", "ajeno", "vacio", "bloqueado")}
                         | {f"https://{i}.example.mx" for i in ("bueno", "ajeno", "vacio", "bloqueado")})
        assert r.status_code == 200
        assert r.headers["content-security-policy"] == "frame-ancestors 'self' " + " ".join(origins)
        assert "x-frame-options" not in r.headers
        obs = _round(cfg, reg, site, START + timedelta(minutes=2))
    assert {k: o.status for k, o in obs.items()} == {
        "bueno": "ok", "ajeno": "frame-elsewhere", "vacio": "frame-missing", "tarde": "frame-refused",
        "bloqueado": "frame-allowed"}
    assert "https://otro.example.mx/prep/" in obs["ajeno"].error
    assert obs["bueno"].up and obs["bueno"].http_status == 200 and obs["bueno"].corte_sequence is None
    # nothing of a framing difusor's host but its page: no main.json, no sampled pages
    for ident in ("bueno", "ajeno", "vacio", "tarde"):
        assert set(pages[ident].paths) == {"/prep/"}, (ident, pages[ident].paths)
    assert pages["bloqueado"].paths == []
    alerts = durable.read_jsonl(Path(cfg.monitor.observations).with_name("alerts.jsonl"))
    assert sorted((a["difusor"], a["kind"]) for a in alerts if a["state"] == "firing") == [
        ("ajeno", "frame"), ("bloqueado", "frame"), ("tarde", "frame"), ("vacio", "frame")]

    # the configuration regenerated from the registry: the late one may frame, the blocked one may not
    with WebServer("nginx", cfg_path, root / "nginx2", port):
        csp = httpx.get(site, timeout=5).headers["content-security-policy"]
        assert f"http://127.0.0.1:{pages['tarde'].port}" in csp
        assert f"http://127.0.0.1:{pages['bloqueado'].port}" not in csp
        obs = _round(cfg, reg, site, START + timedelta(minutes=3))
    assert obs["tarde"].status == "ok" and obs["bloqueado"].status == "notice-shown"
    alerts = durable.read_jsonl(Path(cfg.monitor.observations).with_name("alerts.jsonl"))
    assert ("tarde", "frame", "resolved") in [(a["difusor"], a["kind"], a["state"]) for a in alerts]


def test_frame_unchecked_without_site_url(tmp_path):
    reg = Registry(tmp_path / "difusores")
    d = difusor("marco")
    reg.add(dataclasses.replace(d, transfer=dataclasses.replace(d.transfer, method="frame")))
    from pregon.instituto.config import MonitorConfig

    mon = Monitor(MonitorConfig(observations=tmp_path / "m" / "obs.jsonl"), reg, work=tmp_path / "work")
    (o,) = asyncio.run(mon.round())
    assert o.status == "frame-unchecked" and "site_url" in o.error


def test_chromium_enforces_the_generated_frame_ancestors(framed, capsys):
    """The policy is what a browser obeys: the registered difusor's page shows the official site in its frame,
    one the configuration does not list gets a refused frame."""
    sync_playwright = require_playwright()
    root, cfg_path, cfg, reg, pages, port, site = framed
    with WebServer("nginx", cfg_path, root / "nginx", port):
        reg.add(_framing("tarde", pages["tarde"]))
        pages["tarde"].page(_snippet(capsys, cfg_path, "tarde"))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            try:
                page = browser.new_page()
                refused: list[str] = []
                page.on("console", lambda m: refused.append(m.text) if "frame-ancestors" in m.text else None)
                page.goto(pages["bueno"].enlace, wait_until="networkidle")
                frame = page.frame_locator("iframe")
                assert "corte" in frame.locator("body").inner_text().lower()
                assert refused == []
                page.goto(pages["tarde"].enlace, wait_until="networkidle")
                child = [f for f in page.frames if f != page.main_frame]
                assert len(child) == 1
                deadline = 50
                while not refused and deadline:  # bounded: the console message follows the refused load
                    page.wait_for_timeout(100)
                    deadline -= 1
                assert refused and "frame-ancestors" in refused[0]
                assert "corte" not in child[0].content().lower()
            finally:
                browser.close()


ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_snippet_cli_errors(tmp_path, capsys):
    cfg_path = instituto_toml(tmp_path / "inst", tmp_path / "feed", site_url=None)
    cfg = load_config(cfg_path)
    reg = Registry(cfg.registry)
    reg.add(difusor("copia", method="pull"))
    d = difusor("marco")
    reg.add(dataclasses.replace(d, transfer=dataclasses.replace(d.transfer, method="frame")))
    assert main(["instituto", "difusores", "snippet", "copia", "--config", str(cfg_path)]) == 2
    assert "method 2 (frame)" in capsys.readouterr().err
    assert main(["instituto", "difusores", "snippet", "marco", "--config", str(cfg_path)]) == 2
    err = capsys.readouterr().err
    assert "site_url is required" in err and len(err.strip().splitlines()) == 1
    text = cfg_path.read_text().replace('name = "IMPEPAC"', 'name = "IMPEPAC"\nsite_url = "https://prep.x.mx/?a=1"')
    cfg_path.write_text(text)
    assert main(["instituto", "difusores", "snippet", "marco", "--config", str(cfg_path)]) == 2
    assert "plain URL" in capsys.readouterr().err
    cfg_path.write_text(text.replace("?a=1", ""))
    assert main(["instituto", "difusores", "snippet", "marco", "--config", str(cfg_path), "--page", "embed/index.html"]) == 0
    assert 'src="https://prep.x.mx/embed/index.html"' in capsys.readouterr().out
    assert json.loads((cfg.registry / "marco.json").read_text())["transfer"]["method"] == "frame"
