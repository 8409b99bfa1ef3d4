"""Benchmark: requests/s of the embedded server (`pregon difusor serve`) and of nginx with the generated
configuration, on the same published files, side by side. wrk (Debian) drives both on loopback.

    python bench/difusor_serve.py [--seconds 5] [--connections 64] [--workers 0]

Never asserts on time. The servers and wrk share the machine's cores, so absolute figures are low on a
small box; the ratio is the point (target: embedded >= 1/4 of nginx).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from difusor.kit import T0, Institute, drop, make_config  # noqa: E402
from pregon.difusor.pipeline import Receiver  # noqa: E402
from serve.servers_kit import Embedded, Nginx, get, world_readable_tmp  # noqa: E402

PATHS = ["/", "/json/main.json", "/distrito/03/", "/assets/logo.svg"]


def wrk(port: int, path: str, seconds: int, connections: int, threads: int) -> float:
    out = subprocess.run([shutil.which("wrk"), f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        print(f"  (wrk reported errors for {path}:)\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=0, help="processes for both servers; 0 = one per CPU")
    args = ap.parse_args()
    workers = args.workers or os.cpu_count() or 1
    base = world_readable_tmp("pregon-bench-serve-")
    try:
        inst = Institute(base / "institute")
        cfg = make_config(base / "difusor", inst)
        r = Receiver(cfg, clock=lambda: T0 + timedelta(hours=1), durable=False, check_clock=False)
        r.start()
        drop(inst.full(1, pages=20), cfg.inbox)
        assert r.scan_inbox()[0].activated
        toml = base / "difusor.toml"
        pub = inst.write_public_key(base / "instituto.pub")
        toml.write_text(f'[difusor]\nroot = "{cfg.root}"\npublic_keys = ["{pub}"]\n')
        results = {}
        with Nginx(cfg, base / "nginx", shutil.which("nginx"), workers=str(workers)) as srv:
            assert get(srv.port, "/")[0] == 200
            results["nginx"] = {p: wrk(srv.port, p, args.seconds, args.connections, args.threads) for p in PATHS}
        with Embedded(toml, workers=workers, access_log=base / "embedded-access.log") as srv:
            assert get(srv.port, "/")[0] == 200
            results["embedded"] = {p: wrk(srv.port, p, args.seconds, args.connections, args.threads)
                                   for p in PATHS}
        print(f"requests/s, wrk -t{args.threads} -c{args.connections} -d{args.seconds}s on loopback; "
              f"{workers} worker processes each; {os.cpu_count()} cores shared with wrk; access logs on")
        print(f"{'path':22} {'nginx':>10} {'embedded':>10} {'ratio':>7}")
        for p in PATHS:
            n, e = results["nginx"][p], results["embedded"][p]
            print(f"{p:22} {n:10.0f} {e:10.0f} {e / n:7.2f}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
