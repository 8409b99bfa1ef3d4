"""The inbox: decide when an upload is complete, and wait for one without busy polling.

Complete means: a `*.tar.gz` renamed into the inbox under its final name (rsync and `sftp put` to a temporary
name then `rename` both do this), or a `*.tar.gz` whose marker `<name>.minisig` or `<name>.ready` has arrived,
or one written in place that has stood still for `quiet_seconds`. A rename is told from a write by the
inode's change time: rename(2) moves it past the last modification, a write in progress keeps the two equal.
Dotfiles (`.foo.tar.gz.XXXX`, rsync's temporaries), `*.part`, `*.tmp` are never acted on. With
`require_marker`, only the marker makes a package complete.

Waiting uses inotify (through ctypes) with a bounded timeout, or, where inotify is unavailable, a directory
listing every `poll_interval` seconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import struct
import time
from pathlib import Path

SUFFIX = ".tar.gz"
MARKERS = (".minisig", ".ready")
_TEMP_SUFFIXES = (".part", ".tmp", ".partial", ".filepart")

IN_CLOSE_WRITE = 0x00000008
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000
_EVENT = struct.Struct("iIII")


def is_temporary(name: str) -> bool:
    return name.startswith(".") or name.endswith(_TEMP_SUFFIXES) or "~" in name


def package_for_marker(name: str) -> str | None:
    for m in MARKERS:
        if name.endswith(SUFFIX + m):
            return name[: -len(m)]
    return None


def settled(st: os.stat_result, quiet_seconds: float, now: float | None = None) -> bool:
    """Whether a file's writer is done: renamed into place (ctime past mtime), or its inode untouched for
    `quiet_seconds`. The quiet period counts from the change time, which only the kernel sets: an uploader
    may set any modification time (rsync --times from a clock ahead of ours)."""
    now = time.time() if now is None else now
    return st.st_ctime_ns > st.st_mtime_ns or now - st.st_ctime >= quiet_seconds


def complete_uploads(inbox: Path, require_marker: bool, quiet_seconds: float = 2.0,
                     known: frozenset[str] = frozenset()) -> list[str]:
    """Package names in `inbox` that are complete now, in arrival order (the change time a rename or the last
    write set; a copy keeps its source's modification time), then by name. `known`: names
    known to have arrived whole (inotify saw them renamed in; the puller renamed them in itself)."""
    try:
        names = set(os.listdir(inbox))
    except FileNotFoundError:
        return []
    out = []
    now = time.time()
    for name in names:
        if is_temporary(name) or not name.endswith(SUFFIX):
            continue
        has_marker = any(name + m in names for m in MARKERS)
        if require_marker and not has_marker:
            continue
        if not has_marker and name not in known:
            try:
                if not settled(os.stat(inbox / name), quiet_seconds, now):
                    continue  # still being written in place: the next scan looks again
            except FileNotFoundError:
                continue
        out.append(name)

    def key(n):
        try:
            return (os.stat(inbox / n).st_ctime_ns, n)
        except FileNotFoundError:
            return (0, n)
    return sorted(out, key=key)


class Watcher:
    """Block until something may have completed in the inbox, or `timeout` seconds pass.

    `wait()` returns the names that triggered (possibly empty); callers then ask `complete_uploads`, which
    is the single source of truth, so a lost or coalesced event costs nothing but a timeout.
    """

    def __init__(self, inbox: Path, poll_interval: float = 1.0, use_inotify: bool = True):
        self.inbox = Path(inbox)
        self.poll_interval = poll_interval
        self.fd = None
        self.renamed_in: set[str] = set()  # names inotify saw moved into the inbox: whole on arrival
        if use_inotify:
            try:
                libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
                fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
                if fd >= 0:
                    wd = libc.inotify_add_watch(fd, str(self.inbox).encode(), IN_MOVED_TO | IN_CLOSE_WRITE)
                    if wd >= 0:
                        self.fd = fd
                    else:
                        os.close(fd)
            except (OSError, AttributeError):
                self.fd = None

    @property
    def mode(self) -> str:
        return "inotify" if self.fd is not None else "poll"

    def wait(self, timeout: float) -> list[str]:
        if self.fd is None:
            # polling fallback: the caller lists the directory after a bounded sleep
            time.sleep(min(timeout, self.poll_interval))
            return []
        r, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not r:
            return []
        names = []
        try:
            data = os.read(self.fd, 64 * 1024)
        except BlockingIOError:
            return []
        pos = 0
        while pos + _EVENT.size <= len(data):
            _wd, mask, _cookie, length = _EVENT.unpack_from(data, pos)
            raw = data[pos + _EVENT.size: pos + _EVENT.size + length].rstrip(b"\0")
            name = os.fsdecode(raw)
            names.append(name)
            if mask & IN_MOVED_TO:
                self.renamed_in.add(name)
            pos += _EVENT.size + length
        return names

    def take_renamed(self) -> frozenset[str]:
        out, self.renamed_in = frozenset(self.renamed_in), set()
        return out

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
