"""The manifest schema and the path rules: strict parsing, with the reason code a verifier reports."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given, strategies as st
from package.forge import encode, manifest_dict

from pregon.package.errors import PackageRefused
from pregon.package.limits import Limits
from pregon.package.manifest import parse_manifest, render_sums, tree_digest
from pregon.package.paths import find_collision, find_new_collision, path_problem

FILES = {"index.html": b"<p>hola</p>", "json/main.json": b"{}"}
LIMITS = Limits()


def reason_of(data: bytes, limits=LIMITS) -> str:
    with pytest.raises(PackageRefused) as exc:
        parse_manifest(data, limits)
    return exc.value.reason


def test_roundtrip_is_canonical(key):
    data = encode(manifest_dict(FILES, key=key))
    m = parse_manifest(data)
    assert m.encode() == data
    assert m.tree == tree_digest(m.files)
    assert m.sha256sums() == render_sums(m.files)
    assert m.trusted_comment() == (f"pregon-package/1 election=MOR-2024 sequence=1 kind=full tree={m.tree} "
                                   "expires=2024-06-04T22:40:00-06:00")


@pytest.mark.parametrize("mutate, reason, words", [
    (lambda d: d.update(format="pregon-package/3"), "unknown-format", "pregon-package/3"),
    (lambda d: d.pop("format"), "bad-manifest", "format"),
    (lambda d: d.update(surprise=1), "bad-manifest", "surprise"),
    (lambda d: d.pop("expires"), "bad-manifest", "expires"),
    (lambda d: d.update(sequence=True), "bad-manifest", "sequence"),
    (lambda d: d.update(sequence=-1), "bad-manifest", "sequence"),
    (lambda d: d.update(kind="partial"), "bad-manifest", "kind"),
    (lambda d: d.update(created="2024-06-02T22:40:00"), "bad-manifest", "created"),
    (lambda d: d.update(expires="2024-06-01T00:00:00-06:00"), "bad-manifest", "expires"),
    (lambda d: d.update(election="MOR 2024"), "bad-manifest", "election"),
    (lambda d: d.update(key_id="abc"), "bad-manifest", "key_id"),
    (lambda d: d.update(tree="0" * 64), "bad-manifest", "tree"),
    (lambda d: d["files"].reverse(), "bad-manifest", "sorted"),
    (lambda d: d["files"][0].update(size="11"), "bad-manifest", "size"),
    (lambda d: d["files"][0].update(sha256="A" * 64), "bad-manifest", "sha256"),
    (lambda d: d["files"][0].update(mode=420), "bad-manifest", "mode"),
    (lambda d: d.update(notice={"type": "message", "message": "x"}), "bad-manifest", "notice"),
    (lambda d: d.update(base={"sequence": 0, "tree": "0" * 64}), "bad-manifest", "base"),
    (lambda d: d.update(keys={"add": ["nope"], "revoke": []}), "bad-manifest", "keys.add"),
    (lambda d: d.update(keys={"add": [], "revoke": ["xyz"]}), "bad-manifest", "keys.revoke"),
])
def test_schema_violations(key, mutate, reason, words):
    d = manifest_dict(FILES, key=key)
    mutate(d)
    with pytest.raises(PackageRefused) as exc:
        parse_manifest(encode(d))
    assert exc.value.reason == reason
    assert words in exc.value.detail


@pytest.mark.parametrize("data, words", [
    (b"not json", "not JSON"),
    (b"[1, 2]", "object"),
    (b'{"format": "pregon-package/1", "format": "x"}', "duplicate key"),
    (b'{"format": "pregon-package/1", "sequence": 1.5}', "non-integer"),
    (b'{"format": "pregon-package/1", "sequence": NaN}', "NaN"),
    (b"\xff\xfe{}", "UTF-8"),
])
def test_unparseable(data, words):
    with pytest.raises(PackageRefused) as exc:
        parse_manifest(data)
    assert exc.value.reason == "bad-manifest" and words in exc.value.detail


def test_delta_fields(key):
    d = manifest_dict(FILES, key=key, kind="delta", sequence=5,
                      base={"sequence": 4, "tree": "a" * 64}, removed=["old.html"])
    m = parse_manifest(encode(d))
    assert (m.base_sequence, m.base_tree, m.removed) == (4, "a" * 64, ("old.html",))
    assert "base=" + "a" * 64 in m.trusted_comment()
    d["removed"] = ["index.html"]
    assert reason_of(encode(d)) == "bad-manifest"
    d["removed"], d["base"]["sequence"] = [], 5
    assert reason_of(encode(d)) == "bad-manifest"


def test_notice_fields(key):
    d = manifest_dict({}, key=key, kind="notice",
                      notice={"type": "not-official", "message": "Este sitio ya no es difusor oficial",
                              "to": ["el-diario"]})
    m = parse_manifest(encode(d))
    assert m.notice.type == "not-official" and m.notice.to == ("el-diario",) and m.tree is None
    assert "tree=" not in m.trusted_comment()
    d["files"] = []
    assert reason_of(encode(d)) == "bad-manifest"
    del d["files"]
    d["notice"]["type"] = "party"
    assert reason_of(encode(d)) == "bad-manifest"


@pytest.mark.parametrize("path, problem", [
    ("", "empty"), ("/etc/passwd", "absolute"), ("a/../b", "'..'"), ("..", "'..'"), ("a//b", "empty"),
    ("./a", "'.'"), ("a/", "empty"), ("a\\b", "backslash"), ("a\nb", "control"), ("a\x7fb", "control"),
    ("x" * 256, "component longer"), ("/".join(["d" * 200] * 6), "longer than 1024"),
    ("/".join("d" * 40), "levels deep"), ("\udcff.html", "UTF-8"),
])
def test_path_problems(path, problem):
    assert problem in path_problem(path, LIMITS)


@pytest.mark.parametrize("path", ["index.html", "a/b/c.json", "ñandú.html", "datos/base de datos.csv", "x" * 255])
def test_good_paths(path):
    assert path_problem(path, LIMITS) is None


@pytest.mark.parametrize("paths", [
    ["A.html", "a.html"],
    [unicodedata.normalize("NFC", "ñ.html"), unicodedata.normalize("NFD", "ñ.html")],
    ["Straße.html", "STRASSE.html"],
    ["a", "a/b"],
    ["Dir", "dir/x"],
])
def test_collisions(key, paths):
    assert find_collision(paths) is not None
    files = {p: b"x" for p in paths}
    assert reason_of(encode(manifest_dict(files, key=key))) == "unsafe-member"


_NAMES = st.lists(st.text("aAbß/ñ" + unicodedata.normalize("NFD", "ñ"), min_size=1, max_size=5)
                  .filter(lambda p: path_problem(p, LIMITS) is None), max_size=8, unique=True)


@given(_NAMES, _NAMES)
def test_a_new_name_is_checked_against_the_whole_tree(old, new):
    """The agent checks only a delta's new names (find_new_collision): on a tree that was safe before, it finds
    a collision exactly when the whole-tree check does."""
    if find_collision(old) is not None:
        old = []
    new = [p for p in new if p not in old]
    tree = sorted(old + new)
    assert (find_new_collision(new, tree) is None) == (find_collision(tree) is None)


def test_unsafe_path_in_manifest(key):
    assert reason_of(encode(manifest_dict({"../escape": b"x"}, key=key))) == "unsafe-member"


def test_manifest_limits(key):
    data = encode(manifest_dict({f"f{i}": b"x" * 10 for i in range(20)}, key=key))
    assert reason_of(data, Limits(max_files=19)) == "bomb"
    assert reason_of(data, Limits(max_uncompressed_bytes=199)) == "bomb"
    assert reason_of(data, Limits(max_file_bytes=9)) == "bomb"
    parse_manifest(data, Limits(max_files=20, max_uncompressed_bytes=200, max_file_bytes=10))


def test_manifest_json_is_one_line(key):
    data = encode(manifest_dict(FILES, key=key))
    assert data.count(b"\n") == 1 and json.loads(data)["format"] == "pregon-package/1"
