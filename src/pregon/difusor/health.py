"""The receiver's incidents and periodic checks: a stale manifest, an unsynchronised clock, a short disk.

Nothing here stops the receiver: a problem is an incident, journaled (and sent to syslog) once per change of
its message, named in status.json, and cleared (journaled `<key>-resolved`) when it goes away; the live cut is
never touched.
"""

from __future__ import annotations

import errno
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .journal import Journal
from .window import clock_synchronised, phase

_CLOCK_STATES = {True: "synchronised", False: "UNSYNCHRONISED", None: "unknown"}


@dataclass
class Runtime:
    last_check: datetime | None = None
    last_error: str | None = None
    last_activation: dict | None = None
    stale_tree: str | None = None
    clock_state: str | None = None
    disk_low: bool = False
    incidents: dict = field(default_factory=dict)  # key -> last message, journal once per change


def disk_full(exc: OSError) -> bool:
    """The disk or the quota is full (rather than failing)."""
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


def disk_key(exc: OSError) -> str:
    """The incident of a disk that refused: `disk` when full, `io` for any other failure."""
    return "disk" if disk_full(exc) else "io"


class Health:
    def __init__(self, cfg, journal: Journal, *, check_clock: bool = True):
        self.cfg = cfg
        self.journal = journal
        self.check_clock = check_clock
        self.rt = Runtime()

    def incident(self, key: str, message: str) -> None:
        self.rt.last_error = message
        if self.rt.incidents.get(key) != message:
            self.rt.incidents[key] = message
            self.journal.write(key if key.startswith("disk") else f"{key}-incident", "error", detail=message)

    def clear(self, key: str) -> None:
        if self.rt.incidents.pop(key, None) is not None:
            self.journal.write(f"{key}-resolved")

    def disk_trouble(self, what: str, exc: OSError) -> None:
        """A full or failing disk while doing `what`: an incident, never a crash; retried at the next tick."""
        where = f" ({exc.filename})" if exc.filename else ""
        self.incident(disk_key(exc), f"{what}: {exc.strerror or exc}{where}; the current cut stays live, retried "
                                     "at the next tick")

    def check_room_for(self, path: Path) -> None:
        """OSError(ENOSPC) unless the releases' disk keeps its minimum free after staging `path` (4 × its size)."""
        size = path.stat().st_size
        free = shutil.disk_usage(self.cfg.releases).free
        need = self.cfg.min_free_mb * 1024 * 1024 + 4 * size
        if free < need:
            raise OSError(errno.ENOSPC, f"not enough free disk for {path.name}: {free // 1048576} MiB free, "
                                        f"{need // 1048576} MiB needed; the current cut stays live")

    def check(self, state, now: datetime) -> None:
        """The periodic checks: stale manifest, NTP, free disk."""
        self._check_stale(state, now)
        if self.check_clock:
            self._check_clock()
        self._check_free_disk()

    def _check_stale(self, st, now: datetime) -> None:
        if st.expires is not None and st.tree is not None and now >= st.expires and phase(self.cfg, now) == "open":
            if self.rt.stale_tree != st.tree:
                self.rt.stale_tree = st.tree
                self.journal.write("stale", "warning", sequence=st.tree_sequence, expired=st.expires.isoformat(),
                                   detail="no new corte before the manifest's expiry")

    def _check_clock(self) -> None:
        synced = clock_synchronised()
        state = _CLOCK_STATES[synced]
        if state != self.rt.clock_state:
            self.rt.clock_state = state
            if synced is False:
                self.journal.write("clock-unsynchronised", "error",
                                   detail="the system clock is not NTP-synchronised; the seeds require NTP "
                                          "(enable systemd-timesyncd or chrony)")

    def _check_free_disk(self) -> None:
        try:
            free = shutil.disk_usage(self.cfg.releases).free
        except OSError:
            free = None
        if free is not None and free < self.cfg.min_free_mb * 1024 * 1024:
            self.incident("disk-low", f"only {free // (1024 * 1024)} MiB free under {self.cfg.releases} "
                                      f"(minimum {self.cfg.min_free_mb} MiB)")
        else:
            self.clear("disk-low")
