"""The inbox: decide when an upload is complete, and wait for one without busy polling.

Complete means: a `*.tar.gz` renamed into the inbox under its final name (rsync and `sftp put` to a temporary
name then `rename` both do this), or a `*.tar.gz` whose marker `<name>.minisig` or `<name>.ready` has arrived.
Dotfiles (`.foo.tar.gz.XXXX`, rsync's temporaries), `*.part`, `*.tmp` are never acted on. With
`require_marker`, only the marker makes a package complete (for uploaders that write in place).

Waiting uses inotify (through ctypes) with a bounded timeout, or, where inotify is unavailable, a directory
listing every `poll_interval` seconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import struct
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


def complete_uploads(inbox: Path, require_marker: bool) -> list[str]:
    """Package names in `inbox` that are complete now, oldest first (by mtime, then name)."""
    try:
        names = set(os.listdir(inbox))
    except FileNotFoundError:
        return []
    out = []
    for name in names:
        if is_temporary(name) or not name.endswith(SUFFIX):
            continue
        has_marker = any(name + m in names for m in MARKERS)
        if require_marker and not has_marker:
            continue
        out.append(name)

    def key(n):
        try:
            return (os.stat(inbox / n).st_mtime_ns, n)
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
            import time
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
            _wd, _mask, _cookie, length = _EVENT.unpack_from(data, pos)
            raw = data[pos + _EVENT.size: pos + _EVENT.size + length].rstrip(b"\0")
            names.append(os.fsdecode(raw))
            pos += _EVENT.size + length
        return names

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
