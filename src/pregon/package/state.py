"""The difusor's trusted state: what it has applied, so an older or replayed package can be refused.

Like TUF's trusted metadata, it only moves forward and only after every check passed: `verify_package` reads
it, `commit_state` writes it (atomically, with `os.replace`, under a lock, and only if nobody else moved it
since the verification). A damaged state file is an error, never a silent reset: starting over would accept
any old package again.

On disk (STATE/):
  state.json                 the small record below
  trees/<tree>.list          the current tree (package/treelist.py), named by its digest: a delta's base. Kept as
                             a tree, not as the manifest that made it, since a format-2 delta lists only changes
  .lock                      flock(2) for commits

A state written as `pregon-state/1` (before format-2 deltas) kept `manifests/<sha256>.json` instead; it is read
as it is and written as `pregon-state/2` at the next commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..times import parse_instant
from .errors import PackageRefused
from ..durable import atomic_file, atomic_write, fsync_dir, locked
from .keys import PublicKey, parse_public_key
from .limits import Limits
from . import treelist
from .manifest import FileEntry, Notice, canonical_json, format_time, parse_manifest, tree_digest

if TYPE_CHECKING:
    from .verify import Verified

STATE_FORMAT = "pregon-state/2"
_STATE_FORMAT_1 = "pregon-state/1"
STATE_FILE = "state.json"
TREE_DIR = "trees"
MANIFEST_DIR = "manifests"  # pregon-state/1
_LOCK = ".lock"
# a stored manifest was already checked against the operator's limits when it was verified
_TRUSTED_LIMITS = Limits(max_uncompressed_bytes=1 << 62, max_file_bytes=1 << 62, max_files=1 << 62)


@dataclass(frozen=True)
class TrustedState:
    election: str | None = None
    sequence: int | None = None  # last package applied, of any kind
    tree_sequence: int | None = None  # the package that produced the current tree
    tree: str | None = None
    expires: datetime | None = None  # of that package: past it, the live cut is stale (a freeze)
    files: Mapping[str, FileEntry] | None = field(default=None, compare=False, repr=False)
    manifest: str | None = None  # SHA-256 of the manifest that produced the tree: which package made it
    keys: tuple[PublicKey, ...] = ()  # announced by rotation, trusted besides the pinned ones
    revoked: frozenset[str] = frozenset()  # key ids never trusted again, pinned or not
    notice: Notice | None = None
    notice_sequence: int | None = None

    def effective_keys(self, pinned: Iterable[PublicKey]) -> dict[str, list[PublicKey]]:
        """Key id -> candidate keys: the pinned and announced keys, minus the revoked ids."""
        out: dict[str, list[PublicKey]] = {}
        for k in (*pinned, *self.keys):
            if k.key_id not in self.revoked and k not in out.get(k.key_id, ()):
                out.setdefault(k.key_id, []).append(k)
        return out

    def after(self, verified: "Verified") -> "TrustedState":
        """The state once `verified` is applied (pure)."""
        m = verified.manifest
        new = replace(self, election=m.election, sequence=m.sequence)
        if m.kind == "notice":
            new = replace(new, notice=None if m.notice.type == "clear" else m.notice, notice_sequence=m.sequence)
        else:
            new = replace(new, tree_sequence=m.sequence, tree=m.tree, expires=m.expires, files=verified.files,
                          manifest=hashlib.sha256(verified.manifest_bytes).hexdigest())
        if m.keys is not None:
            revoked = new.revoked | frozenset(m.keys.revoke)
            keys = [k for k in (*new.keys, *m.keys.add) if k.key_id not in revoked]
            new = replace(new, keys=tuple(dict.fromkeys(keys)), revoked=revoked)
        return new

    def to_json(self) -> dict:
        return {
            "format": STATE_FORMAT,
            "election": self.election,
            "sequence": self.sequence,
            "tree_sequence": self.tree_sequence,
            "tree": self.tree,
            "expires": format_time(self.expires) if self.expires else None,
            "manifest": self.manifest,
            "keys": [k.line for k in self.keys],
            "revoked": sorted(self.revoked),
            "notice": None if self.notice is None else {**self.notice.to_json(), "sequence": self.notice_sequence},
        }


EMPTY_STATE = TrustedState()


def _stored_instant(text: str) -> datetime:
    """A time state.json holds (written by format_time); anything else is damage, a ValueError."""
    try:
        return parse_instant(text, "expires")
    except InputError as exc:
        raise ValueError(str(exc)) from None


def load_state(state_dir: str | os.PathLike | None, tree: bool = True) -> TrustedState:
    """The trusted state in `state_dir`; an absent directory or state file is the empty state. `tree=False`:
    the record alone, `files` left None (commit_state compares records; a national tree is 412,000 entries)."""
    if state_dir is None:
        return EMPTY_STATE
    d = Path(state_dir)
    path = d / STATE_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return EMPTY_STATE
    except OSError as exc:
        raise InputError(f"{path}: cannot read trusted state: {exc}") from None

    def damaged(why: str) -> InputError:
        return InputError(f"{path}: damaged trusted state ({why}); restore it from backup rather than "
                          "deleting it, which would accept older packages again")

    try:
        obj = json.loads(raw)
        fmt = obj.get("format")
        if fmt not in (STATE_FORMAT, _STATE_FORMAT_1):
            raise damaged(f"format {fmt!r}")
        notice = obj["notice"]
        st = TrustedState(
            election=obj["election"],
            sequence=obj["sequence"],
            tree_sequence=obj["tree_sequence"],
            tree=obj["tree"],
            expires=_stored_instant(obj["expires"]) if obj["expires"] else None,
            keys=tuple(parse_public_key(line, "state key") for line in obj["keys"]),
            revoked=frozenset(obj["revoked"]),
            notice=None if notice is None else Notice(notice["type"], notice["message"], tuple(notice.get("to", ()))),
            notice_sequence=None if notice is None else notice["sequence"],
            manifest=obj["manifest"],
        )
    except InputError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise damaged(f"{type(exc).__name__}: {exc}") from None
    if st.tree is None or not tree:
        return st
    if fmt == STATE_FORMAT:
        return replace(st, files=_load_tree(d, st.tree, damaged))
    digest = st.manifest
    mpath = d / MANIFEST_DIR / f"{digest}.json"
    try:
        mbytes = mpath.read_bytes()
    except OSError as exc:
        raise damaged(f"{mpath}: {exc.strerror}") from None
    if hashlib.sha256(mbytes).hexdigest() != digest:
        raise damaged(f"{mpath} does not match its digest")
    try:
        m = parse_manifest(mbytes, _TRUSTED_LIMITS)
    except PackageRefused as exc:
        raise damaged(f"{mpath}: {exc.detail}") from None
    if m.tree != st.tree:
        raise damaged(f"{mpath} is not the manifest of tree {st.tree}")
    return replace(st, files=m.file_map)


def _load_tree(d: Path, tree: str, damaged) -> dict[str, FileEntry]:
    """The current tree from trees/<tree>.list, which must be exactly that tree (it is checked by its digest)."""
    path = d / TREE_DIR / f"{tree}.list"
    try:
        with open(path, "rb") as f:
            files = treelist.read(f)
    except OSError as exc:
        raise damaged(f"{path}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise damaged(f"{path}: {exc}") from None
    if tree_digest(files.values()) != tree:
        raise damaged(f"{path} is not tree {tree}")
    return files


def commit_state(state_dir: str | os.PathLike, verified: "Verified") -> TrustedState:
    """Record `verified` as applied. Call it after the new release is live, so a crash in between makes
    the same package acceptable again instead of leaving a state that claims a cut nobody serves.

    Refuses (reason `replay`) if the state moved since `verified` was checked: two receivers racing, or the
    same package committed twice.
    """
    d = Path(state_dir)
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    with locked(d / _LOCK):
        current = load_state(d, tree=False)
        seen = verified.state
        if (current.sequence, current.tree, current.election) != (seen.sequence, seen.tree, seen.election):
            raise PackageRefused(
                "replay", f"the trusted state moved to sequence {current.sequence} since sequence "
                f"{verified.manifest.sequence} was verified")
        new = replace(current, files=seen.files).after(verified)  # the same tree: the one verified against
        tdir = d / TREE_DIR
        # keep the tree the old state.json names too: a reader that loaded it just before the replace must
        # still find its base
        keep = {f"{t}.list" for t in (new.tree, current.tree) if t}
        # a pregon-state/1 directory keeps its manifests until the commit after the one that writes /2
        was_1 = current.tree is not None and not (tdir / f"{current.tree}.list").exists()
        if new.tree is not None and not (tdir / f"{new.tree}.list").exists():
            tdir.mkdir(exist_ok=True, mode=0o700)
            with atomic_file(tdir / f"{new.tree}.list", 0o600) as f:
                treelist.write(f, new.files.values())
            fsync_dir(tdir)
        atomic_write(d / STATE_FILE, canonical_json(new.to_json()), 0o600, sync_dir=False)
        fsync_dir(d)
        if tdir.is_dir():
            for p in tdir.iterdir():
                if p.name not in keep:
                    with contextlib.suppress(OSError):
                        p.unlink()
        mdir = d / MANIFEST_DIR
        if not was_1 and mdir.is_dir():
            shutil.rmtree(mdir, ignore_errors=True)
    return new
