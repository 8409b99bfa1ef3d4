"""Combined-format access logs: the line grammar, timestamps, and reading (possibly rotated, compressed) files.

The format is Apache/nginx "combined" (the embedded server writes the same):

    %h %l %u [%d/%b/%Y:%H:%M:%S %z] "%r" %>s %b "%{Referer}i" "%{User-Agent}i"

One regular expression, applied with `findall` to a whole block of bytes, does the scanning at C speed; the
per-line Python cost is what the caller does with the captured columns. Quoted fields may hold `\\"` (Apache
escapes) and nginx's `\\x22`; anything may follow the user agent (extra fields of custom formats). Any line
without a client, a `[time]`, a quoted request and a status, and any line whose timestamp is not a real
instant, is malformed: counted, shown as an example, never fatal.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import zlib
from calendar import timegm
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..errors import InputError

# Groups: client, time, method, path (query string dropped), status, size, referrer, user agent.
# A request that is not `METHOD PATH ...` (e.g. "-" or TLS bytes) matches with empty method and path.
# Client, time, request and status are required; a line cut short after the status (a crash, a full disk)
# keeps what it has, as GoAccess does, and so does a common-format line. A user agent cut short (no closing
# quote) is no user agent: a fragment is not an identity (GoAccess treats it the same way).
_Q = rb'[^"\\\n]*(?:\\.[^"\\\n]*)*'  # quoted-field body, unrolled for speed
LINE_RE = re.compile(
    rb"^(\S+) \S+ \S+ \[([^\]\n]*)\] "
    rb'"(?:([A-Z]+) ([^\s?"\\]*)' + _Q + rb"|" + _Q + rb')" '
    rb"(\d{3})(?![^ \n])(?: (\d+|-)(?![^ \n]))?"
    rb'(?: "(' + _Q + rb')(?:" "(' + _Q + rb')")?)?[^\n]*\n?',
    re.M,
)

_MONTHS = {m: i for i, m in enumerate((b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun",
                                       b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"), 1)}
_TS_RE = re.compile(rb"(\d\d)/([A-Z][a-z][a-z])/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\Z")

INVALID_TIME = -1 << 62  # sentinel epoch for a timestamp that is not a real instant


_hour_base: dict[bytes, int] = {}


def _parse_hour(text: bytes) -> int:
    m = _TS_RE.match(text)
    if m is None:
        return INVALID_TIME
    day, mon, year, hh, _, _, sign, oh, om = m.groups()
    month = _MONTHS.get(mon)
    if month is None or int(oh) > 23 or int(om) > 59:
        return INVALID_TIME
    try:
        naive = datetime(int(year), month, int(day), int(hh))
    except ValueError:
        return INVALID_TIME
    offset = int(oh) * 3600 + int(om) * 60
    return timegm(naive.timetuple()) - (offset if sign == b"+" else -offset)


def parse_time(text: bytes) -> int:
    """Epoch seconds of `02/Jun/2024:20:00:00 -0600`, or INVALID_TIME.

    Callers cache the answer per distinct string (a busy log repeats each second many times); here the
    calendar work is cached per hour and offset, so a quiet log with one line per second stays cheap.
    """
    if len(text) != 26 or text[17:18] != b":" or text[14:15] != b":":
        return INVALID_TIME
    key = text[:14] + text[20:]
    base = _hour_base.get(key)
    if base is None:
        if len(_hour_base) > 100_000:
            _hour_base.clear()
        base = _hour_base[key] = _parse_hour(text[:15] + b"00:00" + text[20:])
    mm, ss = text[15:17], text[18:20]
    if base == INVALID_TIME or not (mm.isdigit() and ss.isdigit()):
        return INVALID_TIME
    m, s = int(mm), int(ss)
    if m > 59 or s > 59:
        return INVALID_TIME
    return base + m * 60 + s


@dataclass(frozen=True, slots=True)
class LogLine:
    """One request, as a human reads it (the fast path never builds these)."""

    client: str
    time: datetime
    method: str
    path: str
    status: int
    size: int
    referrer: str
    agent: str


def parse_line(line: bytes) -> LogLine | None:
    """Parse one line (with or without its newline); None when it is malformed."""
    line = line.rstrip(b"\r\n")
    if b"\n" in line:
        return None
    m = LINE_RE.fullmatch(line)
    if m is None:
        return None
    client, ts, method, path, status, size, ref, agent = m.groups()
    epoch = parse_time(ts)
    if epoch == INVALID_TIME:
        return None
    dec = lambda b: (b or b"").decode("utf-8", "replace")  # noqa: E731
    return LogLine(
        client=dec(client),
        time=datetime.fromtimestamp(epoch, timezone.utc),
        method=dec(method),
        path=dec(path),
        status=int(status),
        size=int(size) if size and size != b"-" else 0,
        referrer=dec(ref),
        agent=dec(agent),
    )


# --- files -------------------------------------------------------------------------------------------------

_COMPRESSED = ((b"\x1f\x8b", gzip.open), (b"BZh", bz2.open), (b"\xfd7zXZ\x00", lzma.open))
_ROTATION_RE = re.compile(r"^(?P<base>.+?)(?:\.(?P<num>\d+)|-(?P<date>\d{8}(?:\d{2})?))?(?:\.(?:gz|bz2|xz))?$")


def rotation_key(path) -> tuple[str, tuple]:
    """(set name, rank) of a log file: `access.log.3.gz` < `access.log.2.gz` < `access.log.1` < `access.log`,
    and logrotate's dateext `access.log-20240601.gz` by date, both before the live file."""
    name = Path(path).name
    m = _ROTATION_RE.match(name)
    if m is None:  # no file name at all ('.', '/'): the caller refuses it when opening
        return str(path), (2,)
    base = str(Path(path).with_name(m["base"]))
    if m["num"] is not None:
        return base, (1, -int(m["num"]))
    if m["date"] is not None:
        return base, (0, m["date"])
    return base, (2,)


def order_logs(paths) -> list[Path]:
    """Oldest first within each rotated set; sets in the order the user first named them."""
    paths = [Path(p) for p in paths]
    first_seen: dict[str, int] = {}
    keyed = []
    for i, p in enumerate(paths):
        base, rank = rotation_key(p)
        first_seen.setdefault(base, i)
        keyed.append(((first_seen[base], rank, str(p)), p))
    seen, out = set(), []
    for _, p in sorted(keyed, key=lambda kp: kp[0]):
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def check_readable(path: Path) -> None:
    """Refuse, with a one-line message, a path the user cannot mean."""
    if not path.exists():
        raise InputError(f"{path}: no such file; give the path of an access log (plain or .gz)")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give the access log files inside it (e.g. {path}/access.log*)")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: permission denied; run as a user who can read the web server's logs")


def opener(path: Path):
    """The function that opens `path` for binary reading, chosen by its magic bytes (rotated files are
    compressed whatever their name says)."""
    with open(path, "rb") as f:
        head = f.read(6)
    for magic, fn in _COMPRESSED:
        if head.startswith(magic):
            return fn
    return None


def byte_ranges(path: Path, size: int, target: int) -> list[tuple[int, int]]:
    """Split a plain file into ranges of about `target` bytes that start and end at line boundaries, so
    workers can read them independently."""
    bounds = [0]
    with open(path, "rb") as f:
        pos = target
        while pos < size:
            f.seek(pos)
            tail = f.read(1 << 16)
            while True:
                nl = tail.find(b"\n")
                if nl >= 0 or not tail:
                    break
                more = f.read(1 << 16)
                if not more:
                    break
                tail += more
            if nl < 0:
                break
            cut = pos + nl + 1
            if cut >= size:
                break
            bounds.append(cut)
            pos = cut + target
    bounds.append(size)
    return list(zip(bounds, bounds[1:]))


def read_range(path: str, start: int, end: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(start)
        return f.read(end - start)


def compressed_blocks(path: Path, open_fn, target: int):
    """Decompress `path` as blocks of whole lines of about `target` bytes. Yields (block, error): a damaged
    or truncated archive (typical of a file rotated while being written) ends the stream with its error
    after everything that could be read, instead of aborting the analysis."""
    pieces: list[bytes] = []
    size = 0
    carry = b""
    error = None
    try:
        with open_fn(path, "rb") as f:
            while True:
                piece = f.read(1 << 16)  # small reads: a damaged tail loses at most this much
                if not piece:
                    break
                pieces.append(piece)
                size += len(piece)
                if size >= target:
                    data = carry + b"".join(pieces)
                    pieces, size = [], 0
                    cut = data.rfind(b"\n") + 1
                    carry = data[cut:]
                    if cut:
                        yield data[:cut], None
    except (OSError, EOFError, lzma.LZMAError, ValueError, zlib.error) as exc:
        error = f"{type(exc).__name__}: {exc}"
    rest = carry + b"".join(pieces)
    if rest or error:
        yield rest, error


def split_lines_blocks(data: bytes, target: int) -> list[bytes]:
    """Cut a block into sub-blocks of about `target` bytes at newlines (small blocks keep `findall` and the
    column work in the CPU cache: about 30% faster than one big block)."""
    out = []
    start, n = 0, len(data)
    while start < n:
        cut = data.find(b"\n", start + target)
        cut = n if cut < 0 else cut + 1
        out.append(data[start:cut])
        start = cut
    return out
