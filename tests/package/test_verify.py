"""Verification that accepts: staging, hard links, trusted state, notices, embargo and key rotation."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import timedelta

import pytest
from package.forge import INSTANT, NOW, read_tree, write_site

from pregon.errors import InputError
from pregon.package import (EMPTY_STATE, PackageRefused, build_notice, build_package, commit_state, generate,
                            load_state, stage, verify_and_stage, verify_package)


def refused(reason, fn, *args, **kw):
    with pytest.raises(PackageRefused) as exc:
        fn(*args, **kw)
    assert exc.value.reason == reason, exc.value
    return exc.value


def snapshot(root):
    return sorted((str(p.relative_to(root)), p.stat().st_size if p.is_file() else -1) for p in root.rglob("*"))


@pytest.fixture
def two_cortes(tmp_path, key):
    """Corte 1 (full) and corte 2 (full and delta: one page changed, one removed, one added)."""
    s1 = write_site(tmp_path / "s1", sequence=1)
    s2 = write_site(tmp_path / "s2", sequence=2, instant="2024-06-02T23:00:00-06:00")
    (s2 / "index.html").write_bytes(b"<p>corte 2</p>")
    (s2 / "secciones/0002.html").unlink()
    (s2 / "secciones/0003.html").write_bytes(b"<p>nueva</p>")
    build_package(s1, key=key, sequence=1, out=tmp_path / "full1.tar.gz")
    build_package(s2, key=key, sequence=2, out=tmp_path / "full2.tar.gz")
    build_package(s2, key=key, sequence=2, base=s1, out=tmp_path / "delta2.tar.gz")
    return tmp_path


def test_verify_full_writes_nothing(two_cortes, key):
    before = snapshot(two_cortes)
    v = verify_package(two_cortes / "full1.tar.gz", trusted_keys=[key.public], now=NOW)
    assert snapshot(two_cortes) == before
    assert v.kind == "full" and v.sequence == 1 and v.signer == key.public and v.reused == ()
    assert set(v.carried) == set(read_tree(two_cortes / "s1"))
    assert v.summary()["files"] == len(v.carried) and not v.embargoed(NOW)


def test_stage_full(two_cortes, key):
    v = verify_and_stage(two_cortes / "full1.tar.gz", two_cortes / "rel1", trusted_keys=[key.public], now=NOW,
                         durable=False)
    assert read_tree(two_cortes / "rel1") == read_tree(two_cortes / "s1")
    st = os.stat(two_cortes / "rel1" / "index.html")
    assert stat.S_IMODE(st.st_mode) == 0o444 and st.st_mtime == INSTANT.timestamp()
    assert v.tree is not None


def test_two_pass_stage_matches_one_pass(two_cortes, key):
    v = verify_package(two_cortes / "full1.tar.gz", trusted_keys=[key.public], now=NOW)
    stage(v, two_cortes / "rel", durable=False)
    assert read_tree(two_cortes / "rel") == read_tree(two_cortes / "s1")


def test_package_replaced_between_verify_and_stage(two_cortes, key):
    v = verify_package(two_cortes / "full1.tar.gz", trusted_keys=[key.public], now=NOW)
    os.replace(two_cortes / "full2.tar.gz", two_cortes / "full1.tar.gz")
    refused("corrupt", stage, v, two_cortes / "rel", durable=False)
    assert not (two_cortes / "rel").exists()


def _apply(root, key, name, release, state_dir, previous=None):
    v = verify_and_stage(root / name, root / release, trusted_keys=[key.public], state=load_state(state_dir),
                         previous_release_dir=previous, now=NOW, durable=False)
    commit_state(state_dir, v)
    return v


def test_delta_links_unchanged_files(two_cortes, key):
    root = two_cortes
    _apply(root, key, "full1.tar.gz", "rel1", root / "state")
    v = _apply(root, key, "delta2.tar.gz", "rel2", root / "state", previous=root / "rel1")
    assert v.kind == "delta" and set(v.carried) == {"index.html", "json/main.json", "secciones/0003.html"}
    assert read_tree(root / "rel2") == read_tree(root / "s2")
    assert os.stat(root / "rel2/css/prep.css").st_ino == os.stat(root / "rel1/css/prep.css").st_ino
    assert os.stat(root / "rel2/index.html").st_ino != os.stat(root / "rel1/index.html").st_ino
    assert read_tree(root / "rel1") == read_tree(root / "s1")  # the live release is untouched
    st = load_state(root / "state")
    assert (st.sequence, st.tree_sequence, st.tree) == (2, 2, v.tree) and set(st.files) == set(read_tree(root / "s2"))


def test_two_pass_delta(two_cortes, key):
    root = two_cortes
    _apply(root, key, "full1.tar.gz", "rel1", root / "state")
    v = verify_package(root / "delta2.tar.gz", trusted_keys=[key.public], state=load_state(root / "state"), now=NOW)
    stage(v, root / "rel2", previous_release_dir=root / "rel1", durable=False)
    assert read_tree(root / "rel2") == read_tree(root / "s2")
    refused("base-mismatch", stage, v, root / "rel3", durable=False)  # a delta needs the live release
    assert not (root / "rel3").exists()


def test_full_package_links_unchanged_files_too(two_cortes, key):
    root = two_cortes
    _apply(root, key, "full1.tar.gz", "rel1", root / "state")
    _apply(root, key, "full2.tar.gz", "rel2", root / "state", previous=root / "rel1")
    assert read_tree(root / "rel2") == read_tree(root / "s2")
    assert os.stat(root / "rel2/css/prep.css").st_ino == os.stat(root / "rel1/css/prep.css").st_ino


def test_delta_needs_an_intact_previous_release(two_cortes, key):
    root = two_cortes
    _apply(root, key, "full1.tar.gz", "rel1", root / "state")
    state = load_state(root / "state")
    refused("base-mismatch", verify_and_stage, root / "delta2.tar.gz", root / "rel2", trusted_keys=[key.public],
            state=state, now=NOW, durable=False)
    assert not (root / "rel2").exists()
    os.chmod(root / "rel1/css/prep.css", 0o644)
    (root / "rel1/css/prep.css").write_bytes(b"body{color:red}\n" * 36)  # same size, other bytes
    e = refused("base-mismatch", verify_and_stage, root / "delta2.tar.gz", root / "rel2", trusted_keys=[key.public],
                state=state, previous_release_dir=root / "rel1", now=NOW, durable=False)
    assert "css/prep.css" in e.detail and not (root / "rel2").exists()


def test_delta_without_a_tree_or_against_another_base(two_cortes, key, tmp_path):
    root = two_cortes
    refused("base-mismatch", verify_package, root / "delta2.tar.gz", trusted_keys=[key.public], now=NOW)
    other = write_site(tmp_path / "other", sequence=1)
    (other / "index.html").write_bytes(b"otra base")
    build_package(other, key=key, sequence=1, out=root / "other1.tar.gz")
    commit_state(root / "state", verify_package(root / "other1.tar.gz", trusted_keys=[key.public], now=NOW))
    e = refused("base-mismatch", verify_package, root / "delta2.tar.gz", trusted_keys=[key.public],
                state=load_state(root / "state"), now=NOW)
    assert "current tree" in e.detail


def test_replay_and_rollback(two_cortes, key):
    root = two_cortes
    v2 = verify_package(root / "full2.tar.gz", trusted_keys=[key.public], now=NOW)
    commit_state(root / "state", v2)
    state = load_state(root / "state")
    refused("replay", verify_package, root / "full2.tar.gz", trusted_keys=[key.public], state=state, now=NOW)
    e = refused("replay", verify_package, root / "full1.tar.gz", trusted_keys=[key.public], state=state, now=NOW)
    assert "sequence 1" in e.detail
    refused("replay", commit_state, root / "state", v2)  # the state moved since v2 was checked


def test_expiry_and_embargo(two_cortes, key, tmp_path):
    root = two_cortes
    refused("expired", verify_package, root / "full1.tar.gz", trusted_keys=[key.public],
            now=INSTANT + timedelta(hours=48))
    site = write_site(tmp_path / "early")
    embargo = INSTANT + timedelta(hours=1)
    build_package(site, key=key, sequence=1, out=root / "early.tar.gz", not_before=embargo)
    v = verify_package(root / "early.tar.gz", trusted_keys=[key.public], now=NOW)
    assert v.embargoed(NOW) and not v.embargoed(embargo) and v.not_before == embargo
    with pytest.raises(ValueError):
        verify_package(root / "full1.tar.gz", trusted_keys=[key.public], now=NOW.replace(tzinfo=None))


def test_wrong_election(two_cortes, key, tmp_path):
    root = two_cortes
    commit_state(root / "state", verify_package(root / "full1.tar.gz", trusted_keys=[key.public], now=NOW))
    site = write_site(tmp_path / "other")
    build_package(site, key=key, sequence=5, election="IEEM-2024", out=root / "ieem.tar.gz")
    refused("wrong-election", verify_package, root / "ieem.tar.gz", trusted_keys=[key.public],
            state=load_state(root / "state"), now=NOW)


def test_notices_are_recorded_and_cleared(two_cortes, key):
    root = two_cortes
    _apply(root, key, "full1.tar.gz", "rel1", root / "state")
    build_notice(key=key, sequence=2, election="MOR-2024", notice_type="suspension", message="Suspendido",
                 created=NOW, out=root / "n2.tar.gz")
    v = verify_package(root / "n2.tar.gz", trusted_keys=[key.public], state=load_state(root / "state"), now=NOW)
    assert v.kind == "notice" and v.notice.message == "Suspendido" and v.tree is None
    commit_state(root / "state", v)
    st = load_state(root / "state")
    assert st.notice.type == "suspension" and st.notice_sequence == 2 and st.tree_sequence == 1
    # the tree did not move: a delta against it still applies, under a higher sequence
    build_package(root / "s2", key=key, sequence=3, base=root / "full1.tar.gz", out=root / "delta3.tar.gz")
    _apply(root, key, "delta3.tar.gz", "rel3", root / "state", previous=root / "rel1")
    assert load_state(root / "state").notice.type == "suspension"
    build_notice(key=key, sequence=4, election="MOR-2024", notice_type="clear", message="", created=NOW,
                 out=root / "n4.tar.gz")
    commit_state(root / "state", verify_package(root / "n4.tar.gz", trusted_keys=[key.public],
                                                state=load_state(root / "state"), now=NOW))
    assert load_state(root / "state").notice is None


def test_key_rotation(tmp_path, key):
    old, new = key, generate()
    site = write_site(tmp_path / "site")
    state_dir = tmp_path / "state"
    pinned = [old.public]

    def accept(path):
        v = verify_package(path, trusted_keys=pinned, state=load_state(state_dir), now=NOW)
        commit_state(state_dir, v)
        return v

    # before the announcement the new key is unknown
    build_package(site, key=new, sequence=1, out=tmp_path / "early.tar.gz")
    refused("unknown-key", verify_package, tmp_path / "early.tar.gz", trusted_keys=pinned, now=NOW)
    # sequence 1, signed by the old key, announces the new one
    build_package(site, key=old, sequence=1, out=tmp_path / "p1.tar.gz", add_keys=[new.public])
    accept(tmp_path / "p1.tar.gz")
    assert load_state(state_dir).keys == (new.public,)
    # sequence 2, signed by the new key (not pinned), retires the old one
    build_package(site, key=new, sequence=2, out=tmp_path / "p2.tar.gz", revoke_keys=[old.key_id])
    assert accept(tmp_path / "p2.tar.gz").signer == new.public
    assert old.key_id in load_state(state_dir).revoked
    # the old key, though still pinned by the difusor's configuration, signs nothing anymore
    build_package(site, key=old, sequence=3, out=tmp_path / "p3.tar.gz")
    refused("revoked-key", verify_package, tmp_path / "p3.tar.gz", trusted_keys=pinned,
            state=load_state(state_dir), now=NOW)
    build_package(site, key=new, sequence=3, out=tmp_path / "p3b.tar.gz")
    accept(tmp_path / "p3b.tar.gz")


def test_rotation_that_leaves_no_key_is_refused(tmp_path, key):
    site = write_site(tmp_path / "site")
    build_package(site, key=key, sequence=1, out=tmp_path / "p.tar.gz", revoke_keys=[key.key_id])
    e = refused("bad-manifest", verify_package, tmp_path / "p.tar.gz", trusted_keys=[key.public], now=NOW)
    assert "no trusted key" in e.detail


def test_state_round_trip_and_damage(two_cortes, key):
    root = two_cortes
    assert load_state(root / "nothing-here") == EMPTY_STATE
    v = verify_package(root / "full1.tar.gz", trusted_keys=[key.public], now=NOW)
    committed = commit_state(root / "state", v)
    loaded = load_state(root / "state")
    assert loaded == committed and loaded.files == v.manifest.file_map
    assert loaded.manifest == hashlib.sha256(v.manifest_bytes).hexdigest()
    assert loaded.expires == v.manifest.expires
    (root / "state/state.json").write_text("{ damaged")
    with pytest.raises(InputError, match="damaged trusted state"):
        load_state(root / "state")
    commit_state(root / "state2", v)
    (tree,) = (root / "state2/trees").iterdir()
    lines = tree.read_bytes().splitlines(keepends=True)
    tree.write_bytes(b"".join(lines[1:]))  # a file gone from the base: the next delta would lose it
    with pytest.raises(InputError, match="is not tree"):
        load_state(root / "state2")
    tree.write_bytes(b"not a tree\n")
    with pytest.raises(InputError, match="damaged trusted state"):
        load_state(root / "state2")


def test_commit_keeps_the_current_and_previous_tree_only(two_cortes, key):
    root = two_cortes
    v1 = _apply(root, key, "full1.tar.gz", "rel1", root / "state")
    v2 = _apply(root, key, "delta2.tar.gz", "rel2", root / "state", previous=root / "rel1")
    kept = {p.name for p in (root / "state/trees").iterdir()}
    assert kept == {f"{v1.tree}.list", f"{v2.tree}.list"}
    build_package(root / "s1", key=key, sequence=3, out=root / "full3.tar.gz")
    v3 = _apply(root, key, "full3.tar.gz", "rel3", root / "state")
    # s1 again: the same tree as v1
    assert {p.name for p in (root / "state/trees").iterdir()} == {f"{v2.tree}.list", f"{v3.tree}.list"}
    assert not [p for p in (root / "state").rglob("*") if ".tmp" in p.name]


def test_a_state_of_format_1_is_read_and_upgraded(two_cortes, key):
    """A difusor upgraded mid-election keeps its state: pregon-state/1 kept the manifest, not the tree."""
    root = two_cortes
    v1 = verify_package(root / "full1.tar.gz", trusted_keys=[key.public], now=NOW)
    d = root / "state"
    d.mkdir()
    digest = hashlib.sha256(v1.manifest_bytes).hexdigest()
    (d / "manifests").mkdir()
    (d / "manifests" / f"{digest}.json").write_bytes(v1.manifest_bytes)
    obj = {**EMPTY_STATE.after(v1).to_json(), "format": "pregon-state/1"}
    (d / "state.json").write_text(json.dumps(obj))
    old = load_state(d)
    assert old.tree == v1.tree and old.files == v1.files and old.manifest == digest
    v2 = verify_package(root / "delta2.tar.gz", trusted_keys=[key.public], state=old, now=NOW)
    commit_state(d, v2)
    assert json.loads((d / "state.json").read_bytes())["format"] == "pregon-state/2"
    assert load_state(d).files == v2.files
    assert (d / "manifests").is_dir()  # a reader that loaded the /1 state.json may still want it
    (d / "manifests" / f"{digest}.json").write_bytes(b"{}")  # and /2 no longer reads it
    assert load_state(d).files == v2.files
    build_package(root / "s1", key=key, sequence=3, out=root / "full3.tar.gz")
    commit_state(d, verify_package(root / "full3.tar.gz", trusted_keys=[key.public], state=load_state(d), now=NOW))
    assert not (d / "manifests").exists()


def test_missing_package_file_is_an_input_error(tmp_path, key):
    with pytest.raises(InputError, match="no such package"):
        verify_package(tmp_path / "nope.tar.gz", trusted_keys=[key.public], now=NOW)


def test_staging_dir_must_be_new(two_cortes, key):
    (two_cortes / "busy").mkdir()
    (two_cortes / "busy/x").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        verify_and_stage(two_cortes / "full1.tar.gz", two_cortes / "busy", trusted_keys=[key.public], now=NOW)
    assert (two_cortes / "busy/x").exists()
