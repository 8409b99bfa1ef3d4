"""Benchmark: a whole drill night (`pregon simulacro`), as a newcomer runs it, and what it shows.

Runs `pregon simulacro --no-linger --json` (the bare command's defaults unless told otherwise) in a fresh
process and prints: wall time to the summary, cuts made and skipped, the institute's median/max time per
cut (corte + render + package, from its journal), and per difusor the median/max lag in real seconds from
the institute's publication to the difusor's activation. Never asserts on time.

    python bench/simulacro_night.py [--scale 1.0] [--hours 12] [--speed 0] [--difusores 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402


def _port() -> int:
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        if 20000 <= p < 60000:
            return p
    return 18000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="morelos")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--hours", type=float, default=12.0)
    ap.add_argument("--speed", type=float, default=0.0, help="0: the command's default (the night in 2 minutes)")
    ap.add_argument("--difusores", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pregon-bench-simulacro-"))
    try:
        argv = [sys.executable, "-m", "pregon.cli", "simulacro", "--preset", args.preset, "--scale", str(args.scale),
                "--hours", str(args.hours), "--difusores", str(args.difusores), "--port", str(_port()),
                "--out", str(tmp / "drill"), "--no-linger", "--no-pdf", "--json"]
        if args.speed:
            argv += ["--speed", str(args.speed)]
        t0 = time.perf_counter()
        r = subprocess.run(argv, capture_output=True, text=True, timeout=3600)
        wall = time.perf_counter() - t0
        out = r.stdout
        summary = json.loads(out[out.index("\n{") + 1:]) if "\n{" in out else None
        if summary is None:
            print(r.stdout[-2000:], r.stderr[-2000:], file=sys.stderr)
            raise SystemExit(f"pregon simulacro exited {r.returncode} without a summary")
        journal = [json.loads(x) for x in (tmp / "drill" / "instituto" / "work" / "journal.jsonl").read_text().splitlines()]
        cut_s = [e["corte_s"] + e["render_s"] + e["package_s"] for e in journal if e.get("event") == "cut"]
        res = {"preset": args.preset, "scale": args.scale, "hours": args.hours, "speed": summary["speed"],
               "wall_s": round(wall, 1), "cuts": summary["cuts"], "cut_skipped": summary["cut_skipped"],
               "slot_s": round(15 * 60 / summary["speed"], 2),
               "cut_median_s": round(statistics.median(cut_s), 2), "cut_max_s": round(max(cut_s), 2),
               "difusores": {d["id"]: {"method": d["method"], "lag_mean_s": d["lag_mean_s"], "lag_max_s": d["lag_max_s"]}
                             for d in summary["difusores"]}}
        if args.json:
            print(json.dumps(res))
            return
        print(f"simulacro night — {_common.machine()}; {args.preset} scale {args.scale:g}, {args.hours:g} h at "
              f"{res['speed']:g}x (a cut every {res['slot_s']} s real)")
        print(f"wall to summary {res['wall_s']} s; cuts {res['cuts']}, skipped {res['cut_skipped']}; "
              f"institute per cut median {res['cut_median_s']} s, max {res['cut_max_s']} s")
        for ident, d in res["difusores"].items():
            print(f"  {ident:<12} {d['method']:<6} lag mean {d['lag_mean_s']} s, max {d['lag_max_s']} s (real)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
