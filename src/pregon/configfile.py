"""What every pregon TOML file shares: reading it and refusing unknown keys (times in it: pregon.times).

The institute's and the difusor's configurations differ in content, not in how a mistake is reported: one
line naming the file, the table and the key, and what to write instead.
"""

from __future__ import annotations

import tomllib
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
