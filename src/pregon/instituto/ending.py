"""The early end of publication some calls allow (IEPC Durango 2022): the último corte comes before the
scheduled end once 100 % of the actas esperadas are captured in every election and the institute has declared
recovery exhausted (the actas that remain missing will not arrive: `pregon instituto recovery-exhausted`).

The declaration is a small record in the work directory, journaled; the scheduler reads it at each cut.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from .. import durable
from . import store

DECLARATION = "recovery-exhausted.json"


def captured_all(corte) -> bool:
    """Every election of the corte has captured all its actas esperadas."""
    return bool(corte.elecciones) and all(ec.tally.capturadas >= ec.tally.esperadas
                                          for ec in corte.elecciones.values())


def declare(work: Path, at: datetime, by: str = "") -> dict:
    """Record that the institute has exhausted the recovery of the missing actas, as of `at`."""
    record = {"declared": store.iso(at), "by": by}
    durable.write_json(Path(work) / DECLARATION, record)
    durable.append_jsonl(Path(work) / "journal.jsonl", {"time": store.iso(at), "event": "recovery-exhausted",
                                                        "by": by})
    return record


def recovery_exhausted(work: Path, at: datetime) -> bool:
    """Whether the declaration exists and was made at or before `at` (a corte's instant)."""
    record = durable.read_json(Path(work) / DECLARATION)
    if not record:
        return False
    return datetime.fromisoformat(record["declared"]) <= at
