"""The parties' artwork from the catalog (`[[partido]] emblema`, an SVG beside catalog.toml) beside their
results: an image asset each chart row points to, a coalition as its parties' emblems, a party without
artwork as its colour and letters; a bad file is refused naming the party."""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace

import pytest
from sitefix import at

from pregon.electionio import catalog_dir
from pregon.errors import InputError
from pregon.site import build, svg


def _art(fill: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" '
            f'fill="{fill}"/></svg>')


ART = {"PAN": _art("#0059b3"), "PRI": _art("#e30613"), "PRD": _art("#ffd700")}


def _corte_with_art(tiny_engine, art=ART):
    c = tiny_engine.corte(at(75), 4)
    partidos = {s: replace(p, emblema_svg=art.get(s, "")) for s, p in c.catalog.partidos.items()}
    cat = replace(c.catalog, partidos=partidos)
    return c.__class__(cat, c.instant, c.sequence, c.final, c.elecciones)


def _images(page: str) -> list[tuple[str, int]]:
    return [(m.group(1), int(m.group(2))) for m in re.finditer(r'<image href="([^"]+)" x="\d+" y="\d+" '
                                                                r'width="(\d+)"', page)]


def test_each_party_row_shows_its_artwork_from_an_asset(tiny_engine, tmp_path):
    site = tmp_path / "site"
    build(_corte_with_art(tiny_engine), site, jobs=1)
    for rel in ("GUB/index.html", "DIP_LOC/index.html"):
        page = (site / rel).read_text()
        images = _images(page)
        assert images, rel
        for href, _w in images:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), href))
            assert (site / target).read_text() in ART.values(), (rel, href)
        # MORENA and MC have no artwork: their colour and letters, as before
        assert re.search(r'<rect x="4" y="\d+" width="28" height="28" rx="5" fill="#B5261E"', page)
        assert ">MORE</text>" in page and ">MC</text>" in page
    # the site passes its own check (well-formed, every link and image reachable)
    from pregon.site.check import check_site
    assert check_site(site) == []
    # deeper pages (a distrito, a sección) reach the same files through their own root
    deep = [p for p in site.rglob("*.html") if p.relative_to(site).as_posix().count("/") >= 2
            and "<image href" in p.read_text()]
    assert deep
    for p in deep[:5]:
        for href, _w in _images(p.read_text()):
            assert (p.parent / href).resolve().is_file(), (p, href)


def test_a_coalition_shows_each_of_its_parties(tiny_engine, tmp_path):
    site = tmp_path / "site"
    build(_corte_with_art(tiny_engine), site, jobs=1)
    page = (site / "GUB/index.html").read_text()
    chart = page[page.index('id="candidatura"'):page.index('id="partido"')]
    halves = [href for href, w in _images(chart) if w == svg.EMBLEM // 2]
    assert len(halves) == 3  # PAN, PRI and PRD of "Fuerza y Corazón por Morelos"
    # the combination columns (C_PAN_PRI…) in the party view do the same
    parts = page[page.index('id="partido"'):]
    assert any(w == svg.EMBLEM // 2 for _h, w in _images(parts))


def test_a_coalition_with_a_party_lacking_artwork_keeps_letters(tiny_engine, tmp_path):
    site = tmp_path / "site"
    build(_corte_with_art(tiny_engine, {"PAN": ART["PAN"], "PRD": ART["PRD"]}), site, jobs=1)
    page = (site / "GUB/index.html").read_text()
    chart = page[page.index('id="candidatura"'):page.index('id="partido"')]
    assert not [h for h, w in _images(chart) if w == svg.EMBLEM // 2]  # PRI has none: the coalition's letters
    assert ">PPP</text>" in chart  # PAN_PRI_PRD's letters


def test_without_artwork_no_image_is_drawn(tiny_engine, tmp_path):
    """Also after a build with artwork in this process: the charts' cached parts are not another build's."""
    build(_corte_with_art(tiny_engine), tmp_path / "with", jobs=1)
    site = tmp_path / "site"
    build(tiny_engine.corte(at(75), 4), site, jobs=1)
    assert not [p for p in site.rglob("*.html") if "<image" in p.read_text()]
    assert not list((site / "assets").glob("partido.*"))


@pytest.mark.parametrize("row, want", [
    ({"columna": "PAN"}, ["PAN"]),
    ({"columna": "C_PAN_PRI_PRD"}, ["PAN", "PRI", "PRD"]),
    ({"columna": "CC_PT_MORENA"}, ["PT", "MORENA"]),
    ({"columna": "CAND_IND_1"}, []),
    ({"columna": "NULOS"}, []),
    ({"clave": "MC", "tipo": "partido", "partidos": []}, ["MC"]),
    ({"clave": "X", "tipo": "coalicion", "partidos": ["PAN", "PRD"]}, ["PAN", "PRD"]),
    ({"clave": "CI", "tipo": "independiente", "partidos": []}, []),
])
def test_the_parties_behind_a_row(row, want):
    assert svg.parties(row) == want


def _dir_with_party_emblem(tmp_path, tiny_engine, data: bytes):
    d = tmp_path / "cat"
    catalog_dir.save(tiny_engine.catalog, d)
    toml = d / "catalog.toml"
    text = toml.read_text()
    text = text.replace('siglas = "PRI"\n', 'siglas = "PRI"\nemblema = "pri.svg"\n', 1)
    toml.write_text(text)
    (d / "pri.svg").write_bytes(data)
    return d


def test_party_artwork_round_trips_through_the_catalog_files(tmp_path, tiny_engine):
    d = _dir_with_party_emblem(tmp_path, tiny_engine, ART["PRI"].encode())
    cat = catalog_dir.load(d)
    assert cat.partidos["PRI"].emblema_svg == ART["PRI"] and cat.partidos["PAN"].emblema_svg == ""
    again = tmp_path / "again"
    catalog_dir.save(cat, again)
    assert (again / "emblemas" / "PRI.svg").read_text() == ART["PRI"]
    assert catalog_dir.load(again).partidos == cat.partidos


@pytest.mark.parametrize("data, says", [
    (b"<html>no</html>", "not an SVG"),
    (b'<svg><script>alert(1)</script></svg>', "scripts"),
    (b'<svg><a href="javascript:x()">x</a></svg>', "scripts"),
    (b'<svg><rect onclick="x()"/></svg>', "event handlers"),
])
def test_bad_party_artwork_is_refused_naming_the_party(tmp_path, tiny_engine, data, says):
    d = _dir_with_party_emblem(tmp_path, tiny_engine, data)
    with pytest.raises(InputError) as e:
        catalog_dir.load(d)
    msg = str(e.value)
    assert "[[partido]]" in msg and "(PRI) emblema" in msg and says in msg and "\n" not in msg
