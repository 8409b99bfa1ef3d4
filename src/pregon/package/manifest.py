"""The manifest: what a package claims, as the institute signed it.

Parsing is strict because the manifest is the only thing the signature covers: every field typed, no unknown
or duplicate keys, paths safe, the tree digest recomputed. Anything else is refused with a reason code before
a single site byte is trusted. The encoder is canonical (sorted keys, no spaces, UTF-8, one line) so the same
inputs give the same bytes; the verifier does not demand canonical bytes, because it checks the signature
over the bytes as shipped.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import NamedTuple

from ..errors import InputError
from ..times import parse_instant
from .errors import PackageRefused, show
from .keys import PublicKey, parse_public_key
from .limits import DEFAULT_LIMITS, Limits
from .paths import find_collision, path_problem

FORMAT = "pregon-package/1"
# format 2 changes one thing: a delta's `files` lists only what is new or changed (docs/protocol.md 3.5), so a
# delta's manifest costs what changed. Full packages and notices are the same in both; the builder writes them
# as format 1, which every verifier reads.
FORMAT_2 = "pregon-package/2"
FORMATS = (FORMAT, FORMAT_2)
KINDS = ("full", "delta", "notice")
NOTICE_TYPES = ("suspension", "not-official", "maintenance", "withdrawal", "message", "clear")

# archive layout: these members come first, in this order; the site follows under SITE_PREFIX
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.json.minisig"
SUMS_NAME = "SHA256SUMS"
SITE_PREFIX = "site/"

_ELECTION_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_KEY_ID_RE = re.compile(r"[0-9A-F]{16}")
_HEX64_RE = re.compile(r"[0-9a-f]{64}")
_MAX_TEXT = 4000


class FileEntry(NamedTuple):
    """One file of a tree. A tuple, its digest raw bytes: a national tree holds 412,000 of them, in the agent
    too (256 MB), and a tuple is made and compared in C; equal entries of two trees are mostly the same object
    (treelist.read(share=))."""

    path: str
    size: int
    digest: bytes  # SHA-256, 32 bytes

    @property
    def sha256(self) -> str:
        return self.digest.hex()


@dataclass(frozen=True)
class Notice:
    type: str
    message: str
    to: tuple[str, ...] = ()

    def to_json(self) -> dict:
        d = {"type": self.type, "message": self.message}
        if self.to:
            d["to"] = list(self.to)
        return d


@dataclass(frozen=True)
class KeyChanges:
    """A rotation step: keys to trust from now on, key ids to stop trusting (see docs/protocol.md)."""

    add: tuple[PublicKey, ...] = ()
    revoke: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"add": [k.line for k in self.add], "revoke": list(self.revoke)}


def format_time(t: datetime) -> str:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError("times in a manifest carry a UTC offset")
    return t.replace(microsecond=0).isoformat()


def render_sums(files) -> bytes:
    """SHA256SUMS for a tree, in the layout `sha256sum -c` reads: digest, two spaces, path."""
    return "".join(f"{f.sha256}  {f.path}\n" for f in files).encode("utf-8")


def tree_digest(files) -> str:
    """A tree's identity: SHA-256 of its SHA256SUMS, so `sha256sum SHA256SUMS` computes it too. Hashed a batch
    of lines at a time: a national SHA256SUMS is 35 MB the agent need not hold."""
    h, batch = hashlib.sha256(), []
    for f in files:
        batch.append(f"{f.sha256}  {f.path}\n")
        if len(batch) == 8192:
            h.update("".join(batch).encode("utf-8"))
            batch.clear()
    h.update("".join(batch).encode("utf-8"))
    return h.hexdigest()


def apply_changes(base: Mapping[str, FileEntry], changes: Iterable[FileEntry],
                  removed: Iterable[str]) -> dict[str, FileEntry]:
    """The tree a delta leads to: `base` without `removed`, with `changes` added or replacing, sorted by path.
    (Both inputs are sorted, so the sort merges two runs: linear, not n log n.)"""
    changes = list(changes)
    drop = set(removed)
    drop.update(f.path for f in changes)
    entries = [e for p, e in base.items() if p not in drop]
    entries += changes
    entries.sort(key=_path)
    return {e.path: e for e in entries}


def _path(e: FileEntry) -> str:
    return e.path


@dataclass(frozen=True)
class Manifest:
    issuer: str
    key_id: str
    election: str
    sequence: int
    kind: str
    created: datetime
    not_before: datetime
    expires: datetime
    corte_sequence: int | None = None
    corte_instant: datetime | None = None
    files: tuple[FileEntry, ...] = ()
    base_sequence: int | None = None
    base_tree: str | None = None
    removed: tuple[str, ...] = ()
    notice: Notice | None = None
    keys: KeyChanges | None = None
    format: str = FORMAT
    _tree: str | None = field(default=None, repr=False, compare=False)

    @property
    def lists_changes(self) -> bool:
        """A format-2 delta: `files` holds the new and changed entries, not the resulting tree."""
        return self.kind == "delta" and self.format == FORMAT_2

    @cached_property
    def tree(self) -> str | None:
        """Digest of the resulting tree (None for a notice, which leaves the tree as it is)."""
        if self.kind == "notice":
            return None
        if self.lists_changes and self._tree is None:
            raise ValueError("a format-2 delta states its tree; it cannot be computed from the changes alone")
        return self._tree or tree_digest(self.files)

    @cached_property
    def file_map(self) -> dict[str, FileEntry]:
        return {f.path: f for f in self.files}

    def sha256sums(self) -> bytes:
        """The SHA256SUMS member: of the whole tree, or (format-2 delta) of the files it carries."""
        return render_sums(self.files)

    def trusted_comment(self) -> str:
        """What minisign -V prints: enough for a shell check of identity, order and freshness."""
        parts = [self.format, f"election={self.election}", f"sequence={self.sequence}", f"kind={self.kind}"]
        if self.kind == "delta":
            parts.append(f"base={self.base_tree}")
        if self.tree is not None:
            parts.append(f"tree={self.tree}")
        parts.append(f"expires={format_time(self.expires)}")
        return " ".join(parts)

    def to_json(self) -> dict:
        d: dict = {
            "format": self.format,
            "issuer": self.issuer,
            "key_id": self.key_id,
            "election": self.election,
            "sequence": self.sequence,
            "kind": self.kind,
            "created": format_time(self.created),
            "not_before": format_time(self.not_before),
            "expires": format_time(self.expires),
        }
        if self.kind != "notice":
            d["corte"] = {"sequence": self.corte_sequence, "instant": format_time(self.corte_instant)}
            d["tree"] = self.tree
            d["files"] = [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files]
        if self.kind == "delta":
            d["base"] = {"sequence": self.base_sequence, "tree": self.base_tree}
            d["removed"] = list(self.removed)
        if self.notice is not None:
            d["notice"] = self.notice.to_json()
        if self.keys is not None:
            d["keys"] = self.keys.to_json()
        return d

    def encode(self) -> bytes:
        """Canonical bytes: sorted keys, no insignificant whitespace, UTF-8, one trailing newline."""
        return canonical_json(self.to_json())


def canonical_json(obj) -> bytes:
    return (json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


# --- parsing ----------------------------------------------------------------------------------------------


def _bad(detail: str) -> PackageRefused:
    return PackageRefused("bad-manifest", detail)


def _no_duplicates(pairs):
    d = dict(pairs)  # one C call per object: a national manifest has 400,000 of them
    if len(d) != len(pairs):
        seen = set()
        for k, _v in pairs:
            if k in seen:
                raise _bad(f"duplicate key {show(k)}")
            seen.add(k)
    return d


def _reject_constant(name):
    raise _bad(f"non-standard JSON constant {name}")


def _reject_float(text):
    raise _bad(f"non-integer number {text}")


class _Fields:
    """Typed access to one JSON object, remembering which keys were read so unknown ones are refused."""

    def __init__(self, obj, where: str):
        if not isinstance(obj, dict):
            raise _bad(f"{where} must be an object")
        self.obj, self.where, self.seen = obj, where, set()

    def _get(self, key, required):
        self.seen.add(key)
        if key not in self.obj:
            if required:
                raise _bad(f"missing field {self.where}{key}")
            return None
        return self.obj[key]

    def str(self, key, *, required=True, pattern=None, max_len=_MAX_TEXT):
        v = self._get(key, required)
        if v is None and not required:
            return None
        if not isinstance(v, str) or len(v) > max_len or (pattern and not pattern.fullmatch(v)):
            raise _bad(f"field {self.where}{key} has an invalid value {show(str(v))}")
        return v

    def int(self, key, *, required=True):
        v = self._get(key, required)
        if v is None and not required:
            return None
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise _bad(f"field {self.where}{key} must be a non-negative integer")
        return v

    def time(self, key):
        """An instant with its UTC offset, written exactly (the signed bytes admit no padding)."""
        v = self.str(key, max_len=64)
        if v == v.strip():
            try:
                return parse_instant(v, f"field {self.where}{key}")
            except InputError:
                pass
        raise _bad(f"field {self.where}{key} is not an ISO 8601 time with offset: {show(v)}")

    def list(self, key, *, required=True):
        v = self._get(key, required)
        if v is None and not required:
            return None
        if not isinstance(v, list):
            raise _bad(f"field {self.where}{key} must be a list")
        return v

    def obj_(self, key, *, required=True):
        v = self._get(key, required)
        if v is None and not required:
            return None
        return _Fields(v, f"{self.where}{key}.")

    def absent(self, *keys):
        for k in keys:
            if k in self.obj:
                raise _bad(f"field {self.where}{k} does not belong in this kind of package")
            self.seen.add(k)

    def done(self):
        extra = sorted(set(self.obj) - self.seen)
        if extra:
            raise _bad(f"unknown field {self.where}{extra[0]}")


def _check_path(path, limits: Limits, where: str) -> str:
    if not isinstance(path, str):
        raise _bad(f"{where}: path must be a string")
    problem = path_problem(path, limits)
    if problem:
        raise PackageRefused("unsafe-member", f"{where} {show(path)}: {problem}")
    return path


_FILE_KEYS = {"path", "size", "sha256"}


def _parse_files(items, limits: Limits) -> tuple[FileEntry, ...]:
    if len(items) > limits.max_files:
        raise PackageRefused("bomb", f"manifest lists {len(items)} files, over the limit of {limits.max_files}")
    files, total, prev = [], 0, None
    hex64 = _HEX64_RE.fullmatch
    for i, item in enumerate(items):
        # one tight loop: a national tree lists a million entries
        if type(item) is not dict or item.keys() != _FILE_KEYS:
            f = _Fields(item, f"files[{i}].")
            f.str("path"), f.int("size"), f.str("sha256")
            f.done()
        path, size, sha = item["path"], item["size"], item["sha256"]
        if type(path) is not str:
            raise _bad(f"field files[{i}].path must be a string")
        if type(size) is not int or size < 0:
            raise _bad(f"field files[{i}].size must be a non-negative integer")
        if type(sha) is not str or not hex64(sha):
            raise _bad(f"field files[{i}].sha256 must be 64 lower-case hex digits")
        _check_path(path, limits, "manifest file")
        if prev is not None and path <= prev:
            raise _bad(f"files are not sorted and unique at {show(path)}")
        if size > limits.max_file_bytes:
            raise PackageRefused("bomb", f"{show(path)} is {size} bytes, over the limit of {limits.max_file_bytes}")
        total += size
        prev = path
        files.append(FileEntry(path, size, bytes.fromhex(sha)))
    if total > limits.max_uncompressed_bytes:
        raise PackageRefused("bomb", f"the tree totals {total} bytes, over the limit of {limits.max_uncompressed_bytes}")
    clash = find_collision(f.path for f in files)
    if clash:
        a, b, why = clash
        raise PackageRefused("unsafe-member", f"{show(a)} and {show(b)}: {why}")
    return tuple(files)


def parse_manifest(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Manifest:
    """Bytes of manifest.json to a Manifest, or PackageRefused (bad-manifest, unknown-format, ...)."""
    obj = _decode(data)
    m = _Fields(obj, "")
    fmt = m.str("format")
    kind = m.str("kind", max_len=16)
    if kind not in KINDS:
        raise _bad(f"field kind must be one of {', '.join(KINDS)}, not {show(kind)}")
    args = _header(m, kind)
    args["format"] = fmt
    if kind == "notice":
        m.absent("corte", "tree", "files", "base", "removed")
        args["notice"] = _notice(m.obj_("notice"))
    else:
        m.absent("notice")
        args.update(_tree(m, kind, args["sequence"], limits, changes_only=kind == "delta" and fmt == FORMAT_2))
    k = m.obj_("keys", required=False)
    if k is not None:
        args["keys"] = _key_changes(k)
    m.done()
    return Manifest(**args)


def _decode(data: bytes) -> dict:
    """The manifest's JSON object, strictly (no duplicate keys, floats or NaN), in a format this verifier knows."""
    try:
        obj = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_reject_constant,
            parse_float=_reject_float,
        )
    except UnicodeDecodeError:
        raise _bad("manifest is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise _bad(f"manifest is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    if not isinstance(obj, dict):
        raise _bad("manifest must be a JSON object")
    fmt = obj.get("format")
    if not isinstance(fmt, str):
        raise _bad("missing field format")
    if fmt not in FORMATS:
        raise PackageRefused("unknown-format", f"manifest format {show(fmt)}; this verifier knows "
                             f"{' and '.join(FORMATS)}")
    return obj


def _header(m: _Fields, kind: str) -> dict:
    """The fields every kind carries: who signed it, for which election, its sequence and its times."""
    args = dict(
        issuer=m.str("issuer", max_len=200),
        key_id=m.str("key_id", pattern=_KEY_ID_RE),
        election=m.str("election", pattern=_ELECTION_RE),
        sequence=m.int("sequence"),
        kind=kind,
        created=m.time("created"),
        not_before=m.time("not_before"),
        expires=m.time("expires"),
    )
    if any(ord(c) < 0x20 for c in args["issuer"]):
        raise _bad("field issuer has a control character")
    if args["expires"] <= args["created"] or args["expires"] <= args["not_before"]:
        raise _bad("field expires must be later than created and not_before")
    return args


def _notice(n: _Fields) -> Notice:
    ntype = n.str("type", max_len=32)
    if ntype not in NOTICE_TYPES:
        raise _bad(f"field notice.type must be one of {', '.join(NOTICE_TYPES)}, not {show(ntype)}")
    message = n.str("message")
    to = n.list("to", required=False) or []
    if not all(isinstance(t, str) and 0 < len(t) <= 200 for t in to):
        raise _bad("field notice.to must be a list of difusor ids")
    n.done()
    return Notice(ntype, message, tuple(to))


def _tree(m: _Fields, kind: str, sequence: int, limits: Limits, changes_only: bool) -> dict:
    """A full or delta package's corte, files and tree digest (and a delta's base and removals).

    `changes_only` (a format-2 delta): the tree digest covers the base tree with the changes applied, which
    only the verifier's trusted state can rebuild; check_policy checks it there, and the whole tree's limits
    and name collisions with it."""
    args = {}
    c = m.obj_("corte")
    args["corte_sequence"] = c.int("sequence")
    args["corte_instant"] = c.time("instant")
    c.done()
    files = _parse_files(m.list("files"), limits)
    args["files"] = files
    tree = m.str("tree", pattern=_HEX64_RE)
    if not changes_only and tree != tree_digest(files):
        raise _bad("field tree is not the SHA-256 of the files' SHA256SUMS")
    args["_tree"] = tree
    if kind == "delta":
        args.update(_delta(m, files, sequence, limits))
    else:
        m.absent("base", "removed")
    return args


def _delta(m: _Fields, files: tuple[FileEntry, ...], sequence: int, limits: Limits) -> dict:
    b = m.obj_("base")
    args = {"base_sequence": b.int("sequence"), "base_tree": b.str("tree", pattern=_HEX64_RE)}
    b.done()
    if args["base_sequence"] >= sequence:
        raise _bad("field base.sequence must be lower than sequence")
    removed = m.list("removed")
    for p in removed:
        _check_path(p, limits, "removed")
    if removed != sorted(set(removed)):
        raise _bad("field removed is not sorted and unique")
    present = {f.path for f in files}
    both = [p for p in removed if p in present]
    if both:
        raise _bad(f"{show(both[0])} is both removed and listed")
    args["removed"] = tuple(removed)
    return args


def _key_changes(k: _Fields) -> KeyChanges:
    try:
        add = tuple(parse_public_key(line, "keys.add") for line in k.list("add") if isinstance(line, str))
    except InputError as exc:
        raise _bad(str(exc)) from None
    if len(add) != len(k.obj["add"]):
        raise _bad("field keys.add must list public keys as base64 strings")
    revoke = k.list("revoke")
    if not all(isinstance(r, str) and _KEY_ID_RE.fullmatch(r) for r in revoke):
        raise _bad("field keys.revoke must list key ids (16 upper-case hex digits)")
    k.done()
    if {a.key_id for a in add} & set(revoke):
        raise _bad("a key is both added and revoked")
    return KeyChanges(add, tuple(revoke))
