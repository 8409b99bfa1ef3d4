"""Time to generate each preset's synthetic election (catalog + whole night) and to write it, and peak memory.

Median of 3 runs for morelos and edomex, one run for nacional (override with --runs). Each preset runs in its
own process so peak RSS is its own. Prints figures; never fails on time.
Usage: python bench/simulate_presets.py [morelos edomex nacional] [--runs N] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine, median  # noqa: E402

DEFAULT_RUNS = {"morelos": 3, "edomex": 3, "nacional": 1}


def child(preset: str, seed: int, runs: int) -> None:
    from pregon.simulate import generate, write

    gen, wr = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        sim = generate(preset, seed=seed)
        gen.append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            write(sim, Path(tmp) / preset)
            wr.append(time.perf_counter() - t0)
            size = sum(p.stat().st_size for p in (Path(tmp) / preset).rglob("*") if p.is_file())
    print(json.dumps({"generate_s": gen, "write_s": wr, "casillas": len(sim.catalog.casillas),
                      "actas": sim.n_actas, "elecciones": len(sim.feeds), "mib": size / 2**20,
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("presets", nargs="*", default=["morelos", "edomex", "nacional"])
    ap.add_argument("--runs", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.seed, args.runs)
        return
    print(f"simulate benchmark — {machine()}")
    print(f"{'preset':<10} {'runs':>4} {'casillas':>9} {'actas':>8} {'elec':>4} {'generate s':>11} {'write s':>8} "
          f"{'total s':>8} {'out MiB':>8} {'peak MiB':>9}")
    for preset in args.presets:
        runs = args.runs or DEFAULT_RUNS.get(preset, 1)
        out = subprocess.run([sys.executable, __file__, "--child", preset, "--seed", str(args.seed),
                              "--runs", str(runs)], check=True, capture_output=True, text=True).stdout
        r = json.loads(out)
        g, w = median(r["generate_s"]), median(r["write_s"])
        print(f"{preset:<10} {runs:>4} {r['casillas']:>9,} {r['actas']:>8,} {r['elecciones']:>4} {g:>11.2f} {w:>8.2f} "
              f"{g + w:>8.2f} {r['mib']:>8.1f} {r['peak_mib']:>9.0f}")


if __name__ == "__main__":
    main()
