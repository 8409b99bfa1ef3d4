"""What every pregon TOML file shares: reading it, refusing unknown keys, and reading times in it.

The institute's and the difusor's configurations differ in content, not in how a mistake is reported: one
line naming the file, the table and the key, and what to write instead.
"""

from __future__ import annotations

import tomllib
from datetime import datetime, tzinfo
from pathlib import Path

from .errors import InputError


def read_toml(path: str | Path, hint: str) -> dict:
    """The parsed file; InputError when it is missing (with `hint`: where to learn its format) or not TOML."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file ({hint})") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; give the TOML file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None


def check_keys(table: dict, allowed, where: str) -> None:
    extra = sorted(set(table) - set(allowed))
    if extra:
        raise InputError(f"{where}: unknown key {extra[0]!r} (known: {', '.join(sorted(allowed))})")


def toml_time(value, where: str, tz: tzinfo | None = None) -> datetime:
    """A time from TOML (native or ISO 8601 text). Without an offset it is read in `tz`; with no `tz`, an
    offset is required (a schedule must not depend on the machine's zone)."""
    if isinstance(value, datetime):
        t = value
    elif isinstance(value, str):
        try:
            t = datetime.fromisoformat(value)
        except ValueError:
            raise InputError(f"{where}: not an ISO 8601 time: {value!r}") from None
    else:
        example = "2024-06-02T20:00" if tz is not None else "2024-06-02T20:00:00-06:00"
        raise InputError(f"{where}: expected a time such as \"{example}\"")
    if t.tzinfo is None or t.utcoffset() is None:
        if tz is None:
            raise InputError(f"{where}: {value!s} has no UTC offset; write e.g. 2024-06-02T20:00:00-06:00")
        t = t.replace(tzinfo=tz)
    return t
