"""The rule for real tools in tests: skip when one is missing, except under CI=true where that is a failure.

A module of its own (on the tests' pythonpath), not conftest: several test folders have a conftest.py, and
`from conftest import …` would bind to whichever was imported first.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def require_tool(name: str) -> str:
    """The tool's path; skips when absent, except under CI=true where absence is a failure."""
    path = shutil.which(name) or (name if os.path.isabs(name) and os.access(name, os.X_OK) else None)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is required under CI but is not installed (scripts/test installs it)")
        pytest.skip(f"{name} not installed")
    return path


CHROMIUM = "/usr/bin/chromium"  # Debian's; playwright drives it (no browser download)


def require_playwright():
    """playwright's sync_playwright, with Debian's Chromium present; the rule of require_tool otherwise."""
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem, sync_playwright = "the playwright package is not installed (pip install -e '.[test]')", None
    if problem is None and not os.access(CHROMIUM, os.X_OK):
        problem = f"{CHROMIUM} not found (apt-get install chromium)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {problem}")
        pytest.skip(problem)
    return sync_playwright


AXE = Path(__file__).resolve().parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"


def require_axe() -> Path:
    """axe-core's script from npm (scripts/test runs `npm ci --prefix tests/a11y`); the rule of require_tool."""
    if not AXE.is_file():
        problem = f"{AXE} is missing (npm ci --prefix tests/a11y)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {problem}")
        pytest.skip(problem)
    return AXE
