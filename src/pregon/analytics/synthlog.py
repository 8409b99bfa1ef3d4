"""Synthetic election-night access logs, deterministic from a seed.

The benchmark and the GoAccess agreement test need logs that look like a difusor's PREP night (pages loaded
with their assets, `main.json` polled every 30-60 s by open tabs, drill-down navigation, database downloads,
crawlers, the institute's monitor, scanners hitting 404s, a few broken lines) without shipping a real log of
citizens' IPs. The lines are written in time order, as a web server writes them.
"""

from __future__ import annotations

import heapq
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.179 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; moto g(60)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.6312.118 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; Redmi Note 11) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.6422.53 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 11; SAMSUNG SM-A125M) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Android 14; Mobile; rv:126.0) Gecko/126.0 Firefox/126.0",
    "Mozilla/5.0 (Linux; Android 13; SM-A536E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36 [FBAN/EMA;FBLC/es_LA;FBAV/409.0.0.12.108;]",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 330.0.3.31.90",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
)

BOTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
    "WhatsApp/2.23.20.0",
)

MONITOR_AGENT = "pregon-monitor/0.1 (+https://prep.example.org/difusores)"
MONITOR_IP = "200.38.120.5"

REFERRERS = (
    "-", "-", "-", "-",
    "https://www.google.com/", "https://www.google.com.mx/", "https://www.bing.com/",
    "https://www.facebook.com/", "https://m.facebook.com/", "https://t.co/", "http://m.facebook.com/",
    "https://www.ine.mx/", "https://news.example.mx/elecciones-2024/resultados",
)

ASSETS = (
    ("/css/prep.css", 48_213), ("/js/prep.js", 131_902), ("/img/logo.svg", 6_120),
    ("/img/partidos/pan.png", 3_518), ("/img/partidos/pri.png", 3_220), ("/img/partidos/prd.png", 3_101),
    ("/img/partidos/pt.png", 2_950), ("/img/partidos/pvem.png", 3_330), ("/img/partidos/mc.png", 3_050),
    ("/img/partidos/morena.png", 3_812), ("/fonts/roboto.woff2", 64_440), ("/favicon.ico", 15_086),
)

PAGES_TOP = ("/", "/index.html", "/diputaciones/index.html", "/ayuntamientos/index.html", "/gubernatura/index.html")


# which page a visitor asks for: (cumulative share, page); the first share above the draw picks it
PAGE_MIX = (
    (0.30, lambda rng: rng.choice(PAGES_TOP)),
    (0.55, lambda rng: f"/diputaciones/distrito/{rng.randint(1, 12):02d}.html"),
    (0.75, lambda rng: f"/ayuntamientos/municipio/{rng.randint(1, 36):03d}.html"),
    (0.85, lambda rng: f"/diputaciones/seccion/{rng.randint(1, 907):04d}.html"),
    (0.92, lambda rng: "/base-de-datos.html"),
    (1.01, lambda rng: f"/gubernatura/distrito/{rng.randint(1, 12):02d}/"),
)


def _page_for(rng: random.Random) -> str:
    r = rng.random()
    return next(page for share, page in PAGE_MIX if r < share)(rng)


def _traffic_weight(hour_of_night: float) -> float:
    """Relative arrival rate `hour_of_night` hours after 19:00: quiet before the 20:00 opening, a peak near
    22:00-01:00, then the long morning tail."""
    if hour_of_night < 1.0:
        return 0.15
    return 0.25 + 2.0 * math.exp(-((hour_of_night - 4.0) ** 2) / 8.0)


class _LogTimestamps:
    """Formats `[dd/Mon/YYYY:HH:MM:SS +zzzz]` once per second, as real logs repeat it."""

    def __init__(self, offset_minutes: int):
        self.tz = timezone(timedelta(minutes=offset_minutes))
        sign = "-" if offset_minutes < 0 else "+"
        m = abs(offset_minutes)
        self.suffix = f" {sign}{m // 60:02d}{m % 60:02d}"
        self.last = None
        self.text = ""

    def __call__(self, t: int) -> str:
        if t != self.last:
            d = datetime.fromtimestamp(t, self.tz)
            self.text = f"{d.day:02d}/{MONTHS[d.month - 1]}/{d.year}:{d.hour:02d}:{d.minute:02d}:{d.second:02d}{self.suffix}"
            self.last = t
        return self.text


def _ip(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.05:
        return f"2806:{rng.randint(0x100, 0xfff):x}:{rng.randint(0, 0xffff):x}:{rng.randint(0, 0xffff):x}::{rng.randint(1, 0xffff):x}"
    if r < 0.35:  # mobile carriers' CGNAT: few addresses, many people
        return f"189.203.{rng.randint(0, 3)}.{rng.randint(1, 254)}"
    return f"{rng.choice((187, 189, 201, 177, 148, 200))}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _human(rng: random.Random, t: int, ip: str, ua: str, host: str, returning: bool, db_name: str):
    """One person's visit: a page with its assets, a few drill-down pages, main.json polled while the tab is
    open (from a few minutes to the whole night)."""
    page = rng.choice(("/", "/index.html")) if rng.random() < 0.7 else _page_for(rng)
    ref = rng.choice(REFERRERS)
    r = rng.random()
    if r < 0.6:
        stay = rng.expovariate(1 / 180)
    elif r < 0.93:
        stay = rng.uniform(600, 2400)
    else:  # the tab left open through the night
        stay = rng.uniform(3600, 4 * 3600)
    end = t + int(stay)
    navigations = 0
    while rng.random() < 0.6 and navigations < 12:
        navigations += 1
    next_nav = t + int(rng.expovariate(1 / 60)) + 3
    next_poll = t + 1
    first = True
    while True:
        yield t, ip, "GET", page, 200, rng.randint(18_000, 90_000), ref, ua
        if first:
            assets = rng.sample(ASSETS, rng.randint(4, 8))
        else:
            assets = rng.sample(ASSETS, rng.randint(1, 3)) if rng.random() < 0.3 else ()
        for path, size in assets:
            if returning or not first or rng.random() < 0.2:
                yield t, ip, "GET", path, 304, 0, f"https://{host}{page}", ua
            else:
                yield t, ip, "GET", path, 200, size, f"https://{host}{page}", ua
        first = False
        if rng.random() < 0.03:
            t += rng.randint(2, 40)
            status = 206 if rng.random() < 0.2 else 200
            yield t, ip, "GET", f"/datos/{db_name}", status, rng.randint(2_000_000, 6_000_000), f"https://{host}/base-de-datos.html", ua
        if rng.random() < 0.01:
            yield t, ip, "GET", "/resultados/presidencia.html", 404, 153, f"https://{host}{page}", ua
        while True:
            t = min(next_nav, next_poll) if navigations else next_poll
            if t > end:
                return
            if t == next_poll:
                q = f"?_={t}" if rng.random() < 0.5 else ""
                status = 304 if rng.random() < 0.3 else 200
                yield t, ip, "GET", f"/json/main.json{q}", status, 0 if status == 304 else rng.randint(30_000, 34_000), f"https://{host}{page}", ua
                next_poll = t + rng.randint(30, 60)
            else:
                ref = f"https://{host}{page}"
                page = _page_for(rng)
                navigations -= 1
                next_nav = t + int(rng.expovariate(1 / 60)) + 3
                break


def _bot(rng: random.Random, t: int, ip: str, ua: str):
    if rng.random() < 0.5:
        yield t, ip, "GET", "/robots.txt", 200, 67, "-", ua
    for _ in range(rng.randint(1, 40)):
        t += rng.randint(1, 20)
        r = rng.random()
        if r < 0.7:
            yield t, ip, "GET", _page_for(rng), 200, rng.randint(18_000, 90_000), "-", ua
        elif r < 0.85:
            path, size = rng.choice(ASSETS)
            yield t, ip, "GET", path, 200, size, "-", ua
        elif r < 0.95:
            yield t, ip, "GET", "/json/main.json", 200, rng.randint(30_000, 34_000), "-", ua
        else:
            yield t, ip, "GET", "/sitemap.xml", 404, 153, "-", ua


def _scanner(rng: random.Random, t: int, ip: str):
    ua = rng.choice(("-", "Mozilla/5.0 zgrab/0.x", BROWSERS[0]))
    for path in rng.sample(("/wp-login.php", "/.env", "/admin/", "/phpmyadmin/", "/.git/config", "/xmlrpc.php"), 3):
        t += rng.randint(0, 2)
        method = "POST" if path.endswith(".php") else "GET"
        yield t, ip, method, path, 404, 153, "-", ua


def _monitor(t: int, end: int, interval: int):
    while t < end:
        yield t, MONITOR_IP, "GET", "/json/main.json", 200, 32_000, "-", MONITOR_AGENT
        yield t, MONITOR_IP, "HEAD", "/index.html", 200, 0, "-", MONITOR_AGENT
        t += interval


def _malformed(rng: random.Random, line: str) -> str:
    r = rng.random()
    if r < 0.4:  # cut short while being written: the tail after the size is lost
        request_end = line.index('" ', line.index('"') + 1)
        keep = line.index(' "', request_end + 2) + 1
        return line[: rng.randint(keep, len(line) - 2)] + "\n"
    if r < 0.6:
        return "\n"
    if r < 0.8:
        return line.replace("/2024:", "/2O24:", 1)
    return "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage from a TLS client on the HTTP port\n"


def generate(
    path,
    lines: int,
    *,
    seed: int = 0,
    start: datetime = datetime(2024, 6, 2, 19, 0, tzinfo=timezone(timedelta(hours=-6))),
    hours: float = 17.0,
    offset_minutes: int = -360,
    malformed_rate: float = 1e-4,
    host: str = "prep.example.mx",
    monitor_interval: int = 60,
) -> int:
    """Write about `lines` lines (exactly `lines` unless the night runs out first) and return how many.

    `offset_minutes` is the UTC offset the server writes (-360 for a server in Mexico City, 0 for a container
    in UTC); the instants are the same either way.
    """
    rng = random.Random(seed)
    t0 = int(start.timestamp())
    t_end = t0 + int(hours * 3600)
    clients_pool = max(2, lines // 20)
    clients = [(_ip(rng), rng.choice(BROWSERS)) for _ in range(clients_pool)]
    db_name = f"{start:%Y%m%d}_2330_PREP_DIP.zip"

    def session(r: random.Random, t: int):
        x = r.random()
        if x < 0.9:
            ip, ua = r.choice(clients)
            return _human(r, t, ip, ua, host, r.random() < 0.3, db_name)
        if x < 0.985:
            return _bot(r, t, f"66.249.{r.randint(64, 79)}.{r.randint(1, 254)}", r.choice(BOTS))
        return _scanner(r, t, _ip(r))

    # Size the night so that `lines` lines fill it: measure the mean lines per session on a side sample.
    probe = random.Random(seed + 1)
    sample = 2000
    per_session = sum(sum(1 for _ in session(probe, t0)) for _ in range(sample)) / sample
    monitor_lines = 2 * int(hours * 3600 / monitor_interval)
    sessions = max(4, int(max(lines - monitor_lines, 1) / per_session * 1.1))
    # Arrivals drawn by thinning against the night's traffic curve.
    peak = max(_traffic_weight(h / 10) for h in range(int(hours * 10) + 1))
    arrivals = []
    while len(arrivals) < sessions:
        t = rng.uniform(t0, t_end)
        if rng.random() * peak < _traffic_weight((t - t0) / 3600):
            arrivals.append(int(t))
    arrivals.sort()

    heap = []
    seq = 0

    def push(gen):
        nonlocal seq
        for item in gen:
            heapq.heappush(heap, (item[0], seq, item, gen))
            seq += 1
            return

    push(_monitor(t0, t_end, monitor_interval))
    stamp = _LogTimestamps(offset_minutes)
    written = 0
    ai = 0
    with open(path, "w", encoding="latin-1", newline="\n") as out:
        write = out.write
        while written < lines and (heap or ai < len(arrivals)):
            while ai < len(arrivals) and (not heap or arrivals[ai] <= heap[0][0]):
                t = arrivals[ai]
                ai += 1
                push(session(rng, t))
            if not heap:
                break
            _, _, (t, ip, method, p, status, size, ref, ua), gen = heapq.heappop(heap)
            line = f'{ip} - - [{stamp(t)}] "{method} {p} HTTP/1.1" {status} {size} "{ref}" "{ua}"\n'
            if malformed_rate and rng.random() < malformed_rate:
                line = _malformed(rng, line)
            write(line)
            written += 1
            push(gen)
    return written


if __name__ == "__main__":  # pragma: no cover - a convenience for trying GoAccess by hand
    import sys

    n = generate(Path(sys.argv[1]), int(sys.argv[2]), seed=int(sys.argv[3]) if len(sys.argv) > 3 else 0)
    print(n)
