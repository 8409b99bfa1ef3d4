"""A package's tar members, written without tarfile's cost per member.

A national delta carries 36,000 pages; tarfile spends more on each (a TarInfo copied, a PAX header
considered, the data pumped through copyfileobj) than gzip spends compressing it. The members here are the
bytes tarfile writes in PAX format for the same names (tests/package/test_tarwrite.py holds the two equal):
a plain ustar header for an ASCII name of at most 100 bytes, which is every name pregon's site has, and
tarfile's own header for anything else, so the format stays the protocol's (docs/protocol.md 2.3).
"""

from __future__ import annotations

import hashlib
import os
import tarfile

from ..errors import InputError

BLOCK = tarfile.BLOCKSIZE
RECORD = tarfile.RECORDSIZE
_MAX_OCTAL = 8 ** 11  # what fits the 12-byte size and mtime fields
_READ = 1 << 20
_TAIL = b"0000644\x000000000\x000000000\x00"  # mode, uid, gid
_REST = b"0" + b"\x00" * 100 + b"ustar\x0000" + b"\x00" * (32 + 32 + 8 + 8 + 155 + 12)


def tarinfo(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.size, ti.mtime, ti.mode, ti.type = size, mtime, 0o644, tarfile.REGTYPE
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    return ti


def header(name: str, size: int, mtime: int) -> bytes:
    """The header block(s) tarfile writes for a regular file of root's, mode 0644, in PAX format."""
    raw = name.encode("utf-8", "surrogateescape")
    if len(raw) > 100 or not name.isascii() or not 0 <= size < _MAX_OCTAL or not 0 <= mtime < _MAX_OCTAL:
        return tarinfo(name, size, mtime).tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
    head = raw.ljust(100, b"\x00") + _TAIL + b"%011o\x00%011o\x00" % (size, mtime)
    chksum = sum(head) + 8 * 32 + sum(_REST)  # the checksum field counts as eight spaces
    return head + b"%06o\x00 " % chksum + _REST


def _pad(n: int) -> bytes:
    return b"\x00" * (-n % BLOCK)


class TarWriter:
    """Regular-file members into the binary stream `out`, then the end-of-archive blocks tarfile writes."""

    def __init__(self, out):
        self.out = out
        self.offset = 0

    def add_bytes(self, name: str, data: bytes, mtime: int) -> None:
        self._emit(header(name, len(data), mtime) + data + _pad(len(data)))

    def add_file(self, name: str, path: str | os.PathLike, size: int, sha256: str, mtime: int) -> None:
        """The file at `path`, which must still be the `size` bytes of digest `sha256` it was scanned as:
        the bytes that travel are the bytes hashed."""
        h = hashlib.sha256()
        with open(path, "rb") as f:
            if size < _READ:  # a page: one read (of one byte more, to see the end), one write
                data = f.read(size + 1)
                h.update(data)
                if len(data) == size and h.hexdigest() == sha256:
                    self._emit(header(name, size, mtime) + data + _pad(size))
                    return
            else:
                self._emit(header(name, size, mtime))
                got = 0
                while (data := f.read(_READ)) and got + len(data) <= size:
                    h.update(data)
                    self.out.write(data)
                    got += len(data)
                if got == size and not data and h.hexdigest() == sha256:
                    self._emit(_pad(size), counted=size)
                    return
        raise InputError(f"{path}: changed while the package was being built; build again once the site is "
                         "complete")

    def _emit(self, data: bytes, counted: int = 0) -> None:
        self.out.write(data)
        self.offset += len(data) + counted

    def close(self) -> None:
        """Two zero blocks, then zeros to a whole record, as tarfile ends an archive."""
        end = self.offset + 2 * BLOCK
        self.out.write(b"\x00" * (2 * BLOCK + (-end % RECORD)))
