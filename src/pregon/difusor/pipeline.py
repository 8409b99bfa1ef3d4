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

This module is the order of the steps; what each touches lives beside it: archive.py (the move out of the
inbox), verdicts.py (the record of each decision), publication.py (what `current` shows), health.py
(incidents and periodic checks), status.py (status.json).
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from datetime import datetime
from pathlib import Path

from ..durable import fsync_dir, sha256_file
from ..errors import InputError
from ..package.errors import PackageRefused
from ..package.limits import DEFAULT_LIMITS, Limits
from ..package.manifest import Manifest
from ..package.state import TrustedState, commit_state, load_state
from ..package.verify import Verified, read_unverified, verify_and_stage
from ..times import parse_instant, utc_now
from . import layout, publication, verdicts
from .archive import archive_prefix, archived_twin, move_markers, move_no_clobber
from .health import Health, disk_full
from .inbox import complete_uploads, settled
from .journal import Journal
from .status import status_report, write_status
from .verdicts import CUT_SHORT, Outcome, read_verdict, utc_text, write_verdict
from .window import phase

__all__ = ["Receiver", "Outcome"]


class Receiver:
    def __init__(self, cfg, *, clock=None, limits: Limits = DEFAULT_LIMITS, journal: Journal | None = None,
                 durable: bool = True, check_clock: bool = True, fault=None, echo=None):
        self.cfg = cfg
        self.clock = clock or utc_now
        self.limits = limits
        self.durable = durable
        self.journal = journal or Journal(cfg.journal, use_syslog=cfg.syslog, clock=self.clock, echo=echo)
        self.health = Health(cfg, self.journal, check_clock=check_clock)
        self.rt = self.health.rt
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
            v = read_verdict(p) or {}
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
        key = self._state_file_key()
        if key is None or key != self._state_key:
            self._state = load_state(self.cfg.state)
            self._state_key = key
        return self._state

    def _state_file_key(self) -> tuple | None:
        try:
            st = os.stat(self.cfg.state / "state.json")
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def trusted_keys(self) -> list:
        """Pinned keys plus those the institute announced by rotation, minus revoked ones."""
        keys = self.state().effective_keys(self.cfg.public_keys)
        return [k for ks in keys.values() for k in ks]

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
            self.health.incident("inbox", f"cannot read the inbox {self.cfg.inbox}: {exc.strerror or exc}")
            self.write_status()
            return []
        self.health.clear("inbox")
        self._known -= set(names)
        outcomes = [self.process(self.cfg.inbox / name) for name in names]
        self.write_status()
        return outcomes

    def process(self, path: Path) -> Outcome:
        """Archive one complete upload (moving it out of the inbox), then run the pipeline on it."""
        path = Path(path)
        received = self.clock()
        twin = archived_twin(path, self.cfg.archive)
        if twin is not None:  # a crash between link(2) into the archive and unlink(2) from the inbox
            return self._drop_twin(path, twin)
        try:
            archived = self._archive(path, received)
        except OSError as exc:
            return self._not_archived(path, exc)
        self.health.clear("archive")
        return self._process_archived(archived)

    def _drop_twin(self, path: Path, twin: Path) -> Outcome:
        try:
            os.unlink(path)
        except OSError as exc:
            self.disk_trouble(f"removing {path.name} from the inbox", exc)
        v = read_verdict(twin) or {}
        return Outcome(v.get("verdict", "pending"), archive=twin.name, detail="already archived")

    def _not_archived(self, path: Path, exc: OSError) -> Outcome:
        key = "disk" if disk_full(exc) else "archive"
        self.health.incident(key, f"cannot archive {path.name}: {exc.strerror or exc}; it stays in the inbox")
        try:  # moved already, its verdict not written: the archive holds it, undecided, for the next tick
            self._retry |= set(self.pending_archive())
        except OSError:
            pass
        return Outcome("error", detail=str(exc.strerror or exc))

    def pull_once(self, puller) -> list[Outcome]:
        """One pull poll; downloaded packages go through the inbox like pushed ones."""
        from .pull import PullError

        self.rt.last_check = self.clock()
        try:
            got = puller.poll(self.state())
        except (PullError, OSError) as exc:
            self.health.incident("pull", str(exc))
            self.write_status()
            return []
        self.health.clear("pull")
        if got:
            self.journal.write("pulled", packages=[p.name for p in got])
        return self.scan_inbox(frozenset(p.name for p in got))

    # --- archive ----------------------------------------------------------------------------------------

    def _archive(self, path: Path, received: datetime) -> Path:
        """Move `path` into the archive under a unique name, with a pending verdict. Same-FS rename when
        possible; otherwise copy + fsync, then unlink the inbox copy."""
        self.health.check_room_for(path)
        size, digest = sha256_file(path)
        self.fault("archive:before-move")
        dest = move_no_clobber(self.cfg.archive, path, archive_prefix(received, digest), path.name)
        fsync_dir(self.cfg.archive)
        move_markers(path, dest)
        self.fault("archive:after-move")
        write_verdict(dest, {"verdict": "pending", "package": path.name, "sha256": digest, "size": size,
                             "received": utc_text(received)})
        self.journal.write("received", package=path.name, size=size, sha256=digest, archive=dest.name)
        return dest

    def read_verdict(self, archived: Path) -> dict | None:
        return read_verdict(archived)

    def archived_packages(self) -> list[Path]:
        return verdicts.archived_packages(self.cfg.archive)

    def pending_archive(self) -> list[Path]:
        """Archived packages without a final verdict (crash mid-pipeline, held, or an error to retry)."""
        return verdicts.pending_packages(self.cfg.archive)

    # --- the pipeline -------------------------------------------------------------------------------------

    def _process_archived(self, archived: Path) -> Outcome:
        try:
            out = self._pipeline(archived)
        except OSError as exc:
            self.disk_trouble(f"processing {archived.name}", exc)
            self._retry.add(archived)
            return Outcome("error", archive=archived.name, detail=str(exc.strerror or exc))
        if out.verdict != "error":
            self.health.clear("disk")
            self.health.clear("io")
        if out.verdict in ("held", "error"):
            self._retry.add(archived)
        else:
            self._retry.discard(archived)
        return out

    def _pipeline(self, archived: Path) -> Outcome:
        """One archived package: room on disk, verify into staging, then hold, ignore or publish it."""
        now = self.clock()
        base = self._base_verdict(archived)
        try:
            self.health.check_room_for(archived)
        except OSError as exc:
            return self._no_room(archived, base, exc)
        state = self.state()
        staging = self.cfg.releases / f"{layout.STAGING_PREFIX}{archived.name[:40]}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        verified = self._verify(archived, staging, state, base, now)
        if isinstance(verified, Outcome):
            return verified
        self.fault("verify:after")
        info = _identity(verified.manifest)
        deferred = self._hold_or_ignore(archived, staging, base, info, verified, now)
        if deferred is not None:
            return deferred
        release = self._install(verified.manifest, staging)
        return self._publish(archived, base, info, verified, state.after(verified), release, now)

    def _recycler(self, state: TrustedState, staging: Path):
        """What puts an older corte release at `staging` for a delta to be patched over, returning its tree (or
        None: the delta is built from nothing). Never the served release nor the trusted state's: the one before
        them, whose files are not live. Called only once the delta passed its signature and policy checks."""
        if not self.cfg.recycle or state.tree is None:
            return None

        def recycle():
            live = {layout.current_release(self.cfg), layout.release_name(state.tree_sequence, state.tree)}
            name = layout.recyclable(self.cfg, live)
            files = layout.load_tree(self.cfg, name, share=state.files) if name is not None else None
            if files is None:
                return None
            os.rename(self.cfg.releases / name, staging)  # over the empty staging directory
            layout.forget_tree(self.cfg, name)
            self.fault("recycle:after-rename")
            return files
        return recycle

    def _base_verdict(self, archived: Path) -> dict:
        """The pending verdict the archive step wrote, or a new one after a crash that came before it."""
        base = read_verdict(archived)
        if base is None:
            base = {"verdict": "pending", "package": archived.name.split("-", 2)[-1], "received": None}
            write_verdict(archived, base)
        return base

    def _no_room(self, archived: Path, base: dict, exc: OSError) -> Outcome:
        self.health.incident("disk", str(exc.strerror or exc))
        out = Outcome("error", archive=archived.name, detail=str(exc.strerror or exc))
        write_verdict(archived, {**base, "verdict": "error", "detail": out.detail})
        return out

    def _verify(self, archived: Path, staging: Path, state: TrustedState, base: dict,
                now: datetime) -> Verified | Outcome:
        """The package verified and staged, or the Outcome of its refusal (staging removed)."""
        try:
            self.fault("verify:before")
            verified = verify_and_stage(archived, staging, trusted_keys=self.cfg.public_keys, state=state,
                                        previous_release_dir=self._release_dir(state), limits=self.limits,
                                        now=now, durable=self.durable, recycle=self._recycler(state, staging))
            self._check_election(verified.manifest)
            return verified
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
            if disk_full(exc):
                self.health.incident("disk", f"disk full while staging {archived.name}; the current cut stays live")
            return self._error(archived, base, f"{exc.strerror or exc}")

    def _check_election(self, m: Manifest) -> None:
        if self.cfg.election and m.election != self.cfg.election:
            raise PackageRefused("wrong-election", f"package for election {m.election!r}; this difusor is "
                                 f"configured for {self.cfg.election!r}")

    def _hold_or_ignore(self, archived: Path, staging: Path, base: dict, info: dict, verified: Verified,
                        now: datetime) -> Outcome | None:
        """Held while under embargo; ignored once the window has ended (notices still count); else None."""
        m = verified.manifest
        if verified.embargoed(now):
            shutil.rmtree(staging, ignore_errors=True)
            write_verdict(archived, verdicts.held(base, info, m.not_before))
            self.journal.write("held", package=base.get("package"), sequence=m.sequence,
                               until=m.not_before.isoformat())
            return Outcome("held", archive=archived.name, **{k: v for k, v in info.items() if k != "tree"})
        if phase(self.cfg, now) in ("after", "closed") and m.kind != "notice":
            shutil.rmtree(staging, ignore_errors=True)
            detail = "the publication window has ended; the last cut stays published"
            write_verdict(archived, {**base, **info, "verdict": "ignored", "detail": detail, "decided": utc_text(now)})
            self.journal.write("ignored", "warning", package=base.get("package"), sequence=m.sequence,
                               detail=detail)
            return Outcome("ignored", archive=archived.name, detail=detail, sequence=m.sequence, kind=m.kind)
        return None

    def _install(self, m: Manifest, staging: Path) -> str | None:
        """The staged tree renamed into releases/ (a notice has none): the release's name."""
        if m.kind == "notice":
            shutil.rmtree(staging, ignore_errors=True)
            return None
        release = layout.release_name(m.sequence, m.tree)
        final = self.cfg.releases / release
        if final.is_dir():  # a crash after the rename: that directory is this same verified tree
            shutil.rmtree(staging, ignore_errors=True)
        else:
            self.fault("stage:before-rename")
            os.rename(staging, final)
            fsync_dir(self.cfg.releases)
        self.fault("stage:after-rename")
        return release

    def _publish(self, archived: Path, base: dict, info: dict, verified: Verified, new_state: TrustedState,
                 release: str | None, now: datetime) -> Outcome:
        """Swap `current`, then move the trusted state, then record the acceptance."""
        m = verified.manifest
        target = self.desired_release(new_state, now)
        try:
            activated = layout.activate(self.cfg, target)
        except OSError as exc:
            return self._error(archived, base, f"activation failed: {exc.strerror or exc}")
        self.fault("activate:after")
        try:
            committed = commit_state(self.cfg.state, verified)
            self._state, self._state_key = committed, self._state_file_key()
        except PackageRefused as exc:  # the state moved under us: another receiver; keep what is live
            return self._refused(archived, base, exc)
        self.fault("commit:after")
        latency = self._latency(base.get("received"))
        write_verdict(archived, {**base, **info, "verdict": "accepted", "release": release, "public": target,
                                 "decided": utc_text(self.clock())})
        self._journal_accepted(base, m, release, target, activated, latency)
        if release is not None and self.cfg.recycle:  # after going live: not on the way to the public
            try:
                layout.save_tree(self.cfg, release, verified.files.values())
            except OSError:  # only the next delta's speed depends on it
                pass
        if activated:
            self.rt.last_activation = {"time": utc_text(self.clock()), "release": target, "sequence": m.sequence}
            publication.run_hook(self.cfg, self.journal, target)
        self.rt.last_error = None
        self.health.clear("disk")
        return Outcome("accepted", archive=archived.name, sequence=m.sequence, kind=m.kind, election=m.election,
                       release=target, activated=activated, corte=info.get("corte"), latency_s=latency)

    def _latency(self, received: str | None) -> float | None:
        """Seconds from arrival in the inbox to now; None when the arrival is unknown."""
        if not received:
            return None
        try:
            return (self.clock() - parse_instant(received, "received")).total_seconds()
        except InputError:
            return None

    def _journal_accepted(self, base: dict, m: Manifest, release: str | None, target: str, activated: bool,
                          latency: float | None) -> None:
        event = "notice" if m.kind == "notice" else ("activated" if activated and target == release else "staged")
        details = dict(package=base.get("package"), sequence=m.sequence, kind=m.kind, release=release,
                       public=target)
        if m.kind != "notice":
            details["corte"] = _corte(m)
        if m.kind == "notice":
            details["notice"] = m.notice.to_json()
        if latency is not None:
            details["latency_s"] = round(latency, 3)
        self.journal.write(event, **details)

    def _already_applied(self, archived: Path, state: TrustedState, base: dict) -> Outcome | None:
        """A crash after commit_state but before the verdict: the state already holds this very package."""
        try:
            m, mbytes, _sig = read_unverified(archived, self.limits)
        except (PackageRefused, InputError):
            return None
        if not _state_holds(state, m, mbytes) or self._accepted_elsewhere(archived, m.sequence):
            return None
        release = layout.release_name(m.sequence, m.tree) if m.kind != "notice" else None
        write_verdict(archived, {**base, "verdict": "accepted", "sequence": m.sequence, "kind": m.kind,
                                 "election": m.election, "release": release, "recovered": True,
                                 "decided": utc_text(self.clock())})
        self.journal.write("recovered", "warning", package=base.get("package"), sequence=m.sequence,
                           detail="applied before a crash; verdict recorded on restart")
        return Outcome("accepted", archive=archived.name, sequence=m.sequence, kind=m.kind, election=m.election,
                       release=release)

    def _accepted_elsewhere(self, archived: Path, sequence: int) -> bool:
        """Another archived package was accepted with this sequence: `archived` is a re-sent copy, a replay."""
        for other in self.archived_packages():
            if other != archived:
                v = read_verdict(other) or {}
                if v.get("verdict") == "accepted" and v.get("sequence") == sequence:
                    return True
        return False

    def _refused(self, archived: Path, base: dict, exc: PackageRefused) -> Outcome:
        now = self.clock()
        if exc.reason in CUT_SHORT:
            self._cut_short[archived] = int(base.get("size") or 0)
        write_verdict(archived, {**base, "verdict": "refused", "reason": exc.reason, "detail": exc.detail,
                                 "decided": utc_text(now)})
        self.journal.write("refused", "warning", package=base.get("package"), reason=exc.reason,
                           detail=exc.detail, archive=archived.name)
        self.rt.last_error = f"{base.get('package')}: refused [{exc.reason}] {exc.detail}"
        return Outcome("refused", archive=archived.name, reason=exc.reason, detail=exc.detail)

    def _error(self, archived: Path, base: dict, detail: str) -> Outcome:
        write_verdict(archived, {**base, "verdict": "error", "detail": detail, "decided": utc_text(self.clock())})
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
        name, missing = publication.desired_release(self.cfg, state, now)
        if missing:
            self.health.incident("release", missing)
        return name

    def reconcile(self) -> bool:
        """Point `current` at what the state and the window say; True when it swapped."""
        target = self.desired_release(self.state(), self.clock())
        swapped = layout.activate(self.cfg, target)
        if swapped:
            self.journal.write("published", release=target, phase=phase(self.cfg, self.clock()))
            self.rt.last_activation = {"time": utc_text(self.clock()), "release": target}
            publication.run_hook(self.cfg, self.journal, target)
        return swapped

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
            v = read_verdict(p) or {}
            base = {k: v[k] for k in ("package", "received") if k in v}
            base.update(verdict="pending", size=now_size, sha256=digest, reexamined_from=size)
            write_verdict(p, base)
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
            v = read_verdict(entry) or {}
            if v.get("verdict") in ("held", "error", "pending", None):
                if v.get("verdict") == "held" and not verdicts.embargo_over(v, self.clock()):
                    continue
                self._process_archived(entry)

    def check_health(self) -> None:
        now = self.clock()
        self.health.check(self.state(), now)

    def disk_trouble(self, what: str, exc: OSError) -> None:
        """A full or failing disk while doing `what`: an incident (journal and syslog), never a crash; the
        live cut is untouched and the work is retried at the next tick."""
        self.health.disk_trouble(what, exc)

    # --- status ---------------------------------------------------------------------------------------------

    def status(self) -> dict:
        now = self.clock()
        try:
            st, err = self.state(), None
        except InputError as exc:
            st, err = TrustedState(), str(exc)
        return status_report(self.cfg, st, self.rt, now, state_error=err)

    def write_status(self) -> None:
        try:
            write_status(self.cfg.status, self.status())
        except OSError as exc:
            self.health.incident("status", f"cannot write {self.cfg.status}: {exc.strerror or exc}")
        else:
            self.health.clear("status")


def _corte(m: Manifest) -> dict:
    return {"sequence": m.corte_sequence, "instant": m.corte_instant.isoformat()}


def _identity(m: Manifest) -> dict:
    """What every verdict of a verified package records about it."""
    info = {"sequence": m.sequence, "kind": m.kind, "election": m.election}
    if m.kind != "notice":
        info["corte"] = _corte(m)
        info["tree"] = m.tree
    return info


def _state_holds(state: TrustedState, m: Manifest, mbytes: bytes) -> bool:
    """The trusted state is the one this manifest produced."""
    if m.sequence != state.sequence:
        return False
    if m.kind == "notice":
        return state.notice_sequence == m.sequence
    return hashlib.sha256(mbytes).hexdigest() == state.manifest
