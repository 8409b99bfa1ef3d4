"""The corte stamp: every page shows the current corte by framing corte.html, the one file that names it, so an
incremental build leaves unchanged pages untouched (not even rewritten) while the stamp follows every cut."""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

from sitefix import at, files_of

from pregon.site import build, check, paths, stamp
from pregon.site.check import check_site, parse_page

A_MIN, B_MIN = 40, 85


def test_an_unchanged_page_is_not_rewritten_yet_the_stamp_follows_the_cut(tiny_engine, tmp_path):
    site = tmp_path / "site"
    build(tiny_engine.corte(at(A_MIN), 1), site, jobs=1)
    sec = site / "GUB/17/secciones/17-100.html"
    before = {rel: os.stat(site / rel) for rel in ("GUB/17/secciones/17-100.html", paths.STAMP)}
    old_stamp = (site / paths.STAMP).read_bytes()
    # the same actas at a later corte: no figure changed, the corte did
    a = tiny_engine.corte(at(A_MIN), 1)
    later = a.__class__(a.catalog, at(B_MIN), 9, a.final, a.elecciones)
    build(later, site, previous=site, jobs=1)
    after = os.stat(sec)
    assert (after.st_ino, after.st_mtime_ns) == (before[str(sec.relative_to(site))].st_ino,
                                                 before[str(sec.relative_to(site))].st_mtime_ns)
    new_stamp = (site / paths.STAMP).read_bytes()
    assert new_stamp != old_stamp
    text = new_stamp.decode()
    fecha = later.instant.astimezone(ZoneInfo("America/Mexico_City")).strftime("%d/%m/%Y %H:%M")
    assert f">{fecha}</time> hora del Centro" in text and "Corte núm. 9" in text
    assert parse_page(text).meta["pregon-corte"].startswith("9|")
    # the kept page frames the stamp, which now names corte 9; its own meta keeps the corte it was rendered at
    p = parse_page(sec.read_text())
    assert p.frames == ["../../../corte.html"] and p.meta["pregon-corte"].startswith("1|")
    assert check_site(site) == []


def test_every_html_page_frames_the_stamp(tiny_engine, tmp_path):
    site = tmp_path / "site"
    build(tiny_engine.corte(at(B_MIN), 2), site, jobs=1)
    pages = [rel for rel in files_of(site) if rel.endswith(".html")]
    assert paths.STAMP in pages and len(pages) > 20
    for rel in pages:
        p = parse_page((site / rel).read_text())
        if rel == paths.STAMP:
            assert p.frames == []
            continue
        assert p.frames == [paths.root(rel) + paths.STAMP], rel


def test_the_checker_wants_the_stamp_framed_and_not_behind(tiny_engine, tmp_path):
    site = tmp_path / "site"
    build(tiny_engine.corte(at(B_MIN), 2), site, jobs=1)
    page = site / "GUB/index.html"
    text = page.read_text()
    page.write_text(text.replace('src="../corte.html"', 'src="../index.html"'))
    assert any("GUB/index.html: does not frame the corte stamp" in x for x in check_site(site))
    page.write_text(text.replace('content="2|', 'content="3|'))
    assert any("rendered at corte 3, after the stamp's corte 2" in x for x in check_site(site))
    page.write_text(text)
    (site / paths.STAMP).write_text((site / paths.STAMP).read_text().replace("Corte: ", "Hora: "))
    assert check_site(site) == [f"{paths.STAMP}: no visible corte stamp"]
    assert check.STAMP_PAGE == paths.STAMP


def test_the_stamp_prints_the_centro_and_the_local_time_when_they_differ():
    instant = datetime(2024, 6, 2, 23, 0, tzinfo=ZoneInfo("America/Mexico_City"))
    base = {"secuencia": 48, "instante": instant.isoformat(), "final": True}
    tijuana = stamp.lines(instant, {**base, "zona_horaria": "America/Tijuana", "zona": "hora del Noroeste"})
    assert tijuana[0] == 'Corte: <time datetime="2024-06-02T23:00:00-06:00">02/06/2024 23:00</time> hora del Centro (UTC-6)'
    assert tijuana[1] == 'Hora local: <time datetime="2024-06-02T22:00:00-07:00">22:00</time> hora del Noroeste (UTC-7)'
    assert tijuana[2] == "Corte núm. 48 · corte final"
    centro = stamp.lines(instant, {**base, "zona_horaria": "America/Mexico_City", "zona": "hora del Centro",
                                   "final": False})
    assert centro == [tijuana[0], "Corte núm. 48"]
    assert stamp.local_differs(instant, "America/Cancun") and not stamp.local_differs(instant, "America/Merida")
    page = stamp.page(instant, {**base, "zona_horaria": "America/Mexico_City", "zona": "hora del Centro"},
                      "assets/pregon.0123456789ab.css")
    assert page == stamp.page(instant, {**base, "zona_horaria": "America/Mexico_City", "zona": "hora del Centro"},
                              "assets/pregon.0123456789ab.css")  # deterministic
    assert b"<script" not in page and b"Content-Security-Policy" in page
