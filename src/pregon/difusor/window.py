"""The publication window and the clock's health."""

from __future__ import annotations

import ctypes
import ctypes.util
from datetime import datetime

REPLACING_NOTICES = ("withdrawal", "not-official", "suspension", "maintenance")


def phase(cfg, now: datetime) -> str:
    """'before', 'open' or 'after' the publication window, or 'closed' once the last results have been kept
    as long as the call asks ([window] keep_until)."""
    if cfg.window_start is not None and now < cfg.window_start:
        return "before"
    if getattr(cfg, "keep_until", None) is not None and now >= cfg.keep_until:
        return "closed"
    if cfg.window_end is not None and now >= cfg.window_end:
        return "after"
    return "open"


_TIME_ERROR = 5


def clock_synchronised() -> bool | None:
    """True when the kernel says NTP keeps the clock in sync, False when it says not, None if unknown.

    adjtimex(2) with modes=0 only reads; its return value is the clock state, TIME_ERROR (5) meaning
    unsynchronised. This is what `timedatectl` reports as "System clock synchronized".
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        buf = ctypes.create_string_buffer(512)  # struct timex is 208 bytes on x86-64; modes (first) = 0
        rc = libc.adjtimex(buf)
    except (OSError, AttributeError):
        return None
    if rc < 0:
        return None
    return rc != _TIME_ERROR
