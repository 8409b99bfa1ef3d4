"""Benchmark: verify and stage an edomex-sized paquete de difusión, full and delta.

Generates a ~100 MB site (about 20k files: per-casilla JSON, per-sección HTML, the zipped CSV database,
assets) in a temporary directory, builds a full package of corte 1, a full package and a delta of corte 2,
and prints the median of several runs of: verify (pure), verify+stage (one pass), verify then stage (two
passes), and, measured in the same run for comparison, `tar -xzf` of the full package and `cp -al` of the
live release plus `tar -xzf` of the delta (what a shell difusor does). Staging is dominated by creating
directory entries (20k per release, hard links included), so the ratios to tar are the figures that travel
between machines. Never asserts on time.

    python bench/package_verify.py [--size-mb 100] [--files 20000] [--runs 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pregon.package import (build_package, commit_state, generate, load_state, stage,  # noqa: E402
                            verify_and_stage, verify_package)

TZ = timezone(timedelta(hours=-6))
INSTANT1 = datetime(2024, 6, 2, 22, 0, tzinfo=TZ)
INSTANT2 = datetime(2024, 6, 2, 22, 20, tzinfo=TZ)
PARTIES = ["PAN", "PRI", "PRD", "PVEM", "PT", "MC", "MORENA", "C_PAN_PRI_PRD", "C_PVEM_PT_MORENA"]


def _casilla_json(rng: random.Random, i: int, corte: int) -> bytes:
    votes = {p: rng.randrange(0, 400) for p in PARTIES}
    rows = ",".join(
        f'{{"acta":"15{i:06d}{k:02d}","votos":{json.dumps({p: rng.randrange(0, 300) for p in PARTIES})},'
        f'"sha":"{rng.getrandbits(256):064x}","captura":"2024-06-02 2{corte}:{rng.randrange(60):02d}:00"}}'
        for k in range(rng.randrange(6, 16)))
    return (f'{{"casilla":"15{i:06d}","corte":{corte},"votos":{json.dumps(votes)},"actas":[{rows}]}}\n').encode()


def _seccion_html(rng: random.Random, i: int, corte: int) -> bytes:
    rows = "".join(
        f"<tr><td>{p}</td><td>{rng.randrange(0, 5000)}</td><td>{rng.random() * 100:.4f}%</td></tr>\n"
        for _ in range(rng.randrange(60, 160)) for p in PARTIES[:3])
    return (f"<!doctype html><html lang=es-MX><head><title>Sección {i}</title></head><body>"
            f"<header>Último corte {corte}</header><table>{rows}</table></body></html>\n").encode()


def make_site(root: Path, *, files: int, size_mb: int, corte: int, seed: int, change: float = 1.0,
              previous: Path | None = None) -> None:
    """Write the site; with `previous`, copy it and regenerate only a `change` fraction of the pages."""
    rng = random.Random(seed)
    if previous is not None:
        shutil.copytree(previous, root)
    n_sec = files // 10
    n_cas = files - n_sec - 100
    for i in range(n_cas):
        if previous is None or rng.random() < change:
            p = root / "casilla" / f"{i // 1000:02d}" / f"{i:06d}.json"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(_casilla_json(rng, i, corte))
    for i in range(n_sec):
        if previous is None or rng.random() < change:
            p = root / "seccion" / f"{i // 500:02d}" / f"{i:05d}.html"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(_seccion_html(rng, i, corte))
    (root / "assets").mkdir(exist_ok=True)
    if previous is None:
        for i in range(97):
            (root / "assets" / f"asset{i:02d}.css").write_bytes(rng.randbytes(2000).hex().encode())
    else:  # a corte also adds and removes a few files
        for i in range(5):
            (root / "assets" / f"asset{i:02d}.css").unlink(missing_ok=True)
        for i in range(10):
            (root / "assets" / f"nuevo{corte}_{i}.js").write_bytes(rng.randbytes(1500).hex().encode())
    used = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and p.name != "database.zip")
    (root / "datos").mkdir(exist_ok=True)
    (root / "datos" / "database.zip").write_bytes(rng.randbytes(max(size_mb * 1_000_000 - used, 1_000_000)))
    (root / "json").mkdir(exist_ok=True)
    (root / "json" / "main.json").write_text(json.dumps({
        "proceso": {"id": "EDOMEX-2024"},
        "corte": {"secuencia": corte, "instante": (INSTANT1 if corte == 1 else INSTANT2).isoformat()}}))


def tree_size(root: Path) -> tuple[int, int]:
    n = size = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            n += 1
            size += os.lstat(os.path.join(dirpath, name)).st_size
    return n, size


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=int, default=100)
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--change", type=float, default=0.1, help="fraction of pages a new corte rewrites")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--workdir", type=Path, help="work here (kept afterwards) instead of a temp dir; "
                    "e.g. under /dev/shm to take the disk out of the figures")
    args = ap.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="pregon-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    out: dict = {"cpu_count": os.cpu_count(), "runs": args.runs}
    try:
        t0 = time.perf_counter()
        make_site(work / "site1", files=args.files, size_mb=args.size_mb, corte=1, seed=1)
        make_site(work / "site2", files=args.files, size_mb=args.size_mb, corte=2, seed=2,
                  change=args.change, previous=work / "site1")
        out["generate_s"] = time.perf_counter() - t0
        n, size = tree_size(work / "site1")
        out["site_files"], out["site_bytes"] = n, size

        key = generate()
        timings = {}
        t0 = time.perf_counter()
        build_package(work / "site1", key=key, sequence=1, out=work / "full1.tar.gz")
        timings["build_full"] = time.perf_counter() - t0
        build_package(work / "site2", key=key, sequence=2, out=work / "full2.tar.gz")
        t0 = time.perf_counter()
        built = build_package(work / "site2", key=key, sequence=2, base=work / "full1.tar.gz",
                              out=work / "delta2.tar.gz")
        timings["build_delta_from_package"] = time.perf_counter() - t0
        for name in ("full1", "full2", "delta2"):
            out[f"{name}_bytes"] = (work / f"{name}.tar.gz").stat().st_size
        out["delta_carried_files"] = len(built.carried)
        out["delta_removed_files"] = len(built.manifest.removed)

        now = INSTANT2 + timedelta(minutes=1)
        keys = [key.public]
        # corte 1 applied and live: the state and release a receiver would have
        v1 = verify_and_stage(work / "full1.tar.gz", work / "release1", trusted_keys=keys, now=now, durable=False)
        state_dir = work / "state"
        commit_state(state_dir, v1)
        state = load_state(state_dir)
        staging = work / "staging"

        def clean():
            shutil.rmtree(staging, ignore_errors=True)

        def shell(*argv):
            subprocess.run([str(a) for a in argv], check=True)

        # name -> (action, setup); every round runs each once, in this order, so load that comes and goes
        # (other jobs on the machine) hits all of them alike and the per-round ratios stay meaningful
        actions = {
            "verify_full": (lambda: verify_package(work / "full1.tar.gz", trusted_keys=keys, now=now), None),
            "verify_stage_full_fresh": (lambda: verify_and_stage(
                work / "full1.tar.gz", staging, trusted_keys=keys, now=now, durable=False), None),
            "tar_xzf_full": (lambda: shell("tar", "-xzf", work / "full1.tar.gz", "-C", staging),
                             lambda: staging.mkdir()),
            "verify_then_stage_full_fresh": (lambda: stage(verify_package(
                work / "full1.tar.gz", trusted_keys=keys, now=now), staging, durable=False), None),
            "verify_stage_full_linking": (lambda: verify_and_stage(
                work / "full2.tar.gz", staging, trusted_keys=keys, state=state,
                previous_release_dir=work / "release1", now=now, durable=False), None),
            "verify_delta": (lambda: verify_package(work / "delta2.tar.gz", trusted_keys=keys, state=state,
                                                    now=now), None),
            "verify_stage_delta": (lambda: verify_and_stage(
                work / "delta2.tar.gz", staging, trusted_keys=keys, state=state,
                previous_release_dir=work / "release1", now=now, durable=False), None),
            # the shell way to stage a delta: hard-link the live release, unpack the changes over it
            "cp_al_tar_xzf_delta": (lambda: (shell("cp", "-al", work / "release1", staging),
                                             shell("tar", "-xzf", work / "delta2.tar.gz", "-C", staging,
                                                   "--strip-components=1", "site")), None),
        }
        rounds: dict[str, list[float]] = {name: [] for name in actions}
        for _ in range(args.runs):
            for name, (action, setup) in actions.items():
                if setup:
                    setup()
                t0 = time.perf_counter()
                action()
                rounds[name].append(time.perf_counter() - t0)
                clean()
        timings.update({name: statistics.median(ts) for name, ts in rounds.items()})
        out["seconds"] = timings
        out["ratio_verify_stage_full_vs_tar"] = statistics.median(
            a / b for a, b in zip(rounds["verify_stage_full_fresh"], rounds["tar_xzf_full"], strict=True))
        out["ratio_verify_stage_delta_vs_cp_tar"] = statistics.median(
            a / b for a, b in zip(rounds["verify_stage_delta"], rounds["cp_al_tar_xzf_delta"], strict=True))
        out["throughput_verify_full_MBps"] = size / timings["verify_full"] / 1e6
        out["load_average_after"] = os.getloadavg()
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)

    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"cpu_count {out['cpu_count']}; site {out['site_files']} files, {out['site_bytes'] / 1e6:.1f} MB; "
          f"median of {args.runs} interleaved rounds (durable=False, recheck of linked files on); "
          f"load average after: {' '.join(f'{x:.1f}' for x in out['load_average_after'])}")
    print(f"packages: full {out['full1_bytes'] / 1e6:.1f} MB, delta {out['delta2_bytes'] / 1e6:.1f} MB "
          f"({out['delta_carried_files']} files carried, {out['delta_removed_files']} removed)")
    for name, secs in timings.items():
        print(f"  {name:<32} {secs:8.3f} s")
    print(f"median per-round ratio: verify+stage full / tar -xzf: {out['ratio_verify_stage_full_vs_tar']:.2f}x; "
          f"delta / cp -al + tar -xzf: {out['ratio_verify_stage_delta_vs_cp_tar']:.2f}x; "
          f"verify throughput {out['throughput_verify_full_MBps']:.0f} MB/s of site")
    return 0


if __name__ == "__main__":
    sys.exit(main())
