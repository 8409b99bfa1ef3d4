"""One typed schema for every pregon TOML file: which tables and keys exist, and what each key holds.

Each loader (instituto.toml, difusor.toml, simulacion.toml, a registry entry) checks its data against its
schema before reading anything, so a wrong type is never coerced (`"no"` is not true) and never reaches a
traceback: one line names the file, the table, the key, what was given and what is expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .errors import InputError


@dataclass(frozen=True)
class Key:
    kind: str  # str | int | number | bool | time | date | list[str] | list[int] | list[date] | table
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    nonempty: bool = False
    nullable: bool = False  # JSON records: null stands for "not set"

    def expected(self) -> str:
        what = {"str": "a string", "int": "an integer", "number": "a number", "bool": "true or false",
                "time": "a date and time (ISO 8601)", "date": "a date (YYYY-MM-DD)",
                "list[str]": "a list of strings, e.g. [\"a\", \"b\"]", "list[int]": "a list of integers, e.g. [22, 873]",
                "list[date]": "a list of dates, e.g. [2024-05-12, 2024-05-19]", "table": "a table"}[self.kind]
        if self.choices:
            what = "one of " + ", ".join(repr(c) for c in self.choices)
        if self.low is not None and self.high is not None:
            what += f" between {self.low:g} and {self.high:g}"
        elif self.low is not None:
            what += f" of at least {self.low:g}"
        if self.nonempty and self.kind == "str":
            what = "a non-empty string"
        return what


def S(**kw) -> Key:
    return Key("str", **kw)


def nullable(key: Key) -> Key:
    return Key(key.kind, key.low, key.high, key.choices, key.nonempty, True)


def I(low=None, high=None) -> Key:  # noqa: E743 - the schema reads as a table of types
    return Key("int", low, high)


def N(low=None, high=None) -> Key:
    return Key("number", low, high)


B = Key("bool")
T = Key("time")
D = Key("date")
L = Key("list[str]")
LI = Key("list[int]")
LD = Key("list[date]")
TABLE = Key("table")


class Many(dict):
    """An array of tables ([[name]] in TOML): every element is checked against these keys."""


def _ok(key: Key, value) -> bool:
    if value is None:
        return key.nullable
    k = key.kind
    if k == "str":
        ok = isinstance(value, str) and (not key.nonempty or bool(value.strip()))
        return ok and (not key.choices or value in key.choices)
    if k == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif k == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif k == "bool":
        return isinstance(value, bool)
    elif k == "time":
        return isinstance(value, (str, datetime))
    elif k == "date":
        return isinstance(value, (str, date))
    elif k == "list[str]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif k == "list[int]":
        return isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    elif k == "list[date]":
        return isinstance(value, list) and all(isinstance(v, (str, date)) and not isinstance(v, datetime)
                                               for v in value)
    else:
        return isinstance(value, dict)
    if not ok:
        return False
    return (key.low is None or value >= key.low) and (key.high is None or value <= key.high)


def check(data: dict, schema: dict[str, dict[str, Key] | Key], where: str) -> None:
    """InputError for the first unknown table or key, non-table table, or value of the wrong type or range.
    A schema entry that is a Key (not a dict of keys) is a top-level key."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a table of settings")
    for name, value in data.items():
        spec = schema.get(name)
        if spec is None:
            raise InputError(f"{where}: unknown {'table' if isinstance(value, dict) else 'key'} "
                             f"{name!r} (known: {', '.join(sorted(schema))})")
        if isinstance(spec, Key):
            _check_value(spec, value, f"{where} {name}")
            continue
        if value is None:
            continue  # a JSON record's absent sub-table
        if isinstance(spec, Many):
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise InputError(f"{where}: [[{name}]] must be an array of tables (write each as [[{name}]] with "
                                 f"keys under it), got {_shown(value)}")
            for i, table in enumerate(value, start=1):
                _check_table(table, spec, f"{where} [[{name}]] #{i}")
            continue
        if not isinstance(value, dict):
            raise InputError(f"{where}: [{name}] must be a table (write it as [{name}] with keys under it), "
                             f"got {_shown(value)}")
        _check_table(value, spec, f"{where} [{name}]")


def _check_table(table: dict, spec: dict[str, Key], where: str) -> None:
    for key, v in table.items():
        k = spec.get(key)
        if k is None:
            raise InputError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(spec))})")
        _check_value(k, v, f"{where} {key}")


def _check_value(key: Key, value, where: str) -> None:
    if not _ok(key, value):
        raise InputError(f"{where}: expected {key.expected()}, got {_shown(value)}")


def _shown(value) -> str:
    text = repr(value)
    return (text[:60] + "…") if len(text) > 60 else text


def wrong_value(key: Key):
    """A value of the wrong type for `key` (the schema test walks every key with one)."""
    return {"str": 5, "int": "fast", "number": "fast", "bool": "no", "time": 7, "date": 7, "list[str]": "x",
            "list[int]": ["22"], "list[date]": [7], "table": 3}[key.kind]
