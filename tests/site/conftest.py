"""Fixtures of the site tests (the builders live in sitefix.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from sitefix import TZ, tiny_actas, tiny_catalog  # noqa: E402

from pregon.election.corte import CorteEngine
from pregon.electionio import catalog_dir, feed


@pytest.fixture(scope="session")
def tiny_engine() -> CorteEngine:
    catalog = tiny_catalog()
    return CorteEngine(catalog, tiny_actas(catalog))


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    """The tiny election as files (catalog + feeds), for the CLI."""
    d = tmp_path_factory.mktemp("election")
    catalog = tiny_catalog()
    catalog_dir.save(catalog, d)
    (d / "actas").mkdir()
    for clave, aset in tiny_actas(catalog).items():
        feed.write_feed(aset, d / "actas" / f"{clave}.csv", TZ)
    return d
