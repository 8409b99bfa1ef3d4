"""Time formats of the PREP: ISO 8601 in feeds, local wall-clock strings in databases and pages."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo


NO_TIME = -1


def zone(name: str) -> tzinfo:
    return ZoneInfo(name)


def iso(epoch: int, tz: tzinfo) -> str:
    return "" if epoch == NO_TIME else datetime.fromtimestamp(epoch, tz).isoformat()


def local(epoch: int, tz: tzinfo, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return "" if epoch == NO_TIME else datetime.fromtimestamp(epoch, tz).strftime(fmt)


def offset_label(moment: datetime) -> str:
    """'UTC-6' style label of a moment's offset, as PREP headers print it."""
    minutes = int(moment.utcoffset().total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")


def fixed_offset(label: str) -> tzinfo:
    """Inverse of offset_label: 'UTC-5' -> a fixed-offset tzinfo."""
    body = label.strip().removeprefix("UTC")
    sign = -1 if body.startswith("-") else 1
    body = body.lstrip("+-")
    h, _, m = body.partition(":")
    return timezone(sign * timedelta(hours=int(h or 0), minutes=int(m or 0)))


LOCAL_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")


def parse_local(text: str, tz: tzinfo) -> datetime | None:
    """A time as PREP systems write it: ISO 8601 (with an offset, or local in `tz`), or DD/MM/YYYY HH:MM[:SS]
    (or YYYY/MM/DD …) local in `tz`. None when it is none of these."""
    text = text.strip()
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        t = None
        for fmt in LOCAL_FORMATS:
            try:
                t = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if t is None:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=tz)
