"""National scale: every step of a cut, full and delta, against the physical limit measured in the same run.

For each preset (edomex and nacional by default): the night's peak cut and the cut 15 minutes later
(site_render.peak_instants), taken through the real pipeline the institute's scheduler and a difusor's
receiver run:

    full render (cold)            site/render.build into an empty directory
    incremental render            the next corte, into a new directory, unchanged pages hard-linked
    full package build            package/build.build_package of the first site (digest cache cold)
    delta package build           the second site against the first one's tree listing (format 2), reading only
                                  what the render reports it changed: as the scheduler builds it at night
    verify + stage, full          package/verify.verify_and_stage into an empty release
    verify + stage, delta         against the live release of the first corte, staged from nothing
    verify + stage, delta (recycled)   the same delta staged over the release of the corte before (15 minutes
                                  earlier still), as the receiver does (difusor/pipeline.py _recycle)
    corte → signed delta          corte computation + incremental render + delta build

and, in the same run on the same disk, the references each step is held to (issue 17):

    write changed files           the incremental render's new files alone, written by Python (open/write)
    tar -czf changed files        GNU tar + gzip of just the files the delta carries
    tar -xzf delta                unpacking the delta package into an empty directory
    tar -czf site / tar -xzf full the same for the whole site, for the full steps

Before a package build and before its tar reference, the files both read are read into the page cache first
(warm, as at night when the render has just written them): otherwise whichever runs first pays the disk for both.
Every timed step starts after sync(2), so that none pays for the writeback of the one before.
Each step runs --runs times (default 3) and the median is printed, with delta/full per step, each step against
its reference; and peak memory: this process, its largest render worker, a fresh agent applying the delta, and a
fresh process rendering the whole site (PSS summed over it and its workers, sampled). Never fails on time.

    python bench/national.py [edomex nacional] [--runs 3] [--jobs 2] [--dir /dev/shm] [--json]
    python bench/national.py --quick        edomex, one run
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
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import election, machine, median  # noqa: E402
from site_render import peak_instants  # noqa: E402


def _timed(fn):
    os.sync()  # the step before's dirty pages are written first: a step does not pay for another's writeback
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _rss_mb() -> tuple[float, float]:
    """Peak resident set of this process and of its largest finished child (KiB on Linux)."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def _tree(root: Path) -> dict[str, int]:
    """rel path → inode of every file (what tells the incremental render's new files from its links)."""
    out = {}
    base = len(str(root)) + 1
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            p = os.path.join(dirpath, name)
            out[p[base:]] = os.lstat(p).st_ino
    return out


def _warm(root: Path, rels=None) -> None:
    """Read files into the page cache before a step and its reference, so that neither pays for the other's
    reads (at night the render has just written what the builder reads: warm is the real condition)."""
    if rels is None:
        rels = list(_tree(root))
    for rel in rels:
        try:
            with open(os.path.join(root, rel), "rb") as f:
                while f.read(1 << 20):
                    pass
        except FileNotFoundError:  # a removed path of the delta
            pass


def _write_files(src: Path, rels: list[str], dst: Path) -> None:
    """The reference for the incremental render: the same bytes, written the same way, nothing else."""
    data = [(rel, (src / rel).read_bytes()) for rel in rels]  # read first: only the writing is timed
    made = set()

    def go():
        for rel, b in data:
            p = os.path.join(dst, rel)
            d = os.path.dirname(p)
            if d not in made:
                os.makedirs(d, exist_ok=True)
                made.add(d)
            with open(p, "wb") as f:
                f.write(b)
    return go


AGENT = """
import os, sys
from pathlib import Path
from pregon.package import commit_state, load_state, verify_and_stage
from pregon.package import treelist
from pregon.package.keys import parse_public_key
from pregon.times import parse_instant
pkg, release, state_dir, staging, key, older, older_tree, now = sys.argv[1:9]
state = load_state(Path(state_dir))

def recycle():  # as the receiver (layout.load_tree): the older release onto the staging directory, its tree read
    os.rmdir(staging)
    os.rename(older, staging)
    with open(older_tree, "rb") as f:
        return treelist.read(f, share=state.files)

v = verify_and_stage(pkg, staging, trusted_keys=[parse_public_key(key)], state=state,
                     previous_release_dir=release, now=parse_instant(now, "now"), durable=False,
                     recycle=recycle)
del state
commit_state(state_dir, v)
with open(older_tree, "wb") as f:  # the release's record, streamed as layout.save_tree does
    treelist.write(f, v.files.values())
# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child of this big process would report its size
print(next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmHWM:")) // 1024)
"""


RENDER = """
import os, sys, threading
from pathlib import Path
from pregon.electionio.election_dir import load_engine
from pregon.site import build
from pregon.times import parse_instant
election, instant, out, jobs = sys.argv[1:5]
peak = [0]

def pss(pid):  # proportional set size: a page shared by the forked workers counts once over them all
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return next(int(x.split()[1]) for x in f if x.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0

def family(pid):
    kids = []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                kids += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return [pid] + [q for k in kids for q in family(k)]

done = threading.Event()
def sample():
    while not done.wait(0.2):
        peak[0] = max(peak[0], sum(pss(q) for q in family(os.getpid())))
threading.Thread(target=sample, daemon=True).start()
engine = load_engine(Path(election))
corte = engine.corte(parse_instant(instant, "instant"), 1)
build(corte, Path(out), jobs=int(jobs))
done.set()
print(peak[0] // 1024)
"""


def _render_pss(directory: Path, instant, out: Path, jobs: int) -> int:
    """Peak memory (MB, the sum of the PSS of the process and its render workers, sampled every 0.2 s) of a
    fresh process that does what `pregon site build` does for the national corte: load the election, take the
    corte, render the whole site (the 2 GB bound, issue 17)."""
    out_ = subprocess.run([sys.executable, "-c", RENDER, str(directory), instant.isoformat(), str(out), str(jobs)],
                          capture_output=True, text=True, check=True)
    shutil.rmtree(out, ignore_errors=True)
    return int(out_.stdout.split()[-1])


def _agent_rss(delta: Path, release: Path, older: Path, older_tree, work: Path, keys, now) -> int:
    """Peak RSS (MB) of a fresh process that does what the receiver does with a delta: load the trusted state,
    verify and stage it over a recycled older release, commit the state and record the tree (the agent's
    256 MB bound, issue 17)."""
    from pregon.package import treelist

    staging, state, copy, listing = (work / n for n in ("agent-staging", "agent-state", "agent-older",
                                                         "agent-older.list"))
    for p in (staging, state, copy):
        shutil.rmtree(p, ignore_errors=True)
    shutil.copytree(work / "state", state)
    _sh("cp", "-al", older, copy)
    listing.write_bytes(treelist.encode(older_tree.values()))
    out = subprocess.run([sys.executable, "-c", AGENT, str(delta), str(release), str(state), str(staging),
                          keys[0].line, str(copy), str(listing), now.isoformat()],
                         capture_output=True, text=True, check=True)
    for p in (staging, state, copy):
        shutil.rmtree(p, ignore_errors=True)
    return int(out.stdout.split()[-1])


def _sh(*argv, cwd=None) -> None:
    subprocess.run([str(a) for a in argv], check=True, cwd=cwd, stdout=subprocess.DEVNULL)


def bench(preset: str, seed: int, runs: int, jobs: int, work: Path) -> dict:
    from pregon.electionio.election_dir import load_engine
    from pregon.package import build_package, commit_state, generate, load_state, verify_and_stage
    from pregon.site import build
    from pregon.site import tree as site_tree

    engine = load_engine(election(preset, seed))
    t1, t2 = peak_instants(engine)
    t0 = t1 - (t2 - t1)
    corte_s, c1 = _timed(lambda: engine.corte(t1, 1))
    c2 = engine.corte(t2, 2)
    c0 = engine.corte(t0, 0)
    key = generate()
    keys = [key.public]
    now = t2 + timedelta(minutes=1)
    s0, s1, s2, cache = work / "site0", work / "site1", work / "site2", work / "digests.gz"
    p0, p1, p2 = work / "full0.tar.gz", work / "full1.tar.gz", work / "delta2.tar.gz"
    base = work / "full1.list"
    r0, r1, stg, ref = work / "release0", work / "release1", work / "staging", work / "ref"
    steps: dict[str, list[float]] = {}

    def add(name, seconds):
        steps.setdefault(name, []).append(seconds)

    def clean(*paths):
        for p in paths:
            if p.is_dir():
                shutil.rmtree(p)
            elif p.exists():
                p.unlink()

    changed: list[str] = []
    carried: list[str] = []
    # the night as the scheduler renders it: corte 0, then 1 from it, then (timed, below) 2 from 1; unchanged
    # pages keep their bytes from the corte that last changed them, which is what lets a release be recycled
    build(c0, s0, jobs=jobs)
    build(c1, s1, previous=s0, jobs=jobs)
    build_package(s0, key=key, sequence=1, out=p0, instant=t0, corte_sequence=1)
    tree0 = verify_and_stage(p0, r0, trusted_keys=keys, now=now, durable=False).files
    shutil.rmtree(s0)
    fresh = work / "site1-full"
    for _ in range(runs):
        clean(s2, cache, p1, p2, base, r1, stg, ref, fresh)
        site_tree._TREES.clear()  # cold, as a fresh process
        add("full render", _timed(lambda: build(c1, fresh, jobs=jobs))[0])
        clean(fresh)
        secs, inc = _timed(lambda: build(c2, s2, previous=s1, jobs=jobs))
        add("incremental render", secs)
        a, b = _tree(s1), _tree(s2)
        changed = sorted(r for r, ino in b.items() if a.get(r) != ino)
        go = _write_files(s2, changed, ref)
        add("ref: write changed files", _timed(go)[0])
        clean(ref)
        _warm(s1)
        secs, full = _timed(lambda: build_package(
            s1, key=key, sequence=1, out=p1, instant=t1, corte_sequence=1, digest_cache=cache))
        full.write_tree(base)  # as the scheduler keeps it (work/trees/): the delta's base, nothing re-read
        add("full package build", secs)
        _warm(s2, inc.changed)
        secs, built = _timed(lambda: build_package(s2, key=key, sequence=2, out=p2, base=base, base_sequence=1,
                                                   instant=t2, corte_sequence=2, digest_cache=cache,
                                                   changed=inc.changed))
        add("delta package build", secs)
        carried = list(built.carried)
        listing = work / "carried.txt"
        listing.write_text("".join(r + "\n" for r in carried))
        add("ref: tar -czf changed files", _timed(lambda: _sh("tar", "-czf", work / "ref.tgz", "-C", s2,
                                                              "-T", listing))[0])
        _warm(s1)
        add("ref: tar -czf site", _timed(lambda: _sh("tar", "-czf", work / "ref.tgz", "-C", s1, "."))[0])
        clean(work / "ref.tgz")
        secs, v1 = _timed(lambda: verify_and_stage(p1, r1, trusted_keys=keys, now=now, durable=False))
        add("verify + stage, full", secs)
        state_dir = work / "state"
        clean(state_dir)
        commit_state(state_dir, v1)
        state = load_state(state_dir)
        add("verify + stage, delta", _timed(lambda: verify_and_stage(
            p2, stg, trusted_keys=keys, state=state, previous_release_dir=r1, now=now, durable=False))[0])
        clean(stg)
        older = work / "older"
        _sh("cp", "-al", r0, older)  # a linked copy of the older release stands for it (r0 is reused next run)

        def recycle():  # what the receiver does (pipeline._recycler): the older release moved onto the staging
            os.rmdir(stg)
            os.rename(older, stg)
            return tree0
        add("verify + stage, delta (recycled)", _timed(lambda: verify_and_stage(
            p2, stg, trusted_keys=keys, state=state, previous_release_dir=r1, now=now, durable=False,
            recycle=recycle))[0])
        ref.mkdir()
        add("ref: tar -xzf delta", _timed(lambda: _sh("tar", "-xzf", p2, "-C", ref))[0])
        clean(ref)
        ref.mkdir()
        add("ref: tar -xzf full", _timed(lambda: _sh("tar", "-xzf", p1, "-C", ref))[0])
        clean(ref, stg)
    agent_rss = _agent_rss(p2, r1, r0, tree0, work, keys, now)
    render_pss = _render_pss(election(preset, seed), t1, work / "site-pss", jobs)
    med = {k: median(v) for k, v in steps.items()}
    med["corte → signed delta"] = corte_s + med["incremental render"] + med["delta package build"]
    files1 = len(_tree(s1))
    size = sum(os.lstat(os.path.join(d, n)).st_size for d, _x, ns in os.walk(s1) for n in ns)
    out = {
        "preset": preset, "casillas": len(engine.catalog.casillas), "cuts": [t1.isoformat(), t2.isoformat()],
        "site_files": files1, "site_bytes": size, "changed_files": len(changed), "carried_files": len(carried),
        "full_package_bytes": p1.stat().st_size, "delta_package_bytes": p2.stat().st_size,
        "seconds": med, "runs": runs, "corte_s": corte_s,
        "ratios": {
            "incremental render / write changed files": med["incremental render"] / med["ref: write changed files"],
            "delta build / tar -czf changed": med["delta package build"] / med["ref: tar -czf changed files"],
            "delta verify+stage / tar -xzf delta": med["verify + stage, delta"] / med["ref: tar -xzf delta"],
            "delta verify+stage (recycled) / tar -xzf delta":
                med["verify + stage, delta (recycled)"] / med["ref: tar -xzf delta"],
            "full build / tar -czf site": med["full package build"] / med["ref: tar -czf site"],
            "full verify+stage / tar -xzf full": med["verify + stage, full"] / med["ref: tar -xzf full"],
            "render delta/full": med["incremental render"] / med["full render"],
            "build delta/full": med["delta package build"] / med["full package build"],
            "stage delta/full": med["verify + stage, delta"] / med["verify + stage, full"],
            "stage delta (recycled)/full": med["verify + stage, delta (recycled)"] / med["verify + stage, full"],
            "(delta build + stage) / (full build + stage)":
                (med["delta package build"] + med["verify + stage, delta"])
                / (med["full package build"] + med["verify + stage, full"]),
            "(delta build + recycled stage) / (full build + stage)":
                (med["delta package build"] + med["verify + stage, delta (recycled)"])
                / (med["full package build"] + med["verify + stage, full"]),
        },
        "peak_rss_mb": dict(zip(("process", "largest child"), _rss_mb())) | {"agent applying the delta": agent_rss,
                                                                            "render, workers included (PSS)": render_pss},
    }
    clean(s1, s2, cache, p0, p1, p2, r0, r1, work / "state", work / "carried.txt")
    return out


def report(r: dict) -> str:
    s = r["seconds"]
    lines = [f"\n{r['preset']}: {r['casillas']:,} casillas; cuts {r['cuts'][0]} → {r['cuts'][1]}; site "
             f"{r['site_files']:,} files, {r['site_bytes'] / 1e9:.2f} GB; the next cut changes {r['changed_files']:,} "
             f"files, the delta carries {r['carried_files']:,}; packages {r['full_package_bytes'] / 1e6:.0f} MB "
             f"full, {r['delta_package_bytes'] / 1e6:.0f} MB delta; median of {r['runs']}",
             f"  {'step':<32} {'seconds':>9}"]
    lines += [f"  {k:<32} {v:9.2f}" for k, v in s.items()]
    lines.append(f"  {'ratio':<52} {'value':>7}")
    lines += [f"  {k:<52} {v:7.2f}" for k, v in r["ratios"].items()]
    rss = r["peak_rss_mb"]
    lines.append(f"  peak RSS: this process {rss['process']:.0f} MB, largest render worker {rss['largest child']:.0f} MB, "
                 f"an agent applying the delta {rss['agent applying the delta']:.0f} MB; a full render in its own "
                 f"process, workers included (PSS) {rss['render, workers included (PSS)']:.0f} MB")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("presets", nargs="*")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--dir", help="where to work (default: a temporary directory on disk; /dev/shm: tmpfs)")
    ap.add_argument("--quick", action="store_true", help="edomex, one run")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    presets = args.presets or (["edomex"] if args.quick else ["edomex", "nacional"])
    runs = 1 if args.quick else args.runs
    load = os.getloadavg()
    print(f"national: {machine()}; jobs {args.jobs}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          "at start")
    results = []
    with tempfile.TemporaryDirectory(prefix="pregon-national-", dir=args.dir) as tmp:
        print(f"working under {tmp}")
        for preset in presets:
            r = bench(preset, args.seed, runs, args.jobs, Path(tmp))
            results.append(r)
            print(json.dumps(r, ensure_ascii=False) if args.json else report(r), flush=True)


if __name__ == "__main__":
    main()
