"""Benchmark: `pregon difusor stats` against Debian's GoAccess on the same election-night access log.

Generates a combined-format log of PREP-night traffic (people loading pages and polling json/main.json every
30-60 s, drill-down navigation, database downloads, crawlers, the institute's monitor, scanners, a few broken
lines), deterministically from a seed, into a temporary directory. Then runs, interleaved so that a busy
machine slows both alike:

- `pregon difusor stats --json LOG` (a fresh process, every core: the figures of the memoria técnica);
- `goaccess LOG --log-format=COMBINED -o x.json` (GoAccess's usual invocation; it ignores the UTC offset);
- `goaccess` with `%z` and `--tz=America/Mexico_City`, the invocation that counts Mexico City days as
  pregon does (docs/analytics.md), also used to check that hits and visitors per day agree.

GoAccess 1.7 keeps no on-disk database unless given --persist/--restore, and --no-global-config keeps
/etc/goaccess out of it. Prints medians of wall time and CPU time per tool, lines per second, and pregon's
ratio to GoAccess. Never asserts on time.

    python bench/analytics_logs.py [--lines 5000000] [--runs 3] [--tz-runs 1] [--seed 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # _common

from _common import machine, median  # noqa: E402

from pregon.analytics.synthlog import generate  # noqa: E402

GOACCESS_TZ = [
    '--log-format=%h %^[%x] "%r" %s %b "%R" "%u"',
    "--datetime-format=%d/%b/%Y:%H:%M:%S %z",
    "--tz=America/Mexico_City",
]


SRC = Path(__file__).resolve().parents[1] / "src"


def run_timed(cmd: list[str], stdout) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, the process and all its children) of one command."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=stdout, stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def goaccess_days(path: Path) -> dict[str, tuple[int, int]]:
    data = json.loads(path.read_text())
    out = {}
    for row in data["visitors"]["data"]:
        d = row["data"]
        out[date(int(d[:4]), int(d[4:6]), int(d[6:])).isoformat()] = (row["hits"]["count"], row["visitors"]["count"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=3, help="runs of pregon and of GoAccess COMBINED")
    ap.add_argument("--tz-runs", type=int, default=1, help="runs of GoAccess with --tz (slower)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, help="pregon --workers (default: every core)")
    ap.add_argument("--keep", type=Path, help="generate the log here and reuse it on later runs")
    args = ap.parse_args()

    goaccess = shutil.which("goaccess")
    tmp = tempfile.TemporaryDirectory(prefix="pregon-bench-")
    work = Path(tmp.name)
    where = args.keep or work
    where.mkdir(parents=True, exist_ok=True)
    log = where / f"prep-night-seed{args.seed}-{args.lines}.log"
    if not log.exists():
        t0 = time.perf_counter()
        generate(log, args.lines, seed=args.seed)
        print(f"generated {log} in {time.perf_counter() - t0:.1f} s")
    lines = sum(block.count(b"\n") for block in iter(lambda f=open(log, "rb"): f.read(1 << 24), b""))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    version = next((ln.strip() for ln in subprocess.run([goaccess, "--version"], capture_output=True, text=True).stdout.splitlines() if "GoAccess" in ln), "?") if goaccess else "not installed"
    print(f"machine: {machine()}; os.cpu_count()={os.cpu_count()}, usable cores {cores}; load {os.getloadavg()[0]:.2f}")
    print(f"log: {lines:,} lines, {log.stat().st_size / 2**20:,.0f} MiB; goaccess: {version}")

    pregon_cmd = [sys.executable, "-m", "pregon.cli", "difusor", "stats", "--json", str(log)]
    if args.workers:
        pregon_cmd[-1:-1] = ["--workers", str(args.workers)]
    tools = {"pregon": [], "goaccess COMBINED": [], "goaccess --tz": []}
    pregon_json = work / "pregon.json"
    ga_json = work / "goaccess.json"
    ga_tz_json = work / "goaccess-tz.json"
    for i in range(max(args.runs, args.tz_runs)):
        if i < args.runs:
            with open(pregon_json, "wb") as out:
                tools["pregon"].append(run_timed(pregon_cmd, out))
            print(f"  run {i + 1}: pregon {tools['pregon'][-1][0]:.1f} s", end="", flush=True)
            if goaccess:
                tools["goaccess COMBINED"].append(run_timed(
                    [goaccess, str(log), "--log-format=COMBINED", "--no-global-config", "--no-progress", "-o", str(ga_json)],
                    subprocess.DEVNULL))
                print(f", goaccess COMBINED {tools['goaccess COMBINED'][-1][0]:.1f} s", end="", flush=True)
        if goaccess and i < args.tz_runs:
            tools["goaccess --tz"].append(run_timed(
                [goaccess, str(log), *GOACCESS_TZ, "--no-global-config", "--no-progress", "-o", str(ga_tz_json)],
                subprocess.DEVNULL))
            print(f", goaccess --tz {tools['goaccess --tz'][-1][0]:.1f} s", end="", flush=True)
        print()

    print(f"\n{'tool':<20}{'runs':>5}{'wall s':>9}{'lines/s':>12}{'CPU s':>9}{'lines/CPU-s':>13}")
    rates = {}
    for name, samples in tools.items():
        if not samples:
            continue
        wall = median(s[0] for s in samples)
        cpu = median(s[1] for s in samples)
        rates[name] = (lines / wall, lines / cpu)
        print(f"{name:<20}{len(samples):>5}{wall:>9.1f}{lines / wall:>12,.0f}{cpu:>9.1f}{lines / cpu:>13,.0f}")
    for other in ("goaccess COMBINED", "goaccess --tz"):
        if other in rates:
            print(f"pregon / {other}: {rates['pregon'][0] / rates[other][0]:.2f}x lines/s (wall), "
                  f"{rates['pregon'][1] / rates[other][1]:.2f}x lines per CPU-second")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (other work on the machine slows every tool)")

    if tools["goaccess --tz"]:
        report = json.loads(pregon_json.read_text())
        ours = {d["start"]: (d["hits"], d["visitors"] + d["bot_visitors"] + d["monitor_visitors"])
                for d in report["period"]["per_day"]}
        theirs = goaccess_days(ga_tz_json)
        verdict = "agree" if ours == theirs else f"DIFFER: pregon {ours} goaccess {theirs}"
        print(f"hits and visitors per day, pregon (people + bots + monitor) vs GoAccess --tz: {verdict}")
        p = report["period"]
        print(f"pregon figures: {p['traffic']['all']['hits']:,} hits, {p['traffic']['humans']['pages']:,} pages, "
              f"{p['visitors']:,} visitors, {p['visits']['count']:,} visits, median permanence "
              f"{p['visits']['permanence']['median_s']} s, {report['lines']['malformed']} malformed lines")
    tmp.cleanup()


if __name__ == "__main__":
    main()
