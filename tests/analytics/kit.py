"""Helpers to write small access logs whose figures can be computed by hand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

MX = timezone(timedelta(hours=-6))  # Mexico City since 2022 (no DST)
UTC = timezone.utc
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"
CHROME = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
MONITOR = "pregon-monitor/0.1 (+https://prep.example.org)"
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def clf_time(t: datetime) -> str:
    off = t.utcoffset()
    minutes = int(off.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{t.day:02d}/{MONTHS[t.month - 1]}/{t.year}:{t:%H:%M:%S} {sign}{minutes // 60:02d}{minutes % 60:02d}"


def line(t: datetime, path: str = "/", *, ip: str = "10.0.0.1", ua: str = FIREFOX, status: int = 200,
         size: int | str = 1000, method: str = "GET", ref: str = "-") -> str:
    return f'{ip} - - [{clf_time(t)}] "{method} {path} HTTP/1.1" {status} {size} "{ref}" "{ua}"\n'


def at(hh: int, mm: int = 0, ss: int = 0, day: int = 2, tz=MX) -> datetime:
    """A time on election night (day 2 = Sunday 2 June 2024); fields may overflow (hh=25 is 01:00 of day 3)."""
    return datetime(2024, 6, day, tzinfo=tz) + timedelta(hours=hh, minutes=mm, seconds=ss)
