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


_MEMO_MAX = 2_000_000  # a national tree is ~400k names; build and verify ask about each of them more than once
_PROBLEMS: dict[tuple[str, Limits], str | None] = {}
_FOLDS: dict[str, str] = {}


def path_problem(path: str, limits: Limits) -> str | None:
    """Why `path` is not an acceptable tree path, or None (remembered: a pure answer a delta asks again for
    every unchanged name of the tree, in the builder's scan, its own re-parse and the base's manifest)."""
    key = (path, limits)
    try:
        return _PROBLEMS[key]
    except KeyError:
        pass
    except TypeError:  # not a str: say why below, uncached
        return _path_problem(path, limits)
    answer = _path_problem(path, limits)
    if len(_PROBLEMS) >= _MEMO_MAX:
        _PROBLEMS.clear()
    _PROBLEMS[key] = answer
    return answer


def _path_problem(path: str, limits: Limits) -> str | None:
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
    hit = _FOLDS.get(path)
    if hit is None:
        hit = _fold(path)
        if len(_FOLDS) >= _MEMO_MAX:
            _FOLDS.clear()
        _FOLDS[path] = hit
    return hit


def _fold(path: str) -> str:
    return path.lower() if path.isascii() else unicodedata.normalize(
        "NFD", unicodedata.normalize("NFD", path).casefold())


def find_collision(paths: Iterable[str]) -> tuple[str, str, str] | None:
    """Two paths that would land on the same file somewhere, with why; None when the tree is safe."""
    files, dirs, clash = _index(paths, fold)
    return clash or _file_is_dir(files, dirs)


def _index(paths: Iterable[str], fold_) -> tuple[dict[str, str], dict[str, str], tuple[str, str, str] | None]:
    """Folded name → path of each file, and of each directory above one (the first file under it); the first
    two names that fold alike, if any."""
    files: dict[str, str] = {}
    dirs: dict[str, str] = {}
    for path in paths:
        key = fold_(path)
        if key in files:
            return files, dirs, (files[key], path, "names differ only by case or Unicode normalization")
        files[key] = path
        i = key.find("/")
        while i != -1:  # every directory above the file (slices, not split+join: a national tree is deep)
            dirs.setdefault(key[:i], path)
            i = key.find("/", i + 1)
    return files, dirs, None


def _file_is_dir(files: dict[str, str], dirs: dict[str, str]) -> tuple[str, str, str] | None:
    for key, path in files.items():
        if key in dirs:
            return path, dirs[key], "a file is also the directory of another file"
    return None


def find_new_collision(new: Iterable[str], tree: Iterable[str]) -> tuple[str, str, str] | None:
    """find_collision for a tree that was safe before the names `new` joined it (`tree` holds them too): a
    collision must involve a new name, so only they are indexed and the rest of the tree is read past once,
    nothing remembered (the difusor's agent checks a national delta this way, in the memory of its changes).
    Most deltas of a night add no name at all and cost nothing here."""
    new = list(new)
    if not new:
        return None
    files, dirs, clash = _index(new, _fold)
    clash = clash or _file_is_dir(files, dirs)
    if clash:
        return clash
    fresh = set(new)
    # names that collide share their first component (fold keeps the slashes): only those are looked at
    heads = {key.partition("/")[0] for key in files}
    for path in tree:
        if path in fresh or _fold(path.partition("/")[0]) not in heads:
            continue
        key = _fold(path)
        if key in files:
            return path, files[key], "names differ only by case or Unicode normalization"
        if key in dirs:
            return path, dirs[key], "a file is also the directory of another file"
        i = key.find("/")
        while i != -1:
            hit = files.get(key[:i])
            if hit is not None:
                return hit, path, "a file is also the directory of another file"
            i = key.find("/", i + 1)
    return None
