"""The receiver: archive -> verify -> stage -> activate -> record, driven in-process with an injected clock.

`Receiver(cfg, clock=...)` is the library the agent (`pregon difusor run`) and the simulacro both drive:

    r = Receiver(cfg, clock=lambda: now)
    r.start()                      # layout, crash recovery, first status
    r.scan_inbox()                 # take every complete upload -> [Outcome]
    r.process(path)                # one package file (moved into the archive first) -> Outcome
    r.tick()                       # window transitions, stale/clock/disk checks, retries, status

Invariants (what the crash test checks): `current` always resolves to a complete release (a placeholder,
a notice, or a tree that passed verification); releases appear only by rename of a finished staging
directory; the trusted state moves only after `current` was swapped; a package leaves the inbox only by
rename into the archive, and an archived package without a final verdict is processed again on start.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import InputError
from ..package.errors import PackageRefused
from ..package.limits import DEFAULT_LIMITS, Limits
from ..package.state import TrustedState, commit_state, load_state
from ..package.verify import read_unverified, verify_and_stage
from . import layout
from ..durable import atomic_write, fsync_dir, sha256_file
from .inbox import MARKERS, complete_uploads, settled
from .journal import Journal
from .status import write_status
from .window import REPLACING_NOTICES, clock_synchronised, phase

VERDICT_SUFFIX = ".verdict.json"
FINAL_VERDICTS = ("accepted", "refused", "ignored")
CUT_SHORT = ("truncated", "corrupt")  # refusals an upload still being written in place gets


@dataclass
class Outcome:
    verdict: str  # accepted | refused | held | error | ignored | duplicate
    archive: str | None = None
    reason: str | None = None
    detail: str | None = None
    sequence: int | None = None
    kind: str | None = None
    election: str | None = None
    release: str | None = None
    activated: bool = False
    corte: dict | None = None
    latency_s: float | None = None

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _utc(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="seconds")


def _now_utc() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class _Runtime:
    last_check: datetime | None = None
    last_error: str | None = None
    last_activation: dict | None = None
    stale_tree: str | None = None
    clock_state: str | None = None
    disk_low: bool = False
    incidents: dict = field(default_factory=dict)  # key -> last message, journal once per change


class Receiver:
    def __init__(self, cfg, *, clock=None, limits: Limits = DEFAULT_LIMITS, journal: Journal | None = None,
                 durable: bool = True, check_clock: bool = True, fault=None, echo=None):
        self.cfg = cfg
        self.clock = clock or _now_utc
        self.limits = limits
        self.durable = durable
        self.check_clock = check_clock
        self.journal = journal or Journal(cfg.journal, use_syslog=cfg.syslog, clock=self.clock, echo=echo)
        self.rt = _Runtime()
        self._state_key = object()
        self._state: TrustedState | None = None
        self._retry: set[Path] = set()  # archived packages held (embargo) or in error, retried by tick()
        self._known: set[str] = set()  # inbox names known to have arrived whole, not processed yet
        self._cut_short: dict[Path, int] = {}  # refused as truncated/corrupt: size then (re-examined if it grows)
        self.fault = fault or (lambda point: None)  # test hook: called at each pipeline step

    # --- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Create the layout, clean interrupted staging, finish archived-but-undecided packages, publish."""
        try:
            layout.ensure_dirs(self.cfg)
        except OSError as exc:
            raise InputError(f"cannot create the difusor's directories under {self.cfg.root}: {exc}") from None
        state = self.state()  # a damaged state is an InputError: stop, do not reset
        removed = layout.clean_staging(self.cfg)
        if removed:
            self.journal.write("recovered", "warning", removed_staging=removed)
        self._retry = set(self.pending_archive())
        for p in self.archived_packages():
            v = self.read_verdict(p) or {}
            if v.get("verdict") == "refused" and v.get("reason") in CUT_SHORT:
                self._cut_short[p] = int(v.get("size") or 0)
        for entry in sorted(self._retry):
            self._process_archived(entry)
        self.reconcile()
        self.check_health()
        self.write_status()
        self.journal.write("started", difusor=self.cfg.id, sequence=state.sequence,
                           current=layout.current_release(self.cfg))

    def state(self) -> TrustedState:
        """The trusted state, re-read only when state.json changed (parsing a national manifest costs)."""
        try:
            st = os.stat(self.cfg.state / "state.json")
            key = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            key = None
        if key is None or key != self._state_key:
            self._state = load_state(self.cfg.state)
            self._state_key = key
        return self._state

    # --- inbox ------------------------------------------------------------------------------------------

    def scan_inbox(self, known: frozenset[str] = frozenset()) -> list[Outcome]:
        """Process every complete upload; `known` names arrived whole (see inbox.complete_uploads)."""
        self.rt.last_check = self.clock()
        self._known |= known
        try:
            names = complete_uploads(self.cfg.inbox, self.cfg.require_marker, self.cfg.quiet_seconds,
                                     frozenset(self._known))
            if not os.access(self.cfg.inbox, os.R_OK | os.X_OK):
                raise PermissionError(errno.EACCES, "permission denied", str(self.cfg.inbox))
        except OSError as exc:
            self._incident("inbox", f"cannot read the inbox {self.cfg.inbox}: {exc.strerror or exc}")
            self.write_status()
            return []
        self._clear_incident("inbox")
        self._known -= set(names)
        outcomes = [self.process(self.cfg.inbox / name) for name in names]
        self.write_status()
        return outcomes

    def process(self, path: Path) -> Outcome:
        """Archive one complete upload (moving it out of the inbox), then run the pipeline on it."""
        path = Path(path)
        received = self.clock()
        twin = self._archived_twin(path)
        if twin is not None:  # a crash between link(2) into the archive and unlink(2) from the inbox
            try:
                os.unlink(path)
            except OSError as exc:
                self.disk_trouble(f"removing {path.name} from the inbox", exc)
            v = self.read_verdict(twin) or {}
            return Outcome(v.get("verdict", "pending"), archive=twin.name, detail="already archived")
        try:
            archived = self._archive(path, received)
        except OSError as exc:
            key = "disk" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "archive"
            self._incident(key, f"cannot archive {path.name}: {exc.strerror or exc}; it stays in the inbox")
            try:  # moved already, its verdict not written: the archive holds it, undecided, for the next tick
                self._retry |= set(self.pending_archive())
            except OSError:
                pass
            return Outcome("error", detail=str(exc.strerror or exc))
        self._clear_incident("archive")
        return self._process_archived(archived)

    def trusted_keys(self) -> list:
        """Pinned keys plus those the institute announced by rotation, minus revoked ones."""
        keys = self.state().effective_keys(self.cfg.public_keys)
        return [k for ks in keys.values() for k in ks]

    def pull_once(self, puller) -> list[Outcome]:
        """One pull poll; downloaded packages go through the inbox like pushed ones."""
        from .pull import PullError

        self.rt.last_check = self.clock()
        try:
            got = puller.poll(self.state())
        except (PullError, OSError) as exc:
            self._incident("pull", str(exc))
            self.write_status()
            return []
        self._clear_incident("pull")
        if got:
            self.journal.write("pulled", packages=[p.name for p in got])
        return self.scan_inbox(frozenset(p.name for p in got))

    # --- archive ----------------------------------------------------------------------------------------

    def _archive(self, path: Path, received: datetime) -> Path:
        """Move `path` into the archive under a unique name, with a pending verdict. Same-FS rename when
        possible; otherwise copy + fsync, then unlink the inbox copy."""
        self._check_disk_for(path)
        size, digest = sha256_file(path)
        stamp = received.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        self.fault("archive:before-move")
        dest = self._move_no_clobber(path, f"{stamp}-{digest[:16]}", path.name)
        fsync_dir(self.cfg.archive)
        for m in MARKERS:
            marker = path.with_name(path.name + m)
            if marker.exists():
                try:
                    os.rename(marker, dest.with_name(dest.name + m))
                except OSError:
                    pass
        self.fault("archive:after-move")
        self._write_verdict(dest, {"verdict": "pending", "package": path.name, "sha256": digest, "size": size,
                                   "received": _utc(received)})
        self.journal.write("received", package=path.name, size=size, sha256=digest, archive=dest.name)
        return dest

    def _archived_twin(self, path: Path) -> Path | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        if st.st_nlink < 2:
            return None
        for p in self.archived_packages():
            try:
                o = os.stat(p)
            except OSError:
                continue
            if (o.st_ino, o.st_dev) == (st.st_ino, st.st_dev):
                return p
        return None

    def _move_no_clobber(self, path: Path, prefix: str, name: str) -> Path:
        """Move into the archive under a name never used before (link(2) refuses to overwrite)."""
        for n in range(1000):
            dest = self.cfg.archive / (f"{prefix}-{name}" if n == 0 else f"{prefix}.{n}-{name}")
            try:
                os.link(path, dest)
            except FileExistsError:
                continue
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                    raise
                if dest.exists():
                    continue
                tmp = dest.with_name("." + dest.name + ".copy")
                shutil.copyfile(path, tmp)
                fd = os.open(tmp, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.rename(tmp, dest)
            fsync_dir(self.cfg.archive)
            os.unlink(path)
            return dest
        raise OSError(errno.EEXIST, f"no free archive name for {name}")

    def _verdict_path(self, archived: Path) -> Path:
        return archived.with_name(archived.name + VERDICT_SUFFIX)

    def read_verdict(self, archived: Path) -> dict | None:
        try:
            return json.loads(self._verdict_path(archived).read_text("utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def _write_verdict(self, archived: Path, verdict: dict) -> None:
        atomic_write(self._verdict_path(archived), (json.dumps(verdict, ensure_ascii=False, indent=1) + "\n")
                     .encode("utf-8"))

    def archived_packages(self) -> list[Path]:
        return sorted(p for p in self.cfg.archive.iterdir()
                      if p.name.endswith(".tar.gz") and not p.name.startswith("."))

    def pending_archive(self) -> list[Path]:
        """Archived packages without a final verdict (crash mid-pipeline, held, or an error to retry)."""
        out = []
        for p in self.archived_packages():
            v = self.read_verdict(p)
            if v is None or v.get("verdict") not in FINAL_VERDICTS:
                out.append(p)
        return out

    # --- the pipeline -------------------------------------------------------------------------------------

    def _process_archived(self, archived: Path) -> Outcome:
        try:
            out = self._pipeline(archived)
        except OSError as exc:
            self.disk_trouble(f"processing {archived.name}", exc)
            self._retry.add(archived)
            return Outcome("error", archive=archived.name, detail=str(exc.strerror or exc))
        if out.verdict != "error":
            self._clear_incident("disk")
            self._clear_incident("io")
        if out.verdict in ("held", "error"):
            self._retry.add(archived)
        else:
            self._retry.discard(archived)
        return out

    def _pipeline(self, archived: Path) -> Outcome:
        now = self.clock()
        base = self.read_verdict(archived)
        if base is None:  # a crash between the move into the archive and the first verdict
            base = {"verdict": "pending", "package": archived.name.split("-", 2)[-1], "received": None}
            self._write_verdict(archived, base)
        received = base.get("received")
        try:
            self._check_disk_for(archived)
        except OSError as exc:
            self._incident("disk", str(exc.strerror or exc))
            out = Outcome("error", archive=archived.name, detail=str(exc.strerror or exc))
            self._write_verdict(archived, {**base, "verdict": "error", "detail": out.detail})
            return out
        state = self.state()
        previous = self._release_dir(state)
        staging = self.cfg.releases / f"{layout.STAGING_PREFIX}{archived.name[:40]}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            self.fault("verify:before")
            verified = verify_and_stage(archived, staging, trusted_keys=self.cfg.public_keys, state=state,
                                        previous_release_dir=previous, limits=self.limits, now=now,
                                        durable=self.durable)
            m = verified.manifest
            if self.cfg.election and m.election != self.cfg.election:
                raise PackageRefused("wrong-election", f"package for election {m.election!r}; this difusor is "
                                     f"configured for {self.cfg.election!r}")
        except PackageRefused as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if exc.reason == "replay":
                done = self._already_applied(archived, state, base)
                if done is not None:
                    return done
            return self._refused(archived, base, exc)
        except InputError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            return self._error(archived, base, str(exc))
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                self._incident("disk", f"disk full while staging {archived.name}; the current cut stays live")
            return self._error(archived, base, f"{exc.strerror or exc}")
        self.fault("verify:after")

        info = {"sequence": m.sequence, "kind": m.kind, "election": m.election}
        corte = None
        if m.kind != "notice":
            corte = {"sequence": m.corte_sequence, "instant": m.corte_instant.isoformat()}
            info["corte"] = corte
            info["tree"] = m.tree
        if verified.embargoed(now):
            shutil.rmtree(staging, ignore_errors=True)
            self._write_verdict(archived, {**base, **info, "verdict": "held",
                                           "detail": f"embargoed until {m.not_before.isoformat()}"})
            self.journal.write("held", package=base.get("package"), sequence=m.sequence,
                               until=m.not_before.isoformat())
            return Outcome("held", archive=archived.name, **{k: v for k, v in info.items() if k != "tree"})
        if phase(self.cfg, now) in ("after", "closed") and m.kind != "notice":
            shutil.rmtree(staging, ignore_errors=True)
            detail = "the publication window has ended; the last cut stays published"
            self._write_verdict(archived, {**base, **info, "verdict": "ignored", "detail": detail,
                                           "decided": _utc(now)})
            self.journal.write("ignored", "warning", package=base.get("package"), sequence=m.sequence,
                               detail=detail)
            return Outcome("ignored", archive=archived.name, detail=detail, sequence=m.sequence, kind=m.kind)

        release = None
        if m.kind != "notice":
            release = layout.release_name(m.sequence, m.tree)
            final = self.cfg.releases / release
            if final.is_dir():  # a crash after the rename: that directory is this same verified tree
                shutil.rmtree(staging, ignore_errors=True)
            else:
                self.fault("stage:before-rename")
                os.rename(staging, final)
                fsync_dir(self.cfg.releases)
            self.fault("stage:after-rename")
        else:
            shutil.rmtree(staging, ignore_errors=True)

        new_state = state.after(verified)
        target = self.desired_release(new_state, now)
        activated = False
        try:
            activated = layout.activate(self.cfg, target)
        except OSError as exc:
            return self._error(archived, base, f"activation failed: {exc.strerror or exc}")
        self.fault("activate:after")
        try:
            committed = commit_state(self.cfg.state, verified)
            st = os.stat(self.cfg.state / "state.json")
            self._state, self._state_key = committed, (st.st_ino, st.st_mtime_ns, st.st_size)
        except PackageRefused as exc:  # the state moved under us: another receiver; keep what is live
            return self._refused(archived, base, exc)
        self.fault("commit:after")
        latency = None
        if received:
            try:
                latency = (self.clock() - datetime.fromisoformat(received)).total_seconds()
            except ValueError:
                pass
        self._write_verdict(archived, {**base, **info, "verdict": "accepted", "release": release,
                                       "public": target, "decided": _utc(self.clock())})
        event = "notice" if m.kind == "notice" else ("activated" if activated and target == release else "staged")
        details = dict(package=base.get("package"), sequence=m.sequence, kind=m.kind, release=release,
                       public=target)
        if corte:
            details["corte"] = corte
        if m.kind == "notice":
            details["notice"] = m.notice.to_json()
        if latency is not None:
            details["latency_s"] = round(latency, 3)
        self.journal.write(event, **details)
        if activated:
            self.rt.last_activation = {"time": _utc(self.clock()), "release": target, "sequence": m.sequence}
            self._run_hook(target)
        self.rt.last_error = None
        self._clear_incident("disk")
        return Outcome("accepted", archive=archived.name, sequence=m.sequence, kind=m.kind, election=m.election,
                       release=target, activated=activated, corte=corte, latency_s=latency)

    def _already_applied(self, archived: Path, state: TrustedState, base: dict) -> Outcome | None:
        """A crash after commit_state but before the verdict: the state already holds this very package."""
        try:
            m, mbytes, _sig = read_unverified(archived, self.limits)
        except (PackageRefused, InputError):
            return None
        if m.sequence != state.sequence:
            return None
        if m.kind != "notice" and mbytes != state.manifest_bytes:
            return None
        if m.kind == "notice" and state.notice_sequence != m.sequence:
            return None
        for other in self.archived_packages():  # a re-sent copy of an applied package is a replay
            if other != archived:
                v = self.read_verdict(other) or {}
                if v.get("verdict") == "accepted" and v.get("sequence") == m.sequence:
                    return None
        release = layout.release_name(m.sequence, m.tree) if m.kind != "notice" else None
        self._write_verdict(archived, {**base, "verdict": "accepted", "sequence": m.sequence, "kind": m.kind,
                                       "election": m.election, "release": release, "recovered": True,
                                       "decided": _utc(self.clock())})
        self.journal.write("recovered", "warning", package=base.get("package"), sequence=m.sequence,
                           detail="applied before a crash; verdict recorded on restart")
        return Outcome("accepted", archive=archived.name, sequence=m.sequence, kind=m.kind, election=m.election,
                       release=release)

    def _refused(self, archived: Path, base: dict, exc: PackageRefused) -> Outcome:
        now = self.clock()
        if exc.reason in CUT_SHORT:
            self._cut_short[archived] = int(base.get("size") or 0)
        self._write_verdict(archived, {**base, "verdict": "refused", "reason": exc.reason, "detail": exc.detail,
                                       "decided": _utc(now)})
        self.journal.write("refused", "warning", package=base.get("package"), reason=exc.reason,
                           detail=exc.detail, archive=archived.name)
        self.rt.last_error = f"{base.get('package')}: refused [{exc.reason}] {exc.detail}"
        return Outcome("refused", archive=archived.name, reason=exc.reason, detail=exc.detail)

    def _error(self, archived: Path, base: dict, detail: str) -> Outcome:
        self._write_verdict(archived, {**base, "verdict": "error", "detail": detail, "decided": _utc(self.clock())})
        self.journal.write("error", "error", package=base.get("package"), detail=detail, archive=archived.name)
        self.rt.last_error = f"{base.get('package')}: {detail}"
        return Outcome("error", archive=archived.name, detail=detail)

    # --- what the public sees -----------------------------------------------------------------------------

    def _release_dir(self, state: TrustedState) -> Path | None:
        if state.tree is None:
            return None
        d = self.cfg.releases / layout.release_name(state.tree_sequence, state.tree)
        return d if d.is_dir() else None

    def desired_release(self, state: TrustedState, now: datetime) -> str:
        notice = state.notice
        if notice is not None and notice.type in REPLACING_NOTICES and (not notice.to or self.cfg.id in notice.to):
            return layout.notice_release(self.cfg, notice, state.notice_sequence)
        if phase(self.cfg, now) == "closed":
            return layout.closing_release(self.cfg, self.cfg.keep_until)
        if phase(self.cfg, now) == "before" or state.tree is None:
            return layout.placeholder_release(self.cfg, self.cfg.window_start)
        name = layout.release_name(state.tree_sequence, state.tree)
        if not (self.cfg.releases / name).is_dir():
            self._incident("release", f"the release {name} of the trusted state is missing; showing the placeholder")
            return layout.placeholder_release(self.cfg, self.cfg.window_start)
        return name

    def reconcile(self) -> bool:
        """Point `current` at what the state and the window say; True when it swapped."""
        target = self.desired_release(self.state(), self.clock())
        swapped = layout.activate(self.cfg, target)
        if swapped:
            self.journal.write("published", release=target, phase=phase(self.cfg, self.clock()))
            self.rt.last_activation = {"time": _utc(self.clock()), "release": target}
            self._run_hook(target)
        return swapped

    def _run_hook(self, target: str) -> None:
        if not self.cfg.on_activate:
            return
        env = {**os.environ, "PREGON_RELEASE": target, "PREGON_CURRENT": str(self.cfg.current)}
        try:
            r = subprocess.run(self.cfg.on_activate, shell=True, env=env, timeout=30, capture_output=True,
                               text=True)
            if r.returncode != 0:
                self.journal.write("hook-failed", "error", command=self.cfg.on_activate, code=r.returncode,
                                   stderr=r.stderr.strip()[-500:])
        except subprocess.TimeoutExpired:
            self.journal.write("hook-failed", "error", command=self.cfg.on_activate, detail="timed out after 30 s")

    # --- periodic ------------------------------------------------------------------------------------------

    def _reexamine_grown(self) -> None:
        """A package refused as truncated that was still being written in place: the archive holds the same
        inode, so when its writer finishes the archived copy is whole. Once it has grown and settled, its
        verdict goes back to pending (new size and digest) and the pipeline runs on it again."""
        for p, size in list(self._cut_short.items()):
            try:
                st = os.stat(p)
            except FileNotFoundError:
                del self._cut_short[p]
                continue
            if st.st_size == size or not settled(st, self.cfg.quiet_seconds):
                continue
            del self._cut_short[p]
            now_size, digest = sha256_file(p)
            v = self.read_verdict(p) or {}
            base = {k: v[k] for k in ("package", "received") if k in v}
            base.update(verdict="pending", size=now_size, sha256=digest, reexamined_from=size)
            self._write_verdict(p, base)
            self.journal.write("reexamined", package=v.get("package"), archive=p.name, was=size, now=st.st_size)
            self._process_archived(p)

    def tick(self) -> None:
        """Retry what waits, publish what the state and window say, check health; a disk that refuses any
        of it is an incident, and the next tick tries again."""
        for what, step in (("re-examining archived packages", self._reexamine_grown),
                           ("retrying archived packages", self._retry_pending), ("publishing", self.reconcile),
                           ("checking health", self.check_health)):
            try:
                step()
            except OSError as exc:
                self.disk_trouble(what, exc)
        self.write_status()

    def _retry_pending(self) -> None:
        for entry in sorted(self._retry):
            v = self.read_verdict(entry) or {}
            if v.get("verdict") in ("held", "error", "pending", None):
                if v.get("verdict") == "held" and not self._embargo_over(v):
                    continue
                self._process_archived(entry)

    def _embargo_over(self, v: dict) -> bool:
        detail = v.get("detail", "")
        try:
            until = datetime.fromisoformat(detail.rsplit(" ", 1)[-1])
        except ValueError:
            return True
        return self.clock() >= until

    def check_health(self) -> None:
        now = self.clock()
        st = self.state()
        if st.expires is not None and st.tree is not None and now >= st.expires and phase(self.cfg, now) == "open":
            if self.rt.stale_tree != st.tree:
                self.rt.stale_tree = st.tree
                self.journal.write("stale", "warning", sequence=st.tree_sequence, expired=st.expires.isoformat(),
                                   detail="no new corte before the manifest's expiry")
        if self.check_clock:
            synced = clock_synchronised()
            state = {True: "synchronised", False: "UNSYNCHRONISED", None: "unknown"}[synced]
            if state != self.rt.clock_state:
                self.rt.clock_state = state
                if synced is False:
                    self.journal.write("clock-unsynchronised", "error",
                                       detail="the system clock is not NTP-synchronised; the seeds require NTP "
                                              "(enable systemd-timesyncd or chrony)")
        try:
            free = shutil.disk_usage(self.cfg.releases).free
        except OSError:
            free = None
        if free is not None and free < self.cfg.min_free_mb * 1024 * 1024:
            self._incident("disk-low", f"only {free // (1024 * 1024)} MiB free under {self.cfg.releases} "
                                       f"(minimum {self.cfg.min_free_mb} MiB)")
        else:
            self._clear_incident("disk-low")

    def _check_disk_for(self, path: Path) -> None:
        try:
            size = os.stat(path).st_size
            free = shutil.disk_usage(self.cfg.releases).free
        except FileNotFoundError:
            raise
        need = self.cfg.min_free_mb * 1024 * 1024 + 4 * size
        if free < need:
            raise OSError(errno.ENOSPC, f"not enough free disk for {path.name}: {free // 1048576} MiB free, "
                                        f"{need // 1048576} MiB needed; the current cut stays live")

    def _incident(self, key: str, message: str) -> None:
        self.rt.last_error = message
        if self.rt.incidents.get(key) != message:
            self.rt.incidents[key] = message
            self.journal.write(key if key.startswith("disk") else f"{key}-incident", "error", detail=message)

    def _clear_incident(self, key: str) -> None:
        if self.rt.incidents.pop(key, None) is not None:
            self.journal.write(f"{key}-resolved")

    # --- status ---------------------------------------------------------------------------------------------

    def status(self) -> dict:
        now = self.clock()
        try:
            st = self.state()
        except InputError as exc:
            st, err = TrustedState(), str(exc)
        else:
            err = None
        current = layout.current_release(self.cfg)
        if current is None:
            published = "nothing"
        elif current.startswith(layout.PLACEHOLDER_PREFIX):
            published = "placeholder"
        elif current.startswith(layout.NOTICE_PREFIX):
            published = "notice"
        elif current.startswith(layout.CLOSING_PREFIX):
            published = "closed"
        else:
            published = "corte"
        corte = None
        if published == "corte" and st.tree is not None:
            corte = self._corte_of(current)
        return {
            "difusor": self.cfg.id, "election": st.election, "sequence": st.sequence,
            "tree_sequence": st.tree_sequence, "tree": st.tree, "release": current, "published": published,
            "corte": corte, "expires": st.expires.isoformat() if st.expires else None,
            "stale": bool(st.expires and now >= st.expires), "window": phase(self.cfg, now),
            "notice": st.notice.to_json() if st.notice else None,
            "last_check": _utc(self.rt.last_check) if self.rt.last_check else None,
            "last_activation": self.rt.last_activation, "last_error": err or self.rt.last_error,
            "incidents": sorted(self.rt.incidents), "clock": self.rt.clock_state, "updated": _utc(now),
        }

    def _corte_of(self, release: str) -> dict | None:
        try:
            data = json.loads((self.cfg.releases / release / "json" / "main.json").read_text("utf-8"))
            return {"sequence": data["corte"]["secuencia"], "instant": data["corte"]["instante"]}
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write_status(self) -> None:
        try:
            write_status(self.cfg.status, self.status())
        except OSError as exc:
            self._incident("status", f"cannot write {self.cfg.status}: {exc.strerror or exc}")
        else:
            self._clear_incident("status")

    def disk_trouble(self, what: str, exc: OSError) -> None:
        """A full or failing disk while doing `what`: an incident (journal and syslog), never a crash; the
        live cut is untouched and the work is retried at the next tick."""
        key = "disk" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "io"
        where = f" ({exc.filename})" if exc.filename else ""
        self._incident(key, f"{what}: {exc.strerror or exc}{where}; the current cut stays live, retried at the "
                            "next tick")
