"""The drill's visitors: a deterministic, bounded plan of sessions (people, open tabs, crawlers from distinct
loopback addresses), and a walker that follows only the site's own links and fetches what a browser fetches."""

from __future__ import annotations

import asyncio
import functools
import threading
from datetime import datetime, timedelta, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from hypothesis import given, settings
from hypothesis import strategies as st

from pregon.simulacro import visitors
from pregon.times import ManualClock

BASE = "http://127.0.0.1:8001/"


def test_the_plan_is_deterministic_bounded_and_mixed():
    a = visitors.plan(1, 1, 60, 12)
    assert a == visitors.plan(1, 1, 60, 12) and a != visitors.plan(2, 1, 60, 12) and a != visitors.plan(1, 2, 60, 12)
    assert all(0 < s.start < 12 * 3600 for s in a) and [s.start for s in a] == sorted(s.start for s in a)
    assert 500 < len(a) < 950  # ~720 expected at 60 per hour over 12 h
    kinds = {k: sum(s.kind == k for s in a) / len(a) for k in ("bot", "poller", "person")}
    assert 0.05 < kinds["bot"] < 0.16 and 0.13 < kinds["poller"] < 0.28
    assert len({s.address for s in a}) == len(a) and all(s.address.startswith("127.") for s in a)
    assert all(s.address != "127.0.0.1" for s in a)
    assert all(any(b in s.agent for b in ("Googlebot", "bingbot", "facebookexternalhit")) == (s.kind == "bot")
               for s in a)
    assert all(len(s.thinks) == s.pages - 1 and 1 <= s.pages <= 12 for s in a)
    assert visitors.plan(1, 1, 0, 12) == []


@given(st.lists(st.sampled_from(["a.html", "../b.html", "/c.html", "http://evil.example/x.html", "d.zip",
                                 "#top", "sub/", "../../../../etc.html", "mailto:x@y"]), max_size=12))
@settings(max_examples=200)
def test_links_stay_on_the_site_and_on_pages(hrefs):
    page = BASE + "GUB/index.html"
    html = "".join(f'<a class="x" href="{h}">l</a>' for h in hrefs)
    out = visitors.same_site_links(html, page, BASE)
    assert all(u.startswith(BASE) and (u.endswith(".html") or u.endswith("/")) for u in out)
    assert len(out) == len(set(out))


def test_assets_are_what_a_browser_fetches():
    html = ('<link rel="stylesheet" href="../assets/pregon.1.css"><script src="../assets/pregon.2.js" defer>'
            '</script><iframe class="sello-marco" src="../corte.html"></iframe><link rel="icon" '
            'href="https://cdn.example/x.svg">')
    assert visitors.assets(html, BASE + "GUB/index.html", BASE) == [
        BASE + "assets/pregon.1.css", BASE + "assets/pregon.2.js", BASE + "corte.html"]


class _Logged(SimpleHTTPRequestHandler):
    seen: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).seen.append((self.client_address[0], self.headers.get("User-Agent"), self.path))
        super().do_GET()


def test_a_session_walks_the_site_from_its_own_address(tmp_path):
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "main.json").write_text("{}")
    (tmp_path / "index.html").write_text('<link rel="stylesheet" href="s.css"><a href="b.html">b</a>'
                                         '<a href="http://elsewhere.example/">x</a>')
    (tmp_path / "b.html").write_text('<a href="index.html">home</a>')
    (tmp_path / "s.css").write_text("p{}")
    _Logged.seen = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Logged, directory=str(tmp_path)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}/"
    try:
        start = datetime(2024, 6, 2, 20, tzinfo=timezone.utc)
        clock = ManualClock(start)
        s = visitors.Session(0.0, "127.10.0.7", visitors.BROWSERS[0], "poller", 3, (30.0, 40.0), 5)
        stats = visitors.Stats()
        asyncio.run(visitors.visit(s, base, clock, stats))
    finally:
        srv.shutdown()
    paths = [p for _ip, _ua, p in _Logged.seen]
    assert {ip for ip, _ua, _p in _Logged.seen} == {"127.10.0.7"}
    assert {ua for _ip, ua, _p in _Logged.seen} == {visitors.BROWSERS[0]}
    assert paths[:3] == ["/index.html", "/s.css", "/json/main.json"] and "/b.html" in paths
    assert paths.count("/s.css") == 1  # cached after the first page
    polls = paths.count("/json/main.json")
    assert polls >= 3 + 5 and stats.errors == 0 and stats.requests == len(paths)
    # the waits were on the drill's clock: 30 + 40 s of thinking and a minute per poll
    assert clock.now() - start >= timedelta(seconds=70 + 60 * (polls - 3))
