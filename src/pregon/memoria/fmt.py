"""es-MX text for numbers, times and durations (Mexico writes 12,345.6: comma thousands, point decimals)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from ..analytics.text import human_bytes

MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
          "noviembre", "diciembre")
WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")


def number(x, decimals: int = 0) -> str:
    if x is None:
        return "—"
    if decimals:
        return f"{float(x):,.{decimals}f}"
    return f"{round(x):,}"


def percent(x, decimals: int = 1) -> str:
    return "—" if x is None else f"{100 * float(x):,.{decimals}f} %"


def ratio(x) -> str:
    return "—" if x is None else f"{float(x):,.2f}×"


def size(n) -> str:
    return "—" if n is None else human_bytes(float(n))


def duration(seconds) -> str:
    """`45 s`, `3 min 05 s`, `2 h 07 min`, `1 d 3 h`."""
    if seconds is None:
        return "—"
    sign = "-" if seconds < 0 else ""
    s = round(abs(float(seconds)))
    if s < 60:
        return f"{sign}{s} s"
    if s < 3600:
        return f"{sign}{s // 60} min {s % 60:02d} s"
    if s < 86400:
        return f"{sign}{s // 3600} h {s % 3600 // 60:02d} min"
    return f"{sign}{s // 86400} d {s % 86400 // 3600} h"


def offset(t: datetime) -> str:
    off = t.utcoffset()
    minutes = int(off.total_seconds() // 60) if off is not None else 0
    sign = "−" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def when(t: datetime | None, tz: tzinfo, seconds: bool = True) -> str:
    """`02/06/2024 20:15:03`, local time."""
    if t is None:
        return "—"
    lt = t.astimezone(tz)
    return lt.strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def short(t: datetime | None, tz: tzinfo) -> str:
    """`02/06 20:15:03`, local time (tables where the year is on the cover)."""
    if t is None:
        return "—"
    return t.astimezone(tz).strftime("%d/%m %H:%M:%S")


def long_date(t: datetime, tz: tzinfo) -> str:
    """`domingo 2 de junio de 2024`."""
    lt = t.astimezone(tz)
    return f"{WEEKDAYS[lt.weekday()]} {lt.day} de {MONTHS[lt.month - 1]} de {lt.year}"


def long_when(t: datetime, tz: tzinfo) -> str:
    """`domingo 2 de junio de 2024, 20:00 h (UTC−06:00)`."""
    lt = t.astimezone(tz)
    return f"{long_date(lt, tz)}, {lt:%H:%M} h ({offset(lt)})"


def pct(x, decimals: int = 3) -> str:
    """A percentage already in % (availability): `99.931 %`."""
    return "—" if x is None else f"{float(x):,.{decimals}f} %"


def day_label(iso: str) -> str:
    """`2024-06-02` -> `02/06/2024`."""
    y, m, d = iso.split("-")
    return f"{d}/{m}/{y}"


def month_label(ym: str) -> str:
    """`2024-06` -> `junio de 2024`."""
    y, m = ym.split("-")
    return f"{MONTHS[int(m) - 1]} de {y}"
