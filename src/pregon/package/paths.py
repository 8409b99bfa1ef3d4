"""Which file names a package may carry, shared by build (refuse to make it) and verify (refuse to take it).

A name must mean the same file on every difusor: on Linux, on a case-insensitive or normalizing file system
(macOS, Windows), and as a line of SHA256SUMS. So names are relative, slash-separated, without `.`/`..`,
control characters or backslashes (GNU sha256sum escapes those), within length limits, and no two names of
one tree may fold to the same name or make one file the directory of another.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from .limits import Limits

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def path_problem(path: str, limits: Limits) -> str | None:
    """Why `path` is not an acceptable tree path, or None."""
    if not path:
        return "empty name"
    if path.startswith("/"):
        return "absolute path"
    if _CONTROL.search(path):
        return "control character in name"
    if "\\" in path:
        return "backslash in name"
    try:
        raw = path.encode("utf-8")
    except UnicodeEncodeError:
        return "name is not valid UTF-8"
    if len(raw) > limits.max_path_bytes:
        return f"name longer than {limits.max_path_bytes} bytes"
    parts = path.split("/")
    if len(parts) > limits.max_depth:
        return f"more than {limits.max_depth} levels deep"
    for part in parts:
        if part in ("", "."):
            return "empty or '.' path component"
        if part == "..":
            return "'..' path component"
        if len(part.encode("utf-8")) > limits.max_component_bytes:
            return f"path component longer than {limits.max_component_bytes} bytes"
    return None


def fold(path: str) -> str:
    """The name a case-insensitive, normalizing file system sees (Unicode canonical caseless match)."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", path).casefold())


def find_collision(paths: Iterable[str]) -> tuple[str, str, str] | None:
    """Two paths that would land on the same file somewhere, with why; None when the tree is safe."""
    files: dict[str, str] = {}
    dirs: dict[str, str] = {}
    for path in paths:
        key = fold(path)
        if key in files:
            return files[key], path, "names differ only by case or Unicode normalization"
        files[key] = path
        parts = key.split("/")
        for i in range(1, len(parts)):
            dirs.setdefault("/".join(parts[:i]), path)
    for key, path in files.items():
        if key in dirs:
            return path, dirs[key], "a file is also the directory of another file"
    return None
