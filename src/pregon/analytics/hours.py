"""Local wall-clock hours of epoch instants, vectorised: the buckets of every per-hour and per-day figure."""

from __future__ import annotations

from datetime import datetime

import numpy as np


class LocalHours:
    """Instant of the start of the local wall-clock hour containing each instant, for one time zone.

    UTC offsets are looked up once per quarter hour of log (zones change offset on a quarter hour), so a
    DST change is honoured and the repeated hour of a fall-back is two buckets with different offsets.
    """

    def __init__(self, tz_name: str):
        from zoneinfo import ZoneInfo

        self.tz = ZoneInfo(tz_name)
        self._cache: dict[int, int] = {}

    def _offset(self, quarter: int) -> int:
        off = self._cache.get(quarter)
        if off is None:
            off = int(datetime.fromtimestamp(quarter * 900, self.tz).utcoffset().total_seconds())
            self._cache[quarter] = off
        return off

    def offsets(self, epoch: np.ndarray) -> np.ndarray:
        if epoch.size == 0:
            return np.zeros(0, np.int64)
        q = epoch // 900
        lo, hi = int(q.min()), int(q.max())
        if hi - lo <= 4096:
            table = np.fromiter((self._offset(x) for x in range(lo, hi + 1)), np.int64, hi - lo + 1)
            return table[q - lo]
        uq, inv = np.unique(q, return_inverse=True)
        table = np.fromiter((self._offset(int(x)) for x in uq), np.int64, uq.size)
        return table[inv.reshape(-1)]

    def hour_keys(self, epoch: np.ndarray) -> np.ndarray:
        off = self.offsets(epoch)
        return (epoch + off) // 3600 * 3600 - off
