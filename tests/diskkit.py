"""A small disk for the tests of a full disk: a tmpfs mounted for the test and unmounted after it.

Mounting needs root (the README's test command runs as root); elsewhere the test skips, except under
CI=true, where it fails.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest


@contextlib.contextmanager
def small_disk(where: Path, size: str = "4m"):
    where.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot mount a tmpfs for the full-disk tests (root is required): {r.stderr.strip()}")
        pytest.skip(f"cannot mount a tmpfs (not root?): {r.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(where: Path, leave: int = 0) -> list[Path]:
    """Fill the disk, then give back about `leave` bytes; returns the filler files."""
    files = []
    chunk = b"\0" * 65536
    i = 0
    while True:
        p = where / f"filler-{i:05d}"
        try:
            with open(p, "wb") as f:
                f.write(chunk)
        except OSError:
            p.unlink(missing_ok=True)
            break
        files.append(p)
        i += 1
    small = []
    for j in range(64):  # the last few blocks, one page at a time
        p = where / f"filler-s{j:03d}"
        try:
            with open(p, "wb") as f:
                f.write(b"\0" * 4096)
        except OSError:
            p.unlink(missing_ok=True)
            break
        small.append(p)
    files += small
    while leave > 0 and files:
        p = files.pop()
        leave -= p.stat().st_size
        p.unlink()
    return files


def top_up(path: Path) -> None:
    """Fill the free end of a file's last page with empty lines (JSON-lines readers skip them), so that the
    next line appended to it finds no room either."""
    with open(path, "ab", buffering=0) as f:
        try:
            while True:
                f.write(b"\n" * 256)
        except OSError:
            pass


def free(files: list[Path]) -> None:
    for p in files:
        p.unlink(missing_ok=True)
