"""Fixtures of the analytics tests."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest


@pytest.fixture
def write_log(tmp_path: Path):
    """Write lines (str) as a log file, optionally gzipped; returns its path."""

    def write(lines, name: str = "access.log", compress: bool = False) -> Path:
        text = "".join(lines).encode("utf-8")
        path = tmp_path / name
        if compress:
            with gzip.open(path, "wb") as f:
                f.write(text)
        else:
            path.write_bytes(text)
        return path

    return write
