"""Damage anywhere in a good package is refused.

What is authenticated is the inflated byte stream (signature, SHA-256 per file, gzip CRC-32, strict framing),
plus the gzip header, which the verifier requires to be canonical. DEFLATE itself admits equivalent
encodings: a flipped bit can re-point a back-reference to an earlier identical run (tar padding is zeros,
sites repeat themselves) or land in padding no decoder reads, and the file still inflates to exactly the same
bytes. Such a file is the same package, so the property is: a damaged package is refused unless it inflates
to exactly the original bytes. The exhaustive sweep shows how rare that is.
"""

from __future__ import annotations

import functools
import os
import tempfile
import zlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from package.forge import NOW, write_site

from pregon.package import PackageRefused, build_package, generate, verify_package

_KEY = generate()


@functools.cache
def good_package() -> bytes:
    with tempfile.TemporaryDirectory() as d:
        site = write_site(Path(d) / "site")
        build_package(site, key=_KEY, sequence=1, out=Path(d) / "p.tar.gz")
        return (Path(d) / "p.tar.gz").read_bytes()


@functools.cache
def good_inflated() -> bytes:
    return zlib.decompress(good_package(), wbits=31)


def inflates_identically(data: bytes) -> bool:
    try:
        return zlib.decompress(data, wbits=31) == good_inflated()
    except zlib.error:
        return False


def outcome(data: bytes, tmp: Path) -> str:
    p = tmp / "candidate.tar.gz"
    p.write_bytes(data)
    try:
        verify_package(p, trusted_keys=[_KEY.public], now=NOW)
    except PackageRefused as exc:
        return exc.reason
    return "accepted"


def test_the_good_package_is_accepted(tmp_path):
    assert outcome(good_package(), tmp_path) == "accepted"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_flipped_bytes_are_refused(tmp_path, data):
    raw = bytearray(good_package())
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(1, 255)), min_size=1, max_size=4))
    for pos, mask in flips:
        raw[pos] ^= mask
    if bytes(raw) == good_package():
        return  # two flips cancelled out
    result = outcome(bytes(raw), tmp_path)
    assert result != "accepted" or inflates_identically(bytes(raw)), flips


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_truncated_or_extended_files_are_refused(tmp_path, data):
    raw = good_package()
    n = data.draw(st.integers(0, len(raw) - 1))
    assert outcome(raw[:n], tmp_path) != "accepted"
    tail = data.draw(st.binary(min_size=1, max_size=64))
    assert outcome(raw + tail, tmp_path) != "accepted"


def test_every_single_byte_flip(tmp_path):
    """Exhaustive over positions, for a low-bit and a high-bit flip (DEFLATE pads in the high bits)."""
    raw = good_package()
    path = tmp_path / "candidate.tar.gz"
    path.write_bytes(raw)
    accepted = []
    with open(path, "r+b", buffering=0) as f:  # flip in place: no file-system metadata work per case
        for pos in range(len(raw)):
            for mask in (0x01, 0x80):
                os.pwrite(f.fileno(), bytes([raw[pos] ^ mask]), pos)
                try:
                    verify_package(path, trusted_keys=[_KEY.public], now=NOW)
                    damaged = bytearray(raw)
                    damaged[pos] ^= mask
                    assert inflates_identically(bytes(damaged)), (pos, mask)
                    accepted.append((pos, mask))
                except PackageRefused:
                    pass
                os.pwrite(f.fileno(), raw[pos:pos + 1], pos)
    assert all(pos >= 10 for pos, _ in accepted), accepted  # the gzip header is checked byte for byte
    assert all(pos < len(raw) - 8 for pos, _ in accepted), accepted  # so is the trailer (CRC-32, length)
    assert len(accepted) < 0.01 * 2 * len(raw), accepted
