"""The tree listing the difusor keeps (the trusted state's base, a release's record): it reads back exactly what
was written, refuses what is not a listing, and a tree read beside another shares its unchanged entries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pregon.package import treelist
from pregon.package.manifest import FileEntry

_paths = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\\"), min_size=1,
                 max_size=30)
_entries = st.dictionaries(_paths, st.tuples(st.integers(0, 1 << 40), st.binary(min_size=32, max_size=32)),
                           max_size=40)


def _tree(d) -> dict[str, FileEntry]:
    return {p: FileEntry(p, size, sha) for p, (size, sha) in sorted(d.items())}


@given(_entries)
def test_a_listing_reads_back_what_was_written(d):
    tree = _tree(d)
    assert treelist.decode(treelist.encode(tree.values())) == tree


@given(_entries, _entries)
def test_a_tree_read_beside_another_shares_what_is_equal(a, b):
    first, second = _tree(a), _tree({**a, **b})  # the next cut: some entries changed or added
    read = treelist.decode(treelist.encode(second.values()), share=first)
    assert read == second
    for p, e in read.items():
        assert (e is first.get(p)) == (first.get(p) == e)


@pytest.mark.parametrize("data", [b"abc 1 x\n", b"%s 1 x" % (b"0" * 64), b"%s -1 x\n" % (b"0" * 64),
                                  b"%s 1 \n" % (b"0" * 64), b"%s 1\n" % (b"0" * 64), b"\xff\n"])
def test_what_is_not_a_listing_is_refused(data):
    with pytest.raises((ValueError, UnicodeDecodeError)):
        treelist.decode(data)
