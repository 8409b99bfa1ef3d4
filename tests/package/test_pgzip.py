"""The parallel gzip writer: one gzip member any inflater reads back, with the protocol's fixed header, and the
same bytes whatever the number of threads or the sizes of the writes."""

from __future__ import annotations

import gzip
import io
import os
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from pregon.package import pgzip
from pregon.package.tarstream import GZIP_HEADER


def _gz(parts, threads) -> bytes:
    out = io.BytesIO()
    with pgzip.ParallelGzipWriter(out, 6, threads=threads) as w:
        for p in parts:
            w.write(p)
    return out.getvalue()


# text-like input that compresses (repeats reach back across blocks) and random input that does not
_pieces = st.lists(st.one_of(st.binary(max_size=200).map(lambda b: b * 50), st.binary(max_size=3000)), max_size=12)


@settings(max_examples=40, deadline=None)
@given(pieces=_pieces, blocks=st.integers(0, 3), cut=st.integers(1, 70_000))
def test_what_is_written_inflates_back_the_same_everywhere(pieces, blocks, cut):
    data = b"".join(pieces) + b"x" * (blocks * pgzip.BLOCK)
    data += b"".join(pieces)
    parts = [data[i:i + cut] for i in range(0, len(data), cut)]
    one = _gz(parts, threads=1)
    assert _gz([data], threads=3) == one  # neither the threads nor the writes' sizes change a byte
    assert one[:10] == GZIP_HEADER and gzip.decompress(one) == data
    d = zlib.decompressobj(16 + 15)
    assert d.decompress(one) == data and d.eof and d.unused_data == b""  # one member, nothing after it


def test_blocks_see_the_block_before_as_dictionary():
    """A repeat that spans a block boundary still compresses: each block starts with its predecessor's tail."""
    first = os.urandom(pgzip.BLOCK)  # incompressible: costs its size
    data = first + first[-30_000:]  # the second block repeats the end of the first
    out = _gz([data], threads=2)
    assert len(out) < pgzip.BLOCK + 5_000 and gzip.decompress(out) == data
