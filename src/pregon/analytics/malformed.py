"""Lines that are not requests: blank ones counted, malformed ones counted and the first few shown, safely.

A malformed line is never an error (TLS handshakes and cut lines land in access logs); the report shows the
first ones so that a wrong log format is seen at once.
"""

from __future__ import annotations

import numpy as np

from .logparse import INVALID_TIME, LINE_RE, parse_line, parse_time, split_lines_blocks


def blank_lines(block: bytes) -> int:
    nl = np.frombuffer(block, np.uint8) == 10
    if nl.size == 0:
        return 0
    return int(nl[0]) + int(np.count_nonzero(nl[1:] & nl[:-1]))


def malformed_examples(block: bytes, line0: int, limit: int) -> list[tuple[int, bytes]]:
    """The first malformed lines of a block, found without testing every line in Python: cut the block in
    16 pieces, `findall` each (together the cost of one pass), and look line by line only inside a piece
    whose count of good lines falls short."""
    out = []
    for piece in split_lines_blocks(block, max(len(block) // 16, 1)):
        lines = piece.count(b"\n") + (0 if piece.endswith(b"\n") else 1)
        good = sum(parse_time(r[1]) != INVALID_TIME for r in LINE_RE.findall(piece))
        if good + blank_lines(piece) < lines:
            for i, line in enumerate(piece.split(b"\n")):
                if line and parse_line(line) is None:
                    out.append((line0 + i, line[:300]))
                    if len(out) >= limit:
                        return out
        line0 += lines
    return out


def printable(line: bytes) -> str:
    """A malformed line as text that cannot mess up a terminal (TLS handshakes land in access logs)."""
    text = line.decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
