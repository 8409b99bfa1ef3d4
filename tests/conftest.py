"""Shared fixtures: where ../shared lives (the real PREP database). Missing tools: see toolcheck.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from realdata import QROO, real


@pytest.fixture(scope="session")
def real_qroo() -> Path:
    return real(QROO)
