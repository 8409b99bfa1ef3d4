"""The builder's digest cache: a file unchanged since the last scan (same inode and stat, as the incremental
render's hard links are) is not read again; anything else is; and the scan's answer never depends on it."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pregon.package import build as build_mod
from pregon.package import digestcache
from pregon.package.build import scan_site


class Counting:
    """hashlib.file_digest, counting the files it reads."""

    def __init__(self, monkeypatch):
        self.n = 0
        real = hashlib.file_digest

        def counted(f, name):
            self.n += 1
            return real(f, name)
        monkeypatch.setattr(build_mod.hashlib, "file_digest", counted)


def _site(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def _age(root: Path, seconds_ago: int = 3600) -> None:
    """As if the files were written earlier (the cache does not trust a stamp as fresh as its scan)."""
    t = time.time_ns() - seconds_ago * 1_000_000_000
    for p in root.rglob("*"):
        if p.is_file():
            os.utime(p, ns=(t, t))


def _link_tree(src: Path, dst: Path) -> None:
    """What the incremental render does with unchanged pages: hard links into the next corte's directory."""
    for p in src.rglob("*"):
        if p.is_file():
            q = dst / p.relative_to(src)
            q.parent.mkdir(parents=True, exist_ok=True)
            os.link(p, q)


def test_a_hard_linked_next_corte_is_not_read_again(tmp_path, monkeypatch):
    cache = tmp_path / "digests.gz"
    a = _site(tmp_path / "1", {f"s/{i}.html": b"x" * i for i in range(50)} | {"json/main.json": b"{}"})
    _age(a)
    count = Counting(monkeypatch)
    first = scan_site(a, cache=cache)
    assert count.n == 51
    b = tmp_path / "2"
    _link_tree(a, b)
    (b / "s/7.html").unlink()
    (b / "s/7.html").write_bytes(b"changed")  # the render writes a changed page anew (a new inode)
    (b / "nuevo.html").write_bytes(b"new")
    count.n = 0
    second = scan_site(b, cache=cache)
    assert count.n == 2  # the rewritten page and the new one; the 49 links are known
    assert second == scan_site(b)  # exactly what a scan without the cache says
    assert {e.path: e for e in second}["s/7.html"].sha256 == hashlib.sha256(b"changed").hexdigest()
    assert first != second


def test_a_file_changed_in_place_is_read_again(tmp_path, monkeypatch):
    cache = tmp_path / "digests.gz"
    site = _site(tmp_path / "s", {"a.html": b"one", "b.html": b"two"})
    _age(site)
    scan_site(site, cache=cache)
    with open(site / "a.html", "ab") as f:  # same inode, new size and time
        f.write(b" more")
    count = Counting(monkeypatch)
    entries = {e.path: e for e in scan_site(site, cache=cache)}
    assert count.n == 1 and entries["a.html"].sha256 == hashlib.sha256(b"one more").hexdigest()


def test_a_damaged_cache_is_an_empty_one(tmp_path, monkeypatch):
    site = _site(tmp_path / "s", {"a.html": b"one", "b.html": b"two"})
    cache = tmp_path / "digests.gz"
    _age(site)
    want = scan_site(site, cache=cache)
    for junk in (b"", b"not gzip", digestcache.gzip.compress(b"pregon-digests 9 1\n"),
                 digestcache.gzip.compress(b"pregon-digests 1\n"),
                 digestcache.gzip.compress(b"pregon-digests 1 99999999999999999999\nzz 1 2 3 4\n"
                                           + b"a" * 64 + b" x y z w\n")):
        cache.write_bytes(junk)
        count = Counting(monkeypatch)
        assert scan_site(site, cache=cache) == want and count.n == 2
    assert digestcache.load(tmp_path / "missing.gz") == {}


def test_a_stamp_as_fresh_as_the_scan_is_not_trusted(tmp_path, monkeypatch):
    """Racy clean: a file written just before a scan and rewritten in place just after, within the file
    system's clock tick, keeps its size and stamp; it must be read again."""
    cache = tmp_path / "digests.gz"
    site = _site(tmp_path / "s", {"a.html": b"one"})
    stamp = (site / "a.html").stat().st_mtime_ns
    scan_site(site, cache=cache)
    (site / "a.html").write_bytes(b"two")  # same inode, same size
    os.utime(site / "a.html", ns=(stamp, stamp))  # and, as a coarse clock would, the same stamp
    count = Counting(monkeypatch)
    assert scan_site(site, cache=cache)[0].sha256 == hashlib.sha256(b"two").hexdigest() and count.n == 1


def test_the_cache_keeps_only_what_the_last_scan_saw(tmp_path):
    cache = tmp_path / "digests.gz"
    site = _site(tmp_path / "s", {"a.html": b"one", "b.html": b"two"})
    _age(site)
    scan_site(site, cache=cache)
    (site / "b.html").unlink()
    scan_site(site, cache=cache)
    assert list(digestcache.load(cache).values()) == [hashlib.sha256(b"one").hexdigest()]


OPS = st.lists(st.tuples(st.sampled_from(["write", "append", "rewrite", "remove", "next"]),
                         st.integers(0, 5), st.binary(max_size=20)), max_size=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_the_cache_never_changes_the_answer(tmp_path, ops):
    work = tmp_path / "w"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    cache = work / "digests.gz"
    n = 0
    site = work / "0"
    site.mkdir()
    base = time.time_ns() - 10_000 * 1_000_000_000
    for k, (op, i, data) in enumerate(ops):
        p = site / f"d{i % 2}" / f"{i}.html"
        p.parent.mkdir(exist_ok=True)
        if op == "write":
            tmp = p.with_suffix(".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, p)
        elif op == "append" and p.exists():
            with open(p, "ab") as f:
                f.write(data + b"!")
        elif op == "rewrite" and p.exists():
            p.write_bytes(data)  # in place: same inode
        elif op == "remove" and p.exists():
            p.unlink()
        elif op == "next":  # the next corte: a hard-linked copy
            n += 1
            nxt = work / str(n)
            nxt.mkdir()
            _link_tree(site, nxt)
            site = nxt
        if op in ("write", "append", "rewrite") and p.exists():
            t = base + k * 1_000_000_000  # each change a tick later: old enough for the cache to trust
            os.utime(p, ns=(t, t))
        assert scan_site(site, cache=cache) == scan_site(site)
