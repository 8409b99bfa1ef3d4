"""Shared fixtures: where ../shared lives (the real PREP database). Missing tools: see toolcheck.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PREGON_SHARED", ROOT.parent / "shared"))
REAL_QROO = SHARED / "fixtures" / "real" / "20190603_0547_PREP_DIP_QROO.zip"


@pytest.fixture(scope="session")
def real_qroo() -> Path:
    if not REAL_QROO.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{REAL_QROO} missing: ../shared must sit beside the clone")
        pytest.skip("real fixture not available")
    return REAL_QROO
