"""Cortes from the PREP system an institute already runs: what it drops into a directory, one drop per corte.

A drop is a file or directory in `[source] dir`: the published database zip(s) of a corte (kind `database`),
or the system's own finished publication — a directory, a .zip or a .tar.gz (kind `site`). A drop is taken
only once complete: under `ready = "rename"` when it appears under its final name (a name starting with "."
or ending in .part, .tmp, .partial, .filepart or ~ is still being written), under `ready = "marker"` when
`<name><marker>` appears beside it. Drops are taken in name order; what one changes after being taken (its
size or time) is looked at again.

The corte instant of a `site` drop comes from a JSON field inside it, from its name, or from the database
inside it; of a `database` drop, from its databases' corte line. A site is copied byte for byte: nothing in it
is pregon's to change. Archives are untrusted: members are plain files and directories with relative names,
and their sizes are bounded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tarfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

from ..election.timefmt import parse_local
from ..errors import InputError
from .config import SourceConfig

IN_PROGRESS = (".part", ".tmp", ".partial", ".filepart", ".crdownload", "~")
MAX_MEMBERS = 2_000_000
MAX_BYTES = 64 << 30


class DropRefused(Exception):
    """A drop that will not be published: `reason` is malformed | older | recount | unsafe."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class Drop:
    name: str
    path: Path
    size: int
    mtime_ns: int

    @property
    def signature(self) -> list[int]:
        """What says the drop changed since it was looked at (a copy finished after a refusal)."""
        return [self.size, self.mtime_ns]


def scan(src: SourceConfig) -> list[Drop]:
    """The complete drops in the directory, in name order."""
    try:
        entries = sorted(os.scandir(src.dir), key=lambda e: e.name)
    except FileNotFoundError:
        return []
    names = {e.name for e in entries}
    out = []
    for e in entries:
        name = e.name
        if name.startswith(".") or name.endswith(IN_PROGRESS) or name.endswith(src.marker):
            continue
        if src.ready == "marker" and name + src.marker not in names:
            continue
        try:
            if e.is_dir(follow_symlinks=False):
                size, mtime = _tree_signature(Path(e.path))
            elif e.is_file(follow_symlinks=False):
                st = e.stat(follow_symlinks=False)
                size, mtime = st.st_size, st.st_mtime_ns
            else:
                continue
        except OSError:
            continue  # gone between listing and looking: the next scan sees what is there
        out.append(Drop(name, Path(e.path), size, mtime))
    return out


def _tree_signature(root: Path) -> tuple[int, int]:
    size = mtime = 0
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            st = os.lstat(os.path.join(dirpath, f))
            size += st.st_size + 1
            mtime = max(mtime, st.st_mtime_ns)
    return size, mtime


# ---------------------------------------------------------------- a site drop, copied unmodified


def materialize(drop: Drop, dest: Path) -> None:
    """The drop's site in `dest` (which must not exist), byte for byte; DropRefused when it is not a site."""
    try:
        kind = _archive_kind(drop.path)
        if kind == "dir":
            _copy_tree(drop.path, dest)
        elif kind == "zip":
            _unzip(drop.path, dest)
        elif kind == "tar":
            _untar(drop.path, dest)
        else:
            raise DropRefused("malformed", f"{drop.name}: not a directory, a .zip or a .tar.gz")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        shutil.rmtree(dest, ignore_errors=True)
        raise DropRefused("malformed", f"{drop.name}: damaged or incomplete archive ({exc})") from None
    except DropRefused:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    if not any(dest.rglob("*.html")):
        shutil.rmtree(dest, ignore_errors=True)
        raise DropRefused("malformed", f"{drop.name}: holds no HTML page; not a site")


def _archive_kind(path: Path) -> str | None:
    """dir | zip | tar by what the drop is and begins with (a truncated zip lacks its directory, not its
    first bytes), else by its name."""
    if path.is_dir():
        return "dir"
    with open(path, "rb") as f:
        head = f.read(512)
    name = path.name.lower()
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06") or name.endswith(".zip"):
        return "zip"
    if head.startswith(b"\x1f\x8b") or head[257:262] == b"ustar" or name.endswith((".tar.gz", ".tgz", ".tar")):
        return "tar"
    return None


def _safe(name: str, drop: str) -> PurePosixPath:
    rel = PurePosixPath(name.replace("\\", "/"))
    if rel.is_absolute() or ".." in rel.parts or not rel.parts or any(p in ("", ".") for p in rel.parts[:-1]):
        raise DropRefused("unsafe", f"{drop}: member {name!r} is not a relative path inside the site")
    return rel


def _copy_tree(src: Path, dest: Path) -> None:
    dest.mkdir(parents=True)
    for dirpath, dirs, files in os.walk(src):
        rel = Path(dirpath).relative_to(src)
        for d in dirs:
            st = os.lstat(os.path.join(dirpath, d))
            if not stat.S_ISDIR(st.st_mode):
                raise DropRefused("unsafe", f"{src.name}: {rel / d} is a link, not a directory")
            (dest / rel / d).mkdir()
        for f in files:
            st = os.lstat(os.path.join(dirpath, f))
            if not stat.S_ISREG(st.st_mode):
                raise DropRefused("unsafe", f"{src.name}: {rel / f} is not a regular file")
            shutil.copyfile(os.path.join(dirpath, f), dest / rel / f)


def _unzip(path: Path, dest: Path) -> None:
    with zipfile.ZipFile(path) as zf:
        def kind(info) -> str:
            mode = info.external_attr >> 16
            return "link" if mode and stat.S_ISLNK(mode) else "dir" if info.is_dir() else "file"

        _extract(path.name, dest, [(i.filename, i.file_size, kind(i), lambda i=i: zf.open(i)) for i in zf.infolist()])


def _untar(path: Path, dest: Path) -> None:
    with tarfile.open(path) as tf:
        def kind(m) -> str:
            return "dir" if m.isdir() else "file" if m.isreg() else "other"

        _extract(path.name, dest, [(m.name, m.size, kind(m), lambda m=m: tf.extractfile(m)) for m in tf.getmembers()])


def _extract(name: str, dest: Path, members: list) -> None:
    """Members (name, size, kind, open) of a zip or a tar into `dest`: bounded, each name made safe, only files
    and directories (a link or anything else refuses the whole drop)."""
    _bounded(name, len(members), sum(size for _, size, _, _ in members))
    dest.mkdir(parents=True)
    for member, _size, kind, open_member in members:
        rel = _safe(member, name)
        if kind == "link":
            raise DropRefused("unsafe", f"{name}: member {member!r} is a link")
        if kind not in ("dir", "file"):
            raise DropRefused("unsafe", f"{name}: member {member!r} is not a file or directory")
        target = dest.joinpath(*rel.parts)
        if kind == "dir":
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with open_member() as src, open(target, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)


def _bounded(name: str, members: int, size: int) -> None:
    if members > MAX_MEMBERS or size > MAX_BYTES:
        raise DropRefused("unsafe", f"{name}: {members} members, {size} bytes: more than a site can be")


# ---------------------------------------------------------------- the corte instant


def instant_of(drop: Drop, site: Path | None, src: SourceConfig) -> datetime:
    """The corte instant of a drop (with `site`, its materialized copy, for instant = json)."""
    tz = ZoneInfo(src.timezone)
    if src.instant == "name":
        return _from_name(drop.name, src.instant_pattern, tz)
    if src.instant == "database":
        from .. import database

        try:
            dbs = database.read(site if site is not None else drop.path)
        except InputError as exc:
            raise DropRefused("malformed", str(exc)) from None
        instants = sorted({db.instant for db in dbs})
        if len(instants) != 1:
            raise DropRefused("malformed", f"{drop.name}: databases of {len(instants)} different cortes")
        return instants[0]
    path = (site or drop.path) / src.instant_file
    try:
        value = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise DropRefused("malformed", f"{drop.name}: no {src.instant_file} (where [source] instant_file says the "
                                       "corte instant is)") from None
    except (OSError, ValueError) as exc:
        raise DropRefused("malformed", f"{drop.name}: {src.instant_file} is not JSON ({exc})") from None
    for part in src.instant_field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if not isinstance(value, str):
        raise DropRefused("malformed", f"{drop.name}: {src.instant_file} has no text field {src.instant_field!r}")
    return parse_time(value, tz, f"{drop.name}: {src.instant_file} {src.instant_field}")


def parse_time(text: str, tz, where: str) -> datetime:
    t = parse_local(text, tz)
    if t is None:
        raise DropRefused("malformed", f"{where}: {text!r} is not a date and time")
    return t


_PATTERN_PARTS = {"%Y": r"\d{4}", "%y": r"\d{2}", "%m": r"\d{2}", "%d": r"\d{2}", "%H": r"\d{2}", "%M": r"\d{2}",
                  "%S": r"\d{2}"}


def _from_name(name: str, pattern: str, tz) -> datetime:
    regex = "".join(_PATTERN_PARTS.get(tok, re.escape(tok)) for tok in re.findall(r"%.|[^%]+", pattern))
    m = re.search(regex, name)
    if m is None:
        raise DropRefused("malformed", f"{name}: no corte instant in the name (expected {pattern!r})")
    try:
        return datetime.strptime(m.group(0), pattern).replace(tzinfo=tz)
    except ValueError:
        raise DropRefused("malformed", f"{name}: {m.group(0)!r} is not a date and time ({pattern!r})") from None


# ---------------------------------------------------------------- a database drop, recounted


def database_corte(drop: Drop, sequence: int, *, election: str | None, instituto: str):
    """The corte of a drop of published databases, recounted first: a database whose own figures disagree
    with its rows is never published (DropRefused "recount", naming the first difference)."""
    import dataclasses

    from .. import database

    try:
        readings = [database.interpret(db) for db in database.read(drop.path)]
    except InputError as exc:
        raise DropRefused("malformed", str(exc)) from None
    for r in readings:
        result = database.compare(r)
        if not result.ok:
            d = result.differences[0]
            where = "header" if d.where == "header" else f"acta {d.where}" + (f" (line {d.line})" if d.line else "")
            raise DropRefused("recount", f"{r.database.source}: the recount differs in {len(result.differences)} "
                                         f"figure(s); first: {where} {d.field} published {d.published!r}, "
                                         f"recounted {d.recomputed!r}")
    try:
        corte, notes = database.combine(readings, sequence=sequence)
    except InputError as exc:
        raise DropRefused("malformed", str(exc)) from None
    p = corte.catalog.proceso
    corte.catalog.proceso = dataclasses.replace(
        p, id=election or (p.id if len(readings) == 1 else "PREP"), instituto=instituto or p.instituto,
        nombre=p.nombre if len(readings) == 1 else (instituto or "PREP"))
    return corte, notes
