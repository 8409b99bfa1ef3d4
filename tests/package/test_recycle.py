"""A delta staged over a recycled release (verify._Patcher): the tree it leaves is exactly the one staged from
nothing, whatever the recycled tree held (strays, damage, a file where a directory goes); the live release it
links from is never written; a refused package leaves nothing behind; a notice leaves the recycled tree as it was."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from package.forge import NOW, read_tree, write_site

from pregon.package import build_notice, build_package, commit_state, load_state, verify_and_stage
from pregon.package.errors import PackageRefused


def _tree_with_inodes(root: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(root)): (p.stat().st_ino, p.read_bytes()) for p in sorted(root.rglob("*"))
            if p.is_file()}


def _night(tmp: Path, key, sites: list[dict[str, bytes]]):
    """Packages of consecutive cortes (a full one, then deltas), and the releases of all but the last applied
    one after another, as a receiver would have them: [(package, release, state_dir, manifest)]."""
    out = []
    prev_pkg = None
    state_dir = tmp / "state"
    for i, files in enumerate(sites, start=1):
        site = write_site(tmp / f"site{i}", files, sequence=i)
        pkg = tmp / f"p{i}.tar.gz"
        built = build_package(site, key=key, sequence=i, out=pkg, base=prev_pkg)
        out.append((pkg, tmp / f"r{i}", built.manifest))
        prev_pkg = pkg
    for i, (pkg, rel, _m) in enumerate(out[:-1]):
        state = load_state(state_dir) if i else None
        prev = out[i - 1][1] if i else None
        v = verify_and_stage(pkg, rel, trusted_keys=[key.public], state=state, previous_release_dir=prev, now=NOW,
                             durable=False)
        commit_state(state_dir, v)
    return out, load_state(state_dir)


BASE = {"index.html": b"<p>corte</p>", "css/a.css": b"body{}", "s/1.html": b"uno", "s/2.html": b"dos",
        "s/3.html": b"tres", "d/x/y.json": b"{}"}


def _three_cuts():
    two = {**BASE, "s/1.html": b"uno bis", "nuevo.html": b"n"}
    del two["s/3.html"]
    three = {**two, "s/2.html": b"dos bis", "s/3.html": b"tres otra vez"}
    three["d/x"] = b"now a file where a directory was"
    del three["d/x/y.json"]
    return [BASE, two, three]


def _recycle_copy(src: Path, dst: Path, link: bool = True) -> None:
    if link:
        shutil.copytree(src, dst, copy_function=os.link)
    else:
        shutil.copytree(src, dst)


def test_patched_tree_equals_the_tree_staged_from_nothing(tmp_path, key):
    night, state = _night(tmp_path, key, _three_cuts())
    (p1, r1, m1), (p2, r2, m2), (p3, _r3, m3) = night
    live_before, r1_before = _tree_with_inodes(r2), _tree_with_inodes(r1)
    fresh = tmp_path / "fresh"
    verify_and_stage(p3, fresh, trusted_keys=[key.public], state=state, previous_release_dir=r2, now=NOW,
                     durable=False)
    recycled = tmp_path / ".staging-r1"
    _recycle_copy(r1, recycled)
    v = verify_and_stage(p3, recycled, trusted_keys=[key.public], state=state, previous_release_dir=r2, now=NOW,
                         durable=False, recycled=m1.file_map)
    assert v.kind == "delta" and read_tree(recycled) == read_tree(fresh)
    assert _tree_with_inodes(r2) == live_before  # the live release: same names, same inodes, same bytes
    assert _tree_with_inodes(r1) == r1_before  # nor the release whose links were recycled
    assert not Path(str(recycled) + "-nuevo").exists()
    # what did not change since the recycled tree kept its inode; what came from the live release is shared
    ino = {p: i for p, (i, _b) in _tree_with_inodes(recycled).items()}
    assert ino["css/a.css"] == (r1 / "css/a.css").stat().st_ino
    assert ino["s/1.html"] == (r2 / "s/1.html").stat().st_ino  # changed in cut 2, kept in 3: linked from live


def test_strays_and_damage_in_the_recycled_tree_do_not_survive(tmp_path, key):
    night, state = _night(tmp_path, key, _three_cuts())
    (p1, r1, m1), (p2, r2, _m2), (p3, _r3, _m3) = night
    fresh = tmp_path / "fresh"
    verify_and_stage(p3, fresh, trusted_keys=[key.public], state=state, previous_release_dir=r2, now=NOW,
                     durable=False)
    recycled = tmp_path / ".staging-r1"
    _recycle_copy(r1, recycled, link=False)  # a copy of its own: damaging it harms no other release
    (recycled / "extra.html").write_bytes(b"nobody listed me")
    (recycled / "s" / "zz").mkdir()
    (recycled / "s" / "zz" / "deep.txt").write_bytes(b"stray")
    os.chmod(recycled / "css/a.css", 0o644)
    (recycled / "css/a.css").write_bytes(b"body{}!")  # damaged: another size
    (recycled / "index.html").unlink()
    os.symlink("/etc/passwd", recycled / "index.html")  # a link where a kept file was
    verify_and_stage(p3, recycled, trusted_keys=[key.public], state=state, previous_release_dir=r2, now=NOW,
                     durable=False, recycled=m1.file_map)
    assert read_tree(recycled) == read_tree(fresh)
    assert not (recycled / "index.html").is_symlink()


def test_a_refused_delta_over_a_recycled_release_leaves_nothing(tmp_path, key):
    night, state = _night(tmp_path, key, _three_cuts())
    (p1, r1, m1), (p2, r2, _m2), (p3, _r3, _m3) = night
    bad = tmp_path / "bad.tar.gz"
    data = bytearray(p3.read_bytes())
    data[-40] ^= 0xFF  # corrupt the compressed stream near its end (a member's bytes or the trailer)
    bad.write_bytes(bytes(data))
    live_before = _tree_with_inodes(r2)
    recycled = tmp_path / ".staging-r1"
    _recycle_copy(r1, recycled)
    with pytest.raises(PackageRefused):
        verify_and_stage(bad, recycled, trusted_keys=[key.public], state=state, previous_release_dir=r2, now=NOW,
                         durable=False, recycled=m1.file_map)
    assert not recycled.exists() and not Path(str(recycled) + "-nuevo").exists()
    assert _tree_with_inodes(r2) == live_before


def test_a_notice_leaves_the_recycled_tree_as_it_was(tmp_path, key):
    night, state = _night(tmp_path, key, _three_cuts()[:2])
    (p1, r1, m1), (_p2, _r2, _m2) = night
    notice = tmp_path / "n.tar.gz"
    build_notice(key=key, sequence=5, election="MOR-2024", notice_type="message", message="Aviso",
                 created=NOW, out=notice)
    recycled = tmp_path / ".staging-r1"
    _recycle_copy(r1, recycled)
    before = read_tree(recycled)
    v = verify_and_stage(notice, recycled, trusted_keys=[key.public], state=state, previous_release_dir=r1,
                         now=NOW, durable=False, recycled=m1.file_map)
    assert v.kind == "notice" and read_tree(recycled) == before


_NAMES = st.sampled_from(["a.html", "b.html", "s/1.html", "s/2.html", "s/t/3.json", "d", "d/e.html", "x/y/z"])
_SITE = st.dictionaries(_NAMES, st.binary(max_size=12), min_size=1, max_size=8)


def _valid(files: dict[str, bytes]) -> bool:
    """No name is both a file and another file's directory (the package layer refuses such a tree)."""
    names = set(files) | {"json/main.json"}
    return not any(n.startswith(m + "/") for n in names for m in names)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sites=st.lists(_SITE.filter(_valid), min_size=3, max_size=3))
def test_recycling_never_changes_the_tree(tmp_path, key, sites):
    work = tmp_path / hashlib.sha256(repr(sites).encode()).hexdigest()[:12]
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    night, state = _night(work, key, sites)
    (p1, r1, m1), (p2, r2, _m2), (p3, _r3, _m3) = night
    fresh = work / "fresh"
    verify_and_stage(p3, fresh, trusted_keys=[key.public], state=state, previous_release_dir=r2, now=NOW,
                     durable=False)
    recycled = work / ".staging-r1"
    _recycle_copy(r1, recycled)
    verify_and_stage(p3, recycled, trusted_keys=[key.public], state=state, previous_release_dir=r2, now=NOW,
                     durable=False, recycled=m1.file_map)
    assert read_tree(recycled) == read_tree(fresh)
    shutil.rmtree(work)

