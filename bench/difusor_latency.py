"""Benchmark: arrival -> live latency of the difusor agent, for an edomex-sized full package and delta.

Runs the real agent (`pregon difusor run`, inotify) on a temporary root, drops packages into its inbox the
way rsync does (temporary dot-name, then rename), and measures from the rename to the moment `current`
points at the new release (readlink polled every millisecond). Also prints the agent's own figure from its
journal (received -> committed). The site is synthetic but edomex-shaped: 45 distritos, 125 municipios,
~6,500 secciones, one HTML page each, per-casilla JSON, a CSV database; a delta changes `--changed` of the
casilla JSON and every page that carries the corte stamp. Never asserts on time.

    python bench/difusor_latency.py [--secciones 6500] [--casillas 20000] [--changed 0.1] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pregon.package import keys as keys_mod  # noqa: E402
from pregon.package.build import build_package  # noqa: E402

PREGON = str(Path(sys.executable).with_name("pregon"))


def edomex_site(root: Path, seq: int, instant: datetime, *, secciones: int, casillas: int, changed: float,
                previous: Path | None, seed: int) -> Path:
    rng = random.Random(seed)
    inst = instant.isoformat()
    stamp = f'<meta name="pregon-corte" content="{seq}|{inst}">'
    if previous is not None:
        shutil.copytree(previous, root)
    root.mkdir(parents=True, exist_ok=True)
    (root / "json").mkdir(exist_ok=True)
    (root / "json" / "main.json").write_text(json.dumps(
        {"proceso": {"id": "MEX-2024", "instituto": "IEEM"}, "corte": {"secuencia": seq, "instante": inst}}))
    pages = [f"distrito/{d:02d}/index.html" for d in range(1, 46)] + \
        [f"municipio/{m:03d}/index.html" for m in range(1, 126)] + \
        [f"seccion/{s:04d}/index.html" for s in range(1, secciones + 1)] + ["index.html"]
    for rel in pages:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        rows = "".join(f"<tr><td>P{k}</td><td>{rng.randrange(5000)}</td></tr>" for k in range(20))
        p.write_text(f"<!DOCTYPE html><html><head>{stamp}</head><body><p>Corte {seq}</p><table>{rows}</table>"
                     f"</body></html>\n")
    cas = root / "casilla"
    cas.mkdir(exist_ok=True)
    for c in range(casillas):
        if previous is None or rng.random() < changed:
            (cas / f"{c:05d}.json").write_text(json.dumps({"casilla": c, "corte": seq,
                                                           "votos": [rng.randrange(300) for _ in range(12)]}))
    if previous is None:
        (root / "assets").mkdir(exist_ok=True)
        (root / "assets" / "app.0123456789.css").write_text("body{margin:0}\n" * 2000)
        (root / "csv").mkdir(exist_ok=True)
        with open(root / "csv" / "catalogo.csv", "w") as f:
            for c in range(casillas):
                f.write(f"{c},{c % secciones},{c % 45},{c % 125}\n")
    return root


def wait_current(current: Path, name_prefix: str, timeout: float = 120) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        try:
            if os.readlink(current).split("/")[-1].startswith(name_prefix):
                return time.perf_counter()
        except OSError:
            pass
        time.sleep(0.001)
    raise SystemExit(f"timed out waiting for {name_prefix}")


def drop(pkg: Path, inbox: Path) -> float:
    tmp = inbox / f".{pkg.name}.XXXXXX"
    shutil.copyfile(pkg, tmp)
    t0 = time.perf_counter()
    os.rename(tmp, inbox / pkg.name)
    return t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secciones", type=int, default=6500)
    ap.add_argument("--casillas", type=int, default=20000)
    ap.add_argument("--changed", type=float, default=0.1)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="pregon-bench-latency-"))
    try:
        key = keys_mod.generate()
        (work / "instituto.pub").write_text(key.public.file_text())
        base = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
        n = 1 + 2 * args.runs
        t_build = time.perf_counter()
        sites, pkgs = [], []
        for seq in range(1, n + 1):
            prev = sites[-1] if sites else None
            site = edomex_site(work / f"site-{seq}", seq, base + timedelta(seconds=seq), secciones=args.secciones,
                               casillas=args.casillas, changed=args.changed, previous=prev, seed=seq)
            sites.append(site)
        # alternate: odd runs full, even runs delta against the previous site
        kinds = ["full"] + ["full", "delta"] * args.runs
        for seq, kind in enumerate(kinds, start=1):
            out = work / f"MEX-2024-{seq:06d}-{kind}.tar.gz"
            build_package(sites[seq - 1], key=key, sequence=seq, out=out,
                          base=sites[seq - 2] if kind == "delta" else None)
            pkgs.append((kind, out))
        build_s = time.perf_counter() - t_build
        nfiles = sum(1 for _ in sites[0].rglob("*") if _.is_file())
        size_mb = sum(p.stat().st_size for p in sites[0].rglob("*") if p.is_file()) / 1e6

        root = work / "difusor"
        cfg = work / "difusor.toml"
        cfg.write_text(f'[difusor]\nroot = "{root}"\npublic_keys = ["{work / "instituto.pub"}"]\nsyslog = false\n'
                       f"min_free_mb = 1\n")
        env = dict(os.environ)
        agent = subprocess.Popen([PREGON, "difusor", "run", "--config", str(cfg)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while not (root / "status.json").exists():
                time.sleep(0.01)
            results = {"full": [], "delta": []}
            for seq, (kind, pkg) in enumerate(pkgs, start=1):
                t0 = drop(pkg, root / "inbox")
                t1 = wait_current(root / "current", f"{seq:08d}-")
                if seq > 1:
                    results[kind].append((t1 - t0, pkg.stat().st_size))
        finally:
            agent.send_signal(signal.SIGTERM)
            agent.wait(timeout=60)
        journal = [json.loads(line) for line in open(root / "journal.jsonl")]
        agent_lat = {"full": [], "delta": []}
        for e in journal:
            if e["event"] == "activated" and e.get("sequence", 0) > 1:
                agent_lat[e["kind"]].append(e["latency_s"])
        print(f"difusor arrival -> live ({os.cpu_count()} cores, Python {sys.version.split()[0]}, "
              "the agent syncs the file system before each activation)")
        print(f"site: edomex-shaped, {nfiles} files, {size_mb:.1f} MB; delta changes {args.changed:.0%} of "
              f"casilla JSON + every stamped page; build of {len(pkgs)} packages took {build_s:.1f} s")
        print(f"{'kind':6} {'package MB':>10} {'median s':>9} {'min s':>7} {'max s':>7} {'agent median s':>15}")
        for kind in ("delta", "full"):
            lat = [x for x, _ in results[kind]]
            mb = statistics.median(s for _, s in results[kind]) / 1e6
            print(f"{kind:6} {mb:10.2f} {statistics.median(lat):9.3f} {min(lat):7.3f} {max(lat):7.3f} "
                  f"{statistics.median(agent_lat[kind]):15.3f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
