"""Format-2 deltas (docs/protocol.md 3.5): the manifest lists only the changes, so what a format-1 manifest
proved by itself (the tree digest, the limits, the name collisions) must be proved on the base tree with the
changes applied. Each refusal here is a delta a format-1-minded verifier would have let through."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from package.forge import NOW, forge, manifest_dict, read_tree, sums_of, write_site

from pregon.package import build_package, commit_state, load_state, verify_and_stage, verify_package
from pregon.package.errors import PackageRefused
from pregon.package.limits import Limits
from pregon.package.manifest import FORMAT_2, tree_digest

BASE = {"index.html": b"<p>corte 1</p>", "s/a.html": b"a", "s/b.html": b"b", "css/x.css": b"body{}" * 5000}


def _entries(files: dict[str, bytes]) -> list[dict]:
    return [{"path": p, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for p, d in sorted(files.items())]


@pytest.fixture
def applied(tmp_path, key):
    """BASE applied from a full package: (state dir, live release, base tree digest)."""
    forge(tmp_path / "full.tar.gz", BASE, key=key)
    v = verify_and_stage(tmp_path / "full.tar.gz", tmp_path / "r1", trusted_keys=[key.public], now=NOW,
                         durable=False)
    commit_state(tmp_path / "state", v)
    return tmp_path / "state", tmp_path / "r1", v.tree


def _delta(tmp_path, key, base_tree, changes: dict[str, bytes], removed=(), result=None, **override):
    """A signed format-2 delta carrying `changes`; its tree is that of `result` (default: the honest one)."""
    if result is None:
        result = {p: d for p, d in BASE.items() if p not in removed} | changes
    m = manifest_dict(changes, key=key, sequence=2, kind="delta", format=FORMAT_2,
                      base={"sequence": 1, "tree": base_tree}, removed=sorted(removed))
    m["tree"] = hashlib.sha256(sums_of(_entries(result))).hexdigest()
    m.update(override)
    return forge(tmp_path / "d.tar.gz", changes, key=key, manifest=m)


def _apply(tmp_path, key, state_dir, live, pkg, limits=Limits()):
    return verify_and_stage(pkg, tmp_path / "r2", trusted_keys=[key.public], state=load_state(state_dir),
                            previous_release_dir=live, now=NOW, durable=False, limits=limits)


def test_an_honest_format_2_delta_leads_to_the_whole_tree(tmp_path, key, applied):
    state_dir, live, base_tree = applied
    pkg = _delta(tmp_path, key, base_tree, {"s/a.html": b"a bis", "s/c.html": b"c"}, removed=["s/b.html"])
    v = _apply(tmp_path, key, state_dir, live, pkg)
    want = {"index.html": BASE["index.html"], "css/x.css": BASE["css/x.css"], "s/a.html": b"a bis",
            "s/c.html": b"c"}
    assert read_tree(tmp_path / "r2") == want
    assert list(v.files) == sorted(want) and v.tree == tree_digest(v.files.values())
    assert set(v.carried) == {"s/a.html", "s/c.html"} and set(v.reused) == {"index.html", "css/x.css"}
    assert v.summary()["files"] == 4 and v.summary()["format"] == FORMAT_2
    commit_state(state_dir, v)
    assert load_state(state_dir).files == v.files  # the next delta's base is the whole tree


@pytest.mark.parametrize("changes, removed, result, reason, words", [
    # a new name that folds onto a file the delta keeps: only the whole tree shows it
    ({"Index.html": b"x"}, (), None, "unsafe-member", "case"),
    # a file where the kept s/a.html needs a directory
    ({"s": b"x"}, (), None, "unsafe-member", "directory"),
    # removing what the base never had
    ({"s/a.html": b"a bis"}, ("s/zz.html",), None, "bad-manifest", "base tree lacks"),
    # an unchanged file listed (and carried) as if it changed
    ({"s/a.html": b"a"}, (), None, "extra-file", "unchanged"),
    # the signed tree keeps a file the delta does not carry and the base lacks
    ({"s/a.html": b"a bis"}, (), BASE | {"s/a.html": b"a bis", "fantasma.html": b"f"}, "bad-manifest",
     "base tree with the changes"),
    # the signed tree is the format-1 digest of the changes alone
    ({"s/a.html": b"a bis"}, (), {"s/a.html": b"a bis"}, "bad-manifest", "base tree with the changes"),
])
def test_a_format_2_delta_is_judged_on_the_whole_tree(tmp_path, key, applied, changes, removed, result, reason,
                                                      words):
    state_dir, live, base_tree = applied
    pkg = _delta(tmp_path, key, base_tree, changes, removed, result)
    with pytest.raises(PackageRefused) as exc:
        _apply(tmp_path, key, state_dir, live, pkg)
    assert exc.value.reason == reason and words in exc.value.detail
    assert not (tmp_path / "r2").exists() and load_state(state_dir).tree == base_tree


def test_the_limits_hold_for_the_whole_tree(tmp_path, key, applied):
    state_dir, live, base_tree = applied
    pkg = _delta(tmp_path, key, base_tree, {"s/c.html": b"c"})
    with pytest.raises(PackageRefused, match="would hold 5 files") as exc:
        _apply(tmp_path, key, state_dir, live, pkg, Limits(max_files=4))
    assert exc.value.reason == "bomb"
    # the package inflates to 10 KiB (one tar record); the tree it leads to is 30 KB
    with pytest.raises(PackageRefused, match="would total"):
        _apply(tmp_path, key, state_dir, live, pkg, Limits(max_uncompressed_bytes=20_000))


def test_a_format_2_delta_needs_the_base_it_names(tmp_path, key, applied):
    state_dir, live, _ = applied
    pkg = _delta(tmp_path, key, "0" * 64, {"s/a.html": b"a bis"})
    with pytest.raises(PackageRefused) as exc:
        _apply(tmp_path, key, state_dir, live, pkg)
    assert exc.value.reason == "base-mismatch"
    with pytest.raises(PackageRefused) as exc:  # and a tree to apply it to
        verify_package(pkg, trusted_keys=[key.public], now=NOW)
    assert exc.value.reason == "base-mismatch"


_names = st.sampled_from(["index.html", "a.html", "s/1.html", "s/2.html", "s/t/3.json", "z/4.csv", "ñ.html"])
_trees = st.dictionaries(_names, st.binary(max_size=6), max_size=6)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=_trees, after=_trees)
def test_both_formats_lead_to_the_same_tree(tmp_path_factory, key, before, after):
    """Whatever two cortes hold, a format-2 delta and a format-1 delta of them stage the same tree and leave
    the same trusted state; the format-2 manifest is never larger."""
    tmp = tmp_path_factory.mktemp("f2")
    s1, s2 = write_site(tmp / "s1", before, sequence=1), write_site(tmp / "s2", after, sequence=2)
    build_package(s1, key=key, sequence=1, out=tmp / "p1.tar.gz")
    results = {}
    for fmt in (1, 2):
        built = build_package(s2, key=key, sequence=2, base=s1, out=tmp / f"d{fmt}.tar.gz", delta_format=fmt)
        state = tmp / f"state{fmt}"
        v1 = verify_and_stage(tmp / "p1.tar.gz", tmp / f"r1-{fmt}", trusted_keys=[key.public], now=NOW,
                              durable=False)
        commit_state(state, v1)
        v2 = verify_and_stage(tmp / f"d{fmt}.tar.gz", tmp / f"r2-{fmt}", trusted_keys=[key.public],
                              state=load_state(state), previous_release_dir=tmp / f"r1-{fmt}", now=NOW,
                              durable=False)
        commit_state(state, v2)
        results[fmt] = (read_tree(tmp / f"r2-{fmt}"), dict(v2.files), v2.tree, load_state(state).files,
                        len(built.manifest.encode()))
    assert results[1][:4] == results[2][:4]
    assert results[1][0] == read_tree(s2)
    assert results[2][4] <= results[1][4]
