"""The institute's small durable records: JSON lines (journal, deliveries, published packages, observations),
an atomically replaced JSON state, and the package sequence counter shared by cuts and notices.

Package sequences are one strictly increasing series per election (docs/protocol.md): cuts and notices
(`difusores block`) take numbers from the same counter, under an exclusive lock, so a notice sent while
`instituto run` is cutting never reuses a number.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def append_jsonl(path: Path, obj: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(obj, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line)  # one write(2) of one line: concurrent appenders never interleave within it
    finally:
        os.close(fd)


def read_jsonl(path: Path) -> list[dict]:
    out = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue  # a torn last line after a crash
                if isinstance(obj, dict):
                    out.append(obj)
    except FileNotFoundError:
        pass
    return out


def write_json(path: Path, obj) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_json(path: Path, default=None):
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        return default


@contextmanager
def locked(path: Path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def next_sequence(work: Path) -> int:
    """Take the next package sequence (1, 2, …) for this work directory."""
    work = Path(work)
    with locked(work / "sequence.lock"):
        current = read_json(work / "sequence.json", {"last": 0})["last"]
        nxt = int(current) + 1
        write_json(work / "sequence.json", {"last": nxt})
        return nxt


def last_sequence(work: Path) -> int:
    return int(read_json(Path(work) / "sequence.json", {"last": 0})["last"])
