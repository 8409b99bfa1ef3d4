"""The package builder's memory of file digests, so a delta costs what changed, not what the site weighs.

A corte's site is the previous one with the changed pages rewritten and the rest hard-linked across
(site/files.py): an unchanged file is the same inode, with the same size and modification time. The cache
maps (inode, device, size, mtime_ns) → SHA-256, like git's index: a file whose stat matches is not read
again. A file rewritten in place keeps neither its inode's mtime nor (with the render's rename) its inode, so
it misses and is hashed. The bytes that travel are hashed again while the archive is written
(build.write_archive), so a stale entry can never put wrong bytes in a package; it could only hide a change
made in place without changing the size or the modification time, which takes a deliberate `touch -d`.

File systems stamp times from a coarse clock (a jiffy; FAT and some network file systems: seconds), so a file
written just before a scan and rewritten just after could keep its stamp: as in git ("racy clean"), an entry
whose mtime is within RACY_NS of the scan's start is not trusted at the next scan, and the file is read again.

Format (gzip, deterministic order): line 1 `pregon-digests 1 <scan start, ns>`, then
`<sha256> <size> <mtime_ns> <ino> <dev>` per distinct inode. It lives outside the site (the site is what is packaged); a missing or unreadable cache is
an empty one, and it is replaced whole (durable.atomic_file) only after a successful scan.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from ..durable import atomic_file

MAGIC = "pregon-digests 1"
RACY_NS = 2_000_000_000
Key = tuple[int, int, int, int]  # (ino, dev, size, mtime_ns)


def load(path: Path | None) -> dict[Key, str]:
    if path is None:
        return {}
    try:
        text = gzip.decompress(Path(path).read_bytes()).decode("ascii")
    except (OSError, EOFError, ValueError, UnicodeDecodeError):
        return {}
    lines = text.split("\n")
    head = lines[0].rsplit(" ", 1)
    if len(head) != 2 or head[0] != MAGIC or not head[1].isdigit():
        return {}
    trusted_before = int(head[1]) - RACY_NS
    out: dict[Key, str] = {}
    for line in lines[1:]:
        parts = line.split(" ")
        if len(parts) != 5 or len(parts[0]) != 64:
            continue
        try:
            size, mtime, ino, dev = (int(x) for x in parts[1:])
        except ValueError:
            continue
        if mtime < trusted_before:
            out[(ino, dev, size, mtime)] = parts[0]
    return out


def save(path: Path, entries: dict[Key, str], started_ns: int) -> None:
    """Replace the cache with `entries`, found by a scan that started at `started_ns` (time.time_ns())."""
    body = "".join(f"{sha} {size} {mtime} {ino} {dev}\n"
                   for (ino, dev, size, mtime), sha in sorted(entries.items()))
    data = gzip.compress(f"{MAGIC} {started_ns}\n{body}".encode("ascii"), compresslevel=1, mtime=0)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(Path(path)) as f:
        f.write(data)
