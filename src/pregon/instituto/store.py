"""The institute's package sequence counter, shared by cuts and notices, and its UTC stamps. Its records
(journal, deliveries, published packages, observations, state) are durable.py's JSON lines and documents.

Package sequences are one strictly increasing series per election (docs/protocol.md): cuts and notices
(`difusores block`) take numbers from the same counter, under an exclusive lock, so a notice sent while
`instituto run` is cutting never reuses a number.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from .. import durable
from ..times import utc_now  # noqa: F401  (the institute's records are stamped with pregon.times' clock)


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def next_sequence(work: Path) -> int:
    """Take the next package sequence (1, 2, …) for this work directory."""
    work = Path(work)
    with durable.locked(work / "sequence.lock"):
        current = durable.read_json(work / "sequence.json", {"last": 0})["last"]
        nxt = int(current) + 1
        durable.write_json(work / "sequence.json", {"last": nxt})
        return nxt


def last_sequence(work: Path) -> int:
    return int(durable.read_json(Path(work) / "sequence.json", {"last": 0})["last"])
