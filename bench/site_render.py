"""Time to render the official site of a corte: a full render, and an incremental one 15 minutes later.

For each preset: the night's peak (the cut by which half the expected actas are in, on a 15-minute grid) and
the cut 15 minutes after it. Full render of the first into an empty directory; incremental render of the
second from the first, into a new directory (unchanged pages hard-linked) and in place. Prints median wall
time, CPU time (this process and its workers), files and bytes; never fails on time.

Targets (issue 3): edomex full < 5 s; nacional full < 60 s, incremental < 10 s; on 2 cores.

The full render is measured cold (nothing cached). The incremental ones run as the institute's scheduler runs
them: in the process that keeps the corte engine loaded all night, where the catalog-only part of the site
model (the drill-down tree, names, paths; `site.tree.tree_for`) was built by an earlier corte.

Usage: python bench/site_render.py [edomex nacional] [--runs 3] [--jobs 2] [--dir /dev/shm] [--check]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import election, machine, median  # noqa: E402


def cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def peak_instants(engine, step_min: int = 15) -> tuple[datetime, datetime]:
    """The first cut (on the grid) by which half the expected actas are verified, and the next one."""
    cat = engine.catalog
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(cat.proceso.timezone)
    times = np.sort(np.concatenate([a.verificacion for a in engine.actas.values()]))
    expected = sum(len(cat.expected(cat.elecciones[k])) for k in engine.actas)
    t_half = int(times[min(len(times) - 1, expected // 2)])
    start = datetime.fromtimestamp(t_half, tz).replace(second=0, microsecond=0)
    start = start.replace(minute=(start.minute // step_min) * step_min) + timedelta(minutes=step_min)
    return start, start + timedelta(minutes=step_min)


def run(fn):
    c0, t0 = cpu(), time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, cpu() - c0, result


def bench(preset: str, seed: int, runs: int, jobs: int, work: Path, check: bool) -> None:
    from pregon.electionio.election_dir import load_engine
    from pregon.site import build
    from pregon.site.check import check_site

    directory = election(preset, seed)
    t0 = time.perf_counter()
    engine = load_engine(directory)
    load_s = time.perf_counter() - t0
    t1, t2 = peak_instants(engine)
    t0 = time.perf_counter()
    c1, c2 = engine.corte(t1, 1), engine.corte(t2, 2)
    corte_s = (time.perf_counter() - t0) / 2
    n1 = sum(len(ec.actas) for ec in c1.elecciones.values())
    n2 = sum(len(ec.actas) for ec in c2.elecciones.values())
    casillas = len(engine.catalog.casillas)
    print(f"\n{preset} (seed {seed}): {casillas:,} casillas, {len(engine.catalog.secciones):,} secciones, "
          f"{len(engine.actas)} elections; load {load_s:.1f} s, corte {corte_s:.2f} s")
    print(f"  cuts: {t1.isoformat()} ({n1:,} actas) and {t2.isoformat()} ({n2:,} actas, +{n2 - n1:,})")

    full_dir, inc_dir, place_dir = work / f"{preset}-full", work / f"{preset}-inc", work / f"{preset}-inplace"
    fulls, incs, places = [], [], []
    from pregon.site import tree as site_tree

    for _ in range(runs):
        shutil.rmtree(full_dir, ignore_errors=True)
        site_tree._TREES.clear()  # cold
        fulls.append(run(lambda: build(c1, full_dir, jobs=jobs)))
        shutil.rmtree(inc_dir, ignore_errors=True)
        incs.append(run(lambda: build(c2, inc_dir, previous=full_dir, jobs=jobs)))
        shutil.rmtree(place_dir, ignore_errors=True)
        subprocess.run(["cp", "-al", str(full_dir), str(place_dir)], check=True)  # a linked copy to update
        places.append(run(lambda: build(c2, place_dir, previous=place_dir, jobs=jobs)))

    def line(name, rows):
        wall, cpu_s = median([r[0] for r in rows]), median([r[1] for r in rows])
        rep = rows[-1][2]
        print(f"  {name:<24} wall {wall:6.2f} s  cpu {cpu_s:6.2f} s  files {rep.files:>8,}  written {rep.written:>8,}"
              f"  unchanged {rep.unchanged:>8,}  pages rendered {rep.pages_rendered:>7,}/{rep.pages:,}"
              f"  {rep.bytes_written / 1e6:8.1f} MB written")
        print(f"  {'':<24} phases (last run): " + ", ".join(f"{k} {v:.2f}" for k, v in rep.phases.items()))

    line("full (cold)", fulls)
    line("incremental (new dir)", incs)
    line("incremental (in place)", places)
    site_tree._TREES.clear()
    shutil.rmtree(inc_dir, ignore_errors=True)
    cold = run(lambda: build(c2, inc_dir, previous=full_dir, jobs=jobs))
    line("incremental, cold (CLI)", [cold])
    if check:
        t0 = time.perf_counter()
        pages = sorted(str(p.relative_to(inc_dir)) for p in inc_dir.glob("*/*/index.html"))[:200]
        pages += sorted(str(p.relative_to(inc_dir)) for p in inc_dir.glob("*/*/secciones/*.html"))[:500]
        problems = check_site(inc_dir, pages=["index.html", *pages])
        print(f"  check of {len(pages) + 1} pages: {len(problems)} problems ({time.perf_counter() - t0:.1f} s)")
        for p in problems[:10]:
            print("   ", p)
    for d in (full_dir, inc_dir, place_dir):
        shutil.rmtree(d, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("presets", nargs="*", default=["edomex", "nacional"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--dir", help="where to render (default: a temporary directory; /dev/shm isolates the disk)")
    ap.add_argument("--check", action="store_true", help="also check a sample of pages (well-formed, links)")
    args = ap.parse_args()
    load = os.getloadavg()
    print(f"site_render: {machine()}; jobs {args.jobs}; runs {args.runs} (median); load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start")
    with tempfile.TemporaryDirectory(prefix="pregon-site-bench-", dir=args.dir) as tmp:
        print(f"rendering under {tmp}")
        for preset in args.presets:
            bench(preset, args.seed, args.runs, args.jobs, Path(tmp), args.check)


if __name__ == "__main__":
    main()
