"""Building: reproducible bytes, the fixed archive layout, what the site says about itself, deltas, notices."""

from __future__ import annotations

import gzip
import os
import tarfile
from datetime import timedelta

import pytest
from package.forge import INSTANT, main_json, write_site

from pregon.errors import InputError
from pregon.package import build_notice, build_package, read_unverified
from pregon.package.tarstream import GZIP_HEADER
from pregon.package.manifest import tree_digest


def test_same_site_same_bytes(tmp_path, key):
    a = write_site(tmp_path / "a")
    b = write_site(tmp_path / "elsewhere" / "b")
    for p in b.rglob("*"):  # other owners' clocks and umasks must not leak into the package
        os.utime(p, (1, 1))
        if p.is_file():
            os.chmod(p, 0o600)
    build_package(a, key=key, sequence=7, out=tmp_path / "1.tar.gz")
    build_package(b, key=key, sequence=7, out=tmp_path / "2.tar.gz")
    build_package(a, key=key, sequence=7, out=tmp_path / "3.tar.gz")
    data = (tmp_path / "1.tar.gz").read_bytes()
    assert data == (tmp_path / "2.tar.gz").read_bytes() == (tmp_path / "3.tar.gz").read_bytes()
    build_package(a, key=key, sequence=8, out=tmp_path / "4.tar.gz")
    assert (tmp_path / "4.tar.gz").read_bytes() != data


def test_archive_layout(tmp_path, key):
    site = write_site(tmp_path / "site")
    built = build_package(site, key=key, sequence=1, out=tmp_path / "p.tar.gz")
    raw = (tmp_path / "p.tar.gz").read_bytes()
    assert raw[:10] == GZIP_HEADER  # no name, MTIME 0
    with gzip.open(tmp_path / "p.tar.gz") as gz:
        assert gz.read()  # a standard gzip
    with tarfile.open(tmp_path / "p.tar.gz") as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    site_names = sorted("site/" + p for p in built.manifest.file_map)
    assert names == ["manifest.json", "manifest.json.minisig", "SHA256SUMS", *site_names]
    for m in members:
        assert m.isreg() and (m.uid, m.gid, m.uname, m.gname, m.mode) == (0, 0, "", "", 0o644)
        assert m.mtime == int(INSTANT.timestamp())


def test_identity_from_main_json_and_overrides(tmp_path, key):
    site = write_site(tmp_path / "site", sequence=4)
    m = build_package(site, key=key, sequence=9, out=tmp_path / "p.tar.gz").manifest
    assert (m.election, m.corte_sequence, m.corte_instant, m.created, m.sequence) == ("MOR-2024", 4, INSTANT, INSTANT, 9)
    assert m.not_before == INSTANT and m.expires == INSTANT + timedelta(hours=48)
    later = INSTANT + timedelta(hours=1)
    m = build_package(site, key=key, sequence=9, out=tmp_path / "q.tar.gz", election="IEEM-2024", instant=later,
                      corte_sequence=5, created=later + timedelta(minutes=1), not_before=later,
                      ttl=timedelta(days=14), issuer="IEEM").manifest
    assert (m.election, m.corte_instant, m.corte_sequence, m.issuer) == ("IEEM-2024", later, 5, "IEEM")
    assert m.expires == later + timedelta(minutes=1, days=14)


def test_missing_identity_is_an_input_error(tmp_path, key):
    site = write_site(tmp_path / "site", {"index.html": b"x", "json/main.json": b"{}"})
    with pytest.raises(InputError, match="--election-id"):
        build_package(site, key=key, sequence=1, out=tmp_path / "p.tar.gz")
    with pytest.raises(InputError, match="--instant"):
        build_package(site, key=key, sequence=1, out=tmp_path / "p.tar.gz", election="X-1")
    (site / "json/main.json").write_bytes(b"{not json")
    with pytest.raises(InputError, match="main.json"):
        build_package(site, key=key, sequence=1, out=tmp_path / "p.tar.gz")
    assert not list(tmp_path.glob("*.tar.gz*"))


@pytest.mark.parametrize("make, words", [
    (lambda s: os.symlink("index.html", s / "link.html"), "symbolic link"),
    (lambda s: os.mkfifo(s / "fifo"), "not a regular file"),
    (lambda s: (s / "a\\b.html").write_bytes(b"x"), "backslash"),
    (lambda s: (s / "INDEX.html").write_bytes(b"x"), "case"),
    (lambda s: (s / "a\x01").write_bytes(b"x"), "control"),
])
def test_sites_verify_would_refuse_are_not_packaged(tmp_path, key, make, words):
    site = write_site(tmp_path / "site")
    make(site)
    with pytest.raises(InputError, match=words):
        build_package(site, key=key, sequence=1, out=tmp_path / "p.tar.gz")
    assert not list(tmp_path.glob("*.tar.gz*"))


def test_bad_times_and_names(tmp_path, key):
    site = write_site(tmp_path / "site")
    with pytest.raises(InputError, match="expiry"):
        build_package(site, key=key, sequence=1, out=tmp_path / "p.tar.gz", expires=INSTANT)
    with pytest.raises(InputError, match="election"):
        build_package(site, key=key, sequence=1, out=tmp_path / "p.tar.gz", election="MOR 2024")


@pytest.mark.parametrize("delta_format", [1, 2])
def test_delta_carries_only_changes(tmp_path, key, delta_format):
    old = write_site(tmp_path / "old", sequence=1)
    new = write_site(tmp_path / "new", sequence=2, instant="2024-06-02T23:00:00-06:00")
    (new / "index.html").write_bytes(b"<p>nuevo corte</p>")
    (new / "secciones/0002.html").unlink()
    (new / "secciones/0003.html").write_bytes(b"<p>3</p>")
    full = build_package(old, key=key, sequence=1, out=tmp_path / "full.tar.gz")
    full.write_tree(tmp_path / f"{full.manifest.tree}.list")
    opts = dict(key=key, sequence=2, delta_format=delta_format)
    from_dir = build_package(new, base=old, out=tmp_path / "d1.tar.gz", **opts)
    build_package(new, base=tmp_path / "full.tar.gz", out=tmp_path / "d2.tar.gz", **opts)
    build_package(new, base=tmp_path / f"{full.manifest.tree}.list", base_sequence=1, out=tmp_path / "d3.tar.gz",
                  **opts)
    assert (tmp_path / "d1.tar.gz").read_bytes() == (tmp_path / "d2.tar.gz").read_bytes() \
        == (tmp_path / "d3.tar.gz").read_bytes()
    m = from_dir.manifest
    assert m.kind == "delta" and m.base_tree == full.manifest.tree and m.base_sequence == 1
    assert m.format == f"pregon-package/{delta_format}" and full.manifest.format == "pregon-package/1"
    assert m.removed == ("secciones/0002.html",)
    assert set(from_dir.carried) == {"index.html", "json/main.json", "secciones/0003.html"}
    whole = {str(p.relative_to(new)) for p in new.rglob("*") if p.is_file()}
    assert {f.path for f in from_dir.files} == whole and m.tree == tree_digest(from_dir.files)
    assert set(m.file_map) == (whole if delta_format == 1 else set(from_dir.carried))
    with tarfile.open(tmp_path / "d1.tar.gz") as tar:
        assert sorted(n for n in tar.getnames() if n.startswith("site/")) == sorted("site/" + p for p in from_dir.carried)
        sums = tar.extractfile("SHA256SUMS").read().decode()
    assert [line.split("  ", 1)[1] for line in sums.splitlines()] == sorted(m.file_map)


def test_a_format_2_delta_is_no_base_but_its_tree_listing_is(tmp_path, key):
    s1 = write_site(tmp_path / "s1", sequence=1)
    s2 = write_site(tmp_path / "s2", sequence=2)
    (s2 / "index.html").write_bytes(b"2")
    s3 = write_site(tmp_path / "s3", sequence=3)
    (s3 / "index.html").write_bytes(b"3")
    build_package(s1, key=key, sequence=1, out=tmp_path / "p1.tar.gz")
    d2 = build_package(s2, key=key, sequence=2, base=tmp_path / "p1.tar.gz", out=tmp_path / "p2.tar.gz")
    with pytest.raises(InputError, match="lists only its changes"):
        build_package(s3, key=key, sequence=3, base=tmp_path / "p2.tar.gz", out=tmp_path / "p3.tar.gz")
    listing = tmp_path / f"{d2.manifest.tree}.list"
    d2.write_tree(listing)
    d3 = build_package(s3, key=key, sequence=3, base=listing, base_sequence=2, out=tmp_path / "p3.tar.gz")
    assert d3.manifest.base_tree == d2.manifest.tree and d3.carried == ("index.html", "json/main.json")
    listing.write_bytes(listing.read_bytes().replace(b" index.html\n", b" index.htm\n"))
    with pytest.raises(InputError, match="not the tree its name says"):
        build_package(s3, key=key, sequence=3, base=listing, base_sequence=2, out=tmp_path / "p3.tar.gz")


def test_delta_base_sequence_needs_a_source(tmp_path, key):
    old = write_site(tmp_path / "old", {"index.html": b"x", "json/main.json": b'{"proceso":{"id":"A-1"}}'})
    new = write_site(tmp_path / "new")
    with pytest.raises(InputError, match="--base-sequence"):
        build_package(new, key=key, sequence=2, base=old, out=tmp_path / "d.tar.gz")
    built = build_package(new, key=key, sequence=2, base=old, base_sequence=1, out=tmp_path / "d.tar.gz")
    assert built.manifest.base_sequence == 1


def test_notice(tmp_path, key):
    built = build_notice(key=key, sequence=3, election="MOR-2024", notice_type="withdrawal",
                         message="Retire los resultados", created=INSTANT, out=tmp_path / "n.tar.gz")
    m, _, _ = read_unverified(tmp_path / "n.tar.gz")
    assert m == built.manifest and m.notice.type == "withdrawal" and m.files == ()
    with tarfile.open(tmp_path / "n.tar.gz") as tar:
        assert tar.getnames() == ["manifest.json", "manifest.json.minisig"]
    with pytest.raises(InputError, match="notice type"):
        build_notice(key=key, sequence=3, election="MOR-2024", notice_type="party", message="x", created=INSTANT,
                     out=tmp_path / "n2.tar.gz")


def test_site_changing_during_build_is_caught(tmp_path, key, monkeypatch):
    site = write_site(tmp_path / "site")
    from pregon.package import build as build_mod

    real = build_mod.write_archive

    def racing(out, manifest, signature, site_dir, carried):
        (site_dir / "index.html").write_bytes(b"<p>written while packaging</p>")
        return real(out, manifest, signature, site_dir, carried)

    monkeypatch.setattr(build_mod, "write_archive", racing)
    with pytest.raises((InputError, OSError)):
        build_package(site, key=key, sequence=1, out=tmp_path / "p.tar.gz")
    assert not list(tmp_path.glob("*.tar.gz*")) and not list(tmp_path.glob(".*tmp*"))


def test_main_json_fields_are_typed(tmp_path, key):
    site = write_site(tmp_path / "site", {"index.html": b"x", "json/main.json": main_json().replace(b'"secuencia": 1', b'"secuencia": "1"')})
    with pytest.raises(InputError, match="secuencia"):
        build_package(site, key=key, sequence=1, out=tmp_path / "p.tar.gz")


def test_a_re_read_directory_is_walked_whole_and_may_not_be_a_link(tmp_path):
    """tree_after: a changed path ending in '/' names a directory read again (what the public list rewrites);
    its files that are gone leave the tree, and a link in its place is refused like one anywhere else."""
    from pregon.package.build import scan_site, tree_after

    site = write_site(tmp_path / "s")
    (site / "logos").mkdir()
    (site / "logos" / "a.png").write_bytes(b"a")
    (site / "logos" / "b.png").write_bytes(b"b")
    base = {e.path: e for e in scan_site(site)}
    (site / "logos" / "a.png").unlink()
    (site / "logos" / "c.png").write_bytes(b"c")
    after = {e.path: e for e in tree_after(site, base, ["logos/"])}
    assert after == {e.path: e for e in scan_site(site)}
    assert "logos/a.png" not in after and "logos/c.png" in after
    (site / "logos" / "c.png").rename(tmp_path / "c.png")
    (site / "logos" / "b.png").rename(tmp_path / "b.png")
    (site / "logos").rmdir()
    os.symlink(tmp_path, site / "logos")
    with pytest.raises(InputError, match="symbolic links are not packaged"):
        tree_after(site, base, ["logos/"])
