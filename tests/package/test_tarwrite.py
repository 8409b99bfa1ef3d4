"""The package's own tar writer: byte for byte what tarfile writes in PAX format for the same members, and a
file that is not what it was scanned as never travels."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pregon.errors import InputError
from pregon.package import tarwrite

_names = st.one_of(
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e), min_size=1, max_size=120),  # ≤100: ustar
    st.text(st.characters(min_codepoint=0xa1, max_codepoint=0x2ff), min_size=1, max_size=20),  # PAX path
)


def _by_tarfile(members, mtime) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8") as tar:
        for name, data in members:
            tar.addfile(tarwrite.tarinfo(name, len(data), mtime), io.BytesIO(data))
    return out.getvalue()


@settings(max_examples=60, deadline=None)
@given(members=st.lists(st.tuples(_names, st.binary(max_size=1500)), max_size=6),
       mtime=st.one_of(st.integers(0, 8 ** 11 - 1), st.integers(8 ** 11, 8 ** 12)))
def test_the_bytes_are_tarfiles(tmp_path_factory, members, mtime):
    d = tmp_path_factory.mktemp("files")
    out = io.BytesIO()
    w = tarwrite.TarWriter(out)
    for i, (name, data) in enumerate(members):
        if i % 2:
            w.add_bytes(name, data, mtime)
        else:
            p = d / f"f{i}"
            p.write_bytes(data)
            w.add_file(name, p, len(data), hashlib.sha256(data).hexdigest(), mtime)
    w.close()
    assert out.getvalue() == _by_tarfile(members, mtime)


@pytest.mark.parametrize("size", [10, (1 << 20) + 7])
@pytest.mark.parametrize("change", ["longer", "shorter", "other bytes"])
def test_a_file_changed_since_it_was_scanned_is_refused(tmp_path, size, change):
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    p = tmp_path / "page.html"
    p.write_bytes({"longer": data + b"!", "shorter": data[:-1], "other bytes": data[:-1] + b"?"}[change])
    with pytest.raises(InputError, match="changed while the package was being built"):
        tarwrite.TarWriter(io.BytesIO()).add_file("page.html", p, size, hashlib.sha256(data).hexdigest(), 0)


def test_a_large_file_streams_through(tmp_path):
    data = b"0123456789abcdef" * (3 << 16)  # 3 MiB: read in pieces
    p = tmp_path / "base.zip"
    p.write_bytes(data)
    out = io.BytesIO()
    w = tarwrite.TarWriter(out)
    w.add_file("descargas/base.zip", p, len(data), hashlib.sha256(data).hexdigest(), 1717372800)
    w.close()
    assert out.getvalue() == _by_tarfile([("descargas/base.zip", data)], 1717372800)
