"""The drill's clock: simulated election-night time running `speed` times faster than the wall clock, from
one origin shared by every process of the drill (the institute, the monitor, each receiver and server).

    virtual(t_wall) = start + (t_wall - origin) * speed

`origin` is a Unix time (time.time()), not a monotonic one, so child processes compute exactly the same
virtual time as the parent. A lag measured in simulated seconds is `speed` times the real one:
`real_seconds(dt) = dt / speed`.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone


class DrillClock:
    def __init__(self, start: datetime, speed: float, origin: float | None = None):
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start = start
        self.speed = float(speed)
        self.origin = time.time() if origin is None else float(origin)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.origin) * self.speed)

    __call__ = now  # a receiver's clock is a callable

    def wall(self, virtual: datetime) -> float:
        """The Unix time at which the drill's clock shows `virtual`."""
        return self.origin + (virtual - self.start).total_seconds() / self.speed

    def real_seconds(self, virtual_delta: timedelta | float) -> float:
        s = virtual_delta.total_seconds() if isinstance(virtual_delta, timedelta) else float(virtual_delta)
        return s / self.speed

    async def sleep_until(self, t: datetime) -> None:
        for _ in range(1_000_000):  # bounded; each wait is at most 1 s real
            delay = self.wall(t) - time.time()
            if delay <= 0:
                return
            await asyncio.sleep(min(delay, 1.0))

    def argv(self) -> list[str]:
        """Options that make a child process (`python -m pregon.simulacro.child`) use this same clock."""
        return ["--start", self.start.isoformat(), "--speed", repr(self.speed), "--origin", repr(self.origin)]

    @classmethod
    def from_argv(cls, start: str, speed: str, origin: str) -> "DrillClock":
        return cls(datetime.fromisoformat(start), float(speed), float(origin))


def utc(t: datetime) -> datetime:
    return t.astimezone(timezone.utc)
