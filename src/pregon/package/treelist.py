"""A tree written down: one `<sha256> <size> <path>` line per file, sorted by path.

What the difusor keeps of a tree it applied (the trusted state's base for the next delta, a release's record
for recycling): the manifest of a format-2 delta lists only the changes, so the tree itself must be kept. The
file is self-checking against the tree digest it is named by (manifest.tree_digest: `sha256sum` of the
SHA256SUMS made from the same entries), so a damaged one is refused, never trusted.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping

from .manifest import FileEntry


_BATCH = 8192  # lines per write: a national tree is 40 MB of text, never held whole


def write(f, files: Iterable[FileEntry]) -> None:
    """The listing into the binary file `f`, a batch of lines at a time."""
    batch: list[str] = []
    for e in files:
        batch.append(f"{e.sha256} {e.size} {e.path}\n")
        if len(batch) == _BATCH:
            f.write("".join(batch).encode("utf-8"))
            batch.clear()
    f.write("".join(batch).encode("utf-8"))


def encode(files: Iterable[FileEntry]) -> bytes:
    out = io.BytesIO()
    write(out, files)
    return out.getvalue()


def decode(data: bytes, share: Mapping[str, FileEntry] | None = None) -> dict[str, FileEntry]:
    return read(io.BytesIO(data), share)


def read(f, share: Mapping[str, FileEntry] | None = None) -> dict[str, FileEntry]:
    """path → entry, in the order of the binary file `f` (read a line at a time: the agent never holds the
    40 MB of a national listing); ValueError when a line is not `<64 hex> <size> <path>`.

    `share`: a tree held already (the trusted state's); an entry equal to its one for the same path is that
    object, not a copy, so two trees that differ by a cut's changes cost little more than one."""
    out: dict[str, FileEntry] = {}
    share = share or {}
    for raw in f:
        if not raw.endswith(b"\n"):
            raise ValueError("the last line is cut short")
        sha, size, path = raw[:-1].decode("utf-8").split(" ", 2)
        if len(sha) != 64 or not size.isdigit() or not path:
            raise ValueError(f"not a tree line: {raw[:80]!r}")
        digest = bytes.fromhex(sha)
        known = share.get(path)
        if known is not None and known.digest == digest and known.size == int(size):
            out[known.path] = known  # its path too: 400,000 names need not be held twice
        else:
            out[path] = FileEntry(path, int(size), digest)
    return out
