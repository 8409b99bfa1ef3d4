"""Moving an upload from the inbox into the archive, so that a package is never lost nor overwritten.

A package leaves the inbox only by link(2) into the archive (copy + fsync across file systems) and then
unlink(2); a crash between the two leaves a twin that `archived_twin` recognises by its inode.
"""

from __future__ import annotations

import errno
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from ..durable import fsync_dir
from .inbox import MARKERS
from .verdicts import archived_packages


def archive_prefix(received: datetime, digest: str) -> str:
    """The unique, sortable front of an archived name: when it arrived, and its digest."""
    return f"{received.astimezone(timezone.utc).strftime('%Y%m%dT%H%M%S%fZ')}-{digest[:16]}"


def move_no_clobber(archive: Path, path: Path, prefix: str, name: str) -> Path:
    """Move into the archive under a name never used before (link(2) refuses to overwrite)."""
    for n in range(1000):
        dest = archive / (f"{prefix}-{name}" if n == 0 else f"{prefix}.{n}-{name}")
        try:
            os.link(path, dest)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                raise
            if dest.exists():
                continue
            _copy_durably(path, dest)
        fsync_dir(archive)
        os.unlink(path)
        return dest
    raise OSError(errno.EEXIST, f"no free archive name for {name}")


def _copy_durably(path: Path, dest: Path) -> None:
    """Where link(2) cannot: a copy, on disk before it takes its name."""
    tmp = dest.with_name("." + dest.name + ".copy")
    shutil.copyfile(path, tmp)
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, dest)


def move_markers(path: Path, dest: Path) -> None:
    """The upload's completion markers follow it into the archive, best effort."""
    for m in MARKERS:
        marker = path.with_name(path.name + m)
        if marker.exists():
            try:
                os.rename(marker, dest.with_name(dest.name + m))
            except OSError:
                pass


def archived_twin(path: Path, archive: Path) -> Path | None:
    """The archived package that is `path` itself (same inode): a crash between link(2) and unlink(2)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_nlink < 2:
        return None
    for p in archived_packages(archive):
        try:
            o = os.stat(p)
        except OSError:
            continue
        if (o.st_ino, o.st_dev) == (st.st_ino, st.st_dev):
            return p
    return None
