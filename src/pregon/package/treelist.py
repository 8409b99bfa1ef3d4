"""A tree written down: one `<sha256> <size> <path>` line per file, sorted by path.

What the difusor keeps of a tree it applied (the trusted state's base for the next delta, a release's record
for recycling): the manifest of a format-2 delta lists only the changes, so the tree itself must be kept. The
file is self-checking against the tree digest it is named by (manifest.tree_digest: `sha256sum` of the
SHA256SUMS made from the same entries), so a damaged one is refused, never trusted.
"""

from __future__ import annotations

from collections.abc import Iterable

from .manifest import FileEntry


def encode(files: Iterable[FileEntry]) -> bytes:
    return "".join(f"{f.sha256} {f.size} {f.path}\n" for f in files).encode("utf-8")


def decode(data: bytes) -> dict[str, FileEntry]:
    """path → entry, in the file's order; ValueError when a line is not `<64 hex> <size> <path>`."""
    out: dict[str, FileEntry] = {}
    text = data.decode("utf-8")
    if text and not text.endswith("\n"):
        raise ValueError("the last line is cut short")
    for line in text.split("\n")[:-1]:
        sha, size, path = line.split(" ", 2)
        if len(sha) != 64 or not size.isdigit() or not path:
            raise ValueError(f"not a tree line: {line[:80]!r}")
        out[path] = FileEntry(path, int(size), sha)
    return out
