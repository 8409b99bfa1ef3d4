"""`bench/run`: every benchmark of bench/, one after the other, and one table of their figures.

Each benchmark runs as its own process with its usual command line (full) or smaller sizes (`--quick`); its
whole output is kept in bench/.cache/run/<name>.out and the table picks the headline figures from it. A
benchmark whose tool is missing (wrk, goaccess, sshd) or that fails shows as such in the table; the others
still run. Exit status 0 unless a benchmark failed. Never asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / ".cache" / "run"

# name -> (full argv, quick argv)
BENCHES = {
    "database_load": ([], ["--runs", "1"]),
    "simulate_presets": ([], ["morelos", "edomex", "--runs", "1"]),
    "corte_presets": ([], ["morelos", "edomex", "--runs", "1"]),
    "site_render": ([], ["morelos", "--runs", "1"]),
    "package_verify": ([], ["--size-mb", "20", "--files", "4000", "--runs", "1"]),
    "difusor_latency": ([], ["--secciones", "1000", "--casillas", "4000", "--runs", "1"]),
    "difusor_serve": ([], ["--seconds", "2"]),
    "serve_hostile": ([], ["--seconds", "3", "--runs", "1"]),
    "analytics_logs": ([], ["--lines", "300000", "--runs", "1", "--tz-runs", "1"]),
    "instituto_distribution": (["--json"], ["--n", "3", "--preset", "morelos", "--json"]),
    "instituto_drops": ([], ["--drops", "3"]),
    "simulacro_night": (["--json"], ["--scale", "0.2", "--hours", "4", "--speed", "480", "--json"]),
    "national": (["--json"], ["--quick", "--json"]),
}


def _num(s: str) -> str:
    return s.replace(",", "")


def figures(name: str, text: str) -> list[tuple[str, str]]:
    """(figure, value) pairs picked from a benchmark's output."""
    rows: list[tuple[str, str]] = []
    lines = text.splitlines()
    if name == "database_load":
        for ln in lines:
            m = re.match(r"state-size file \((\S+), ([\d,]+) actas x (\d+) columns\): load ([\d.]+) s, recount ([\d.]+) s", ln)
            if m:
                rows.append((f"database: load {m[1]} ({m[2]} actas x {m[3]} cols)", f"{m[4]} s (recount {m[5]} s)"))
            m = re.match(r"(\S+\.csv)\s+(\d+)\s+\d+\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s+[\d.]+\s+[\d.]+\s+([\d.]+)", ln)
            if m:
                rows.append((f"database: load {m[1]}", f"{m[3]} s ({m[4]}x csv module)"))
    elif name == "simulate_presets":
        for ln in lines:
            m = re.match(r"(\w+)\s+\d+\s+([\d,]+)\s+([\d,]+)\s+\d+\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)", ln)
            if m:
                rows.append((f"{m[1]}: generate + write ({m[2]} casillas)", f"{m[6]} s, peak {m[8]} MiB"))
    elif name == "corte_presets":
        for ln in lines:
            m = re.match(r"(\w+)\s+([\d,]+)\s+([\d,]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)", ln)
            if m:
                rows.append((f"{m[1]}: load actas / full corte", f"{m[4]} s / {m[5]} s, peak {m[6]} MiB"))
    elif name == "site_render":
        preset = None
        for ln in lines:
            m = re.match(r"(\w+) \(seed \d+\): ([\d,]+) casillas", ln)
            if m:
                preset = m[1]
            m = re.match(r"\s+(full \(cold\)|incremental \(new dir\))\s+wall\s+([\d.]+) s.*files\s+([\d,]+)\s+written\s+([\d,]+)", ln)
            if m and preset:
                rows.append((f"{preset}: render {m[1]}", f"{m[2]} s ({m[4]} of {m[3]} files written)"))
    elif name in ("package_verify", "instituto_distribution", "simulacro_night"):
        for ln in lines:
            if not ln.startswith("{"):
                continue
            try:
                r = json.loads(ln)
            except ValueError:
                continue
            if name == "package_verify":
                for k in ("verify_full", "verify_stage_full_fresh", "verify_stage_delta", "tar_xzf_full"):
                    v = r.get(k) or (r.get("median_s") or {}).get(k) or (r.get("medians") or {}).get(k)
                    if v is not None:
                        rows.append((f"package: {k.replace('_', ' ')}", f"{v:.3f} s"))
            elif name == "instituto_distribution":
                rows.append((f"push to N={r.get('n')} ({r.get('method')}): signed -> all live",
                             f"{r.get('all_live_s')} s (push {r.get('push_s')} s; with the cut {r.get('cut_to_all_live_s')} s)"))
            else:
                rows.append((f"simulacro {r['preset']} x{r['scale']:g}, {r['hours']:g} h at {r['speed']:g}x",
                             f"{r['wall_s']} s to summary, {r['cuts']} cuts, {r['cut_skipped']} skipped"))
                rows.append(("simulacro: institute per cut (slot)", f"median {r['cut_median_s']} s, max {r['cut_max_s']} s "
                             f"({r['slot_s']} s)"))
                for ident, d in r["difusores"].items():
                    rows.append((f"simulacro: lag {ident} ({d['method']})",
                                 f"mean {d['lag_mean_s']} s, max {d['lag_max_s']} s (real)"))
        if name == "package_verify" and not rows:
            for ln in lines:
                m = re.match(r"\s+(verify_full|verify_stage_full_fresh|verify_stage_delta|tar_xzf_full)\s+([\d.]+) s", ln)
                if m:
                    rows.append((f"package: {m[1].replace('_', ' ')}", f"{m[2]} s"))
    elif name == "national":
        for ln in lines:
            if not ln.startswith("{"):
                continue
            r = json.loads(ln)
            p, sec = r["preset"], r["seconds"]
            for step in ("full render", "incremental render", "full package build", "delta package build",
                         "verify + stage, full", "verify + stage, delta", "corte → signed delta"):
                rows.append((f"{p}: {step}", f"{sec[step]:.2f} s"))
            rows += [(f"{p}: {k}", f"{v:.2f}") for k, v in r["ratios"].items()]
            rows.append((f"{p}: peak RSS", f"{r['peak_rss_mb']['process']:.0f} MB (workers "
                         f"{r['peak_rss_mb']['largest child']:.0f} MB)"))
    elif name == "instituto_drops":
        for ln in lines:
            m = re.match(r"(feed|site|database)\s+([\d.]+)\s+([\d.]+)", ln)
            if m:
                rows.append((f"instituto: corte from {m[1]} -> published", f"full {m[2]} s, delta {m[3]} s"))
    elif name == "difusor_latency":
        for ln in lines:
            m = re.match(r"(delta|full)\s+([\d.]+)\s+([\d.]+)\s+[\d.]+\s+[\d.]+\s+([\d.]+)", ln)
            if m:
                rows.append((f"difusor: {m[1]} arrival -> live ({m[2]} MB)", f"{m[3]} s (agent {m[4]} s)"))
    elif name == "difusor_serve":
        for ln in lines:
            m = re.match(r"(/\S*)\s+(\d+)\s+(\d+)\s+([\d.]+)", ln)
            if m:
                rows.append((f"serve {m[1]}: embedded / nginx req/s", f"{m[3]} / {m[2]} ({m[4]}x)"))
    elif name == "serve_hostile":
        medians = "median of" in text
        for ln in lines:
            m = re.match(r"(quiet|hostile)\s+(med|\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)", ln)
            if m and (m[2] == "med" or not medians):
                rows.append((f"serve under {'hostile clients' if m[1] == 'hostile' else 'no attack'}: normal client",
                             f"median {m[5]} ms, p99 {m[6]} ms, server RSS {m[7]} MB"))
    elif name == "analytics_logs":
        for ln in lines:
            m = re.match(r"(pregon|goaccess COMBINED)\s+\d+\s+([\d.]+)\s+([\d,]+)", ln)
            if m:
                rows.append((f"analytics: {m[1]}", f"{_num(m[3])} lines/s ({m[2]} s)"))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(prog="bench/run")
    ap.add_argument("--quick", action="store_true", help="smaller sizes: a few minutes in all")
    ap.add_argument("--only", help="comma-separated benchmark names")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per benchmark (default 600 quick, 7200 full)")
    args = ap.parse_args()
    if args.list:
        print("\n".join(BENCHES))
        return 0
    names = list(BENCHES)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in BENCHES]
        if unknown:
            print(f"bench/run: unknown benchmark {unknown[0]!r}; --list shows them", file=sys.stderr)
            return 2
    timeout = args.timeout or (600 if args.quick else 7200)
    OUT.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    table: list[tuple[str, str, str]] = []
    failed = False
    for name in names:
        full, quick = BENCHES[name]
        argv = [sys.executable, str(HERE / f"{name}.py"), *(quick if args.quick else full)]
        print(f"bench/run: {name} {' '.join(argv[2:])}", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, cwd=HERE.parent)
            text, code = r.stdout + ("\n" + r.stderr if r.stderr else ""), r.returncode
        except subprocess.TimeoutExpired as exc:
            text, code = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or ""), -1
        wall = time.perf_counter() - t0
        (OUT / f"{name}.out").write_text(text)
        rows = figures(name, r.stdout if code >= 0 else text)
        if code != 0:
            last = next((ln for ln in reversed(text.strip().splitlines()) if ln.strip()), "")
            rows = [("FAILED" if code > 0 else "TIMED OUT", last[:90])]
            failed = True
        elif not rows:
            rows = [("(figures: see output)", str(OUT / f"{name}.out"))]
        for i, (fig, val) in enumerate(rows):
            table.append((name if i == 0 else "", fig, val if i else f"{val}   [{wall:.0f} s]" if len(rows) == 1 else val))
        if len(rows) > 1:
            table.append(("", "(benchmark wall time)", f"{wall:.0f} s"))
    try:
        sys.path.insert(0, str(HERE))
        import _common

        machine = _common.machine()
    except Exception:
        machine = f"{os.cpu_count()} cores"
    w1 = max(len(a) for a, _, _ in table)
    w2 = max(len(b) for _, b, _ in table)
    print(f"pregon benchmarks ({'quick' if args.quick else 'full'}) — {machine}; outputs in {OUT}")
    print(f"{'benchmark':<{w1}}  {'figure':<{w2}}  value")
    print(f"{'-' * w1}  {'-' * w2}  {'-' * 30}")
    for a, b, c in table:
        print(f"{a:<{w1}}  {b:<{w2}}  {c}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
