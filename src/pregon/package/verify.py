"""Verification of a package, and its materialization into a staging directory.

`verify_package` is pure: it reads the file once, streaming, and writes nothing. `stage` reads it again and
writes the resulting tree into a fresh staging directory, re-checking every byte (the file may have changed
since: an upload still in progress), hard-linking files that did not change from the previous release; or,
for a delta given an older release to `recycle`, patches that release into the new tree, touching only what
differs.
`verify_and_stage` does both in one pass. None of them touch the trusted state; `state.commit_state` does,
after the receiver has activated the release.

The order of checks is the one docs/protocol.md specifies: framing and limits as bytes arrive; the signature
before the manifest is parsed; the manifest before any site byte; policy (election, replay, expiry, base)
before reading the site; then every member against the manifest; then completeness.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import InputError
from .errors import PackageRefused, show
from .keys import PublicKey, SignatureError, parse_signature
from .limits import DEFAULT_LIMITS, Limits
from .manifest import (MANIFEST_NAME, SIGNATURE_NAME, SITE_PREFIX, SUMS_NAME, FileEntry, Manifest, Notice,
                       apply_changes, parse_manifest, tree_digest)
from .paths import find_new_collision, fold, path_problem
from .state import EMPTY_STATE, TrustedState
from .tarstream import Inflater, TarReader

_CONTROL = (MANIFEST_NAME, SIGNATURE_NAME, SUMS_NAME)


@dataclass(frozen=True)
class Verified:
    """A package that passed every check, and what applying it means."""

    path: Path
    manifest: Manifest
    manifest_bytes: bytes
    signature_bytes: bytes
    signer: PublicKey
    state: TrustedState  # the trusted state it was checked against; commit_state insists it still holds
    carried: tuple[str, ...]  # tree paths whose bytes travel in the archive (all verified)
    reused: tuple[str, ...]  # tree paths a delta takes unchanged from the previous release
    compressed_bytes: int
    uncompressed_bytes: int
    files: Mapping[str, FileEntry]  # the resulting tree, path → entry, sorted (empty for a notice)

    @property
    def kind(self) -> str:
        return self.manifest.kind

    @property
    def sequence(self) -> int:
        return self.manifest.sequence

    @property
    def tree(self) -> str | None:
        return self.manifest.tree

    @property
    def notice(self) -> Notice | None:
        return self.manifest.notice

    @property
    def not_before(self) -> datetime:
        """The embargo: a valid package is held, not refused, until then."""
        return self.manifest.not_before

    def embargoed(self, now: datetime) -> bool:
        return now < self.manifest.not_before

    def summary(self) -> dict:
        m = self.manifest
        return {
            "package": str(self.path),
            "election": m.election,
            "issuer": m.issuer,
            "sequence": m.sequence,
            "kind": m.kind,
            "format": m.format,
            "key_id": self.signer.key_id,
            "tree": m.tree,
            "base_tree": m.base_tree,
            "corte_sequence": m.corte_sequence,
            "corte_instant": m.corte_instant.isoformat() if m.corte_instant else None,
            "created": m.created.isoformat(),
            "not_before": m.not_before.isoformat(),
            "expires": m.expires.isoformat(),
            "files": len(self.files),
            "carried": len(self.carried),
            "reused": len(self.reused),
            "removed": len(m.removed),
            "notice": m.notice.to_json() if m.notice else None,
            "keys": m.keys.to_json() if m.keys else None,
            "compressed_bytes": self.compressed_bytes,
            "uncompressed_bytes": self.uncompressed_bytes,
        }


# --- pure checks ------------------------------------------------------------------------------------------


def check_signature(manifest_bytes: bytes, signature_bytes: bytes, keys: dict[str, list[PublicKey]],
                    revoked: frozenset[str]) -> tuple[PublicKey, str]:
    """The key that signed the manifest and the trusted comment, or PackageRefused."""
    try:
        sig = parse_signature(signature_bytes)
    except SignatureError as exc:
        raise PackageRefused("bad-signature", f"{SIGNATURE_NAME}: {exc}") from None
    if sig.key_id in revoked:
        raise PackageRefused("revoked-key", f"signed by key {sig.key_id}, which the institute has retired")
    candidates = keys.get(sig.key_id)
    if not candidates:
        known = ", ".join(sorted(keys)) or "none"
        raise PackageRefused("unknown-key", f"signed by key {sig.key_id}; trusted keys: {known}")
    error = None
    for key in candidates:
        try:
            key.verify(manifest_bytes, sig)
            return key, sig.trusted_comment
        except SignatureError as exc:
            error = exc
    raise PackageRefused("bad-signature", f"{MANIFEST_NAME} by key {sig.key_id}: {error}")


def check_policy(manifest: Manifest, state: TrustedState, now: datetime, pinned: Iterable[PublicKey] = (),
                 limits: Limits = DEFAULT_LIMITS) -> tuple[tuple[str, ...], tuple[str, ...], Mapping[str, FileEntry]]:
    """Whether this manifest may follow `state` at `now`; returns (carried, reused) tree paths and the
    resulting tree."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if state.election is not None and manifest.election != state.election:
        raise PackageRefused("wrong-election", f"package for election {manifest.election!r}; "
                             f"this difusor follows {state.election!r}")
    if state.sequence is not None and manifest.sequence <= state.sequence:
        raise PackageRefused("replay", f"sequence {manifest.sequence} is not greater than the last applied "
                             f"({state.sequence})")
    if now >= manifest.expires:
        raise PackageRefused("expired", f"sequence {manifest.sequence} expired at {manifest.expires.isoformat()}")
    if manifest.keys is not None:
        revoked = state.revoked | frozenset(manifest.keys.revoke)
        remaining = {k.key_id for k in (*pinned, *state.keys, *manifest.keys.add)} - revoked
        if not remaining:
            raise PackageRefused("bad-manifest", "the key rotation would leave no trusted key")
    if manifest.kind == "notice":
        return (), (), {}
    if manifest.kind == "full":
        return tuple(f.path for f in manifest.files), (), manifest.file_map
    if state.tree is None or state.files is None:
        raise PackageRefused("base-mismatch", f"delta against tree {manifest.base_tree[:12]}…, but no tree has "
                             "been applied yet; a full package is needed")
    if manifest.base_tree != state.tree:
        raise PackageRefused("base-mismatch", f"delta against tree {manifest.base_tree[:12]}…, but the current "
                             f"tree is {state.tree[:12]}… (sequence {state.tree_sequence})")
    if manifest.lists_changes:
        return _changes_policy(manifest, state.files, limits)
    base, new = state.files, manifest.file_map
    removed = tuple(sorted(p for p in base if p not in new))
    if removed != manifest.removed:
        raise PackageRefused("bad-manifest", "field removed disagrees with the base tree")
    carried, reused = [], []
    for p, f in new.items():  # one comparison per name (a national tree: 400,000)
        (reused if base.get(p) == f else carried).append(p)
    return tuple(carried), tuple(reused), new


def _changes_policy(manifest: Manifest, base: Mapping[str, FileEntry], limits: Limits):
    """A format-2 delta against the trusted base tree: its changes are changes, what it removes was there,
    and the tree they make is the one it signed, within the limits and free of colliding names (a new name can
    collide with one the tree keeps; the base's names were checked when it was applied)."""
    for p in manifest.removed:
        if p not in base:
            raise PackageRefused("bad-manifest", f"field removed names {show(p)}, which the base tree lacks")
    for f in manifest.files:
        if base.get(f.path) == f:
            raise PackageRefused("extra-file", f"{show(f.path)} is unchanged from the base and must not be "
                                 "listed in a format-2 delta")
    tree = apply_changes(base, manifest.files, manifest.removed)
    if len(tree) > limits.max_files:
        raise PackageRefused("bomb", f"the tree would hold {len(tree)} files, over the limit of {limits.max_files}")
    total = sum(e.size for e in tree.values())
    if total > limits.max_uncompressed_bytes:
        raise PackageRefused("bomb", f"the tree would total {total} bytes, over the limit of "
                             f"{limits.max_uncompressed_bytes}")
    if tree_digest(tree.values()) != manifest.tree:
        raise PackageRefused("bad-manifest", "field tree is not the base tree with the changes applied")
    clash = find_new_collision((f.path for f in manifest.files if f.path not in base), tree)
    if clash:
        a, b, why = clash
        raise PackageRefused("unsafe-member", f"{show(a)} and {show(b)}: {why}")
    changed = manifest.file_map
    return tuple(changed), tuple(p for p in tree if p not in changed), tree


# --- the scan ---------------------------------------------------------------------------------------------


def _control(reader: TarReader, name: str, reason: str, limit: int) -> bytes:
    member = reader.next()
    if member is None or member.name != name:
        found = "the end of the archive" if member is None else show(member.name)
        raise PackageRefused(reason, f"expected {name} as the next member, found {found}")
    if member.size > limit:
        raise PackageRefused("bomb", f"{name} is {member.size} bytes, over the limit of {limit}")
    return reader.read()


def _refuse_unexpected(name: str, rel: str | None, seen: set[str], files, limits: Limits):
    """A member the manifest does not ask for: say why it is refused, the gravest reason first."""
    problem = path_problem(rel if rel is not None else name, limits)
    if problem:
        raise PackageRefused("unsafe-member", f"{show(name)}: {problem}")
    if rel is None:
        if name in _CONTROL:
            raise PackageRefused("unsafe-member", f"duplicate member {show(name)}")
        raise PackageRefused("extra-file", f"{show(name)} is neither a control file nor under {SITE_PREFIX}")
    key = fold(rel)
    twin = next((s for s in seen if fold(s) == key), None)
    if twin is not None:
        raise PackageRefused("unsafe-member", f"{show(name)} collides with {show(SITE_PREFIX + twin)} "
                             "(names differ only by case or Unicode normalization)")
    if rel in files:
        raise PackageRefused("extra-file", f"{show(name)} is unchanged from the base and must not travel in a delta")
    raise PackageRefused("extra-file", f"{show(name)} is not in the manifest")


class _Sink:
    """Where member bytes go besides the hash: nowhere (verify) or a staging directory (stage)."""

    def begin(self, path: str, entry: FileEntry):
        return None

    def write(self, handle, data) -> None:
        pass

    def end(self, handle) -> None:
        pass


def _scan(path: Path, *, keys: dict[str, list[PublicKey]], pinned: Iterable[PublicKey], state: TrustedState,
          limits: Limits, now: datetime | None, sink: _Sink, before_members=None, after_members=None,
          verified: Verified | None = None) -> Verified:
    """One streaming pass: control files, signature, manifest and policy, then every member into `sink`."""
    with _open_package(path, limits) as f:
        inflater = Inflater(f, limits)
        reader = TarReader(inflater, limits)
        manifest_bytes = _control(reader, MANIFEST_NAME, "bad-manifest", limits.max_manifest_bytes)
        signature_bytes = _control(reader, SIGNATURE_NAME, "bad-signature", limits.max_signature_bytes)
        if verified is not None:
            # a second pass over a package already verified: it must be the same package
            if (manifest_bytes, signature_bytes) != (verified.manifest_bytes, verified.signature_bytes):
                raise PackageRefused("corrupt", f"{path} changed since it was verified")
            manifest, signer = verified.manifest, verified.signer
            carried, reused, tree = verified.carried, verified.reused, verified.files
        else:
            manifest, signer = _signed_manifest(manifest_bytes, signature_bytes, keys, state, limits)
            carried, reused, tree = check_policy(manifest, state, now, pinned, limits)
        if manifest.kind != "notice":
            sums = _control(reader, SUMS_NAME, "bad-layout", limits.max_manifest_bytes)
            if sums != manifest.sha256sums():
                raise PackageRefused("hash-mismatch", f"{SUMS_NAME} does not match the manifest")
        if before_members is not None:
            before_members(manifest, tree, carried, reused)
        _read_members(reader, tree, set(carried), sink, limits)
        if after_members is not None:
            after_members(manifest, tree, reused)
        return Verified(path=Path(path), manifest=manifest, manifest_bytes=manifest_bytes,
                        signature_bytes=signature_bytes, signer=signer, state=state, carried=carried,
                        reused=reused, compressed_bytes=inflater.compressed, uncompressed_bytes=inflater.inflated,
                        files=tree)


def _open_package(path: Path, limits: Limits):
    """The package file open for reading: a regular file within the compressed-size limit."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such package file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read package: {exc.strerror}") from None
    try:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{path}: not a regular file")
        if st.st_size > limits.max_compressed_bytes:
            raise PackageRefused("bomb", f"{st.st_size} bytes compressed, over the limit of "
                                 f"{limits.max_compressed_bytes}")
    except BaseException:
        f.close()
        raise
    return f


def _signed_manifest(manifest_bytes: bytes, signature_bytes: bytes, keys: dict[str, list[PublicKey]],
                     state: TrustedState, limits: Limits) -> tuple[Manifest, PublicKey]:
    """The manifest, parsed only after its signature checked, and the key that signed it."""
    signer, comment = check_signature(manifest_bytes, signature_bytes, keys, state.revoked)
    manifest = parse_manifest(manifest_bytes, limits)
    if manifest.key_id != signer.key_id:
        raise PackageRefused("bad-manifest", f"manifest names key {manifest.key_id} but key "
                             f"{signer.key_id} signed it")
    if comment != manifest.trusted_comment():
        raise PackageRefused("bad-manifest", "the signed trusted comment disagrees with the manifest")
    return manifest, signer


def _read_members(reader: TarReader, files: dict[str, FileEntry], expected: set[str], sink: _Sink,
                  limits: Limits) -> None:
    """Every site member: expected, once, in order, of the listed size and digest; then none missing."""
    seen: set[str] = set()
    last = ""
    while (member := reader.next()) is not None:
        name = member.name
        rel = name[len(SITE_PREFIX):] if name.startswith(SITE_PREFIX) else None
        if rel not in expected:  # names the manifest lists were proven safe when it was parsed
            _refuse_unexpected(name, rel, seen, files, limits)
        if rel in seen:
            raise PackageRefused("unsafe-member", f"duplicate member {show(name)}")
        if rel <= last:
            raise PackageRefused("bad-layout", f"{show(name)} is out of order (members are sorted by path)")
        entry = files[rel]
        if member.size != entry.size:
            raise PackageRefused("hash-mismatch", f"{show(name)} is {member.size} bytes; the manifest says {entry.size}")
        if _copy_hashing(reader, sink, rel, entry) != entry.sha256:
            raise PackageRefused("hash-mismatch", f"{show(name)}: SHA-256 differs from the manifest")
        seen.add(rel)
        last = rel
    reader.finish()
    if len(seen) != len(expected):
        missing = sorted(expected - seen)
        raise PackageRefused("missing-file", f"{show(SITE_PREFIX + missing[0])} is listed but not in the package"
                             + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))


def _copy_hashing(reader: TarReader, sink: _Sink, rel: str, entry: FileEntry) -> str:
    """The current member's bytes into the sink; their SHA-256."""
    h = hashlib.sha256()
    handle = sink.begin(rel, entry)
    try:
        for chunk in reader.data():
            h.update(chunk)
            if handle is not None:
                sink.write(handle, chunk)
    finally:
        if handle is not None:
            sink.end(handle)
    return h.hexdigest()


def verify_package(path: str | os.PathLike, *, trusted_keys: Iterable[PublicKey],
                   state: TrustedState | None = None, limits: Limits = DEFAULT_LIMITS,
                   now: datetime) -> Verified:
    """Check a package against the pinned keys and the trusted state; write nothing.

    Raises PackageRefused (with `.reason`) when any check fails, InputError when the file cannot be read.
    A package still under embargo is returned (see `Verified.embargoed`): the receiver holds it.
    """
    pinned = tuple(trusted_keys)
    state = state or EMPTY_STATE
    return _scan(Path(path), keys=state.effective_keys(pinned), pinned=pinned, state=state, limits=limits,
                 now=now, sink=_Sink())


# --- staging ----------------------------------------------------------------------------------------------


class _Stager(_Sink):
    """Writes the resulting tree into a new directory; unchanged files become hard links to the previous one."""

    def __init__(self, staging_dir: Path, previous: Path | None, state: TrustedState, recheck: bool,
                 create: bool = True):
        self.root = staging_dir
        self.prefix = str(staging_dir) + os.sep  # string joins: this runs once per file of a national tree
        self.previous = previous
        self.previous_prefix = str(previous) + os.sep if previous is not None else ""
        self.state = state
        self.recheck = recheck
        self.linked: set[str] = set()
        self.dirs: set[str] = {""}
        self.mtime_ns = 0
        if not create:  # the directory is already there (a recycled release: _Patcher)
            return
        try:
            os.mkdir(staging_dir, 0o755)
        except FileExistsError:
            if not staging_dir.is_dir() or any(staging_dir.iterdir()):
                raise InputError(f"{staging_dir}: the staging directory exists and is not empty") from None
        except OSError as exc:
            raise InputError(f"{staging_dir}: cannot create the staging directory: {exc.strerror}") from None

    def _parent(self, rel: str) -> str:
        """The staged path of `rel`, its directories created (by us, so none of them is a link)."""
        parent = rel.rpartition("/")[0]
        if parent not in self.dirs:
            parts = parent.split("/")
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in self.dirs:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(self.prefix + d, 0o755)
                    self.dirs.add(d)
        return self.prefix + rel

    def _previous_ok(self, rel: str, entry: FileEntry) -> str | None:
        """The previous release's copy of an unchanged file, if it is really there and intact. Checked
        because a hard link shares the inode: a damaged file would otherwise live on in every release."""
        if self.previous is None:
            return None
        src = self.previous_prefix + rel
        try:
            fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size != entry.size:
                return None
            if self.recheck:
                h = hashlib.sha256()
                while chunk := os.read(fd, max(min(entry.size + 1, 1 << 20), 1)):
                    h.update(chunk)
                if h.hexdigest() != entry.sha256:
                    return None
        finally:
            os.close(fd)
        return src

    def link(self, rel: str, src: str) -> None:
        dst = self._parent(rel)
        try:
            os.link(src, dst, follow_symlinks=False)
        except OSError:  # another file system, or links not allowed: copy instead
            shutil.copyfile(src, dst, follow_symlinks=False)
            os.chmod(dst, 0o444)
        self.linked.add(rel)

    def prepare(self, manifest: Manifest, files: Mapping[str, FileEntry], carried, reused) -> None:
        """Before the members: files a full package carries unchanged are linked, not rewritten."""
        if manifest.corte_instant is not None:
            self.mtime_ns = int(manifest.corte_instant.timestamp()) * 1_000_000_000
        if self.state.files and self.previous is not None:
            for rel in carried:  # a full package: skip rewriting what did not change
                if self.state.files.get(rel) == files[rel]:
                    src = self._previous_ok(rel, files[rel])
                    if src is not None:
                        self.link(rel, src)

    def complete(self, manifest: Manifest, files: Mapping[str, FileEntry], reused) -> None:
        """After the members, all verified: what a delta keeps comes from the previous release."""
        for rel in reused:
            if self._kept(rel):  # already there (a recycled tree's)
                continue
            src = self._previous_ok(rel, files[rel])
            if src is None:
                where = self.previous if self.previous is not None else "no previous release given"
                raise PackageRefused("base-mismatch", f"the previous release ({where}) lacks an intact "
                                     f"{show(rel)}, which this delta keeps unchanged")
            self.link(rel, src)

    def _kept(self, rel: str) -> bool:
        return False

    def begin(self, rel: str, entry: FileEntry):
        if rel in self.linked:
            return None
        return os.open(self._parent(rel), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o444)

    def write(self, fd, data) -> None:
        while data:
            n = os.write(fd, data)
            data = data[n:]

    def end(self, fd) -> None:
        try:
            if self.mtime_ns:
                os.utime(fd, ns=(self.mtime_ns, self.mtime_ns))
        finally:
            os.close(fd)


class _Patcher(_Stager):
    """Stages a delta by patching an older release instead of building a tree from nothing: `staging_dir` is
    that release, already moved there (`verify_and_stage(recycle=…)`), whose tree `recycled` is (path → entry).
    Only what differs between its tree and the new one is touched, so staging costs what changed over the last
    cuts, not the size of the site (docs/difusor-operations.md, "Staging a delta"). Nothing is written through
    (the recycled tree's files are hard links shared with other releases): what changes is removed first, then
    created or linked anew under its free name (O_EXCL), or put in place by rename(2) if the name is taken."""

    TMP = "-nuevo"  # the scratch directory beside the staging one; gone before the tree is renamed into place

    def __init__(self, staging_dir: Path, previous: Path | None, state: TrustedState, recheck: bool,
                 recycled: dict[str, FileEntry]):
        super().__init__(staging_dir, previous, state, recheck, create=False)
        self.recycled = recycled
        self.serial = 0
        self.tmp = str(staging_dir) + self.TMP  # a sibling (same file system, a staging name): never in the tree
        shutil.rmtree(self.tmp, ignore_errors=True)
        os.mkdir(self.tmp, 0o700)

    def _scratch(self) -> str:
        self.serial += 1
        return f"{self.tmp}{os.sep}{self.serial}"

    def prepare(self, manifest: Manifest, files: Mapping[str, FileEntry], carried, reused) -> None:
        """Before the members: the recycled tree cut down to what the new tree keeps from it. Anything else
        under it goes (files the new tree drops, files of the recycled tree that change, strays nobody listed,
        links and specials), and directories left empty; a kept file must still be a regular file of its size."""
        if manifest.corte_instant is not None:
            self.mtime_ns = int(manifest.corte_instant.timestamp()) * 1_000_000_000
        self.files = files
        self.n_kept = 0
        self._prune("", self.prefix.rstrip(os.sep))
        # no set of the kept names (400,000 of them in the agent's 256 MB): each is asked again when needed
        self.all_kept = self.n_kept == sum(1 for rel in files if self._keeps(rel))

    def _keeps(self, rel: str) -> bool:
        """The new tree has `rel` as the recycled tree had it."""
        e = self.files.get(rel)
        return e is not None and self.recycled.get(rel) == e

    def _kept(self, rel: str) -> bool:
        """Left in place by _prune: what survived it is exactly what the new tree keeps (and when some of that
        was missing, the disk says which)."""
        return self._keeps(rel) and (self.all_kept or os.path.lexists(self.prefix + rel))

    def _prune(self, rel_dir: str, path: str) -> None:
        # the iterator, not a list: a national directory holds 70,000 sección pages (removing the entry just
        # read while reading on is well defined)
        with os.scandir(path) as it:
            for e in it:
                rel = rel_dir + e.name
                if e.is_dir(follow_symlinks=False):
                    self._prune(rel + "/", e.path)
                    with contextlib.suppress(OSError):  # empty now: not part of any kept path
                        os.rmdir(e.path)
                    continue
                if self._keeps(rel) and e.is_file(follow_symlinks=False) and (
                        not self.recheck or e.stat(follow_symlinks=False).st_size == self.recycled[rel].size):
                    self.n_kept += 1
                    self.dirs.add(rel_dir.rstrip("/"))
                    continue
                os.unlink(e.path)

    def _replace(self, src_tmp: str, rel: str) -> None:
        os.replace(src_tmp, self._parent(rel))

    def link(self, rel: str, src: str) -> None:
        # the name is free once _prune is done (what changes was removed): linked in place, one operation;
        # anything still there is replaced by rename, never written through
        dst = self._parent(rel)
        try:
            os.link(src, dst, follow_symlinks=False)
            self.linked.add(rel)
            return
        except OSError:  # the name is taken, or another file system / links not allowed: below
            pass
        tmp = self._scratch()
        try:
            os.link(src, tmp, follow_symlinks=False)
        except OSError:
            shutil.copyfile(src, tmp, follow_symlinks=False)
            os.chmod(tmp, 0o444)
        self._replace(tmp, rel)
        self.linked.add(rel)

    def complete(self, manifest: Manifest, files: Mapping[str, FileEntry], reused) -> None:
        """After the members: what the delta keeps and the recycled tree did not have comes from the live
        release; then the scratch directory goes."""
        super().complete(manifest, files, reused)
        os.rmdir(self.tmp)

    def cleanup(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def begin(self, rel: str, entry: FileEntry):
        if self._kept(rel):  # the recycled tree has these very bytes (a page back to what it was): hashed only
            return None
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:  # a free name (see link): created where it goes
            return os.open(self._parent(rel), flags, 0o444), None, rel
        except FileExistsError:
            tmp = self._scratch()
            return os.open(tmp, flags, 0o444), tmp, rel

    def write(self, handle, data) -> None:
        super().write(handle[0], data)

    def end(self, handle) -> None:
        fd, tmp, rel = handle
        super().end(fd)
        if tmp is not None:
            self._replace(tmp, rel)


def _staged(staging_dir, previous_release_dir, state, recheck, durable, run) -> Verified:
    staging = Path(staging_dir)
    stager = _Switch(_Stager(staging, Path(previous_release_dir) if previous_release_dir is not None else None,
                             state, recheck))
    try:
        verified = run(stager)
        if durable:
            os.sync()
        return verified
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        stager.cleanup()
        raise


class _Switch(_Sink):
    """The sink of one staging, which may turn from building a tree to patching a recycled one once the
    package has shown itself a signed, acceptable delta (before any member is read)."""

    def __init__(self, inner: _Stager):
        self.inner = inner

    def begin(self, rel, entry):
        return self.inner.begin(rel, entry)

    def write(self, handle, data) -> None:
        self.inner.write(handle, data)

    def end(self, handle) -> None:
        self.inner.end(handle)

    def prepare(self, manifest, files, carried, reused) -> None:
        self.inner.prepare(manifest, files, carried, reused)

    def complete(self, manifest, files, reused) -> None:
        self.inner.complete(manifest, files, reused)

    def cleanup(self) -> None:
        if isinstance(self.inner, _Patcher):
            self.inner.cleanup()


def verify_and_stage(path: str | os.PathLike, staging_dir: str | os.PathLike, *,
                     trusted_keys: Iterable[PublicKey], state: TrustedState | None = None,
                     previous_release_dir: str | os.PathLike | None = None, limits: Limits = DEFAULT_LIMITS,
                     now: datetime, durable: bool = True, recheck: bool = True,
                     recycle: Callable[[], dict[str, FileEntry] | None] | None = None) -> Verified:
    """`verify_package` and `stage` in one pass over the file.

    `staging_dir` must not exist (or be empty); it is removed again if any check fails, and nothing outside it
    is written. `previous_release_dir` is the live release of the current tree: needed for a delta, and for a
    full package it saves rewriting unchanged files. `recheck` hashes a previous file before linking it;
    `durable` syncs the file system before returning, so activation never exposes unwritten data. A notice
    leaves `staging_dir` empty: check `Verified.kind`.

    `recycle`: for a delta, once its signature, manifest and policy have passed and before any member is read,
    it is called to put an older release in place of the (still empty) `staging_dir` and return that release's
    tree, or None; the delta is then staged by patching it (_Patcher), at the cost of what differs. Anything
    refused earlier never touches the older release.
    """
    pinned = tuple(trusted_keys)
    state = state or EMPTY_STATE
    previous = Path(previous_release_dir) if previous_release_dir is not None else None

    def run(sink: _Switch):
        def before(manifest, files, carried, reused):
            if recycle is not None and manifest.kind == "delta":
                tree = recycle()
                if tree is not None:
                    sink.inner = _Patcher(Path(staging_dir), previous, state, recheck, tree)
            sink.prepare(manifest, files, carried, reused)
        return _scan(Path(path), keys=state.effective_keys(pinned), pinned=pinned, state=state, limits=limits,
                     now=now, sink=sink, before_members=before, after_members=sink.complete)
    return _staged(staging_dir, previous_release_dir, state, recheck, durable, run)


def stage(verified: Verified, staging_dir: str | os.PathLike, *,
          previous_release_dir: str | os.PathLike | None = None, limits: Limits = DEFAULT_LIMITS,
          durable: bool = True, recheck: bool = True) -> Path:
    """Materialize a verified package's resulting tree in `staging_dir`, re-checking every byte."""
    if verified.kind == "notice":
        raise InputError("a notice package has no tree to stage")
    _staged(staging_dir, previous_release_dir, verified.state, recheck, durable, lambda stager: _scan(
        verified.path, keys={}, pinned=(), state=verified.state, limits=limits, now=None, sink=stager,
        before_members=stager.prepare, after_members=stager.complete, verified=verified))
    return Path(staging_dir)


def read_unverified(path: str | os.PathLike, limits: Limits = DEFAULT_LIMITS) -> tuple[Manifest, bytes, bytes]:
    """The manifest and signature as shipped, without trusting them: for `pregon package show`."""
    p = Path(path)
    try:
        f = open(p, "rb")
    except OSError as exc:
        raise InputError(f"{p}: cannot read package: {exc.strerror}") from None
    with f:
        reader = TarReader(Inflater(f, limits), limits)
        manifest_bytes = _control(reader, MANIFEST_NAME, "bad-manifest", limits.max_manifest_bytes)
        signature_bytes = _control(reader, SIGNATURE_NAME, "bad-signature", limits.max_signature_bytes)
    return parse_manifest(manifest_bytes, limits), manifest_bytes, signature_bytes
