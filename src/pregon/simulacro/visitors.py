"""The drill's visitors: a bounded load of realistic clients against each difusor's web server, so that the
serving side meets the traffic it exists for and every memoria técnica has visitors to report.

Sessions are planned from the seed (same drill, same plan): Poisson arrivals through the night at `per_hour`
sessions per simulated hour, each a person with a browser user agent who opens the home page, fetches what a
browser fetches (stylesheet, script, icon, the corte stamp, the page's first main.json poll) and follows the
site's own links for a few pages, thinking 15 s to 4 min (simulated) between them; some leave the tab open and
it polls main.json every minute; some are crawlers. Waits are in the drill's simulated time, so a visit lasts
minutes in the memoria (whose log times are the drill's) while taking a second of real time.

Each session connects from its own loopback address (127.x.y.z: Linux routes all of 127/8 to lo), because the
memoria tells clients apart by address and user agent; every request goes to the difusor's 127.0.0.1 port."""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 "
    "Edg/131.0.0.0",
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile "
    "Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 13; moto g(60)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile "
    "Safari/537.36",
)
BOTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
)
BOT_SHARE, POLLER_SHARE = 0.1, 0.2
MAX_CONCURRENT = 16  # sessions in flight per difusor: the load stays modest whatever the rate
TIMEOUT_S = 5.0

_HREF = re.compile(r'<a\s[^>]*?href="([^"#]+)"', re.I)
_ASSET = re.compile(r'<(?:link|script|iframe)\s[^>]*?(?:href|src)="([^"]+)"', re.I)


@dataclass(frozen=True)
class Session:
    start: float  # simulated seconds after the night's start
    address: str  # its own loopback source address
    agent: str
    kind: str  # person | poller (a person who leaves the tab open) | bot
    pages: int
    thinks: tuple[float, ...]  # simulated seconds before each following page
    pick: int  # seed of its link choices


def plan(seed: int, difusor: int, per_hour: float, hours: float) -> list[Session]:
    """The night's sessions against one difusor, in arrival order (deterministic)."""
    rng = random.Random(f"visitors:{seed}:{difusor}")
    out, t = [], 0.0
    if per_hour <= 0:
        return out
    for n in range(1_000_000):  # bounded: ends at the night's end
        t += rng.expovariate(per_hour / 3600.0)
        if t >= hours * 3600:
            break
        roll = rng.random()
        kind = "bot" if roll < BOT_SHARE else "poller" if roll < BOT_SHARE + POLLER_SHARE else "person"
        pages = 1 + min(int(rng.expovariate(0.45)), 11)
        agent = rng.choice(BOTS if kind == "bot" else BROWSERS)
        thinks = tuple(round(rng.uniform(2, 8) if kind == "bot" else rng.uniform(15, 240), 1) for _ in range(pages - 1))
        address = f"127.{10 + difusor % 200}.{(n // 250) % 250}.{n % 250 + 2}"
        out.append(Session(round(t, 1), address, agent, kind, pages, thinks, rng.randrange(1 << 30)))
    return out


def same_site_links(html: str, page_url: str, base: str) -> list[str]:
    """The page's links to other pages of the site (no downloads, no other origins, nothing above `base`)."""
    out = []
    for href in _HREF.findall(html):
        url = urljoin(page_url, href)
        if url.startswith(base) and urlsplit(url).path.endswith((".html", "/")) and url not in out:
            out.append(url)
    return out


def assets(html: str, page_url: str, base: str) -> list[str]:
    """What a browser fetches with the page: stylesheet, script, icon, the framed corte stamp."""
    urls = [urljoin(page_url, u) for u in _ASSET.findall(html)]
    return [u for u in dict.fromkeys(urls) if u.startswith(base)]


class Stats:
    def __init__(self):
        self.sessions = self.requests = self.errors = 0


async def _get(client, url: str, stats: Stats) -> str | None:
    stats.requests += 1
    try:
        r = await client.get(url)
    except Exception:  # noqa: BLE001 (a visitor meets whatever the server does: count it, go on)
        stats.errors += 1
        return None
    if r.status_code >= 400:
        stats.errors += 1
    ctype = r.headers.get("content-type", "")
    return r.text if r.status_code == 200 and "html" in ctype else None


async def visit(s: Session, base: str, clock, stats: Stats) -> None:
    """One session, its waits on the drill's clock."""
    import httpx

    rng = random.Random(s.pick)
    # plain HTTP to loopback: no CA bundle to load for every session (it cost more than the requests)
    transport = httpx.AsyncHTTPTransport(local_address=s.address, retries=0, verify=False)
    async with httpx.AsyncClient(transport=transport, timeout=TIMEOUT_S, headers={"User-Agent": s.agent},
                                 follow_redirects=False) as client:
        stats.sessions += 1
        url, cached = base + "index.html", set()
        for i in range(s.pages):
            html = await _get(client, url, stats)
            if html is None:
                return
            if s.kind != "bot":
                for a in assets(html, url, base):
                    if a not in cached or a.endswith("corte.html"):  # the stamp is never cached
                        cached.add(a)
                        await _get(client, a, stats)
                await _get(client, base + "json/main.json", stats)  # pregon.js's first poll
            links = same_site_links(html, url, base)
            if i + 1 >= s.pages or not links:
                break
            await clock.sleep_until(clock.now() + timedelta(seconds=s.thinks[i]))
            url = rng.choice(links)
        if s.kind == "poller":  # the tab stays open: pregon.js polls every minute for a while
            for _ in range(rng.randint(5, 30)):
                await clock.sleep_until(clock.now() + timedelta(seconds=60))
                await _get(client, base + "json/main.json", stats)


async def run(sessions: list[Session], base: str, clock, night_start: datetime, stats: Stats) -> Stats:
    """Every session at its simulated arrival, at most MAX_CONCURRENT at once; cancelled at the night's end
    (`stats` is the caller's, so it holds the counts either way)."""
    gate, tasks = asyncio.Semaphore(MAX_CONCURRENT), []

    async def one(s: Session):
        async with gate:
            await visit(s, base, clock, stats)

    try:
        for s in sessions:
            await clock.sleep_until(night_start + timedelta(seconds=s.start))
            tasks.append(asyncio.create_task(one(s)))
            tasks = [t for t in tasks if not t.done()]
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return stats


def main(args, clock) -> int:
    """The child process (`python -m pregon.simulacro.child visitors …`): every difusor's sessions in one event
    loop, its counts written to --stats every few seconds and when SIGTERM ends the night."""
    import json
    import signal

    from .. import durable

    targets = [t.split("=", 1) for t in args.target]
    night_start = clock.start
    stats = {ident: Stats() for ident, _url in targets}

    def dump():
        doc = {k: {"sessions": v.sessions, "requests": v.requests, "errors": v.errors} for k, v in stats.items()}
        durable.atomic_write(args.stats, (json.dumps(doc, sort_keys=True) + "\n").encode())

    async def all_of_them():
        loop = asyncio.get_running_loop()
        me = asyncio.current_task()
        loop.add_signal_handler(signal.SIGTERM, me.cancel)
        runs = [asyncio.create_task(run(plan(args.seed, i, args.per_hour, args.hours), url, clock, night_start,
                                        stats[ident])) for i, (ident, url) in enumerate(targets, start=1)]
        try:
            for _ in range(10 ** 7):  # bounded: each turn is 2 s; the night's end cancels it
                if all(r.done() for r in runs):
                    break
                dump()
                await asyncio.sleep(2)
        except asyncio.CancelledError:
            pass
        finally:
            for r in runs:
                r.cancel()
            await asyncio.gather(*runs, return_exceptions=True)
            dump()

    asyncio.run(all_of_them())
    return 0
