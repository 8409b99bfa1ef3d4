"""pregon.durable: the one way records are written. A reader sees the old file or the new one; a JSON line
counts once its newline is written; a full disk tears nothing."""

from __future__ import annotations

import errno
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pregon import durable

records = st.lists(st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=20), st.none()),
                                   max_size=4), max_size=12)


@settings(max_examples=60, deadline=None)
@given(records, st.binary(max_size=40))
def test_complete_lines_are_read_and_a_torn_tail_is_not(tmp_path_factory, recs, tail):
    p = tmp_path_factory.mktemp("jl") / "j.jsonl"
    for r in recs:
        durable.append_jsonl(p, r, fsync=False)
    with open(p, "ab") as f:  # a writer that crashed mid-line
        f.write(tail.replace(b"\n", b""))
    assert durable.read_jsonl(p) == recs
    got, offset = durable.read_new_jsonl(p, 0)
    assert got == recs and offset == len(b"".join(durable.jsonl(r, sort_keys=True).encode() for r in recs))
    with open(p, "ab") as f:  # the writer finishes its line: the follower picks it up from where it was
        f.write(b"\n" + json.dumps({"n": 1}).encode() + b"\n")
    more, _ = durable.read_new_jsonl(p, offset)
    assert more[-1] == {"n": 1}


def test_a_refused_append_leaves_no_torn_line(tmp_path, monkeypatch):
    p = tmp_path / "j.jsonl"
    durable.append_jsonl(p, {"a": 1}, fsync=False)
    real_write = os.write

    def short(fd, data):  # the disk takes half of it, then is full
        return real_write(fd, data[: len(data) // 2])

    monkeypatch.setattr(durable.os, "write", short)
    with pytest.raises(OSError) as exc:
        durable.append_jsonl(p, {"b": "x" * 100}, fsync=False)
    assert exc.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert p.read_bytes() == b'{"a": 1}\n'


def test_atomic_write_and_swap_leave_old_or_new(tmp_path):
    f = tmp_path / "state.json"
    durable.write_json(f, {"v": 1})
    assert durable.read_json(f) == {"v": 1}
    durable.write_json(f, {"v": 2})
    assert durable.read_json(f) == {"v": 2} and sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]
    assert durable.read_json(tmp_path / "none.json", default={}) == {}
    (tmp_path / "r1").mkdir()
    (tmp_path / "r2").mkdir()
    link = tmp_path / "current"
    durable.swap_symlink(link, "r1")
    durable.swap_symlink(link, "r2")
    assert os.readlink(link) == "r2" and not [p for p in tmp_path.iterdir() if p.name.startswith(".current")]


def test_sha256_file(tmp_path):
    f = tmp_path / "x"
    f.write_bytes(b"abc")
    assert durable.sha256_file(f) == (3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
