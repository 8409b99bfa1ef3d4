"""The difusor's journal: one JSON object per line, appended and fsynced, and copied to syslog.

Every event the seeds ask about (received, refused with its reason, activated, stale, clock warnings, disk
low) is one entry: `{"time": UTC ISO, "event": ..., "level": "info|warning|error", ...details}`. The file is
the durable record handed in with the memoria técnica; syslog (journald on systemd hosts) is for the
operator's usual tools.
"""

from __future__ import annotations

import json
import os
import syslog as _syslog
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

LEVELS = {"info": _syslog.LOG_INFO, "warning": _syslog.LOG_WARNING, "error": _syslog.LOG_ERR}


class Journal:
    def __init__(self, path: Path, *, use_syslog: bool = False, clock=None):
        self.path = Path(path)
        self.use_syslog = use_syslog
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        if use_syslog:
            _syslog.openlog("pregon-difusor", _syslog.LOG_PID, _syslog.LOG_DAEMON)

    def write(self, event: str, level: str = "info", **details) -> dict:
        entry = {"time": self.clock().astimezone(timezone.utc).isoformat(timespec="milliseconds"),
                 "event": event, "level": level, **details}
        line = json.dumps(entry, ensure_ascii=False, sort_keys=False, default=str) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if self.use_syslog:
            text = " ".join(f"{k}={v}" for k, v in details.items())
            _syslog.syslog(LEVELS.get(level, _syslog.LOG_INFO), f"{event} {text}".strip())
        return entry


def read_journal(path: Path) -> Iterator[dict]:
    """Entries in order; a torn last line (crash mid-write) is skipped, not fatal."""
    try:
        f = open(path, encoding="utf-8")
    except FileNotFoundError:
        return
    with f:
        for line in f:
            if not line.endswith("\n"):
                break
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue


def format_entry(e: dict) -> str:
    rest = " ".join(f"{k}={v}" for k, v in e.items() if k not in ("time", "event", "level"))
    return f"{e.get('time', '?')} {e.get('level', 'info'):7} {e.get('event', '?')} {rest}".rstrip()
