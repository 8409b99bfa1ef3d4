"""A delta staged over a recycled release (verify._Patcher): the tree it leaves is exactly the one staged from
nothing, whatever the recycled tree held (strays, damage, a file where a directory goes); the live release it
links from is never written; a package refused before its members never touches the older release, one
refused during them leaves nothing behind; notices and full packages never recycle."""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from package.forge import NOW, read_tree, tar_gz, write_site

from pregon.package import build_notice, build_package, commit_state, load_state, verify_and_stage
from pregon.package.errors import PackageRefused


def _tree_with_inodes(root: Path) -> dict[str, tuple[int, bytes]]:
    return {str(p.relative_to(root)): (p.stat().st_ino, p.read_bytes()) for p in sorted(root.rglob("*"))
            if p.is_file()}


def _night(tmp: Path, key, sites: list[dict[str, bytes]]):
    """Packages of consecutive cortes (a full one, then deltas), and the releases of all but the last applied
    one after another, as a receiver would have them: [(package, release, state_dir, manifest)]."""
    out = []
    prev_site = None
    state_dir = tmp / "state"
    for i, files in enumerate(sites, start=1):
        site = write_site(tmp / f"site{i}", files, sequence=i)
        pkg = tmp / f"p{i}.tar.gz"
        built = build_package(site, key=key, sequence=i, out=pkg, base=prev_site, base_sequence=i - 1)
        out.append((pkg, tmp / f"r{i}", built.manifest))
        prev_site = site
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


def _recycler(src: Path, dst: Path, tree, *, link: bool = True, damage=None, calls=None):
    """A `recycle` callback: a copy of release `src` (hard-linked, or a copy of its own) put at `dst`."""
    def recycle():
        if calls is not None:
            calls.append(dst)
        os.rmdir(dst)  # the empty staging directory the stager made
        shutil.copytree(src, dst, copy_function=os.link if link else shutil.copy2)
        if damage is not None:
            damage(dst)
        return tree
    return recycle


def test_patched_tree_equals_the_tree_staged_from_nothing(tmp_path, key):
    night, state = _night(tmp_path, key, _three_cuts())
    (p1, r1, m1), (p2, r2, m2), (p3, _r3, m3) = night
    live_before, r1_before = _tree_with_inodes(r2), _tree_with_inodes(r1)
    fresh = tmp_path / "fresh"
    verify_and_stage(p3, fresh, trusted_keys=[key.public], state=state, previous_release_dir=r2, now=NOW,
                     durable=False)
    recycled = tmp_path / ".staging-r1"
    v = verify_and_stage(p3, recycled, trusted_keys=[key.public], state=state, previous_release_dir=r2, now=NOW,
                         durable=False, recycle=_recycler(r1, recycled, m1.file_map))
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

    def damage(d: Path) -> None:
        (d / "extra.html").write_bytes(b"nobody listed me")
        (d / "s" / "zz").mkdir()
        (d / "s" / "zz" / "deep.txt").write_bytes(b"stray")
        os.chmod(d / "css/a.css", 0o644)
        (d / "css/a.css").write_bytes(b"body{}!")  # damaged: another size
        (d / "index.html").unlink()
        os.symlink("/etc/passwd", d / "index.html")  # a link where a kept file was
    verify_and_stage(p3, recycled, trusted_keys=[key.public], state=state, previous_release_dir=r2, now=NOW,
                     durable=False, recycle=_recycler(r1, recycled, m1.file_map, link=False, damage=damage))
    assert read_tree(recycled) == read_tree(fresh)
    assert not (recycled / "index.html").is_symlink()


def test_a_delta_refused_in_its_members_leaves_nothing(tmp_path, key):
    night, state = _night(tmp_path, key, _three_cuts())
    (p1, r1, m1), (p2, r2, _m2), (p3, _r3, _m3) = night
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(p3) as tar:  # the signed delta, with its last member's bytes changed (same size)
        members = [(ti.name, tar.extractfile(ti).read()) for ti in tar.getmembers()]
    name, data = members[-1]
    members[-1] = (name, bytes([data[0] ^ 1]) + data[1:])
    bad.write_bytes(tar_gz(members))
    live_before = _tree_with_inodes(r2)
    recycled, calls = tmp_path / ".staging-r1", []
    with pytest.raises(PackageRefused) as e:
        verify_and_stage(bad, recycled, trusted_keys=[key.public], state=state, previous_release_dir=r2, now=NOW,
                         durable=False, recycle=_recycler(r1, recycled, m1.file_map, calls=calls))
    assert e.value.reason == "hash-mismatch" and calls and not recycled.exists() and not Path(str(recycled) + "-nuevo").exists()
    assert _tree_with_inodes(r2) == live_before


def test_a_package_refused_before_its_members_never_recycles(tmp_path, key, other_key):
    night, state = _night(tmp_path, key, _three_cuts())
    (p1, r1, m1), (p2, r2, _m2), (p3, _r3, _m3) = night
    calls = []
    for bad, reason in ((p2, "replay"), (p3, "unknown-key")):
        staging = tmp_path / f".staging-{reason}"
        trusted = [key.public] if reason == "replay" else [other_key.public]
        with pytest.raises(PackageRefused) as e:
            verify_and_stage(bad, staging, trusted_keys=trusted, state=state if reason == "replay" else None,
                             previous_release_dir=r2, now=NOW, durable=False,
                             recycle=_recycler(r1, staging, m1.file_map, calls=calls))
        assert e.value.reason == reason and not staging.exists()
    assert calls == [] and r1.is_dir()


def test_notices_and_full_packages_never_recycle(tmp_path, key):
    night, state = _night(tmp_path, key, _three_cuts()[:2])
    (p1, r1, m1), (p2, _r2, _m2) = night
    notice = tmp_path / "n.tar.gz"
    build_notice(key=key, sequence=5, election="MOR-2024", notice_type="message", message="Aviso",
                 created=NOW, out=notice)
    full = tmp_path / "f.tar.gz"
    build_package(tmp_path / "site2", key=key, sequence=6, out=full)
    calls = []
    for pkg, kind in ((notice, "notice"), (full, "full")):
        staging = tmp_path / f".staging-{kind}"
        v = verify_and_stage(pkg, staging, trusted_keys=[key.public], state=state, previous_release_dir=r1,
                             now=NOW, durable=False, recycle=_recycler(r1, staging, m1.file_map, calls=calls))
        assert v.kind == kind
    assert calls == [] and read_tree(tmp_path / ".staging-full") == read_tree(tmp_path / "site2")


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
    verify_and_stage(p3, recycled, trusted_keys=[key.public], state=state, previous_release_dir=r2, now=NOW,
                     durable=False, recycle=_recycler(r1, recycled, m1.file_map))
    assert read_tree(recycled) == read_tree(fresh)
    shutil.rmtree(work)

