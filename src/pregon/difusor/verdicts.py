"""The receiver's record of each archived package: `<archive name>.verdict.json` beside it.

A verdict is what lets a restart finish undecided work (anything but a final verdict is processed again) and
what an operator reads to learn why a package was refused, held or ignored. `Outcome` is the same decision
as the receiver returns it to its caller.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..durable import atomic_write
from ..errors import InputError
from ..times import parse_instant

VERDICT_SUFFIX = ".verdict.json"
FINAL_VERDICTS = ("accepted", "refused", "ignored")
CUT_SHORT = ("truncated", "corrupt")  # refusals an upload still being written in place gets


@dataclass
class Outcome:
    verdict: str  # accepted | refused | held | error | ignored | duplicate
    archive: str | None = None
    reason: str | None = None
    detail: str | None = None
    sequence: int | None = None
    kind: str | None = None
    election: str | None = None
    release: str | None = None
    activated: bool = False
    corte: dict | None = None
    latency_s: float | None = None

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def utc_text(t: datetime) -> str:
    """An instant as verdicts and the status file write it: UTC, to the second."""
    return t.astimezone(timezone.utc).isoformat(timespec="seconds")


def verdict_path(archived: Path) -> Path:
    return archived.with_name(archived.name + VERDICT_SUFFIX)


def read_verdict(archived: Path) -> dict | None:
    """The verdict beside `archived`; None when there is none yet (or it was cut short by a crash)."""
    try:
        return json.loads(verdict_path(archived).read_text("utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def write_verdict(archived: Path, verdict: dict) -> None:
    atomic_write(verdict_path(archived), (json.dumps(verdict, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


def archived_packages(archive: Path) -> list[Path]:
    return sorted(p for p in archive.iterdir() if p.name.endswith(".tar.gz") and not p.name.startswith("."))


def pending_packages(archive: Path) -> list[Path]:
    """Archived packages without a final verdict (crash mid-pipeline, held, or an error to retry)."""
    out = []
    for p in archived_packages(archive):
        v = read_verdict(p)
        if v is None or v.get("verdict") not in FINAL_VERDICTS:
            out.append(p)
    return out


def held(base: dict, info: dict, until: datetime) -> dict:
    """The verdict of a package under embargo: `embargo_until` is what the retry reads; `detail` says it."""
    return {**base, **info, "verdict": "held", "detail": f"embargoed until {until.isoformat()}",
            "embargo_until": until.isoformat()}


def embargo_over(verdict: dict, now: datetime) -> bool:
    """Whether a held package may be tried again. A verdict written before `embargo_until` existed carries
    the time only at the end of its detail; one whose time cannot be read is retried (the verifier decides)."""
    until = verdict.get("embargo_until") or verdict.get("detail", "").rsplit(" ", 1)[-1]
    try:
        return now >= parse_instant(until, "embargo_until")
    except InputError:
        return True
