"""Benchmark: a normal client's latency, and the server's memory, with and without hostile clients, against
`pregon difusor serve` on loopback (default limits), in one run.

    python bench/serve_hostile.py [--seconds 10] [--runs 3] [--workers 1] [--header-timeout S]
                                  [--idle-timeout S] [--send-timeout S] [--max-per-client N]

The hostile mix is tests/serve/hostile_kit.py's (pipelining without reading, slowloris, 100 KB heads, a
flood of idle connections), run in its own process so that it does not share the client's GIL. The normal
client does sequential keep-alive GETs. Never asserts on time.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import queue
import shutil
import statistics
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from _common import machine  # noqa: E402
from pregon.serve.limits import ClientLimits  # noqa: E402
from serve.hostile_kit import BIG, Hostile, Server, served_site, server_rss_mb  # noqa: E402
from serve.servers_kit import get, world_readable_tmp  # noqa: E402

PATHS = ["/", "/json/main.json", "/distrito/03/", "/assets/logo.svg"]


def _hostile(port: int, stop, out) -> None:
    with Hostile(port) as h:
        stop.wait()
    out.put(h.seen)


class Peak:
    """The server's largest RSS (all its processes), sampled every 50 ms while in the `with` block."""

    def __init__(self, pid: int):
        self.pid, self.mb, self.done = pid, 0.0, threading.Event()

    def __enter__(self):
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        while True:
            self.mb = max(self.mb, server_rss_mb(self.pid))
            if self.done.wait(0.05):
                return

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()


def normal_client(port: int, seconds: float, expected: dict[str, bytes]) -> tuple[list[float], int]:
    """Latencies (ms) of sequential keep-alive GETs for `seconds`, and how many were not the right 200."""
    lat, bad, i = [], 0, 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        path = PATHS[i % len(PATHS)]
        i += 1
        t0 = time.perf_counter()
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
            ok = r.status == 200 and body == expected[path]
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        lat.append((time.perf_counter() - t0) * 1000)
        bad += not ok
    conn.close()
    return lat, bad


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 2 else values[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10, help="per phase (quiet, then hostile)")
    ap.add_argument("--runs", type=int, default=3, help="quiet + hostile phase pairs; medians are printed")
    ap.add_argument("--workers", type=int, default=1, help="server processes; 0 = one per CPU")
    for name in ("header_timeout", "idle_timeout", "send_timeout"):
        ap.add_argument(f"--{name.replace('_', '-')}", type=float, help="the server's flag (default: its default)")
    ap.add_argument("--max-per-client", type=int, help="the server's flag (default: its default)")
    args = ap.parse_args()
    given = {k: getattr(args, k) for k in vars(ClientLimits()) if getattr(args, k) is not None}
    limits = replace(ClientLimits(), **given)
    base = world_readable_tmp("pregon-bench-hostile-")
    try:
        cfg, toml = served_site(base, pages=20)
        rows: dict[str, list] = {"quiet": [], "hostile": []}
        seen: dict = {}
        with Server(toml, workers=args.workers, access_log=base / "access.log", **given) as srv:
            expected = {p: get(srv.port, p)[2] for p in PATHS}
            assert get(srv.port, BIG)[0] == 200
            for _ in range(max(1, args.runs)):
                with Peak(srv.proc.pid) as peak:
                    rows["quiet"].append((*normal_client(srv.port, args.seconds, expected), peak.mb))
                ctx = multiprocessing.get_context("fork")
                stop, out = ctx.Event(), ctx.Queue()
                attack = ctx.Process(target=_hostile, args=(srv.port, stop, out), daemon=True)
                attack.start()
                try:
                    with Peak(srv.proc.pid) as peak:
                        rows["hostile"].append((*normal_client(srv.port, args.seconds, expected), peak.mb))
                finally:
                    stop.set()
                    try:
                        for k, v in out.get(timeout=60).items():
                            seen[k] = seen.get(k, 0) + v
                    except queue.Empty:
                        pass
                    attack.join(timeout=10)
                    if attack.is_alive():
                        attack.kill()
        print(f"pregon difusor serve on loopback, {args.workers or os.cpu_count()} worker process(es); {machine()}")
        print(f"limits: header {limits.header_timeout:g} s, idle {limits.idle_timeout:g} s, "
              f"send {limits.send_timeout:g} s, {limits.max_per_client} connections per client")
        print(f"normal client: sequential keep-alive GETs of {', '.join(PATHS)} for {args.seconds:g} s per phase")
        print(f"{'phase':10} {'run':>4} {'requests':>9} {'not 200':>8} {'median ms':>10} {'p99 ms':>8} {'peak RSS MB':>12}")
        for name, runs in rows.items():
            for i, (lat, bad, mb) in enumerate(runs, start=1):
                print(f"{name:10} {i:4d} {len(lat):9d} {bad:8d} {statistics.median(lat):10.2f} {p99(lat):8.2f} {mb:12.0f}")
        print(f"median of {len(rows['quiet'])} runs:")
        for name, runs in rows.items():
            med = statistics.median
            print(f"{name:10} {'med':>4} {med(len(r[0]) for r in runs):9.0f} {med(r[1] for r in runs):8.0f} "
                  f"{med(med(r[0]) for r in runs):10.2f} {med(p99(r[0]) for r in runs):8.2f} "
                  f"{med(r[2] for r in runs):12.0f}")
        print("hostile clients met: " + ", ".join(f"{k} x{v}" for k, v in seen.items()))
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
