"""Shared fixtures: where ../shared lives, and the rule that under CI a missing tool fails instead of skipping."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PREGON_SHARED", ROOT.parent / "shared"))
REAL_QROO = SHARED / "fixtures" / "real" / "20190603_0547_PREP_DIP_QROO.zip"


def require_tool(name: str) -> str:
    """The tool's path; skips when absent, except under CI=true where absence is a failure."""
    path = shutil.which(name) or (name if os.path.isabs(name) and os.access(name, os.X_OK) else None)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is required under CI but is not installed (scripts/test installs it)")
        pytest.skip(f"{name} not installed")
    return path


@pytest.fixture(scope="session")
def real_qroo() -> Path:
    if not REAL_QROO.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{REAL_QROO} missing: ../shared must sit beside the clone")
        pytest.skip("real fixture not available")
    return REAL_QROO
