"""Small durable file-system steps: atomic write, directory fsync, atomic symlink swap."""

from __future__ import annotations

import os
from pathlib import Path

from ..package.fsio import atomic_file, fsync_dir


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write to a temporary name in the same directory, fsync, rename over `path`, fsync the directory."""
    path = Path(path)
    with atomic_file(path, mode) as fh:
        fh.write(data)
    fsync_dir(path.parent)


def swap_symlink(link: Path, target: str) -> None:
    """Point `link` at `target` with one rename(2) of a fresh symlink: readers see old or new, never none."""
    link = Path(link)
    tmp = link.with_name(f".{link.name}.new.{os.getpid()}")
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    os.symlink(target, tmp)
    os.replace(tmp, link)
    fsync_dir(link.parent)


def fsync_tree_new_files(root: Path) -> None:
    """fsync files that have a single link (written for this release; hard links were synced before)."""
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if st.st_nlink == 1:
                fd = os.open(p, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        fsync_dir(Path(dirpath))
