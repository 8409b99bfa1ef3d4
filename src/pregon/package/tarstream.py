"""A strict, streaming reader for the package's tar.gz, with the limits enforced as bytes arrive.

Why not `tarfile`: it reads a pax header of any size into memory, accepts GNU and sparse extensions, and gives
no hook to stop a bomb mid-stream. This reader accepts only what the builder writes (POSIX ustar headers, pax
`x` headers with a few keys, regular files) and reports everything else as a refusal naming the member. It
never seeks and never touches the file system: verification is a pure function of the bytes.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from .errors import PackageRefused, show
from .limits import Limits

BLOCK = 512
# The one gzip header a package may have: deflate, no flags (no name, comment or extra field), MTIME 0,
# XFL 0, OS 255. zlib itself ignores MTIME/XFL/OS; checking them means no header byte can change unnoticed.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_ZERO_BLOCK = bytes(BLOCK)
_IN_CHUNK = 1 << 20  # compressed bytes read per call
_OUT_CHUNK = 1 << 20  # inflated bytes produced per call: bounds memory whatever the ratio
_OCTAL = re.compile(rb"[0-7]+")
_PAX_KEYS = {"path", "size", "mtime", "atime", "ctime", "uid", "gid", "uname", "gname"}
_TYPES = {
    b"1": "hard link", b"2": "symbolic link", b"3": "character device", b"4": "block device",
    b"5": "directory", b"6": "FIFO", b"7": "contiguous file", b"g": "global pax header",
    b"L": "GNU long name", b"K": "GNU long link name", b"S": "GNU sparse file", b"V": "volume label",
    b"M": "multi-volume continuation", b"D": "GNU dump directory", b"x": "pax header",
}


class Member(NamedTuple):
    name: str
    size: int
    mtime: int


class Inflater:
    """gzip bytes in, inflated chunks out, refusing bombs, truncation and trailing garbage."""

    def __init__(self, f: BinaryIO, limits: Limits):
        self._f = f
        self._limits = limits
        self._d = zlib.decompressobj(wbits=31)  # gzip framing only: header, CRC-32 and length checked
        self._read = 0
        self.inflated = 0

    @property
    def compressed(self) -> int:
        """Compressed bytes consumed so far (read ahead but not yet inflated does not count)."""
        return self._read - len(self._d.unconsumed_tail) - len(self._d.unused_data)

    def read_chunk(self) -> bytes:
        """The next non-empty piece of inflated data, or b"" once the gzip stream ended cleanly."""
        d, lim = self._d, self._limits
        while True:
            if d.eof:
                if d.unused_data or self._f.read(1):
                    raise PackageRefused("corrupt", "data after the end of the gzip stream")
                return b""
            data = d.unconsumed_tail
            if not data:
                first = self._read == 0
                data = self._f.read(_IN_CHUNK)
                if first and data[:10] != GZIP_HEADER[:len(data)]:
                    if data[:2] != GZIP_HEADER[:2]:
                        raise PackageRefused("corrupt", "not a gzip file")
                    raise PackageRefused("corrupt", "the gzip header is not the canonical one "
                                         "(no flags, MTIME 0, XFL 0, OS 255)")
                if not data:
                    raise PackageRefused(
                        "truncated", f"the file ends inside the gzip stream after {self._read} bytes "
                        "(an upload still in progress?)")
                self._read += len(data)
                if self._read > lim.max_compressed_bytes:
                    raise PackageRefused("bomb", f"compressed size over the limit of {lim.max_compressed_bytes}")
            try:
                out = d.decompress(data, _OUT_CHUNK)
            except zlib.error as exc:
                raise PackageRefused("corrupt", f"gzip stream damaged: {exc}") from None
            if out:
                self.inflated += len(out)
                if self.inflated > lim.max_uncompressed_bytes:
                    raise PackageRefused(
                        "bomb", f"inflates past the limit of {lim.max_uncompressed_bytes} bytes")
                if self.inflated > lim.ratio_floor_bytes and self.inflated > lim.max_ratio * max(self.compressed, 1):
                    raise PackageRefused(
                        "bomb", f"compression ratio over {lim.max_ratio}:1 "
                        f"({self.inflated} bytes from {self.compressed})")
                return out


def _octal(field: bytes, what: str) -> int:
    text = field.rstrip(b"\0 ").lstrip(b" ")
    if not text:
        return 0
    if not _OCTAL.fullmatch(text):
        raise PackageRefused("corrupt", f"tar header field {what} is not octal")
    return int(text, 8)


def _cstr(field: bytes) -> bytes:
    return field.split(b"\0", 1)[0]


def _decode_name(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PackageRefused("unsafe-member", f"member name {show(raw)} is not UTF-8") from None


def _parse_pax(data: bytes, limits: Limits) -> dict[str, str]:
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        m = re.match(rb"([1-9][0-9]{0,8}) ", data[pos:pos + 12])
        if not m:
            raise PackageRefused("corrupt", "malformed pax header record")
        length = int(m.group(1))
        record = data[pos:pos + length]
        if len(record) != length or not record.endswith(b"\n"):
            raise PackageRefused("corrupt", "malformed pax header record")
        key, sep, value = record[len(m.group(0)):-1].partition(b"=")
        if not sep:
            raise PackageRefused("corrupt", "malformed pax header record")
        k = _decode_name(key)
        if k not in _PAX_KEYS:
            raise PackageRefused("unsafe-member", f"unsupported pax record {show(k)}")
        if k in records:
            raise PackageRefused("corrupt", f"duplicate pax record {show(k)}")
        records[k] = _decode_name(value)
        pos += length
    return records


class TarReader:
    """Walks members in order. Call `next()`, then optionally consume `data()` before the next `next()`."""

    def __init__(self, inflater: Inflater, limits: Limits):
        self._inf = inflater
        self._limits = limits
        self._buf = b""
        self._mv = memoryview(self._buf)
        self._pos = 0
        self._left = 0  # data bytes of the current member not consumed yet
        self._pad = 0  # zero padding after them
        self._current: str | None = None

    def _refill(self, inside: str) -> None:
        chunk = self._inf.read_chunk()
        if not chunk:
            if inside == "member":
                inside = f"member {show(self._current or '')}"
            raise PackageRefused("truncated", f"the archive ends inside {inside} (an upload still in progress?)")
        self._buf, self._mv, self._pos = chunk, memoryview(chunk), 0

    def _take(self, n: int, inside: str) -> bytes:
        avail = len(self._buf) - self._pos
        if avail >= n:
            out = self._buf[self._pos:self._pos + n]
            self._pos += n
            return out
        parts = [self._buf[self._pos:]]
        need = n - avail
        while need:
            self._refill(inside)
            piece = self._buf[:need]
            self._pos = len(piece)
            parts.append(piece)
            need -= len(piece)
        return b"".join(parts)

    def _skip(self, n: int, inside: str, zeros: bool = False) -> None:
        while n:
            if self._pos >= len(self._buf):
                self._refill(inside)
            step = min(n, len(self._buf) - self._pos)
            if zeros and self._buf.count(0, self._pos, self._pos + step) != step:
                raise PackageRefused("corrupt", f"non-zero padding after member {show(self._current or '')}")
            self._pos += step
            n -= step

    def _header(self) -> bytes:
        return self._take(BLOCK, "a header, before its end-of-archive marker")

    def next(self) -> Member | None:
        """The next member's header, or None at the end-of-archive marker."""
        if self._left:
            self._skip(self._left, "member")
            self._left = 0
        if self._pad:
            self._skip(self._pad, "member", zeros=True)
            self._pad = 0
        block = self._header()
        if block == _ZERO_BLOCK:
            if self._header() != _ZERO_BLOCK:
                raise PackageRefused("corrupt", "a lone zero block inside the archive")
            return None
        pax: dict[str, str] = {}
        typeflag, fields = self._parse(block)
        if typeflag == b"x":
            size = fields["size"]
            if size > self._limits.max_pax_bytes:
                raise PackageRefused("bomb", f"pax header of {size} bytes, over the limit of {self._limits.max_pax_bytes}")
            data = self._take(-(-size // BLOCK) * BLOCK, "a pax header")
            if data.count(0, size) != len(data) - size:
                raise PackageRefused("corrupt", "non-zero padding after a pax header")
            data = data[:size]
            pax = _parse_pax(data, self._limits)
            block = self._header()
            if block == _ZERO_BLOCK:
                raise PackageRefused("corrupt", "pax header without a member")
            typeflag, fields = self._parse(block)
        name = pax["path"] if "path" in pax else _decode_name(fields["name"])
        if typeflag not in (b"0", b"\0"):
            kind = _TYPES.get(typeflag, f"unknown type {typeflag!r}")
            raise PackageRefused("unsafe-member", f"{show(name)} is a {kind}; packages carry regular files only")
        size = fields["size"]
        if "size" in pax:
            if not pax["size"].isdigit() or not pax["size"].isascii():
                raise PackageRefused("corrupt", f"{show(name)}: bad pax size")
            size = int(pax["size"])
        if size > self._limits.max_file_bytes:
            raise PackageRefused("bomb", f"{show(name)} is {size} bytes, over the limit of {self._limits.max_file_bytes}")
        self._current = name
        self._left = size
        self._pad = -size % BLOCK
        return Member(name, size, fields["mtime"])

    @staticmethod
    def _parse(block: bytes) -> tuple[bytes, dict]:
        stored = _octal(block[148:156], "chksum")
        unsigned = sum(block) - sum(block[148:156]) + 8 * 32
        if stored != unsigned:
            raise PackageRefused("corrupt", "tar header checksum mismatch")
        if block[257:265] != b"ustar\x0000":
            raise PackageRefused("corrupt", "not a POSIX ustar/pax header")
        name = _cstr(block[0:100])
        prefix = _cstr(block[345:500])
        if prefix:
            name = prefix + b"/" + name
        if block[124] & 0x80:
            raise PackageRefused("corrupt", "tar header size in base-256")
        return block[156:157], {
            "name": name,
            "size": _octal(block[124:136], "size"),
            "mtime": _octal(block[136:148], "mtime"),
        }

    def data(self) -> Iterator[memoryview]:
        """The current member's bytes, in pieces that are valid until the next step."""
        while self._left:
            if self._pos >= len(self._buf):
                self._refill("member")
            n = min(self._left, len(self._buf) - self._pos)
            view = self._mv[self._pos:self._pos + n]
            self._pos += n
            self._left -= n
            yield view

    def read(self) -> bytes:
        return b"".join(bytes(v) for v in self.data())

    def finish(self) -> None:
        """After the end marker: only zero padding may follow, then the gzip stream must end."""
        while True:
            if self._buf.count(0, self._pos) != len(self._buf) - self._pos:
                raise PackageRefused("corrupt", "data after the end-of-archive marker")
            chunk = self._inf.read_chunk()
            if not chunk:
                return
            self._buf, self._mv, self._pos = chunk, memoryview(chunk), 0
