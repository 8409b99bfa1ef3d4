"""An election directory: its catalog and one actas feed per election, loaded into a CorteEngine that cuts
them at any instant (election.corte)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..election.corte import CorteEngine
from . import catalog_dir, feed


def load_engine(directory, *, until: datetime | None = None) -> CorteEngine:
    """Load an election directory (catalog + feeds). With `until`, read each feed only up to that instant."""
    directory = Path(directory)
    cat = catalog_dir.load(directory)
    limit = None if until is None else int(until.timestamp())
    sets = {k: feed.load_feed(cat, el, directory / "actas" / f"{k}.csv", until=limit)
            for k, el in cat.elecciones.items()}
    return CorteEngine(cat, sets)
