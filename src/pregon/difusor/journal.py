"""The difusor's journal: one JSON object per line, appended and fsynced, and copied to syslog.

Every event the seeds ask about (received, refused with its reason, activated, stale, clock warnings, disk
low) is one entry: `{"time": UTC ISO, "event": ..., "level": "info|warning|error", ...details}`. The file is
the durable record handed in with the memoria técnica; syslog (journald on systemd hosts) is for the
operator's usual tools.
"""

from __future__ import annotations

from datetime import timezone
from pathlib import Path

from .. import durable
from ..times import utc_now

class Journal:
    """The difusor's journal (durable.Log): appends never raise; while the disk refuses them the entries wait
    in memory, each still goes to syslog, and they are written, in order, once it takes writes again."""

    def __init__(self, path: Path, *, use_syslog: bool = False, clock=None, echo=None):
        self.path = Path(path)
        self.use_syslog = use_syslog
        self.clock = clock or utc_now
        self.log = durable.Log(self.path, syslog_ident="pregon-difusor" if use_syslog else None, echo=echo)

    @property
    def unwritten(self) -> list[str]:
        return self.log.unwritten

    @property
    def failure(self) -> OSError | None:
        return self.log.failure

    def write(self, event: str, level: str = "info", **details) -> dict:
        entry = {"time": self.clock().astimezone(timezone.utc).isoformat(timespec="milliseconds"),
                 "event": event, "level": level, **details}
        summary = f"{event} " + " ".join(f"{k}={v}" for k, v in details.items())
        self.log.append(entry, level=level, summary=summary)
        return entry


def format_entry(e: dict) -> str:
    rest = " ".join(f"{k}={v}" for k, v in e.items() if k not in ("time", "event", "level"))
    return f"{e.get('time', '?')} {e.get('level', 'info'):7} {e.get('event', '?')} {rest}".rstrip()
