"""Writing a site's files: each file whole or not at all, the previous corte's unchanged files hard-linked
across, and an output directory made ready (only ever a new, empty or pregon-made one is cleared).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import InputError
from . import manifest


class Writer:
    """Writes site files. `fresh`: nothing exists where we write (a new directory). Otherwise each file is
    written beside its final name and renamed over it (os.replace): a hard-linked older file is never written
    through, a reader never sees half a file, and a concurrent linker that comes second simply finds it.
    `unread`: nobody reads the directory yet (a new site the previous one is linked into), so a name not taken
    is created in place (O_EXCL: an existing link is never opened); only a taken one is replaced."""

    def __init__(self, out: Path, fresh: bool, track: bool = False, unread: bool = False):
        self.out = out
        self.fresh = fresh
        self.unread = unread
        self.written: list[str] | None = [] if track else None  # the paths, when the build reports its changes
        self.files = 0
        self.bytes = 0
        self._dirs: set[str] = set()
        self._tmp = f".pregon-tmp-{os.getpid()}"

    def write(self, rel: str, data: bytes) -> None:
        path = os.path.join(self.out, rel)
        d = os.path.dirname(path)
        if d not in self._dirs:
            os.makedirs(d, exist_ok=True)
            self._dirs.add(d)
        if self.fresh:
            with open(path, "wb") as fh:
                fh.write(data)
        elif not (self.unread and _create(path, data)):
            tmp = path + self._tmp
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        self.files += 1
        self.bytes += len(data)
        if self.written is not None:
            self.written.append(rel)


def _create(path: str, data: bytes) -> bool:
    """Write a new file at `path`; False when the name is taken (half the cost of writing beside and renaming:
    on this kind of disk a rename over a hard link costs as much again as the file)."""
    try:
        fh = open(path, "xb")
    except FileExistsError:
        return False
    with fh:
        fh.write(data)
    return True


def prepare_out(out: Path) -> None:
    if out.exists():
        if not out.is_dir():
            raise InputError(f"--out {out}: exists and is not a directory")
        if any(out.iterdir()):
            if manifest.read(out) is None:
                raise InputError(f"--out {out}: not empty and not a pregon site; choose a new or empty directory")
            clear(out)
    out.mkdir(parents=True, exist_ok=True)


def clear(out: Path) -> None:
    for entry in out.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def link_files(src_root: Path, out: Path, rels: list[str]) -> tuple[int, list[str]]:
    """Hard-link files of the previous site into the new one, a directory at a time (dir_fd: no path walks);
    copy when linking is impossible (another file system). Returns (files linked, pages whose HTML or twin
    is missing from the previous site: they must be rendered)."""
    by_dir: dict[str, list[str]] = {}
    for rel in rels:
        d, _, name = rel.rpartition("/")
        by_dir.setdefault(d, []).append(name)
    n = 0
    lost: list[str] = []
    flags = os.O_RDONLY | os.O_DIRECTORY
    for d, names in by_dir.items():
        dst_dir = os.path.join(out, d)
        os.makedirs(dst_dir, exist_ok=True)
        src_dir = os.path.join(src_root, d)
        try:
            sfd = os.open(src_dir, flags)
        except FileNotFoundError:
            lost.extend(f"{d}/{name}" for name in names)
            continue
        dfd = os.open(dst_dir, flags)
        try:
            for name in names:
                try:
                    os.link(name, name, src_dir_fd=sfd, dst_dir_fd=dfd, follow_symlinks=False)
                    n += 1
                except FileExistsError:
                    n += 1
                except FileNotFoundError:
                    lost.append(f"{d}/{name}")
                except OSError:
                    try:
                        shutil.copy2(os.path.join(src_dir, name), os.path.join(dst_dir, name))
                        n += 1
                    except FileNotFoundError:
                        lost.append(f"{d}/{name}")
        finally:
            os.close(sfd)
            os.close(dfd)
    pages = set()
    for rel in lost:
        if rel.startswith("json/"):
            pages.add(rel[len("json/"):-len(".json")] + ".html")
        elif rel.endswith(".html"):
            pages.add(rel)
    return n, sorted(pages)
