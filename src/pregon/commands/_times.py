"""Times given on the command line (--from, --to, --date…): ISO 8601, one-line errors naming the option."""

from __future__ import annotations

from datetime import datetime

from ..errors import InputError


def option_time(value: str | None, option: str, tz=None) -> datetime | None:
    """None stays None. A time without offset is read in `tz`; without `tz` an offset is required."""
    if value is None:
        return None
    try:
        t = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"{option} {value!r}: not an ISO 8601 time; write e.g. 2024-06-02T20:00:00-06:00") from None
    if t.tzinfo is None:
        if tz is None:
            raise InputError(f"{option} {value}: no UTC offset; add one, e.g. {value}-06:00 for Mexico City")
        return t.replace(tzinfo=tz)
    return t
