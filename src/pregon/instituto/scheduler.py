"""`pregon instituto run`: cuts on a schedule, each one rendered, packaged, signed, published and pushed.

Every `cadence` from the publication start (and a final cut at the end): read the actas feed up to the
instant, take the corte, render the official site (incrementally from the previous cut's), add the
"Difusores oficiales" page, build the package (full on the first cut, every `full_every` cuts and when a
difusor must resynchronise; deltas between), record it, publish it to the pull directory and the official
site, and start pushing it to every active difusor in the background: a cut never waits for a difusor.

Time comes only from the injected `Clock` of pregon.times (`now()`, `sleep_until()`): `SystemClock` in
production, `AcceleratedClock` for drills, `ManualClock` for tests. A cut that fails is journaled and retried
after `cut_retry_seconds`, up to `cut_retries` times, then journaled as abandoned; a cut whose successor is
already due when its turn comes is journaled as skipped. Nothing is skipped silently. State (last cut,
last package) is in work/state.json, so a restart resumes with the next due cut.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path

from .. import durable
from ..errors import InputError
from ..times import Clock, SystemClock
from . import drops, ending
from . import packages as pk
from . import pull, store
from .config import Config, require
from .public_list import WRITES as PUBLIC_LIST_WRITES, write_public_list
from .push import Pusher
from .registry import Registry


def cut_instants(start: datetime, end: datetime | None, cadence: timedelta):
    """(number, instant, final): every cadence from start; a last, final cut at `end` (endless without one)."""
    k = 1
    while True:
        t = start + (k - 1) * cadence
        if end is not None and t >= end:
            yield k, end, True
            return
        yield k, t, False
        k += 1


class Scheduler:
    def __init__(self, cfg: Config, clock: Clock, *, pusher: Pusher | None = None, log=None, render_jobs: int = 1):
        if cfg.cortes.kind == "feed":
            require(cfg, "feed", "key", "start")
        else:
            require(cfg, "key")
        self.cfg = cfg
        self.clock = clock
        self.log = log or (lambda msg: None)
        self.registry = Registry(cfg.registry)
        from ..package.keys import load_secret_key

        self.key = load_secret_key(cfg.key)
        self.pusher = pusher or Pusher(cfg.push, cfg.ssh_key, cfg.deliveries, cfg.work / "ssh", work=cfg.work)
        self.render_jobs = render_jobs
        self._tasks: set[asyncio.Task] = set()
        cfg.work.mkdir(parents=True, exist_ok=True)
        self.state = durable.read_json(cfg.state_file, {}) or {}
        self._source_trouble = False  # [source] dir could not be listed at the last look
        self._ended_by_capture = False  # the last cut was the último corte by the capture rule (Durango)
        self._unsettled = False  # the last recorded cut not yet shown everywhere (a disk refused it): settle()
        # the journal never raises: a full disk is journaled when it can be, and syslogged at once
        self._journal = durable.Log(cfg.journal, syslog_ident="pregon-instituto", fsync=False, sort_keys=True,
                                    echo=lambda text: self.log(text))

    # --- journal ----------------------------------------------------------------------------------------

    def journal(self, event: str, **fields) -> None:
        entry = {"time": store.iso(self.clock.now()), "event": event, **fields}
        text = f"{event}: " + ", ".join(f"{k}={v}" for k, v in fields.items())
        level = "error" if event in ("cut-failed", "cut-abandoned", "drop-refused", "disk") else "info"
        self._journal.append(entry, level=level, summary=text if level == "error" else None)
        self.log(text)

    # --- the loop -----------------------------------------------------------------------------------------

    async def run(self, max_cuts: int | None = None) -> int:
        """Cut until the end of the publication window, or through `max_cuts` scheduled cuts (made, abandoned
        or skipped alike); returns the number of cuts made. With a `[source]` of drops, publish each drop of
        the institute's PREP system instead (`run_drops`)."""
        if self.cfg.cortes.kind != "feed":
            return await self.run_drops(max_cuts)
        done = slots = 0
        last = int(self.state.get("cut", 0))
        self.journal("started", resume_after_cut=last, election_feed=str(self.cfg.feed))
        upcoming = (c for c in cut_instants(self.cfg.start, self.cfg.end, self.cfg.cadence) if c[0] > last)
        current = next(upcoming, None)
        while current is not None and (max_cuts is None or slots < max_cuts):
            k, instant, final = current
            current = next(upcoming, None)
            slots += 1
            await self.clock.sleep_until(instant)
            if current is not None and self.clock.now() >= current[1] and not final:
                self.journal("cut-skipped", cut=k, instant=instant.isoformat(),
                             reason="the next cut is already due (the institute was behind schedule or down)")
                continue
            if await self.cut_with_retries(k, instant, final):
                done += 1
                self.distribute()
                if self._ended_by_capture:
                    self.journal("ended-by-capture", cut=k, instant=instant.isoformat(),
                                 detail="100 % of the actas esperadas captured and recovery declared exhausted: "
                                        "this was the último corte")
                    break
        await self.drain()
        self.journal("finished", cuts=done)
        return done

    async def cut_with_retries(self, k: int, instant: datetime, final: bool = False) -> bool:
        for attempt in range(self.cfg.cut_retries + 1):
            if self._unsettled:
                await asyncio.to_thread(self.settle)
            try:
                rec = await asyncio.to_thread(self.cut, k, instant, final)
                self.log(f"cut {k} ({instant.isoformat()}): package {rec.sequence} {rec.kind}, {rec.bytes} bytes")
                return True
            except Exception as exc:  # any failure of one cut: journal, retry; the schedule goes on
                detail = str(exc) if isinstance(exc, (InputError, OSError)) else f"{type(exc).__name__}: {exc}"
                self.journal("cut-failed", cut=k, instant=instant.isoformat(), attempt=attempt + 1, error=detail)
                if attempt < self.cfg.cut_retries:
                    await self.clock.sleep_until(self.clock.now() + timedelta(seconds=self.cfg.cut_retry_seconds))
        self.journal("cut-abandoned", cut=k, instant=instant.isoformat(), attempts=self.cfg.cut_retries + 1,
                     detail="the next cut will include these actas")
        return False

    # --- one cut ----------------------------------------------------------------------------------------------

    def cut(self, k: int, instant: datetime, final: bool = False) -> pk.PackageRecord:
        """One scheduled cut from pregon's own feed: corte, site, package, publication."""
        from ..electionio.election_dir import load_engine
        from ..site import render

        cfg = self.cfg
        final = final and cfg.final_cut  # the cut at `end`, unless the night ends before its último corte
        t0 = time.perf_counter()
        engine = load_engine(cfg.feed, until=instant)
        corte = engine.corte(instant, k, final)
        if not final and cfg.end_when_captured and cfg.final_cut and ending.captured_all(corte) and \
                ending.recovery_exhausted(cfg.work, instant):
            final, self._ended_by_capture = True, True  # the call's early end: this is the último corte
            corte = engine.corte(instant, k, True)
        t1 = time.perf_counter()
        site, prev_site = self._new_site(k)
        try:
            report = _render(render, corte, site, prev_site, self.render_jobs)
            write_public_list(site, self.registry)
        except BaseException:
            shutil.rmtree(site, ignore_errors=True)  # a half-written site must not fill a full disk further
            raise
        t2 = time.perf_counter()
        return self._publish(k, instant, final, site, prev_site, corte_s=t1 - t0, render_s=t2 - t1,
                             site_written=getattr(report, "written", None), changed=_changes(report))

    def _new_site(self, k: int) -> tuple[Path, Path | None]:
        """Where cut k's site goes (emptied of a failed attempt), and the previous cut's site."""
        site = self.cfg.sites / f"{k:06d}"
        if site.exists():
            shutil.rmtree(site)
        prev_site = Path(self.state["site"]) if self.state.get("site") else None
        if prev_site is not None and not prev_site.is_dir():
            prev_site = None
        self.cfg.sites.mkdir(parents=True, exist_ok=True)
        return site, prev_site

    def _publish(self, k: int, instant: datetime, final: bool, site: Path, prev_site: Path | None,
                 election: str | None = None, changed: tuple[str, ...] | None = None,
                 **timings) -> pk.PackageRecord:
        """Package cut k's site (full, or a delta against the previous cut), record it, swap the official
        site and the pull index to it, and commit the state: the same for every source of cortes. `changed`:
        what rendering the site from `prev_site` changed (a delta then reads only that)."""
        from ..package.build import build_package, read_identity

        cfg = self.cfg
        t2 = time.perf_counter()
        requests = len(durable.read_jsonl(cfg.work / "full-requests.jsonl"))
        full = (prev_site is None or self.state.get("sequence") is None
                or (k - int(self.state.get("full_cut", 0))) >= cfg.full_every
                or requests > int(self.state.get("full_requests", 0)))
        seq = store.next_sequence(cfg.work)
        kind = "full" if full else "delta"
        election = cfg.election or election or read_identity(site).election
        out = cfg.packages / pk.package_name(election, seq, kind)
        try:
            cfg.packages.mkdir(parents=True, exist_ok=True)
            built = build_package(site, key=self.key, sequence=seq, out=out, election=election, issuer=cfg.name,
                                  instant=instant, corte_sequence=k,
                                  base=None if full else self._base(prev_site),
                                  base_sequence=None if full else int(self.state["sequence"]), ttl=cfg.ttl,
                                  digest_cache=cfg.work / "digests.gz", delta_format=cfg.delta_format,
                                  changed=None if full else changed)
            tree_list = self._keep_tree(built)
            t3 = time.perf_counter()
            # the package's time is its corte's: a copy renamed into a difusor's inbox then has a change time
            # past its modification time, which tells the receiver it is whole (difusor/inbox.py)
            os.utime(out, (instant.timestamp(), instant.timestamp()))
            size, digest = durable.sha256_file(out)
            rec = pk.PackageRecord(sequence=seq, kind=kind, file=str(out), bytes=size, sha256=digest,
                                   published=store.iso(self.clock.now()), election=election, corte_sequence=k,
                                   corte_instant=instant.isoformat(),
                                   base_sequence=None if full else int(self.state["sequence"]), site=str(site))
            pk.record(cfg.work, rec)  # the commit point: a recorded package is published
        except BaseException:
            self._discard(out, site)
            raise
        self.state.update(cut=k, sequence=seq, site=str(site), instant=instant.isoformat(), election=election,
                          package=str(out), tree_list=str(tree_list))
        if full:
            self.state.update(full_cut=k, full_requests=requests)
        self.settle()
        extra = {name: (round(v, 3) if isinstance(v, float) else v) for name, v in timings.items()}
        self.journal("cut", cut=k, instant=instant.isoformat(), final=final, sequence=seq, kind=kind,
                     bytes=size, files=len(built.files), carried=len(built.carried),
                     package_s=round(t3 - t2, 3), **extra)
        return rec

    def settle(self) -> bool:
        """Make the official site, the pull index and the saved state show the last recorded cut. A disk that
        refuses any of it is journaled and the next cut (or the next drop round) settles again; until then the
        previous official site and index stay as they were, whole."""
        cfg = self.cfg
        try:
            if self.state.get("site"):
                self._swap_official(Path(self.state["site"]))
            if cfg.pull_dir is not None and self.state.get("sequence") is not None:
                pull.publish(cfg.pull_dir, pk.published(cfg.work), key=self.key, election=self.state["election"],
                             issuer=cfg.name, updated=self.clock.now())
            durable.write_json(cfg.state_file, self.state)
        except OSError as exc:
            self._unsettled = True
            self.journal("disk", error=f"{exc.strerror or exc} ({exc.filename or cfg.work})",
                         detail=f"cut {self.state.get('cut')} is recorded; the official site, pull index or state "
                                "will be brought up to it at the next cut")
            return False
        if self._unsettled:
            self._unsettled = False
            self.journal("disk-recovered", cut=self.state.get("cut"))
        return True

    def _discard(self, out: Path, site: Path) -> None:
        """What a failed cut left (a partial package, its site): gone, so a full disk is not made fuller."""
        try:
            out.unlink(missing_ok=True)
            if site.exists() and str(site) != self.state.get("site"):
                shutil.rmtree(site, ignore_errors=True)
        except OSError:
            pass

    # --- cortes dropped by the institute's own PREP system -------------------------------------------------

    async def run_drops(self, max_cuts: int | None = None) -> int:
        """Publish each complete drop of `[source] dir` in name order, until a drop at or after `end` is out
        (or one cadence past `end` with none), or `max_cuts` are made. A drop that cannot be published is
        journaled (`drop-refused`, with its reason) and the last good corte stays published."""
        src = self.cfg.cortes
        handled: dict = self.state.setdefault("drops", {})
        done = 0
        self.journal("started", resume_after_cut=int(self.state.get("cut", 0)), source=src.kind, dir=str(src.dir))
        poll = timedelta(seconds=src.poll_seconds)
        while max_cuts is None or done < max_cuts:
            if self._unsettled:
                await asyncio.to_thread(self.settle)
            try:
                found = await asyncio.to_thread(drops.scan, src) if (
                    self.cfg.start is None or self.clock.now() >= self.cfg.start) else []
            except OSError as exc:  # the drop directory unreadable (permissions, I/O): say so, look again
                if not self._source_trouble:
                    self.journal("source-unreadable", dir=str(src.dir), error=exc.strerror or str(exc))
                self._source_trouble, found = True, []
            else:
                if self._source_trouble:
                    self.journal("source-readable", dir=str(src.dir))
                self._source_trouble = False
            for drop in found:
                if handled.get(drop.name) == drop.signature:
                    continue
                rec = await self._take(drop)
                if rec is None and drop.name not in handled:
                    continue  # failed for a passing reason (disk, I/O): looked at again next round
                if rec is not None:
                    done += 1
                    self.distribute()
                    if self.cfg.end is not None and datetime.fromisoformat(rec.corte_instant) >= self.cfg.end:
                        max_cuts = done
                if max_cuts is not None and done >= max_cuts:
                    break
            if self.cfg.end is not None and self.clock.now() >= self.cfg.end + self.cfg.cadence:
                break
            if max_cuts is not None and done >= max_cuts:
                break
            await self.clock.sleep_until(self.clock.now() + poll)
        await self.drain()
        self.journal("finished", cuts=done)
        return done

    async def _take(self, drop: drops.Drop) -> pk.PackageRecord | None:
        k = int(self.state.get("cut", 0)) + 1
        try:
            rec = await asyncio.to_thread(self.cut_drop, k, drop)
        except drops.DropRefused as exc:
            self.journal("drop-refused", drop=drop.name, reason=exc.reason, detail=exc.detail)
            self._handled(drop)
            return None
        except Exception as exc:  # the disk, a permission: not the drop's fault; try again next round
            detail = str(exc) if isinstance(exc, (InputError, OSError)) else f"{type(exc).__name__}: {exc}"
            self.journal("cut-failed", cut=k, drop=drop.name, error=detail)
            return None
        self._handled(drop)
        self.log(f"cut {k} ({rec.corte_instant}) from drop {drop.name}: package {rec.sequence} {rec.kind}")
        return rec

    def _handled(self, drop: drops.Drop) -> None:
        self.state.setdefault("drops", {})[drop.name] = drop.signature
        self.settle()

    def cut_drop(self, k: int, drop: drops.Drop) -> pk.PackageRecord:
        """Cut k from one drop: a database drop is recounted and rendered; a site drop is copied unmodified
        and the list of difusores goes beside it (the site is not pregon's to change)."""
        from ..site import render

        cfg, src = self.cfg, self.cfg.cortes
        t0 = time.perf_counter()
        site, prev_site = self._new_site(k)
        try:
            if src.kind == "database":
                corte, _notes = drops.database_corte(drop, k, election=cfg.election, instituto=cfg.name)
                self._newer(drop, corte.instant)
                t1 = time.perf_counter()
                report = _render(render, corte, site, prev_site, self.render_jobs)
                write_public_list(site, self.registry)
                instant, final, election = corte.instant, corte.final, corte.catalog.proceso.id
                written, changed = getattr(report, "written", None), _changes(report)
            else:
                drops.materialize(drop, site)
                instant = drops.instant_of(drop, site, src)
                self._newer(drop, instant)
                t1 = time.perf_counter()
                beside = cfg.pull_dir if cfg.pull_dir is not None else cfg.work / "publico"
                write_public_list(beside, self.registry, corte=(str(k), instant.isoformat()))
                final, election, written, changed = False, cfg.election or "PREP", None, None
        except BaseException:
            shutil.rmtree(site, ignore_errors=True)
            raise
        t2 = time.perf_counter()
        return self._publish(k, instant, final, site, prev_site, election, drop=drop.name, corte_s=t1 - t0,
                             render_s=t2 - t1, site_written=written, changed=changed)

    def _newer(self, drop: drops.Drop, instant: datetime) -> None:
        last = self.state.get("instant")
        if last is not None and instant <= datetime.fromisoformat(last):
            raise drops.DropRefused("older", f"{drop.name}: corte {instant.isoformat()} is not newer than the "
                                             f"published corte {last}")

    def _base(self, prev_site: Path) -> Path:
        """The base of a delta: the previous cut's tree listing (work/trees/<tree>.list, checked against its
        name: nothing is hashed again), or its site directory when the listing is gone."""
        p = self.state.get("tree_list")
        return Path(p) if p and Path(p).is_file() else prev_site

    def _keep_tree(self, built) -> Path:
        """The tree of the package just built, the next delta's base; listings of older cuts go (one record
        of a published package is enough for nobody but the next delta)."""
        d = self.cfg.work / "trees"
        d.mkdir(exist_ok=True)
        path = d / f"{built.manifest.tree}.list"
        built.write_tree(path)
        keep = {path.name, Path(self.state.get("tree_list") or "").name}
        for old in d.iterdir():
            if old.name not in keep:
                old.unlink(missing_ok=True)
        return path

    def _swap_official(self, site: Path) -> None:
        link = self.cfg.work / "official"
        durable.swap_symlink(link, os.path.relpath(site, link.parent))

    # --- distribution -----------------------------------------------------------------------------------------

    def distribute(self) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(self._distribute())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _distribute(self) -> None:
        t0 = time.perf_counter()
        try:
            records = pk.published(self.cfg.work)
            deliveries = await self.pusher.push_all(self.registry.active(), records)
        except Exception as exc:  # a round that fails (the disk, the registry) is journaled; the next cut retries
            detail = str(exc) if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
            self.journal("distribute-failed", error=detail)
            return
        if deliveries:
            ok = sum(1 for d in deliveries if d.result == "ok")
            failed = sorted({d.difusor for d in deliveries if d.result != "ok"})
            self.journal("distributed", latest=records[-1].sequence if records else None, delivered=ok,
                         failed=failed, seconds=round(time.perf_counter() - t0, 3))

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _changes(report) -> tuple[str, ...] | None:
    """What the render and the list of difusores changed in the site (None: a full render, look at it all)."""
    changed = getattr(report, "changed", None)
    return None if changed is None else (*changed, *PUBLIC_LIST_WRITES)


def _render(render, corte, site: Path, previous: Path | None, jobs: int):
    """The site stage: `corte`'s site into `site`, rewriting only what changed since `previous`."""
    return render.build(corte, site, previous=previous, jobs=jobs)


def run_schedule(cfg: Config, clock: Clock | None = None, *, max_cuts: int | None = None, log=None) -> int:
    sched = Scheduler(cfg, clock or SystemClock(), log=log)
    return asyncio.run(sched.run(max_cuts=max_cuts))
