"""Time from cut to all N difusores live: the institute pushes an `edomex` delta over SFTP (or rsync) through a
real OpenSSH server on loopback to N receivers (`pregon difusor run` agents, one process each, inotify on
their inbox); "live" means the difusor's `current` points at the new release.

    .venv/bin/python bench/instituto_distribution.py [--n 10 50] [--method sftp|rsync] [--preset edomex]

Prints per N: push seconds (all uploads renamed into place), seconds from the end of the cut (package
signed) to the last difusor live, median and slowest difusor. Never passes or fails on time. Needs
/usr/sbin/sshd, ssh-keygen (and rsync for --method rsync); runs everything on 127.0.0.1 high ports and stops
only the processes it started.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import _common  # noqa: E402
from instituto.sshkit import Sshd, keygen  # noqa: E402

from pregon import durable  # noqa: E402
from pregon.instituto import packages as pk  # noqa: E402
from pregon.instituto.config import PushConfig, load_config  # noqa: E402
from pregon.instituto.push import Pusher  # noqa: E402
from pregon.instituto.registry import Contact, Difusor, Transfer  # noqa: E402
from pregon.instituto.scheduler import Scheduler  # noqa: E402
from pregon.package import keys as keys_mod  # noqa: E402
from pregon.times import ManualClock  # noqa: E402


def prepare_institute(preset: str) -> Path:
    """Two cuts of `preset` one cadence apart (a full, then a delta), cached under bench/.cache."""
    feed = _common.election(preset)
    root = _common.CACHE / f"instituto-{preset}"
    cfg_path = root / "instituto.toml"
    if (root / "work" / "published.jsonl").exists():
        return cfg_path
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    keys_mod.write_keypair(root / "keys", keys_mod.generate())
    sim = (feed / "simulacion.toml").read_text()
    start = [ln.split("=", 1)[1].strip() for ln in sim.splitlines() if ln.startswith("inicio_publicacion")][0]
    cfg_path.write_text(f'[instituto]\nname = "IEEM"\nfeed = "{feed}"\nkey = "keys/pregon.key"\n'
                        f'[schedule]\nstart = "{start}"\ncadence_minutes = 20\nfull_every = 8\n'
                        f'ttl_hours = 200000\n')  # the receivers judge expiry by today's clock
    cfg = load_config(cfg_path)
    clock = ManualClock(cfg.start + timedelta(hours=2))  # two cuts in the thick of the night
    cfg.start = clock.now()
    t0 = time.perf_counter()
    asyncio.run(Scheduler(cfg, clock, render_jobs=2).run(max_cuts=2))
    print(f"# prepared two {preset} cuts in {time.perf_counter() - t0:.1f} s -> {root}", flush=True)
    return cfg_path


def current_target(current: Path) -> str | None:
    try:
        return os.readlink(current)
    except OSError:
        return None


def seed_receiver(root: Path, pub: Path, full) -> None:
    """One receiver that has applied the full package (in-process, not timed)."""
    from pregon.difusor.config import load_config as load_difusor
    from pregon.difusor.pipeline import Receiver

    write_toml(root, "d000", pub)
    cfg = load_difusor(root / "difusor.toml")
    rx = Receiver(cfg, check_clock=False)
    rx.start()
    shutil.copyfile(full.file, cfg.inbox / f".{full.name}.tmp")
    os.rename(cfg.inbox / f".{full.name}.tmp", cfg.inbox / full.name)
    (out,) = rx.scan_inbox()
    assert out.verdict == "accepted", out


def write_toml(root: Path, ident: str, pub: Path) -> None:
    (root / "inbox").mkdir(parents=True, exist_ok=True)
    (root / "difusor.toml").write_text(
        f'[difusor]\nid = "{ident}"\nroot = "{root}"\npublic_keys = ["{pub}"]\nsyslog = false\n'
        f'min_free_mb = 1\npoll_interval = 0.2\n')


def clone_receiver(seed: Path, root: Path, ident: str, pub: Path) -> None:
    """Another difusor in the same state as the seed: releases hard-linked (read-only files), state copied."""
    root.mkdir(parents=True)
    subprocess.run(["cp", "-al", str(seed / "releases"), str(root / "releases")], check=True)
    shutil.copytree(seed / "state", root / "state")
    os.symlink(os.readlink(seed / "current"), root / "current")
    write_toml(root, ident, pub)


def run_n(n: int, method: str, cfg_path: Path, records, tmp: Path) -> dict:
    full, delta = records[0], records[1]
    pub = tmp / "instituto.pub"
    pub.write_text(keys_mod.load_public_key(cfg_path.parent / "keys").file_text())
    client = keygen(tmp / f"client-{n}")
    sshd = Sshd(tmp / f"sshd-{n}", Path(str(client) + ".pub"), max_startups=max(200, 2 * n))
    agents: list[subprocess.Popen] = []
    try:
        difusores, roots = [], []
        seed = tmp / f"n{n}" / "d000"
        seed_receiver(seed, pub, full)
        for i in range(n):
            root = tmp / f"n{n}" / f"d{i:03d}"
            if i:
                clone_receiver(seed, root, f"d{i:03d}", pub)
            roots.append(root)
            difusores.append(Difusor(
                id=f"d{i:03d}", nombre=f"D{i}", sitio="https://d.example.mx", enlace="https://d.example.mx/prep/",
                tecnico=Contact(email="t@d.mx"), legal=Contact(email="l@d.mx"),
                transfer=Transfer(method=method, host="127.0.0.1", port=sshd.port, user=sshd.user,
                                  path=str(root / "inbox"), host_key=sshd.host_pub_line)))
        log = tmp / f"deliveries-{n}.jsonl"
        for d in difusores:  # every difusor already holds the full package's tree
            durable.append_jsonl(log, {"difusor": d.id, "sequence": full.sequence, "kind": "full", "result": "ok"})
        pusher = Pusher(PushConfig(timeout_seconds=120, retries=2, backoff_seconds=0.5, concurrency=n), client,
                        log, tmp / f"ssh-{n}")
        pregon = str(Path(sys.executable).with_name("pregon"))
        for root in roots:
            agents.append(subprocess.Popen([pregon, "difusor", "run", "--config", str(root / "difusor.toml")],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_started(roots, 120)
        # the cut: the delta is signed now; push it and wait until every difusor serves it
        t0 = time.perf_counter()
        out = asyncio.run(pusher.push_all(difusores, [full, delta]))
        t_push = time.perf_counter() - t0
        assert [d.sequence for d in out] == [delta.sequence] * n, out
        failed = [d for d in out if d.result != "ok"]
        live = wait_live(roots, delta.sequence, 900, t0)
        # the receivers' own account: how long each took from taking the upload to activating it
        applies = []
        for root in roots:
            for e in durable.read_jsonl(root / "journal.jsonl"):
                if e.get("event") == "activated" and e.get("sequence") == delta.sequence and "latency_s" in e:
                    applies.append(float(e["latency_s"]))
        return {"n": n, "method": method, "delta_bytes": delta.bytes, "push_s": round(t_push, 3),
                "all_live_s": round(max(live), 3), "median_live_s": round(statistics.median(live), 3),
                "first_live_s": round(min(live), 3), "failed": len(failed),
                "receiver_apply_median_s": round(statistics.median(applies), 3) if applies else None,
                "receiver_apply_max_s": round(max(applies), 3) if applies else None}
    finally:
        for a in agents:
            if a.poll() is None:
                a.send_signal(signal.SIGTERM)
        for a in agents:
            try:
                a.wait(20)
            except subprocess.TimeoutExpired:
                a.kill()
                a.wait()
        sshd.stop()


def wait_started(roots, timeout: float) -> None:
    """Until every agent has written its status (it is watching its inbox)."""
    deadline = time.perf_counter() + timeout
    while not all((r / "status.json").exists() and (r / "journal.jsonl").exists()
                  and '"started"' in (r / "journal.jsonl").read_text() for r in roots):
        if time.perf_counter() > deadline:
            raise SystemExit("the difusor agents did not start")
        time.sleep(0.05)


def wait_live(roots, sequence: int, timeout: float, t0: float | None = None) -> list[float]:
    """Seconds (from t0) at which each difusor's `current` pointed at release `sequence`."""
    prefix = f"{sequence:08d}-"
    t0 = time.perf_counter() if t0 is None else t0
    done: dict[int, float] = {}
    deadline = time.perf_counter() + timeout
    while len(done) < len(roots):
        for i, root in enumerate(roots):
            if i not in done:
                target = current_target(root / "current")
                if target and os.path.basename(target).startswith(prefix):
                    done[i] = time.perf_counter() - t0
        if time.perf_counter() > deadline:
            raise SystemExit(f"only {len(done)}/{len(roots)} difusores live after {timeout} s")
        time.sleep(0.01)
    return [done[i] for i in range(len(roots))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, nargs="+", default=[10, 50])
    ap.add_argument("--method", choices=["sftp", "rsync"], default="sftp")
    ap.add_argument("--preset", default="edomex")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cfg_path = prepare_institute(args.preset)
    cfg = load_config(cfg_path)
    records = [r for r in pk.published(cfg.work) if r.kind != "notice"][:2]
    cut = [e for e in durable.read_jsonl(cfg.journal) if e.get("event") == "cut" and e.get("kind") == "delta"][-1]
    cut_s = cut["corte_s"] + cut["render_s"] + cut["package_s"]
    assert [r.kind for r in records] == ["full", "delta"], records
    print(f"# {_common.machine()}; {args.preset}: full {records[0].bytes:,} bytes, delta {records[1].bytes:,} "
          f"bytes; method {args.method}; the delta cut itself (corte {cut['corte_s']} s + render "
          f"{cut['render_s']} s + package {cut['package_s']} s) = {cut_s:.2f} s", flush=True)
    for n in args.n:
        tmp = Path(tempfile.mkdtemp(prefix="pregon-bench-dist-"))
        try:
            r = run_n(n, args.method, cfg_path, records, tmp)
            r["cut_s"] = round(cut_s, 3)
            r["cut_to_all_live_s"] = round(cut_s + r["all_live_s"], 3)
            if args.json:
                print(json.dumps(r), flush=True)
            else:
                print(f"N={r['n']:>3} {r['method']}: push {r['push_s']:.2f} s; package signed -> all live "
                      f"{r['all_live_s']:.2f} s (first {r['first_live_s']:.2f} s, median {r['median_live_s']:.2f} s);"
                      f" including the cut itself {r['cut_to_all_live_s']:.2f} s; failed {r['failed']}; each receiver "
                      f"took median {r['receiver_apply_median_s']} s / max {r['receiver_apply_max_s']} s from upload to "
                      f"live (N receivers share this machine's {os.cpu_count()} cores)", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
