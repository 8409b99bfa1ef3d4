"""A gzip writer that compresses on every core and still gives the same bytes everywhere.

Compressing is most of what building a package costs (a national site is 5 GB of text at DEFLATE level 6, a
minute and more on one core). zlib lets go of the GIL while it compresses, so threads can share the work,
the way pigz does: the input is cut into blocks of a fixed size, each compressed on its own with the 32 KiB
before it as its dictionary, ended with a sync flush (an empty stored block, so the next one starts on a byte),
and the pieces are written in order. The result is one ordinary gzip member (docs/protocol.md 2.3: the same
10-byte header, DEFLATE at level 6, CRC-32 and length): any inflater reads it as it reads gzip's. The bytes
depend on the block size, a constant here, never on the number of threads, so the same input gives the same
package on any machine with the same zlib.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from .tarstream import GZIP_HEADER

BLOCK = 1 << 20  # input bytes per block: part of the format of what we write, do not tune per machine
_WINDOW = 32 * 1024


def _deflate(data: bytes, dictionary: bytes, level: int, last: bool) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, zdict=dictionary) \
        if dictionary else zlib.compressobj(level, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY)
    return c.compress(data) + c.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


class ParallelGzipWriter:
    """A binary file-like object (write, close) that writes one gzip member to `fileobj`."""

    def __init__(self, fileobj, level: int = 6, threads: int | None = None):
        self.out = fileobj
        self.level = level
        self.crc = 0
        self.size = 0
        self.buf = bytearray()
        self.tail = b""  # the last 32 KiB of input before the current block: its dictionary
        self.threads = max(1, threads if threads is not None else (os.cpu_count() or 1))
        self.pool = ThreadPoolExecutor(self.threads) if self.threads > 1 else None
        self.pending: deque = deque()
        self.closed = False
        self.out.write(GZIP_HEADER)

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        """Uncompressed bytes written so far (what tarfile asks of the stream it writes to)."""
        return self.size + len(self.buf)

    def write(self, data) -> int:
        self.buf += data
        while len(self.buf) > BLOCK:  # strictly more: the last block is the one close() finishes
            block = bytes(self.buf[:BLOCK])
            del self.buf[:BLOCK]
            self._submit(block, last=False)
        return len(data)

    def _submit(self, block: bytes, last: bool) -> None:
        self.crc = zlib.crc32(block, self.crc)
        self.size += len(block)
        args = (block, self.tail, self.level, last)
        self.tail = (self.tail + block)[-_WINDOW:] if len(block) < _WINDOW else block[-_WINDOW:]
        if self.pool is None:
            self.out.write(_deflate(*args))
            return
        self.pending.append(self.pool.submit(_deflate, *args))
        while len(self.pending) > 2 * self.threads:  # bounded: memory stays a few blocks per thread
            self.out.write(self.pending.popleft().result())

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self._submit(bytes(self.buf), last=True)
            self.buf.clear()
            while self.pending:
                self.out.write(self.pending.popleft().result())
            self.out.write(struct.pack("<II", self.crc & 0xFFFFFFFF, self.size & 0xFFFFFFFF))
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:  # the archive is abandoned (atomic_file removes it): stop the workers, write nothing more
            self.closed = True
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)
