"""Shared by the benchmarks: machine facts, medians, and cached synthetic elections."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path(os.environ.get("PREGON_BENCH_CACHE", Path(__file__).resolve().parent / ".cache"))


def machine() -> str:
    return f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"


def median(values) -> float:
    return statistics.median(values)


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - t0, result


def election(preset: str, seed: int = 1) -> Path:
    """A synthetic election directory for a preset, generated once and kept under bench/.cache."""
    out = CACHE / f"{preset}-{seed}"
    if not (out / "catalog.toml").exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pregon.cli", "simulate", "election", "--preset", preset,
                        "--seed", str(seed), "--out", str(out)], check=True)
    return out
