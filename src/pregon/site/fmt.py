"""Spanish (es-MX) presentation of figures and times, shared by the HTML templates and the view-models.

Numbers take comma thousands separators as Mexican PREP sites print them ("1,187,254"); percentages are
always truncated strings (rules.pct), never re-formatted floats. Times of a whole night are converted in
one vectorised pass (a national corte holds half a million acta timestamps).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from ..election.timefmt import NO_TIME, fixed_offset, offset_label

# IANA zones of Mexico -> how PREP pages name their hour (the "Tiempo del Centro" of the top bar).
ZONE_LABELS = {
    "America/Mexico_City": "hora del Centro",
    "America/Monterrey": "hora del Centro",
    "America/Merida": "hora del Centro",
    "America/Matamoros": "hora del Centro",
    "America/Bahia_Banderas": "hora del Centro",
    "America/Chihuahua": "hora del Centro",
    "America/Ojinaga": "hora del Centro",
    "America/Cancun": "hora del Sureste",
    "America/Mazatlan": "hora del Pacífico",
    "America/Hermosillo": "hora del Pacífico",
    "America/Ciudad_Juarez": "hora del Pacífico",
    "America/Tijuana": "hora del Noroeste",
}


def resolve_tz(name: str, fallback: datetime | None = None) -> tzinfo:
    """The zone of a process: an IANA name, or an offset label such as 'UTC-5' (a database read back)."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            if name.strip().upper().startswith("UTC"):
                return fixed_offset(name)
    if fallback is not None and fallback.tzinfo is not None:
        return fallback.tzinfo
    return ZoneInfo("America/Mexico_City")


def zone_label(name: str) -> str:
    return ZONE_LABELS.get(name, "hora local")


def num(value) -> str:
    """1187254 -> '1,187,254'; a PREP text value ('SIN DATO', 'ILEGIBLE', '-') passes through."""
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


class EpochText:
    """Epoch seconds -> local wall-clock and ISO strings, vectorised when the offset is constant."""

    def __init__(self, tz: tzinfo):
        self.tz = tz

    def _offset(self, epoch: int) -> int:
        return int(datetime.fromtimestamp(epoch, self.tz).utcoffset().total_seconds())

    def convert(self, epochs: np.ndarray) -> tuple[list[str], list[str]]:
        """(['02/06/2024 21:15:03', …], ['2024-06-02T21:15:03-06:00', …]); '' where NO_TIME."""
        epochs = np.asarray(epochs, dtype=np.int64)
        n = epochs.shape[0]
        if n == 0:
            return [], []
        valid = epochs != NO_TIME
        if not valid.any():
            return [""] * n, [""] * n
        lo, hi = int(epochs[valid].min()), int(epochs[valid].max())
        off_lo, off_hi = self._offset(lo), self._offset(hi)
        if off_lo != off_hi or self._offset((lo + hi) // 2) != off_lo:
            return self._slow(epochs)
        iso_local = np.datetime_as_string((np.where(valid, epochs, 0) + off_lo).astype("datetime64[s]"), unit="s")
        suffix = _iso_offset(off_lo)
        texts, isos = [], []
        for ok, s in zip(valid.tolist(), iso_local.tolist()):
            if not ok:
                texts.append("")
                isos.append("")
                continue
            # 'YYYY-MM-DDTHH:MM:SS'
            texts.append(f"{s[8:10]}/{s[5:7]}/{s[0:4]} {s[11:19]}")
            isos.append(s + suffix)
        return texts, isos

    def _slow(self, epochs: np.ndarray) -> tuple[list[str], list[str]]:
        texts, isos, cache = [], [], {}
        for e in epochs.tolist():
            if e == NO_TIME:
                texts.append("")
                isos.append("")
                continue
            hit = cache.get(e)
            if hit is None:
                d = datetime.fromtimestamp(e, self.tz)
                hit = cache[e] = (d.strftime("%d/%m/%Y %H:%M:%S"), d.isoformat())
            texts.append(hit[0])
            isos.append(hit[1])
        return texts, isos


def _iso_offset(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    h, m = divmod(abs(seconds) // 60, 60)
    return f"{sign}{h:02d}:{m:02d}"


def stamp_fields(instant: datetime, tz: tzinfo, zone_name: str) -> dict:
    """The corte's identity as every page and main.json print it."""
    local = instant.astimezone(tz).replace(microsecond=0)
    return {
        "instante": local.isoformat(),
        "fecha_hora": local.strftime("%d/%m/%Y %H:%M"),
        "zona": zone_label(zone_name),
        "utc": offset_label(local),
    }
