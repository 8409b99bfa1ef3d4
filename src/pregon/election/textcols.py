"""Column-wise conversion between PREP text fields and arrays, for files of half a million actas.

Per-value Python calls (`int()`, `str()`, `strftime`) dominate reading and writing national feeds and
databases; these helpers convert whole columns with lookup tables and numpy's string ufuncs instead.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from . import rules
from .timefmt import NO_TIME

_CODES = {"-": rules.NO_APLICA, "SIN DATO": rules.SIN_DATO, "ILEGIBLE": rules.ILEGIBLE, "Ilegible": rules.ILEGIBLE,
          "": rules.BLANCO}


def ints_to_text(values: np.ndarray) -> np.ndarray:
    """Vote codes or counts -> their PREP text ('-', 'SIN DATO', 'ILEGIBLE' or the number), as objects."""
    values = np.asarray(values, dtype=np.int64)
    if values.size == 0:
        return np.empty(values.shape, dtype=object)
    top = int(values.max())
    if top > 2_000_000:
        out = values.astype(str).astype(object)
        for code, text in rules.CODE_TO_TEXT.items():
            out[values == code] = text
        return out
    low = min(rules.CODE_TO_TEXT)
    lut = np.array([rules.CODE_TO_TEXT[c] for c in range(low, 0)] + [str(i) for i in range(top + 1)], dtype=object)
    return lut[values - low]


def text_to_ints(cells: np.ndarray, *, texts: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """PREP text cells -> (int64 codes, bad mask). Digits parse as numbers; with `texts`, the PREP's words map
    to their codes; anything else is flagged in `bad` for the caller to report with its line."""
    cells = np.asarray(cells, dtype=str)
    digits = np.strings.isdigit(cells) & (np.strings.str_len(cells) < 16)
    out = np.zeros(cells.shape, dtype=np.int64)
    out[digits] = cells[digits].astype(np.int64)
    bad = ~digits
    if texts and bad.any():
        where_bad = np.flatnonzero(bad.ravel())
        words = cells.ravel()[where_bad]
        flat_out, flat_bad = out.reshape(-1), bad.reshape(-1)
        for text, code in _CODES.items():
            hit = words == text
            flat_out[where_bad[hit]] = code
            flat_bad[where_bad[hit]] = False
    return out, bad


def times_to_text(epochs: np.ndarray, tz, fmt: str) -> np.ndarray:
    """Epoch seconds -> local time in `fmt` (strftime, or "iso"); '' for NO_TIME; each distinct second once."""
    epochs = np.asarray(epochs, dtype=np.int64)
    uniq, inverse = np.unique(epochs, return_inverse=True)
    def render(x: int) -> str:
        if x == NO_TIME:
            return ""
        moment = datetime.fromtimestamp(x, tz)
        return moment.isoformat() if fmt == "iso" else moment.strftime(fmt)

    labels = np.array([render(x) for x in uniq.tolist()], dtype=object)
    return labels[inverse.reshape(epochs.shape)]


def iso_to_epochs(cells: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """ISO 8601 'YYYY-MM-DDTHH:MM:SS±HH:MM' cells -> (epoch seconds, bad mask); '' -> NO_TIME."""
    n = len(cells)
    out = np.full(n, NO_TIME, dtype=np.int64)
    bad = np.zeros(n, dtype=bool)
    if n == 0:
        return out, bad
    arr = np.asarray(cells, dtype=str)
    blank = arr == ""
    shaped = (np.strings.str_len(arr) == 25) & (np.strings.slice(arr, 10, 11) == "T")
    bad |= ~blank & ~shaped
    ok = ~blank & shaped
    if ok.any():
        base = np.strings.slice(arr[ok], 0, 19)
        offsets = np.strings.slice(arr[ok], 19, 25)
        try:
            local = base.astype("datetime64[s]").astype(np.int64)
        except ValueError:
            local = np.array([_one(s) for s in base.tolist()], dtype=np.int64)
        uniq, inverse = np.unique(offsets, return_inverse=True)
        seconds = np.array([_offset(o) for o in uniq.tolist()], dtype=np.int64)
        off = seconds[inverse]
        good = (off != _BAD) & (local != _BAD)
        values = np.where(good, local - off, NO_TIME)
        out[ok] = values
        idx = np.flatnonzero(ok)
        bad[idx[~good]] = True
    return out, bad


_BAD = np.iinfo(np.int64).min


def _one(text: str) -> int:
    try:
        return int(np.datetime64(text, "s").astype(np.int64))
    except ValueError:
        return _BAD


def _offset(text: str) -> int:
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":" or not (text[1:3] + text[4:]).isdigit():
        return _BAD
    sign = -1 if text[0] == "-" else 1
    return sign * (int(text[1:3]) * 3600 + int(text[4:]) * 60)


def join_rows(columns: list[np.ndarray], sep: str) -> list[str]:
    """One text line per row from object columns."""
    return [sep.join(row) for row in zip(*(c.tolist() for c in columns))]
