"""Cortes from the institute's own PREP system: drop → published (package signed, official site and pull
index swapped) for a `site` drop and a `database` drop of the same synthetic election, against the same
corte from pregon's own feed, in the same run. Prints medians of the later drops (deltas); never fails on time.

    bench/instituto_drops.py [--preset morelos] [--drops 4]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from _common import election, machine  # noqa: E402

from pregon import database  # noqa: E402
from pregon.election.timefmt import zone  # noqa: E402
from pregon.electionio.election_dir import load_engine  # noqa: E402
from pregon.instituto.config import load_config  # noqa: E402
from pregon.instituto.scheduler import Scheduler  # noqa: E402
from pregon.site import render  # noqa: E402
from pregon.times import ManualClock, parse_instant  # noqa: E402

SITE_INSTANT = 'instant_field = "corte.instante"\n'


def institute(root: Path, kind: str, feed: Path) -> Path:
    """The tests' institute (keys, registry, pull directory); a feed one reads the election directly."""
    from instituto.test_drops import institute as make

    if kind != "feed":
        return make(root, kind, SITE_INSTANT if kind == "site" else "")
    cfg = make(root, "feed")
    cfg.write_text(cfg.read_text().replace("[instituto]\n", f'[instituto]\nfeed = "{feed}"\n', 1))
    return cfg


def run(kind: str, feed: Path, instants: list[str], root: Path) -> list[float]:
    engine = load_engine(feed)
    cfg = load_config(institute(root / kind, kind, feed))
    cfg.start = parse_instant(instants[0], "instant") if kind == "feed" else None
    times = []
    for k, at in enumerate(instants, start=1):
        instant = parse_instant(at, "instant")
        clock = ManualClock(instant + timedelta(minutes=1))
        if kind == "feed":
            sched = Scheduler(cfg, clock)
            t0 = time.perf_counter()
            sched.cut(k, instant)
            times.append(time.perf_counter() - t0)
            continue
        corte = engine.corte(instant, k)
        tmp = cfg.cortes.dir / f".c{k:04d}"
        if kind == "site":
            render.build(corte, tmp, jobs=1)
        else:
            database.write_zip(corte, tmp, zone(corte.catalog.proceso.timezone))
        tmp.rename(cfg.cortes.dir / f"c{k:04d}")
        c = copy.copy(cfg)
        c.end, c.cadence = clock.now(), timedelta(seconds=1)
        t0 = time.perf_counter()
        made = asyncio.run(Scheduler(c, clock).run(max_cuts=1))
        times.append(time.perf_counter() - t0)
        assert made == 1, f"{kind} drop {k} was not published"
    return times


def main() -> int:
    ap = argparse.ArgumentParser(prog="bench/instituto_drops.py")
    ap.add_argument("--preset", default="morelos")
    ap.add_argument("--drops", type=int, default=4)
    args = ap.parse_args()
    feed = election(args.preset)
    instants = [f"2024-06-02T{23 + (15 * i) // 60:02d}:{(15 * i) % 60:02d}:00-06:00" for i in range(args.drops)]
    root = Path(tempfile.mkdtemp(prefix="pregon-drops-"))
    try:
        print(f"instituto drops: {machine()}; preset {args.preset}, {args.drops} cortes 15 min apart")
        print(f"{'source':<10} {'first (full) s':>15} {'later (delta) median s':>24}")
        for kind in ("feed", "site", "database"):
            t = run(kind, feed, instants, root)
            print(f"{kind:<10} {t[0]:>15.2f} {statistics.median(t[1:]):>24.2f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
