"""The site writer: a new name is created where it goes only where nobody reads yet; a hard link is never
written through."""

import os

import pytest

from pregon.site import files


@pytest.mark.parametrize("unread", [True, False])
def test_a_taken_name_is_replaced_and_a_new_one_created_only_where_nobody_reads(tmp_path, monkeypatch, unread):
    out = tmp_path / "site"
    out.mkdir()
    older = tmp_path / "older.html"  # the previous corte's file, linked into the new site
    older.write_bytes(b"previous corte")
    os.link(older, out / "taken.html")
    replaced = []
    real = os.replace
    monkeypatch.setattr(files.os, "replace", lambda a, b: (replaced.append(os.path.relpath(b, out)), real(a, b)))
    w = files.Writer(out, fresh=False, unread=unread)
    w.write("sec/new.html", b"a new page")
    w.write("taken.html", b"this corte")
    assert (out / "sec" / "new.html").read_bytes() == b"a new page"
    assert (out / "taken.html").read_bytes() == b"this corte"
    assert older.read_bytes() == b"previous corte"  # never written through the link
    assert (out / "taken.html").stat().st_ino != older.stat().st_ino
    # a site being read gets every file whole (written beside, renamed); a new one is spared the rename
    assert replaced == (["taken.html"] if unread else ["sec/new.html", "taken.html"])
    assert sorted(p.name for p in out.rglob("*")) == ["new.html", "sec", "taken.html"]  # no scratch left
    assert (w.files, w.bytes) == (2, len(b"a new page") + len(b"this corte"))
