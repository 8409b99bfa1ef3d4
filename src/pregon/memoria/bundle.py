"""The access logs of the period as one deterministic tar.gz, and SHA256SUMS for it and for each log.

The logs go in whole and unmodified (a rotated `.gz` stays compressed), so each one's SHA-256 in SHA256SUMS
is the SHA-256 of the file on the server: the institute can check the bundle against the server's copies.
Same files in, same bundle bytes out: members sorted by name, owner root, mode 0644, mtime fixed to the end
of the period, gzip header without name or time.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError


@dataclass(frozen=True)
class BundledLog:
    source: Path
    member: str  # path inside the bundle: <dirname>/<name>
    size: int
    sha256: str


def member_names(paths, dirname: str) -> list[tuple[Path, str]]:
    """(source, member) with unique member names: the file name, prefixed by its parent's name on a clash."""
    paths = [Path(p) for p in paths]
    names = [p.name for p in paths]
    out = []
    for p in paths:
        name = p.name
        if names.count(name) > 1:
            name = f"{p.parent.name or 'log'}_{name}"
        out.append((p, f"{dirname}/{name}"))
    seen = set()
    for _p, m in out:
        if m in seen:
            raise InputError(f"two access logs would share the name {m} in the bundle; rename one of them")
        seen.add(m)
    return sorted(out, key=lambda pm: pm[1])


class _Hashing:
    """A reader that hashes what tarfile copies, so the digest is of exactly the bytes bundled (a live log
    may grow while we read it)."""

    def __init__(self, f):
        self.f, self.h = f, hashlib.sha256()

    def read(self, n=-1):
        b = self.f.read(n)
        self.h.update(b)
        return b


def write_bundle(paths, out: Path, *, dirname: str, mtime: int) -> list[BundledLog]:
    """Write `out` (tar.gz, streamed) with every log under `dirname/`; returns what went in, by member name."""
    logs = []
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "wb") as f, gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=6) as gz, \
            tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        d = tarfile.TarInfo(dirname)
        d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, mtime
        d.uname = d.gname = "root"
        tar.addfile(d)
        for src, member in member_names(paths, dirname):
            try:
                with open(src, "rb") as lf:
                    size = os.fstat(lf.fileno()).st_size
                    info = tarfile.TarInfo(member)
                    info.size, info.mode, info.mtime = size, 0o644, mtime
                    info.uid = info.gid = 0
                    info.uname = info.gname = "root"
                    reader = _Hashing(lf)
                    tar.addfile(info, reader)
            except OSError as exc:
                tmp.unlink(missing_ok=True)
                raise InputError(f"{src}: cannot read for the bundle: {exc.strerror or exc}") from None
            logs.append(BundledLog(src, member, size, reader.h.hexdigest()))
    tmp.replace(out)
    return logs


def write_sums(out: Path, entries: list[tuple[str, str]]) -> None:
    """SHA256SUMS in the layout `sha256sum -c` reads: digest, two spaces, name."""
    out.write_text("".join(f"{digest}  {name}\n" for name, digest in entries), "utf-8")
