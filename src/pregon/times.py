"""Time, in one place: how pregon reads an instant, and the clocks its loops run on.

An instant is ISO 8601 (or a TOML datetime) with an explicit UTC offset. A naive one is read in the zone the
caller names (a difusor's `[window] tz`, an option's `--tz`); without a zone it is refused, because a schedule
must never depend on the machine it runs on.

Clocks share one protocol (`now()`, `await sleep_until(t)`, and calling the clock is `now()`, as a receiver
takes a callable):
- `SystemClock`: the wall clock, in UTC;
- `AcceleratedClock`: simulated time running `speed` times faster from `start`, anchored at a Unix `origin`
  so every process of a drill that is given the same three numbers computes the same time;
- `ManualClock`: time that moves only when told (`advance`, or `sleep_until` jumping to its target): tests.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Protocol

from .errors import InputError

EXAMPLE = "2024-06-02T20:00:00-06:00"


def parse_instant(value, where: str, tz: tzinfo | None = None) -> datetime:
    """An aware datetime from ISO 8601 text or a TOML datetime; InputError naming `where` otherwise."""
    if isinstance(value, datetime):
        t = value
    elif isinstance(value, str):
        try:
            t = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InputError(f"{where} {value!r}: not an ISO 8601 time; write it like {EXAMPLE}") from None
    else:
        raise InputError(f"{where}: expected a time such as \"{'2024-06-02T20:00' if tz else EXAMPLE}\"")
    if t.tzinfo is None or t.utcoffset() is None:
        if tz is None:
            raise InputError(f"{where} {value!s}: no UTC offset; add one, e.g. {EXAMPLE}")
        t = t.replace(tzinfo=tz)
    return t


def optional_instant(value, where: str, tz: tzinfo | None = None) -> datetime | None:
    """parse_instant, with None (an option not given) staying None."""
    return None if value is None else parse_instant(value, where, tz)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Clock(Protocol):
    def now(self) -> datetime: ...

    def __call__(self) -> datetime: ...

    async def sleep_until(self, t: datetime) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return utc_now()

    __call__ = now

    async def sleep_until(self, t: datetime) -> None:
        for _ in range(100_000_000):  # bounded; each wait is at most a minute
            delay = (t - self.now()).total_seconds()
            if delay <= 0:
                return
            await asyncio.sleep(min(delay, 60))


class AcceleratedClock:
    """virtual(t_wall) = start + (t_wall - origin) * speed, with `origin` a Unix time (time.time()), so child
    processes given start, speed and origin (`argv`) compute exactly the parent's time. A lag measured in
    simulated seconds is `speed` times the real one."""

    def __init__(self, start: datetime, speed: float = 60.0, origin: float | None = None):
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start = start
        self.speed = float(speed)
        self.origin = time.time() if origin is None else float(origin)

    def now(self) -> datetime:
        return self.at(time.time())

    def at(self, wall: float) -> datetime:
        """What this clock showed at Unix time `wall`."""
        return self.start + timedelta(seconds=(wall - self.origin) * self.speed)

    __call__ = now

    def wall(self, virtual: datetime) -> float:
        """The Unix time at which this clock shows `virtual`."""
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
        """Options that give a child process (`python -m pregon.simulacro.child`) this same clock."""
        return ["--start", self.start.isoformat(), "--speed", repr(self.speed), "--origin", repr(self.origin)]

    @classmethod
    def from_argv(cls, start: str, speed: str, origin: str) -> "AcceleratedClock":
        return cls(datetime.fromisoformat(start), float(speed), float(origin))


class ManualClock:
    """A clock that jumps: sleep_until(t) sets now to t at once."""

    def __init__(self, start: datetime):
        self.t = start

    def now(self) -> datetime:
        return self.t

    __call__ = now

    def set(self, t: datetime) -> datetime:
        self.t = t
        return t

    def advance(self, **kw) -> datetime:
        self.t += timedelta(**kw)
        return self.t

    async def sleep_until(self, t: datetime) -> None:
        if t > self.t:
            self.t = t
        await asyncio.sleep(0)
