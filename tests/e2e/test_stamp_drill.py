"""Issue 15's "done when": after a drill ends, every HTML page served shows the last corte's date and time.

A small Morelos night (pull difusores served by the real nginx). When the night is over and the servers still
serve (the drill's linger), every .html file of each difusor's current release and of the official site is
fetched over HTTP from the server the drill started, then the stamp it frames: each must be the last corte's.
And nginx's access log, relayed onto the drill's clock, gives every memoria its visitors.
"""

from __future__ import annotations

import http.client
import json
import posixpath
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from toolcheck import require_tool
from pregon.errors import InputError
from pregon.instituto import packages as pk
from pregon.simulacro import display
from pregon.simulacro.plan import Plan, check
from pregon.simulacro.run import Simulacro
from pregon.simulacro.sshd import free_port
from pregon.site.check import parse_page


def _get(url: str) -> tuple[int, dict, bytes]:
    u = urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        c.request("GET", u.path, headers={"User-Agent": "pregon-test"})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def _html_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html"))


def _walk(base: str, root: Path, fecha: str, seq: int) -> tuple[int, list[str]]:
    """Fetch every page of the tree `root` served at `base`, and its stamp: (pages, problems)."""
    problems, stamps = [], {}
    pages = _html_files(root)
    for rel in pages:
        status, _h, body = _get(base + rel)
        if status != 200:
            problems.append(f"{base}{rel}: HTTP {status}")
            continue
        p = parse_page(body.decode("utf-8"))
        if rel == "corte.html":
            continue
        frames = [urljoin(base + rel, src) for src in p.frames]
        if len(frames) != 1 or posixpath.basename(urlsplit(frames[0]).path) != "corte.html":
            problems.append(f"{base}{rel}: frames {frames}, not the corte stamp")
            continue
        if frames[0] not in stamps:
            s_status, headers, s_body = _get(frames[0])
            stamps[frames[0]] = (s_status, headers.get("cache-control", ""), s_body.decode("utf-8"))
        s_status, cache, text = stamps[frames[0]]
        if s_status != 200 or f">{fecha}</time> hora del Centro" not in text or f"Corte núm. {seq}" not in text:
            problems.append(f"{base}{rel}: its stamp {frames[0]} (HTTP {s_status}) does not show {fecha}, corte {seq}")
        if "no-store" not in cache:
            problems.append(f"{frames[0]}: Cache-Control {cache!r}, the stamp must never be cached")
    return len(pages), problems


def test_after_a_drill_every_served_page_shows_the_last_corte(tmp_path, monkeypatch):
    require_tool("nginx")
    out = tmp_path / "drill"
    for _ in range(20):
        plan = Plan(out=out, preset="morelos", seed=5, scale=0.03, hours=1.5, speed=540, n=2, methods=("pull",),
                    port=20000 + free_port() % 30000, web_server="nginx")
        try:
            check(plan)
            break
        except InputError:
            continue
    seen: dict = {}

    def walk_while_serving(plan, note):  # the drill's linger: the servers are still up
        last = [r for r in pk.published(plan.work) if r.kind != "notice"][-1]
        fecha = datetime.fromisoformat(last.corte_instant).astimezone(ZoneInfo("America/Mexico_City"))
        fecha, seq = fecha.strftime("%d/%m/%Y %H:%M"), last.corte_sequence
        seen["last"] = (fecha, seq)
        for d in plan.difusores:
            seen[d.id] = _walk(d.url, (d.root / "current").resolve(), fecha, seq)
        seen["official"] = _walk(plan.official_url, (plan.work / "official").resolve(), fecha, seq)

    monkeypatch.setattr(display, "wait_for_ctrl_c", walk_while_serving)
    summary = Simulacro(plan, echo=lambda line: None, linger=True, pdf=False).run()
    assert summary is not None and "last" in seen, "the drill did not reach its end"
    # nginx's access log reached the drill's clock through its relay: each memoria counts the night's visitors
    for d in plan.difusores:
        head = json.loads((d.root / "memoria" / "datos.json").read_text())["headline"]
        assert head["visitors"] > 0 and head["mean_s"] > 0, (d.id, head)
    for who in [d.id for d in plan.difusores] + ["official"]:
        pages, problems = seen[who]
        assert pages > 50, (who, pages)
        assert problems == [], (who, problems[:5])
