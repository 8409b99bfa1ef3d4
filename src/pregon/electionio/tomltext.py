"""TOML text written by hand, so the same values always give the same bytes: a string and a list of strings."""

from __future__ import annotations


def string(s) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def strings(items) -> str:
    return "[" + ", ".join(string(i) for i in items) + "]"
