"""Durable records, the one way both sides write them: a file replaced whole (atomic write, JSON state), the
symlink swap, a lock, a file's digest, and JSON lines appended so that none is ever torn, with a log whose
appends never raise when the disk refuses them.

Rules every record follows: a reader sees the old file or the new one, never half of either (write a sibling
temporary, fsync, rename, fsync the directory); a JSON line counts only once its newline is written, so a
reader skips a line a crash or a concurrent writer left without one; a journal is the record an institute or
a difusor hands in, and a full or failing disk must neither crash the program that writes it nor lose what it
was about to say: `Log` keeps refused lines in memory (bounded), reports the failure once to syslog, and writes
them first, in order, when the disk takes writes again.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import syslog as _syslog
from pathlib import Path

MAX_UNWRITTEN = 10_000  # lines kept in memory while the disk refuses them
LEVELS = {"info": _syslog.LOG_INFO, "warning": _syslog.LOG_WARNING, "error": _syslog.LOG_ERR}


# --- files replaced whole --------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_file(path: Path, mode: int = 0o644):
    """Write a sibling temporary, fsync it, rename it over `path`; on any error `path` is untouched and the
    temporary is gone (a full disk is not made fuller)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write(path: Path, data: bytes, mode: int = 0o644, *, sync_dir: bool = True) -> None:
    """`data` as the whole new content of `path`; with `sync_dir`, the rename itself is durable on return."""
    path = Path(path)
    with atomic_file(path, mode) as f:
        f.write(data)
    if sync_dir:
        fsync_dir(path.parent)


def write_json(path: Path, obj, *, mode: int = 0o644) -> None:
    """A JSON document replaced whole (sorted keys, one space of indent: stable bytes for the same state)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True, default=str) + "\n"
    atomic_write(path, text.encode("utf-8"), mode)


def read_json(path: Path, default=None):
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        return default


def fsync_dir(path: Path) -> None:
    """Make a rename (or a new entry) in directory `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def swap_symlink(link: Path, target: str) -> None:
    """Point `link` at `target` with one rename(2) of a fresh symlink: readers see old or new, never none."""
    link = Path(link)
    tmp = link.with_name(f".{link.name}.new.{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(link.parent)


@contextlib.contextmanager
def locked(path: Path):
    """An exclusive flock(2) on `path` (created) for the `with` block: one writer of a state at a time."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def sha256_file(path: Path) -> tuple[int, str]:
    """(size, SHA-256 hex) of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return size, h.hexdigest()


# --- JSON lines -----------------------------------------------------------------------------------------------


def append(path: Path, data: bytes, *, fsync: bool = True) -> None:
    """Append `data` (whole lines) in one write(2) with O_APPEND, so concurrent appenders never interleave
    within a line. When the disk refuses part of it, what did land is cut off again (if no other appender
    wrote after it), so a reader never sees a torn line and the caller can write the same lines again."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = 0
        try:
            written = os.write(fd, data)
            if written != len(data):
                raise OSError(28, "No space left on device (short write)", str(path))
            if fsync:
                os.fsync(fd)
        except OSError:
            _cut_back(fd, written)
            raise
    finally:
        os.close(fd)


def _cut_back(fd: int, written: int) -> None:
    """Remove the `written` bytes this descriptor just appended, unless another appender came after them."""
    if not written:
        return
    try:
        end = os.lseek(fd, 0, os.SEEK_CUR)  # O_APPEND: just past our bytes
        if os.fstat(fd).st_size == end:
            os.ftruncate(fd, end - written)
    except OSError:
        pass


def jsonl(obj: dict, *, sort_keys: bool = False) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=sort_keys, default=str) + "\n"


def append_jsonl(path: Path, obj: dict, *, fsync: bool = True) -> None:
    """One record, one line, one write(2); raises when the disk refuses it (nothing torn is left)."""
    append(path, jsonl(obj, sort_keys=True).encode("utf-8"), fsync=fsync)


def read_jsonl(path: Path) -> list[dict]:
    """The JSON objects of a JSON-lines file, in order; a line without its newline yet (a crash, or a writer
    mid-append) or that is not an object is skipped."""
    return read_new_jsonl(path, 0)[0]


def read_new_jsonl(path: Path, offset: int) -> tuple[list[dict], int]:
    """The objects of the complete lines after byte `offset`, and the offset to read from next time (a reader
    that follows a file as it grows)."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], offset
    end = data.rfind(b"\n")
    if end < 0:
        return [], offset
    out = []
    for line in data[:end].split(b"\n"):
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out, offset + end + 1


class Log:
    """JSON lines that are written when the disk allows and never raise; `syslog_ident` also sends each
    line's event to syslog (journald), where a full disk cannot stop them. `echo` (e.g. the program's
    stderr) hears once when the file stops taking lines and once when it takes them again."""

    def __init__(self, path: Path, *, syslog_ident: str | None = None, fsync: bool = True, sort_keys: bool = False,
                 echo=None):
        self.path = Path(path)
        self.fsync, self.sort_keys = fsync, sort_keys
        self.syslog_ident = syslog_ident
        self.echo = echo or (lambda text: None)
        self.unwritten: list[str] = []
        self.failure: OSError | None = None  # why the last append failed, while lines wait in memory
        if syslog_ident:
            _syslog.openlog(syslog_ident, _syslog.LOG_PID, _syslog.LOG_DAEMON)

    def append(self, obj: dict, *, level: str = "info", summary: str | None = None) -> None:
        lines = self.unwritten + [jsonl(obj, sort_keys=self.sort_keys)]
        try:
            append(self.path, "".join(lines).encode("utf-8"), fsync=self.fsync)
        except OSError as exc:
            self.unwritten = lines[-MAX_UNWRITTEN:]
            if self.failure is None:
                text = (f"journal-unwritable {self.path}: {exc.strerror or exc}; entries kept in memory until the "
                        "disk takes writes again")
                self.syslog("error", text)
                self.echo(text)
            self.failure = exc
        else:
            if self.failure is not None:
                self.echo(f"journal-writable {self.path}: {len(lines)} entries written")
            self.unwritten, self.failure = [], None
        if summary is not None:
            self.syslog(level, summary)

    def syslog(self, level: str, text: str) -> None:
        if not self.syslog_ident:
            return
        try:
            _syslog.syslog(LEVELS.get(level, _syslog.LOG_INFO), text.strip())
        except OSError:
            pass
