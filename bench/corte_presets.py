"""Time to load a night's actas and compute a full corte (every level), and peak memory, per preset.

Each preset runs in its own process so peak RSS is that preset's alone. Prints figures; never fails on time.
Usage: python bench/corte_presets.py [morelos edomex nacional] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import election, machine, median  # noqa: E402


def child(directory: str, runs: int) -> None:
    from zoneinfo import ZoneInfo

    from pregon.election.corte import LEVELS
    from pregon.electionio.election_dir import load_engine

    t0 = time.perf_counter()
    engine = load_engine(directory)
    load_s = time.perf_counter() - t0
    cat = engine.catalog
    tz = ZoneInfo(cat.proceso.timezone)
    day = cat.proceso.fecha
    instant = datetime(day.year, day.month, day.day, 20, tzinfo=tz) + timedelta(hours=24)
    cut = []
    for _ in range(runs):
        t0 = time.perf_counter()
        c = engine.corte(instant, 1, final=True)
        for ec in c.elecciones.values():
            ec.tally  # noqa: B018  (computed on access)
            for level in LEVELS:
                ec.table(level)
        cut.append(time.perf_counter() - t0)
    actas = sum(len(a) for a in engine.actas.values())
    print(json.dumps({"load_s": load_s, "cut_s": cut, "actas": actas, "casillas": len(cat.casillas),
                      "elecciones": len(cat.elecciones),
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("presets", nargs="*", default=["morelos", "edomex", "nacional"])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--child")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.runs)
        return
    print(f"corte benchmark — {machine()}")
    print(f"{'preset':<10} {'casillas':>9} {'actas':>8} {'load s':>8} {'corte s (median)':>17} {'peak MiB':>9}")
    for preset in args.presets:
        directory = election(preset)
        loads = []
        for _ in range(3):
            out = subprocess.run([sys.executable, __file__, "--child", str(directory), "--runs", str(args.runs)],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out)
            loads.append(r["load_s"])
        print(f"{preset:<10} {r['casillas']:>9,} {r['actas']:>8,} {median(loads):>8.2f} {median(r['cut_s']):>17.3f} "
              f"{r['peak_mib']:>9.0f}")


if __name__ == "__main__":
    main()
