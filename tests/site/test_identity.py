"""The institute's identity from the catalog: its full name, its colour (in the stylesheet: the pages' CSP
allows no inline style) and its emblem (an image asset); a bad colour or an emblem that is not a plain SVG is
refused with one line naming the field."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sitefix import at

from pregon.electionio import catalog_dir, catalog_toml
from pregon.errors import InputError
from pregon.site import build
from pregon.site.pages import identity_css

EMBLEM = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
          '<circle cx="5" cy="5" r="4" fill="#5b2c6f"/></svg>')


def _corte_with(tiny_engine, **identity):
    c = tiny_engine.corte(at(75), 4)
    cat = replace(c.catalog, proceso=replace(c.catalog.proceso, **identity))
    return c.__class__(cat, c.instant, c.sequence, c.final, c.elecciones)


def test_the_site_wears_the_institutes_identity(tiny_engine, tmp_path):
    site = tmp_path / "site"
    build(_corte_with(tiny_engine, instituto_nombre="Instituto Electoral de Prueba", color="#5b2c6f",
                      emblema_svg=EMBLEM), site, jobs=1)
    home = (site / "index.html").read_text()
    css = re.search(r'href="(assets/pregon\.[0-9a-f]+\.css)"', home).group(1)
    assert ".sitio{background:#5b2c6f;color:#fff}" in (site / css).read_text()
    img = re.search(r'<img class="emblema" src="(assets/emblema\.[0-9a-f]+\.svg)" alt=""', home).group(1)
    assert (site / img).read_text() == EMBLEM
    assert 'title="Instituto Electoral de Prueba"' in home and "style=" not in home
    assert "Instituto Electoral de Prueba" in (site / "GUB/index.html").read_text()


def test_without_identity_the_site_is_neutral(tiny_engine, tmp_path):
    site = tmp_path / "site"
    build(tiny_engine.corte(at(75), 4), site, jobs=1)
    home = (site / "index.html").read_text()
    assert "emblema" not in home and not list((site / "assets").glob("emblema.*"))


def test_the_ink_contrasts_with_the_colour():
    assert "color:#000" in identity_css("#ffd700") and "color:#fff" in identity_css("#00205b")


def _catalog_dir(tmp_path, tiny_engine, extra: str, emblem: bytes | None = None):
    d = tmp_path / "cat"
    catalog_dir.save(tiny_engine.catalog, d)
    toml = d / "catalog.toml"
    toml.write_text(toml.read_text().replace("[proceso]\n", "[proceso]\n" + extra + "\n", 1))
    if emblem is not None:
        (d / "e.svg").write_bytes(emblem)
    return d


def test_identity_round_trips_through_the_catalog_files(tmp_path, tiny_engine):
    d = _catalog_dir(tmp_path, tiny_engine, 'color = "#5B2C6F"\ninstituto_nombre = "IEP"\nemblema = "e.svg"',
                     EMBLEM.encode())
    p = catalog_dir.load(d).proceso
    assert (p.color, p.instituto_nombre, p.emblema_svg) == ("#5b2c6f", "IEP", EMBLEM)
    again = tmp_path / "again"
    catalog_dir.save(catalog_dir.load(d), again)
    assert catalog_dir.load(again).proceso == p


@pytest.mark.parametrize("extra, emblem, says", [
    ('color = "morado"', None, "color 'morado'"),
    ('color = "#12345"', None, "#rrggbb"),
    ('emblema = "falta.svg"', None, "cannot read"),
    ('emblema = "e.svg"', b"<html>no</html>", "not an SVG"),
    ('emblema = "e.svg"', b'<svg><script>alert(1)</script></svg>', "scripts"),
    ('emblema = "e.svg"', b'<svg onload="x()"></svg>', "event handlers"),
    ('emblema = "e.svg"', b'<!DOCTYPE svg [<!ENTITY a "b">]><svg>&a;</svg>', "entities"),
    ('emblema = "e.svg"', b"<svg>" + b" " * catalog_toml.EMBLEM_MAX + b"</svg>", "under"),
    ('emblema = "e.svg"', b"\xff\xfe<svg/>", "UTF-8"),
])
def test_a_bad_identity_is_refused_naming_the_field(tmp_path, tiny_engine, extra, emblem, says):
    d = _catalog_dir(tmp_path, tiny_engine, extra, emblem)
    with pytest.raises(InputError) as e:
        catalog_dir.load(d)
    msg = str(e.value)
    assert "[proceso]" in msg and says in msg and "\n" not in msg
