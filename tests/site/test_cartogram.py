"""The cartogram on an election page: one tile per place of the list below it, coloured by the leader that list
names, each linking to that place's page; hidden from assistive technology (the table is its twin)."""

from __future__ import annotations

import json
import re

from sitefix import at

from pregon.site import build, cartogram, svg


def test_one_tile_per_listed_place_coloured_by_its_leader(tiny_engine, tmp_path):
    site = tmp_path / "site"
    build(tiny_engine.corte(at(85), 1), site, jobs=1)
    checked = 0
    for page in sorted(site.glob("*/index.html")):
        el = page.parent.name
        if el in ("embed", "descargas"):
            continue
        text = page.read_text()
        twin = json.loads((site / "json" / el / "index.json").read_text())
        rows = twin["hijos"]["filas"]
        if len(rows) < 2:
            rows = (twin.get("detalle") or {}).get("filas", [])
        grid = re.search(r'<svg class="cm-rejilla" viewBox="[^"]+" aria-hidden="true" focusable="false">(.*?)</svg>',
                         text)
        if len(rows) < 2:
            assert grid is None
            continue
        tiles = re.findall(r'<a href="([^"]+)" tabindex="-1"><title>[^<]*</title><rect [^>]*fill="(#[0-9a-fA-F]+)"',
                           grid.group(1))
        assert len(tiles) == len(rows)
        for (href, color), r in zip(tiles, rows):
            assert href == "../" + r["html"] and (page.parent / href).resolve().is_file()
            lead = r["encabeza"]
            assert color.lower() == (lead["color"].lower() if lead else cartogram.NO_LEAD)
        checked += 1
    assert checked >= 1
    assert "cm-rejilla" not in (site / "embed" / "index.html").read_text()


def test_ink_contrasts_with_the_tile():
    assert svg.ink("#000000") == "#fff" and svg.ink("#ffffff") == "#000"
    assert svg.ink("#ffd700") == "#000" and svg.ink("#6a1b9a") == "#fff"


def test_too_many_places_leave_the_table_alone():
    rows = [{"clave": f"1-{i}", "nombre": f"M{i}", "html": f"x/{i}.html", "encabeza": None}
            for i in range(cartogram.MAX_TILES + 1)]
    assert cartogram.tiles(rows, "", "t") == "" and cartogram.tiles(rows[:1], "", "t") == ""
    assert cartogram.tiles(rows[:3], "", "t").count("<a ") == 3 
    assert "style=" not in cartogram.tiles(rows[:3], "", "t")
