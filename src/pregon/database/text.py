"""Bytes to cells: the encodings, line endings, separators and quoting the real databases use.

Institutes publish UTF-8 (with or without BOM), Latin-1 and Windows-1252; LF, CRLF and bare CR; comma or
pipe separators, sometimes announced by an Excel `sep=|` first line; keys written `="…"`, `'…'` or `'…`
so spreadsheets keep their zeros. Everything here is pure: bytes in, text and cells out.
"""

from __future__ import annotations

import codecs
import csv
import io
import re

import numpy as np

SEPARATORS = ("|", ",", ";", "\t")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_NUMBER = re.compile(r"^[+]?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$")


def _single_byte(exc: UnicodeDecodeError) -> tuple[str, int]:
    """A byte that is not UTF-8, read as Windows-1252 (Latin-1 where 1252 leaves it undefined)."""
    byte = exc.object[exc.start:exc.start + 1]
    try:
        return byte.decode("cp1252"), exc.start + 1
    except UnicodeDecodeError:
        return byte.decode("latin-1"), exc.start + 1


codecs.register_error("pregon-1252", _single_byte)


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 when the bytes are UTF-8; Windows-1252 when they are not; and a file that
    mixes both (the 2019 Quintana Roo candidaturas: UTF-8 with one Latin-1 'Ñ') byte by byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data, bom = data[3:], True
    else:
        bom = False
    try:
        return data.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        pass
    # one well-formed UTF-8 sequence (in Windows-1252 Spanish text a pair such as 'Ã±' never occurs) means
    # the file is UTF-8 with stray single bytes
    if bom or _UTF8_SEQUENCE.search(data):
        return data.decode("utf-8", errors="pregon-1252"), "mixed"
    return data.decode("cp1252", errors="pregon-1252"), "cp1252"


def lines(text: str) -> list[str]:
    """Physical lines, whatever the line ending (LF, CRLF or CR)."""
    out = re.split(r"\r\n|\r|\n", text)
    if out and out[-1] == "":
        out.pop()
    return out


def separator(text: str, marker_line: int | None) -> tuple[str, bool]:
    """(separator, announced by a `sep=` line). Without the announcement, the separator is the character
    most frequent in `marker_line` (the header figures' names), which no title line can confuse."""
    first = text[:16].lstrip("\ufeff\"'")
    if first.lower().startswith("sep=") and len(first) > 4:
        return first[4], True
    if marker_line is None:
        return ",", False
    sample = lines(text[:200_000])[marker_line]
    counts = {s: sample.count(s) for s in SEPARATORS}
    best = max(SEPARATORS, key=lambda s: counts[s])
    return (best if counts[best] else ","), False


def table(text: str, sep: str) -> tuple[list[list[str]], list[int]]:
    """Every record as cells, with the physical line each starts on (1-based). Quoted fields may hold the
    separator; a record spans lines only inside quotes."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"', doublequote=True,
                        skipinitialspace=False, strict=False)
    rows, starts = [], []
    line = 1
    for row in reader:
        rows.append(row)
        starts.append(line)
        line = reader.line_num + 1
    return rows, starts


def unwrap(cell: str) -> str:
    """A cell without the spreadsheet guards around keys: `="04"`, `'04'` or `'04` -> `04`; trimmed."""
    c = cell.strip()
    if not c:
        return c
    if c.startswith('="') and c.endswith('"') and len(c) >= 3:
        return c[2:-1].strip()
    if c[0] == "'":
        c = c[1:-1] if len(c) >= 2 and c[-1] == "'" else c[1:]
        return c.strip()
    if len(c) >= 2 and c[0] == '"' and c[-1] == '"':
        return c[1:-1].strip()
    return c


def unwrap_column(cells) -> np.ndarray:
    """`unwrap` over a column, touching only the cells that need it (guards or padding: a few keys)."""
    text = np.asarray(cells, dtype=str)
    if text.size == 0:
        return text
    needs = (np.strings.startswith(text, "=") | np.strings.startswith(text, "'") | np.strings.startswith(text, '"')
             | np.strings.startswith(text, " ") | np.strings.endswith(text, " ") | np.strings.startswith(text, "\t"))
    if not needs.any():
        return text
    todo = np.flatnonzero(needs)
    out = text.astype(object)
    out[todo] = [unwrap(c) for c in text[todo].tolist()]
    return out.astype(str)


def figure_value(cell: str) -> tuple[int, int] | None:
    """A header figure as an exact fixed-point (digits, decimals): '1,187,254' -> (1187254, 0);
    "'99.5698%" -> (995698, 4). None for an empty cell; ValueError for anything else."""
    c = unwrap(cell).replace("%", "").replace(" ", "").strip()
    if c == "":
        return None
    m = _NUMBER.match(c)
    if m is None:
        raise ValueError(cell)
    whole, frac = m.group(1).replace(",", ""), m.group(2) or ""
    return int(whole + frac), len(frac)


def same_figure(published: str, recomputed: str, *, empty_ok: bool) -> bool:
    """Whether a published header figure equals pregon's by value ('0' = '0.0000', '1,234' = '1234');
    an empty one agrees only where `empty_ok` (a sum over no acta)."""
    try:
        pub = figure_value(published)
    except ValueError:
        return False
    if pub is None:
        return empty_ok
    rec = figure_value(recomputed)
    if rec is None:
        return False
    scale = max(pub[1], rec[1])
    return pub[0] * 10 ** (scale - pub[1]) == rec[0] * 10 ** (scale - rec[1])
