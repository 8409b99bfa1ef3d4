"""Incremental builds: given the previous corte's site, only pages whose figures changed are rewritten; the
others keep their bytes (and their earlier stamp); the result shows the same figures as a full build."""

from __future__ import annotations

import gzip
import json
import os
import shutil

import numpy as np
import pytest
from sitefix import at, files_of

from pregon.site import build, paths
from pregon.site.check import check_site

A_MIN, B_MIN = 40, 85  # two cortes; actas keep arriving in between


def data_pages(files: dict[str, bytes]) -> list[str]:
    """The pages an incremental build may keep: everything but the whole-corte pages."""
    always = {"index.html", paths.DESCARGAS}
    return [p for p in files if p.endswith(".html") and p not in always and not p.startswith("embed/")
            and p.count("/") >= 2]


def without_stamp(data: bytes) -> dict:
    m = json.loads(data)
    m.pop("corte", None)
    return m


@pytest.fixture(scope="module")
def cuts(tiny_engine, tmp_path_factory):
    base = tmp_path_factory.mktemp("inc")
    a, b = tiny_engine.corte(at(A_MIN), 1), tiny_engine.corte(at(B_MIN), 2)
    build(a, base / "A", jobs=1)
    build(b, base / "B", jobs=1)
    return a, b, base


def changed_pages(a, b) -> set[str]:
    """Sección pages with actas verified between the two cortes, and every page above them."""
    out = set()
    for clave, ec_b in b.elecciones.items():
        ec_a = a.elecciones[clave]
        new = ec_b.actas.take(slice(len(ec_a.actas), len(ec_b.actas)))
        cat = b.catalog
        for i in range(len(new)):
            if new.fuera_catalogo[i]:
                continue
            c = cat.casillas[int(new.casilla_idx[i])]
            s = cat.secciones[(c.entidad, c.seccion)]
            ct = ec_b.eleccion.contienda_clave(c.entidad, s)
            out.add(f"{clave}/{ct}/secciones/{c.entidad}-{c.seccion}.html")
            out.add(f"{clave}/{ct}/index.html")
            if clave == "GUB":
                out.add(f"{clave}/{ct}/distritos/{c.entidad}-{s.distrito_local}.html")
    return out


def test_incremental_into_a_new_directory(cuts, tmp_path):
    a, b, base = cuts
    before = files_of(base / "A")
    report = build(b, tmp_path / "C", previous=base / "A", jobs=1)
    assert report.incremental and report.full_reason is None
    full, inc = files_of(base / "B"), files_of(tmp_path / "C")
    assert sorted(inc) == sorted(full)
    expected = changed_pages(a, b)
    assert expected, "the two cortes must differ"
    pages = data_pages(full)
    assert expected < set(pages), "some data pages must stay untouched"
    for page in pages:
        twin = paths.twin(page)
        if page in expected:
            assert inc[page] == full[page], page
            assert inc[twin] == full[twin], twin
        else:
            assert inc[page] == before[page], page  # untouched: the earlier bytes, stamp included
            assert inc[twin] == before[twin], twin
            assert (tmp_path / "C" / page).stat().st_ino == (base / "A" / page).stat().st_ino  # hard link
        # same figures as a full build either way
        assert without_stamp(inc[twin]) == without_stamp(full[twin]), twin
    # the pages that speak for the whole corte are current
    for page in ("index.html", "GUB/index.html", "descargas/index.html", "embed/index.html", "json/main.json"):
        assert inc[page] == full[page], page
    # the previous site is untouched
    assert files_of(base / "A") == before
    kept = len(pages) - len(expected)
    assert report.unchanged == 2 * kept + 3  # pages, twins, and the three assets
    assert report.written + report.unchanged == report.files == len(inc)
    assert report.pages_rendered == len(expected) + (report.pages - len(pages))
    assert report.removed == len(a.elecciones)  # the previous corte's zips
    assert check_site(tmp_path / "C") == []


def test_incremental_in_place(cuts, tmp_path):
    a, b, base = cuts
    site = tmp_path / "site"
    shutil.copytree(base / "A", site)
    before = files_of(site)
    old_zips = {p.name for p in (site / "descargas").glob("*.zip")}
    report = build(b, site, previous=site, jobs=1)
    assert report.full_reason is None
    full, inc = files_of(base / "B"), files_of(site)
    assert sorted(inc) == sorted(full)
    assert not old_zips & {p.name for p in (site / "descargas").glob("*.zip")}
    expected = changed_pages(a, b)
    for page in data_pages(full):
        assert inc[page] == (full[page] if page in expected else before[page]), page
    assert report.removed == len(old_zips)
    assert check_site(site) == []


def test_nothing_new_rewrites_only_the_whole_corte_pages(cuts, tmp_path):
    a, _b, base = cuts
    again = a.__class__(a.catalog, a.instant, 7, a.final, a.elecciones)
    report = build(again, tmp_path / "D", previous=base / "A", jobs=1)
    n_always = 2 + 2 * len(a.elecciones) + 1 + 1  # home + embed, election + embed each, downloads, the stamp
    assert report.pages_rendered == n_always
    inc = files_of(tmp_path / "D")
    assert json.loads(inc["json/main.json"])["corte"]["secuencia"] == 7
    assert b'content="1|' in inc["GUB/17/secciones/17-100.html"]  # untouched, earlier stamp
    assert b'content="7|' in inc["GUB/index.html"]


def test_final_corte_rerenders_everything(cuts, tiny_engine, tmp_path):
    _a, _b, base = cuts
    final = tiny_engine.corte(at(B_MIN), 3, final=True)
    report = build(final, tmp_path / "F", previous=base / "B", jobs=1)
    assert report.pages_rendered == report.pages
    assert report.unchanged == 3  # only the assets


def test_another_version_falls_back_to_a_full_build(cuts, tmp_path):
    _a, b, base = cuts
    old = tmp_path / "old"
    shutil.copytree(base / "B", old)
    man_path = old / paths.MANIFEST
    magic, head, rest = gzip.decompress(man_path.read_bytes()).decode().split("\n", 2)
    head = json.loads(head)
    head["version"] = "something-else"
    man_path.write_bytes(gzip.compress("\n".join([magic, json.dumps(head), rest]).encode()))
    report = build(b, tmp_path / "E", previous=old, jobs=1)
    assert report.full_reason and "version" in report.full_reason
    assert report.pages_rendered == report.pages
    assert files_of(tmp_path / "E") == files_of(base / "B")


@pytest.mark.parametrize("jobs", [1, 2])
def test_missing_files_in_the_previous_site_are_rendered(cuts, tmp_path, monkeypatch, jobs):
    from pregon.site import render

    monkeypatch.setattr(render, "PARALLEL_MIN_PAGES", 1)
    monkeypatch.setattr(render, "PARALLEL_MIN_ACTAS", 1)
    _a, b, base = cuts
    old = tmp_path / "old"
    shutil.copytree(base / "A", old)
    victim = "AYUN/17-3/secciones/17-105.html"
    os.unlink(old / paths.twin(victim))
    report = build(b, tmp_path / "G", previous=old, jobs=jobs)
    assert report.written + report.unchanged == report.files
    full = files_of(base / "B")
    got = files_of(tmp_path / "G")
    assert sorted(got) == sorted(full)
    assert without_stamp(got[paths.twin(victim)]) == without_stamp(full[paths.twin(victim)])
    assert check_site(tmp_path / "G") == []


@pytest.mark.parametrize("how", ["new directory", "in place", "lost files, in workers"])
def test_the_report_names_every_change(cuts, tmp_path, monkeypatch, how):
    """BuildReport.changed is what the package builder trusts instead of walking the site: every path whose
    bytes differ from the previous site's, that is new, or that is gone, must be in it."""
    from pregon.site import render

    a, b, base = cuts
    old = tmp_path / "old"
    shutil.copytree(base / "A", old)
    lost = "AYUN/17-3/secciones/17-105.html"
    if how == "lost files, in workers":
        monkeypatch.setattr(render, "PARALLEL_MIN_PAGES", 1)
        monkeypatch.setattr(render, "PARALLEL_MIN_ACTAS", 1)
        os.unlink(old / lost)
    before = files_of(old)
    out = old if how == "in place" else tmp_path / "new"
    report = build(b, out, previous=old, jobs=2 if "workers" in how else 1)
    after = files_of(out)
    differ = {p for p in after.keys() | before.keys() if after.get(p) != before.get(p)}
    assert differ and differ <= set(report.changed)
    assert set(report.changed) <= after.keys() | before.keys()
    kept = set(data_pages(after)) - changed_pages(a, b) - {lost}
    assert kept and not kept & set(report.changed)  # a report of changes, not of the site
    assert build(a, tmp_path / "full", jobs=1).changed is None  # a full build has nothing to compare with


def test_refuses_to_clear_a_foreign_directory(cuts, tmp_path):
    from pregon.errors import InputError

    _a, b, _base = cuts
    d = tmp_path / "mine"
    d.mkdir()
    (d / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not a pregon site"):
        build(b, d, previous=d, jobs=1)
    assert (d / "notes.txt").read_text() == "keep me"


def test_parallel_build_gives_the_same_bytes(cuts, tmp_path, monkeypatch):
    from pregon.site import render

    _a, b, base = cuts
    monkeypatch.setattr(render, "PARALLEL_MIN_PAGES", 1)
    monkeypatch.setattr(render, "PARALLEL_MIN_ACTAS", 1)
    build(b, tmp_path / "P", jobs=2)
    assert files_of(tmp_path / "P") == files_of(base / "B")
    build(b, tmp_path / "Q", previous=base / "A", jobs=2)
    got, full = files_of(tmp_path / "Q"), files_of(base / "B")
    assert sorted(got) == sorted(full)
    assert all(without_stamp(got[p]) == without_stamp(full[p]) for p in got if p.startswith("json/"))


def test_digests_follow_the_actas(tiny_engine):
    """A sección's digest changes when one of its actas does, and only then."""
    from pregon.site.model import SiteModel

    c = tiny_engine.corte(at(B_MIN), 1)
    m1 = SiteModel(c)
    ec = c.elecciones["GUB"]
    votes = ec.actas.votes.copy()
    votes[0, 1] += 1
    changed = ec.actas.take(np.arange(len(ec.actas)))
    changed.votes = votes
    c2 = c.__class__(c.catalog, c.instant, 1, False, dict(c.elecciones))
    c2.elecciones["GUB"] = type(ec)(ec.eleccion, ec.frame, changed, False)
    m2 = SiteModel(c2)
    g1, g2 = m1.elecciones[0], m2.elecciones[0]
    d1 = {n.path: g1.digest(n) for n in g1.all_nodes()}
    d2 = {n.path: g2.digest(n) for n in g2.all_nodes()}
    differ = {p for p in d1 if d1[p] != d2[p]}
    cat = c.catalog
    casilla = cat.casillas[int(ec.actas.casilla_idx[0])]
    sec = cat.secciones[(casilla.entidad, casilla.seccion)]
    assert differ == {f"GUB/17/secciones/17-{casilla.seccion}.html", "GUB/17/index.html",
                      f"GUB/17/distritos/17-{sec.distrito_local}.html"}
