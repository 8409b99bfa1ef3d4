"""Building packages on the institute's side: full, delta and notice, byte-for-byte reproducible.

Reproducible means: the same site, sequence and options give the same .tar.gz (members sorted, fixed
owner/mode/mtime, PAX format, gzip header without name or time). Nothing is read from the wall clock; the
creation time defaults to the corte instant. The result is refused here, not at a thousand difusores, if
verify would refuse it: names are checked with the same rules and the manifest is re-parsed before signing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..errors import InputError
from ..times import parse_instant
from .errors import PackageRefused
from ..durable import atomic_file
from . import digestcache
from .keys import PublicKey, SecretKey
from .limits import DEFAULT_LIMITS, Limits
from .pgzip import ParallelGzipWriter
from .tarwrite import TarWriter
from . import treelist
from .manifest import (FORMAT_2, MANIFEST_NAME, NOTICE_TYPES, SIGNATURE_NAME, SITE_PREFIX, SUMS_NAME,
                       FileEntry, KeyChanges, Manifest, Notice, apply_changes, parse_manifest, tree_digest)
from .paths import find_collision, find_new_collision, path_problem

DEFAULT_TTL = timedelta(hours=48)
DELTA_FORMATS = (1, 2)  # 1: FORMAT, 2: FORMAT_2
DEFAULT_DELTA_FORMAT = 2
GZIP_LEVEL = 6
MAIN_JSON = "json/main.json"
_TTL_RE = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_ttl(text: str) -> timedelta:
    """'90m', '24h', '14d', '3600s'."""
    m = _TTL_RE.fullmatch(text.strip())
    if not m or int(m.group(1)) == 0:
        raise InputError(f"TTL {text!r}: expected a positive number followed by s, m, h or d (e.g. 48h)")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def scan_site(site: str | os.PathLike, limits: Limits = DEFAULT_LIMITS,
              cache: str | os.PathLike | None = None) -> tuple[FileEntry, ...]:
    """Every regular file under `site`, sorted, with size and SHA-256. Symlinks and specials are errors:
    a difusor must get the same bytes whatever its file system does with links.

    `cache` (package/digestcache.py) remembers digests by inode and stat: a file unchanged since the last scan
    (a page the incremental render hard-linked across) is not read again. It is rewritten after the scan."""
    root = Path(site)
    if not root.is_dir():
        raise InputError(f"{root}: not a site directory")
    started_ns = time.time_ns()
    found = _walk(root, "")
    if len(found) > limits.max_files:
        raise InputError(f"{root}: {len(found)} files, over the limit of {limits.max_files}")
    known = digestcache.load(Path(cache)) if cache is not None else {}
    seen: dict = {}
    entries = []
    for rel, p, st in sorted(found):
        problem = path_problem(rel, limits)
        if problem:
            raise InputError(f"{root}/{rel!r}: {problem}; rename it")
        key = (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns)
        digest = seen.get(key) or known.get(key)
        size = st.st_size
        if digest is None:  # hashed here, in one thread: a page is too small to share out (GIL hand-offs cost more)
            with open(p, "rb") as f:
                fst = os.fstat(f.fileno())
                size = fst.st_size
                digest = hashlib.file_digest(f, "sha256").hexdigest()
            key = (fst.st_ino, fst.st_dev, fst.st_size, fst.st_mtime_ns)
        seen[key] = digest
        entries.append(FileEntry(rel, size, bytes.fromhex(digest)))
    clash = find_collision(e.path for e in entries)
    if clash:
        raise InputError(f"{root}: {clash[0]!r} and {clash[1]!r}: {clash[2]}")
    if cache is not None:
        digestcache.save(Path(cache), seen, started_ns)
    return tuple(entries)


def tree_after(site: str | os.PathLike, base: Mapping[str, FileEntry], changed: Iterable[str],
               limits: Limits = DEFAULT_LIMITS) -> tuple[FileEntry, ...]:
    """The site's tree from the base's and the paths that may have changed since (written or removed), the
    only ones looked at: what lets a delta of a national site cost its changes, not its 400,000 files. Every
    other path of `base` must be in the site as it was (an incremental render's report says which:
    site/render.py BuildReport.changed); a path of `changed` that is gone is removed, and one that ends in
    `/` names a directory whose every file is read again (its files in `base` that are gone, removed)."""
    root = Path(site)
    if not root.is_dir():
        raise InputError(f"{root}: not a site directory")
    changed = list(changed)
    paths = {rel for rel in changed if not rel.endswith("/")}
    for d in sorted({rel for rel in changed if rel.endswith("/")}):
        paths.update(p for p in base if p.startswith(d))
        paths.update(rel for rel, _p, _st in _walk(root, d))
    entries, gone = [], []
    prefix = str(root) + os.sep
    for rel in sorted(paths):
        problem = path_problem(rel, limits)
        if problem:
            raise InputError(f"{root}/{rel!r}: {problem}; rename it")
        try:
            fd = os.open(prefix + rel, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            gone.append(rel)
            continue
        except OSError as exc:
            raise InputError(f"{root}/{rel}: cannot read it ({exc.strerror}); symbolic links are not packaged, "
                             "copy the file instead") from None
        with open(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise InputError(f"{root}/{rel}: not a regular file")
            entries.append(FileEntry(rel, st.st_size, hashlib.file_digest(f, "sha256").digest()))
    tree = apply_changes(base, entries, gone)
    if len(tree) > limits.max_files:
        raise InputError(f"{root}: {len(tree)} files, over the limit of {limits.max_files}")
    clash = find_new_collision((e.path for e in entries if e.path not in base), tree)
    if clash:
        raise InputError(f"{root}: {clash[0]!r} and {clash[1]!r}: {clash[2]}")
    return tuple(tree.values())


def _walk(root: Path, d: str) -> list[tuple[str, str, os.stat_result]]:
    """(path relative to the site, path, stat) of every file under directory `d` of the site (none when it
    is not there). Symlinks and specials are errors: a difusor must get the same bytes whatever its file
    system does with links."""
    found: list[tuple[str, str, os.stat_result]] = []

    def walk(path: str, prefix: str) -> None:
        with os.scandir(path) as it:
            for e in it:
                rel = prefix + e.name
                if e.is_symlink():
                    raise InputError(f"{root}/{rel}: symbolic links are not packaged; copy the file instead")
                if e.is_dir(follow_symlinks=False):
                    walk(e.path, rel + "/")
                elif e.is_file(follow_symlinks=False):
                    found.append((rel, e.path, e.stat(follow_symlinks=False)))
                else:
                    raise InputError(f"{root}/{rel}: not a regular file or directory")

    top = os.path.join(root, d)
    if d and os.path.islink(top.rstrip("/")):
        raise InputError(f"{root}/{d.rstrip('/')}: symbolic links are not packaged; copy the files instead")
    if d and not os.path.isdir(top):
        return found
    walk(top, d)
    return found


@dataclass(frozen=True)
class SiteIdentity:
    """What the site says about itself in json/main.json (each part optional)."""

    election: str | None = None
    corte_sequence: int | None = None
    instant: datetime | None = None
    issuer: str | None = None


def read_identity(site: str | os.PathLike) -> SiteIdentity:
    path = Path(site) / MAIN_JSON
    try:
        obj = json.loads(path.read_bytes())
    except FileNotFoundError:
        return SiteIdentity()
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the corte identity: {exc}") from None
    proceso = obj.get("proceso") if isinstance(obj, dict) else None
    corte = obj.get("corte") if isinstance(obj, dict) else None
    proceso = proceso if isinstance(proceso, dict) else {}
    corte = corte if isinstance(corte, dict) else {}
    election, seq, instant, issuer = proceso.get("id"), corte.get("secuencia"), corte.get("instante"), proceso.get("instituto")
    if election is not None and not isinstance(election, str):
        raise InputError(f"{path}: field proceso.id must be a string")
    if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool) or seq < 0):
        raise InputError(f"{path}: field corte.secuencia must be a non-negative integer")
    if instant is not None:
        if not isinstance(instant, str):
            raise InputError(f"{path}: field corte.instante must be a string")
        instant = parse_instant(instant, f"{path}: field corte.instante")
    return SiteIdentity(election, seq, instant, issuer if isinstance(issuer, str) else None)


def write_archive(out: str | os.PathLike, manifest: Manifest, signature: bytes, site: Path | None,
                  carried: Sequence[str]) -> None:
    """Write the .tar.gz (atomically: a difusor pulling never sees half a package under the final name). Each
    carried file is hashed again as it is written: one that changed since the scan is caught, not shipped."""
    out = Path(out)
    mtime = int((manifest.corte_instant or manifest.created).timestamp())
    files = manifest.file_map
    prefix = str(site) + os.sep if site is not None else ""
    with atomic_file(out) as raw:
        with ParallelGzipWriter(raw, GZIP_LEVEL) as gz:
            tar = TarWriter(gz)
            tar.add_bytes(MANIFEST_NAME, manifest.encode(), mtime)
            tar.add_bytes(SIGNATURE_NAME, signature, mtime)
            if manifest.kind != "notice":
                tar.add_bytes(SUMS_NAME, manifest.sha256sums(), mtime)
            for rel in carried:
                entry = files[rel]
                tar.add_file(SITE_PREFIX + rel, prefix + rel, entry.size, entry.sha256, mtime)
            tar.close()


def _key_changes(add: Sequence[PublicKey], revoke: Sequence[str]) -> KeyChanges | None:
    if not add and not revoke:
        return None
    return KeyChanges(tuple(add), tuple(sorted(set(revoke))))


def _finish(manifest: Manifest, key: SecretKey, limits: Limits) -> tuple[Manifest, bytes]:
    """Re-parse what we are about to sign, so a package verify would refuse is never sent."""
    data = manifest.encode()
    try:
        parsed = parse_manifest(data, limits)
    except PackageRefused as exc:
        raise InputError(f"the package would be refused: {exc.detail}") from None
    return parsed, key.sign(data, parsed.trusted_comment())


def _times(created: datetime, not_before: datetime | None, expires: datetime | None,
           ttl: timedelta) -> tuple[datetime, datetime, datetime]:
    not_before = not_before or created
    expires = expires or created + ttl
    if expires <= created or expires <= not_before:
        raise InputError(f"expiry {expires.isoformat()} must be later than creation and not-before")
    return created, not_before, expires


def _base_tree(base: Path, base_sequence: int | None,
               limits: Limits) -> tuple[Mapping[str, FileEntry], int, str | None]:
    """The base of a delta: a site directory, the earlier package itself, or its tree listing (`--tree-out`):
    the last two need no re-hashing. With the files and the sequence, the tree's digest when it was computed
    on the way (a listing named by it), so it is not computed twice."""
    if base.is_file() and base.suffix == TREE_SUFFIX:
        kept = _written_listing(base)
        if kept is not None:
            files, digest = kept
        else:
            try:
                with open(base, "rb") as f:
                    files = treelist.read(f)
            except (OSError, ValueError, UnicodeDecodeError) as exc:
                raise InputError(f"{base}: not a tree listing ({exc}); give the base site or package instead") from None
            digest = tree_digest(files.values()) if _HEX64.fullmatch(base.stem) else None
        if digest is not None and _HEX64.fullmatch(base.stem) and digest != base.stem:
            raise InputError(f"{base}: not the tree its name says (damaged?); give the base site instead")
        if base_sequence is None:
            raise InputError(f"{base}: a tree listing does not say its package's sequence; pass --base-sequence")
        return files, base_sequence, digest
    if base.is_file():
        from .verify import read_unverified

        try:
            m, _, _ = read_unverified(base, limits)
        except PackageRefused as exc:
            raise InputError(f"{base}: not a readable package: {exc.detail}") from None
        if m.kind == "notice":
            raise InputError(f"{base}: a notice package has no tree to build a delta on")
        if m.lists_changes:
            raise InputError(f"{base}: a format-2 delta lists only its changes, not its tree; give its tree "
                             f"listing ({TREE_SUFFIX}, written by --tree-out) or the base site instead")
        return m.file_map, base_sequence if base_sequence is not None else m.sequence, m.tree
    files = scan_site(base, limits)
    if base_sequence is None:
        base_sequence = read_identity(base).corte_sequence
    if base_sequence is None:
        raise InputError(f"{base}: no corte.secuencia in {MAIN_JSON}; pass --base-sequence")
    return {f.path: f for f in files}, base_sequence, None


TREE_SUFFIX = ".list"  # a listing named <tree digest>.list is checked against its name when read
_HEX64 = re.compile(r"[0-9a-f]{64}")
# the last listing this process wrote (Built.write_tree), by path: (its stat, its tree's digest, the tree). The
# scheduler writes each cut's listing and builds the next delta on it 15 minutes later: while the file is the
# one written, it is not read back (a national listing is 412,000 lines)
_WRITTEN: dict[str, tuple[tuple, str, dict[str, FileEntry]]] = {}


def _stat_key(path: Path) -> tuple:
    st = path.stat()
    return st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns


def _written_listing(path: Path) -> tuple[dict[str, FileEntry], str] | None:
    hit = _WRITTEN.get(os.path.abspath(path))
    try:
        if hit is None or hit[0] != _stat_key(path):
            return None
    except OSError:
        return None
    return hit[2], hit[1]


@dataclass(frozen=True)
class Built:
    manifest: Manifest
    carried: tuple[str, ...]  # tree paths whose bytes travel in the archive
    path: Path
    files: tuple[FileEntry, ...] = ()  # the resulting tree (a format-2 delta's manifest lists only changes)

    def write_tree(self, out: str | os.PathLike) -> None:
        """The resulting tree as a listing (package/treelist.py): the base of the next delta, unhashed."""
        with atomic_file(Path(out)) as f:
            treelist.write(f, self.files)
        _WRITTEN.clear()
        _WRITTEN[os.path.abspath(out)] = (_stat_key(Path(out)), self.manifest.tree, {e.path: e for e in self.files})


def build_package(site: str | os.PathLike, *, key: SecretKey, sequence: int, out: str | os.PathLike,
                  base: str | os.PathLike | None = None, base_sequence: int | None = None,
                  election: str | None = None, instant: datetime | None = None, corte_sequence: int | None = None,
                  issuer: str | None = None, created: datetime | None = None, not_before: datetime | None = None,
                  expires: datetime | None = None, ttl: timedelta = DEFAULT_TTL,
                  add_keys: Sequence[PublicKey] = (), revoke_keys: Sequence[str] = (),
                  limits: Limits = DEFAULT_LIMITS, digest_cache: str | os.PathLike | None = None,
                  delta_format: int = DEFAULT_DELTA_FORMAT, changed: Iterable[str] | None = None) -> Built:
    """A full package of `site`, or a delta against `base` (a site directory, the earlier package or its tree
    listing).

    Options override what json/main.json says; the creation time defaults to the corte instant.
    `digest_cache`: see `scan_site` (what makes a delta of a hard-linked site cost what changed).
    `delta_format`: 2 lists only the changes in a delta's manifest (docs/protocol.md 3.5); 1 lists the whole
    tree, for difusores whose verifier predates format 2. Full packages are written in format 1 either way.
    `changed`: for a delta, the site's paths that may differ from the base (see `tree_after`); the site is then
    not walked. Stated by the caller (the scheduler, from the render's report), not found out here: a wrong
    list gives a package whose tree is not the site's, so pass it only for a site rendered from the base's.
    """
    if delta_format not in DELTA_FORMATS:
        raise InputError(f"delta format {delta_format}: expected one of {', '.join(map(str, DELTA_FORMATS))}")
    site = Path(site)
    # a site that is not pregon's (an institute's own system) may say anything in its main.json: when the
    # caller states every part of the identity, the site is not asked
    given = None not in (election, instant, corte_sequence, issuer)
    ident = SiteIdentity() if given else read_identity(site)
    election = election or ident.election
    instant = instant or ident.instant
    if election is None:
        raise InputError(f"{site}: no proceso.id in {MAIN_JSON}; pass --election-id")
    if instant is None:
        raise InputError(f"{site}: no corte.instante in {MAIN_JSON}; pass --instant")
    created, not_before, expires = _times(created or instant, not_before, expires, ttl)
    if base is not None:
        old, base_seq, base_tree = _base_tree(Path(base), base_sequence, limits)
    if base is not None and changed is not None:
        files = tree_after(site, old, changed, limits)
    else:
        files = scan_site(site, limits, cache=digest_cache)
    common = dict(
        issuer=issuer or ident.issuer or "unspecified", key_id=key.key_id, election=election, sequence=sequence,
        created=created, not_before=not_before, expires=expires,
        corte_sequence=corte_sequence if corte_sequence is not None else (
            ident.corte_sequence if ident.corte_sequence is not None else sequence),
        corte_instant=instant, files=files, keys=_key_changes(add_keys, revoke_keys))
    if base is None:
        manifest = Manifest(kind="full", **common)
        carried = [f.path for f in files]
    else:
        new = {f.path for f in files}
        diff = tuple(f for f in files if old.get(f.path) != f)
        delta = dict(kind="delta", base_sequence=base_seq, base_tree=base_tree or tree_digest(old.values()),
                     removed=tuple(sorted(p for p in old if p not in new)))
        if delta_format == 2:
            common.update(files=diff, format=FORMAT_2, _tree=tree_digest(files))
        manifest = Manifest(**delta, **common)
        carried = [f.path for f in diff]
    manifest, signature = _finish(manifest, key, limits)
    write_archive(out, manifest, signature, site, carried)
    return Built(manifest, tuple(carried), Path(out), files)


def build_notice(*, key: SecretKey, sequence: int, election: str, notice_type: str, message: str,
                 created: datetime, out: str | os.PathLike, to: Sequence[str] = (), issuer: str = "unspecified",
                 not_before: datetime | None = None, expires: datetime | None = None, ttl: timedelta = DEFAULT_TTL,
                 add_keys: Sequence[PublicKey] = (), revoke_keys: Sequence[str] = (),
                 limits: Limits = DEFAULT_LIMITS) -> Built:
    """A signed institute message the difusor must show (or a withdrawal); it carries no site files."""
    if notice_type not in NOTICE_TYPES:
        raise InputError(f"notice type {notice_type!r}: expected one of {', '.join(NOTICE_TYPES)}")
    created, not_before, expires = _times(created, not_before, expires, ttl)
    manifest = Manifest(
        issuer=issuer, key_id=key.key_id, election=election, sequence=sequence, kind="notice", created=created,
        not_before=not_before, expires=expires, notice=Notice(notice_type, message, tuple(to)),
        keys=_key_changes(add_keys, revoke_keys))
    manifest, signature = _finish(manifest, key, limits)
    write_archive(out, manifest, signature, None, ())
    return Built(manifest, (), Path(out))
