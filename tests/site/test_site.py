"""A full render of a small election: the figures on every page and twin against the corte, the stamp, the
layout, well-formed HTML, links, escaping, size, determinism and the downloads."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

import pytest
from sitefix import at, files_of

from pregon import database
from pregon.election import rules
from pregon.site import build, paths
from pregon.site.check import check_site, parse_page
from pregon.site.model import SiteModel

SEQ = 4


@pytest.fixture(scope="module")
def corte(tiny_engine):
    return tiny_engine.corte(at(75), SEQ)


@pytest.fixture(scope="module")
def site(corte, tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "s"
    report = build(corte, out, jobs=1)
    return out, report


def twin(site_dir: Path, page: str) -> dict:
    return json.loads((site_dir / paths.twin(page)).read_bytes())


def html_pages(root: Path) -> list[str]:
    return sorted(p for p in files_of(root) if p.endswith(".html"))


# ---------------------------------------------------------------- figures


def test_report_counts_files(site):
    out, report = site
    files = files_of(out)
    assert report.files == len(files)
    assert report.written == len(files)
    assert report.unchanged == 0 and report.removed == 0
    assert report.pages == len(html_pages(out))
    assert report.pages_rendered == report.pages


def test_election_pages_show_the_corte_figures(site, corte):
    out, _ = site
    for clave, ec in corte.elecciones.items():
        t = ec.tally
        page = f"{clave}/index.html"
        m = twin(out, page)
        a = m["avance"]
        assert a["actas_esperadas"] == t.esperadas
        assert a["actas_capturadas"] == t.capturadas
        assert a["actas_contabilizadas"] == t.contabilizadas
        assert a["actas_fuera_catalogo"] == t.fuera_catalogo == 1  # arrived early in the night
        assert a["porcentaje_actas_capturadas"] == t.pct_capturadas
        assert a["porcentaje_actas_contabilizadas"] == t.pct_contabilizadas
        assert a["porcentaje_participacion_ciudadana"] == t.participacion
        assert a["total_votos"] == t.total
        assert [(r["columna"], r["votos"], r["porcentaje"]) for r in m["por_partido"]] == t.por_partido()
        # por candidatura: each contest's candidacies added up by clave, independents together
        expected: dict[str, int] = {}
        table = ec.table("contienda")
        for key, ct in ec.eleccion.contiendas.items():
            if key not in table:
                continue
            for cand, v, _pct in table.tally(key).por_candidatura(ct):
                k = "CAND_IND" if cand.tipo == "independiente" and len(table) > 1 else cand.clave
                expected[k] = expected.get(k, 0) + v
        got = {r["clave"]: r["votos"] for r in m["por_candidatura"] if r["tipo"] not in ("no_registrados", "nulos")}
        assert got == expected
        for r in m["por_candidatura"]:
            assert r["porcentaje"] == rules.pct(r["votos"], t.total)
        html = (out / page).read_text()
        assert (f"<dt>Actas esperadas</dt><dd><strong>{t.esperadas:,}</strong></dd>" in html
                and f"<strong>{t.capturadas:,}</strong> <span class=\"pct\">{t.pct_capturadas}%</span>" in html)
        assert f"<strong>{t.participacion}%</strong>" in html
        assert f'<td class="num">{t.total:,}</td>' in html
        assert "<svg" in html and 'role="img"' in html  # the server-side chart


def test_contest_and_seccion_pages_match_the_tables(site, corte):
    out, _ = site
    checked = 0
    for clave, ec in corte.elecciones.items():
        el = ec.eleccion
        ct_table, sec_table = ec.table("contienda"), ec.table("seccion")
        for key in ct_table.keys:
            t = ct_table.tally(key)
            m = twin(out, paths.contienda(clave, key))
            assert m["avance"]["actas_capturadas"] == t.capturadas
            assert m["avance"]["porcentaje_participacion_ciudadana"] == t.participacion
            cands = [(r["clave"], r["votos"], r["porcentaje"]) for r in m["por_candidatura"]
                     if r["tipo"] not in ("no_registrados", "nulos")]
            assert cands == [(c.clave, v, p) for c, v, p in t.por_candidatura(el.contiendas[key])]
            running = el.contiendas[key].columnas
            assert [r["columna"] for r in m["por_partido"]] == list(running)
            assert [r["votos"] for r in m["por_partido"]] == [t.votos_de(c) for c in running]
        for key in sec_table.keys:
            t = sec_table.tally(key)
            pages = [p for p in html_pages(out) if p.startswith(f"{clave}/") and p.endswith(f"/secciones/{key}.html")]
            assert len(pages) == 1, (clave, key, pages)
            m = twin(out, pages[0])
            assert m["avance"]["actas_capturadas"] == t.capturadas
            assert m["avance"]["actas_esperadas"] == t.esperadas
            assert m["avance"]["total_votos"] == t.total
            assert sum(r["votos"] for r in m["por_partido"]) == t.total
            checked += 1
    assert checked > 10


def test_seccion_page_lists_every_acta(site, corte, tiny_engine):
    out, _ = site
    ec = corte.elecciones["GUB"]
    a = ec.actas
    cat = corte.catalog
    seen = 0
    for i in range(len(a)):
        if a.fuera_catalogo[i]:
            continue
        casilla = cat.casillas[int(a.casilla_idx[i])]
        page = f"GUB/17/secciones/17-{casilla.seccion}.html"
        m = twin(out, page)
        row = next(c for c in m["casillas"] if c["clave"] == casilla.clave)
        acta = row["actas"][0]
        assert acta["sha256"] == a.sha[i]
        assert acta["contabilizada"] == bool(a.contabilizada[i])
        assert acta["observaciones"] == a.observacion_texto(i)
        assert acta["total_votos"] == int(a.total[i])
        cols = list(ec.eleccion.contiendas["17"].columnas)
        assert acta["votos"] == [rules.vote_text(int(v)) if v < 0 else int(v)
                                 for v in a.votes[i][[ec.eleccion.columnas.index(c) for c in cols]]]
        assert acta["verificacion"].startswith("2024-06-02T") and acta["verificacion"].endswith("-06:00")
        html = (out / page).read_text()
        assert a.sha[i] in html
        assert ("No" if not a.contabilizada[i] else "Sí") in html
        if a.observacion_texto(i):
            assert a.observacion_texto(i) in html
        seen += 1
    assert seen == int((~a.fuera_catalogo).sum())
    # the pending casilla (never arrived) is listed as such
    texts = "".join((out / p).read_text() for p in html_pages(out) if p.startswith("GUB/17/secciones/"))
    assert "Acta aún no capturada" in texts
    assert "SIN ACTA POR PAQUETE NO ENTREGADO" in texts
    assert "ILEGIBLE" in texts


def test_every_page_carries_the_stamp(site, corte):
    out, _ = site
    model = SiteModel(corte)
    iso = model.stamp.instante
    assert iso == "2024-06-02T21:45:00-06:00"
    for page in html_pages(out):
        text = (out / page).read_text()
        p = parse_page(text)
        assert p.meta["pregon-corte"] == f"{SEQ}|{iso}", page
        if page == paths.STAMP:  # the one page that names the corte in words
            assert ('Corte: <time datetime="2024-06-02T21:45:00-06:00">02/06/2024 21:45</time> hora del Centro '
                    '(UTC-6)' in text and f"Corte núm. {SEQ}" in text)
            continue
        assert p.frames == [paths.root(page) + paths.STAMP], page  # every other page frames it
        assert "Corte: " not in text  # no stamp of its own, which an incremental build would leave stale
        assert ("Actas esperadas" in text and "Actas capturadas" in text and "Actas contabilizadas" in text
                and "Participación ciudadana" in text)
        if paths.twin(page) != paths.MAIN_JSON:
            assert twin(out, page)["corte"]["secuencia"] == SEQ


def test_main_json_contract(site, corte):
    out, _ = site
    raw = (out / "json/main.json").read_bytes()
    m = json.loads(raw)
    assert raw == json.dumps(m, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert len(raw) < 8 * 1024
    assert m["proceso"]["id"] == corte.catalog.proceso.id == "TST-2024"
    assert m["proceso"]["nombre"] == corte.catalog.proceso.nombre
    assert m["proceso"]["entidades"] == [{"id": 17, "nombre": "MORELOS"}]
    assert m["proceso"]["entidad"] == {"id": 17, "nombre": "MORELOS"}
    assert m["corte"]["secuencia"] == SEQ
    assert m["corte"]["instante"] == "2024-06-02T21:45:00-06:00"
    assert m["corte"]["fecha_hora"] == "02/06/2024 21:45"
    assert m["corte"]["final"] is False
    assert [e["clave"] for e in m["elecciones"]] == list(corte.elecciones)
    for e in m["elecciones"]:
        t = corte.elecciones[e["clave"]].tally
        assert e["avance"]["actas_capturadas"] == t.capturadas
        assert e["avance"]["porcentaje_participacion_ciudadana"] == t.participacion
        assert e["encabezan"] and e["encabezan"][0]["votos"] >= e["encabezan"][-1]["votos"]
        assert (out / e["html"]).is_file() and (out / e["json"]).is_file()


def test_numbers_are_spanish_formatted():
    from pregon.site.html import n

    assert n(1187254) == "1,187,254" and n(0) == "0" and n("SIN DATO") == "SIN DATO"


# ---------------------------------------------------------------- structure


def test_html_is_well_formed_and_links_resolve(site):
    out, _ = site
    assert check_site(out) == []


def test_the_checker_finds_broken_pages(site, tmp_path):
    out, _ = site
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    page = bad / "GUB/index.html"
    text = page.read_text()
    text = text.replace("</main>", "", 1).replace('href="../descargas/index.html"', 'href="../nada.html"', 1)
    text = text.replace('href="#partido"', 'href="#no-existe"', 1)
    page.write_text(text)
    (bad / "DIP_LOC/index.html").write_text((bad / "DIP_LOC/index.html").read_text().replace(
        '<meta name="pregon-corte"', '<meta name="otro"'))
    problems = check_site(bad)
    assert any("GUB/index.html" in p and "<main>" in p for p in problems)
    assert any("broken link ../nada.html" in p for p in problems)
    assert any("no id 'no-existe'" in p for p in problems)
    assert any(p.startswith("DIP_LOC/index.html") and "pregon-corte" in p for p in problems)


def test_url_layout(site):
    out, _ = site
    files = files_of(out)
    for page in ("index.html", "GUB/index.html", "GUB/17/index.html", "GUB/17/distritos/17-1.html",
                 "GUB/17/secciones/17-100.html", "DIP_LOC/17-2/secciones/17-104.html", "AYUN/17-3/index.html",
                 "descargas/index.html", "embed/index.html", "embed/GUB/index.html"):
        assert page in files, page
        assert paths.twin(page) in files, paths.twin(page)
    assert paths.twin("index.html") == "json/main.json"
    assert paths.twin("GUB/17/secciones/17-100.html") == "json/GUB/17/secciones/17-100.json"
    assert paths.MANIFEST in files
    # every HTML page has its twin, and no twin is an orphan
    pages = [p for p in files if p.endswith(".html")]
    twins = {paths.twin(p) for p in pages}
    assert twins == {p for p in files if p.startswith("json/")}


def test_assets_are_content_hashed(site):
    out, _ = site
    names = sorted(p.name for p in (out / "assets").iterdir())
    assert len(names) == 3
    for name in names:
        data = (out / "assets" / name).read_bytes()
        stem, digest, ext = name.rsplit(".", 2)
        assert digest == hashlib.sha256(data).hexdigest()[:12]
    css = next(n for n in names if n.endswith(".css"))
    js = next(n for n in names if n.endswith(".js"))
    assert (out / "assets" / css).stat().st_size < 8 * 1024 and (out / "assets" / js).stat().st_size < 4 * 1024


def test_pages_are_light_and_self_contained(site):
    out, _ = site
    sizes = []
    for page in html_pages(out):
        text = (out / page).read_text()
        sizes.append(len(text.encode()))
        assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "https://" not in text
        # no frame but the site's own corte stamp (a same-origin document of a few hundred bytes)
        assert "@import" not in text and text.count("<iframe") == (0 if page == paths.STAMP else 1)
        assert page == paths.STAMP or f'<iframe class="sello-marco' in text
        assert "top.location" not in text and "X-Frame-Options" not in text
        assert "<script>" not in text  # scripts only from the hashed asset
    assert max(sizes) < 50 * 1024
    js = next((out / "assets").glob("*.js")).read_text()
    assert "top.location" not in js and "parent." not in js


def test_text_from_data_is_escaped(site):
    out, _ = site
    raw = "Juana Pérez <Independiente> & Cía"
    html = (out / "DIP_LOC/17-2/index.html").read_text()
    assert "Juana Pérez &lt;Independiente&gt; &amp; Cía" in html
    for page in html_pages(out):
        assert raw not in (out / page).read_text()
    m = twin(out, "DIP_LOC/17-2/index.html")
    assert any(r["nombre"] == raw for r in m["por_candidatura"])


def test_accessibility_basics(site):
    out, _ = site
    for page in ("index.html", "GUB/index.html", "GUB/17/secciones/17-100.html"):
        text = (out / page).read_text()
        assert '<html lang="es-MX"' in text
        assert '<main id="contenido">' in text and 'href="#contenido"' in text
        assert re.search(r'<th scope="col"', text) and "<caption>" in text
        assert 'name="viewport"' in text
        for svg in re.findall(r"<svg class=\"grafica\"[^>]*>", text):
            assert 'role="img"' in svg and "aria-labelledby" in svg


def test_home_has_a_card_per_election(site, corte):
    out, _ = site
    text = (out / "index.html").read_text()
    assert text.count('<article class="tarjeta"') == len(corte.elecciones)
    for clave in corte.elecciones:
        assert f'href="{clave}/index.html"' in text
    embed = (out / "embed/index.html").read_text()
    assert '<header class="sitio">' not in embed and 'data-embed="1"' in embed
    assert 'Corte: ' not in embed and 'src="../corte.html"' in embed


# ---------------------------------------------------------------- determinism and downloads


def test_same_corte_same_bytes(corte, site, tmp_path):
    out, _ = site
    again = tmp_path / "again"
    build(corte, again, jobs=1)
    a, b = files_of(out), files_of(again)
    assert sorted(a) == sorted(b)
    diff = [p for p in a if a[p] != b[p]]
    assert diff == []


def test_downloads_verify(site, corte):
    out, _ = site
    sums = (out / "descargas/SHA256SUMS").read_text().splitlines()
    assert len(sums) == len(corte.elecciones)
    page = (out / "descargas/index.html").read_text()
    for line in sums:
        digest, name = line.split("  ")
        data = (out / "descargas" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest
        assert digest in page and name in page
        assert zipfile.ZipFile(out / "descargas" / name).testzip() is None
    assert "sha256sum -c SHA256SUMS" in page and "certutil" in page
    for db in database.read(out / "descargas" / sums[0].split("  ")[1]):
        clave = next(k for k, ec in corte.elecciones.items() if ec.eleccion.nombre == db.eleccion)
        assert db.header_values == corte.elecciones[clave].tally.header_values()
    m = json.loads((out / "json/main.json").read_bytes())
    assert {f["sha256"] for f in m["descargas"]["archivos"]} == {line.split("  ")[0] for line in sums}


def test_out_must_be_empty_or_a_site(corte, tmp_path):
    from pregon.errors import InputError

    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty and not a pregon site"):
        build(corte, other, jobs=1)
    assert (other / "keep.txt").read_text() == "mine"


def test_rebuild_over_an_old_site_leaves_nothing_stale(tiny_engine, tmp_path):
    out = tmp_path / "s"
    build(tiny_engine.corte(at(30), 1), out, jobs=1)
    old_zips = sorted(p.name for p in (out / "descargas").glob("*.zip"))
    build(tiny_engine.corte(at(90), 2), out, jobs=1)
    new_zips = sorted(p.name for p in (out / "descargas").glob("*.zip"))
    assert set(old_zips).isdisjoint(new_zips)
    assert check_site(out) == []


def test_page_percentages_are_the_rules_truncation():
    import random

    from pregon.site.figures import pct

    rnd = random.Random(3)
    cases = [(0, 0), (5, 0), (1, 3), (2, 3), (2031, 2136), (263005, 1187254), (10, 10), (7, 9999999)]
    cases += [(rnd.randrange(0, 10**7), rnd.randrange(1, 10**7)) for _ in range(20000)]
    for num, den in cases:
        assert pct(num, den) == rules.pct(num, den), (num, den)


def test_lists_show_who_leads_each_contest(site, corte):
    out, _ = site
    for clave, ec in corte.elecciones.items():
        table = ec.table("contienda")
        rows = {r["clave"]: r for r in twin(out, f"{clave}/index.html")["hijos"]["filas"]}
        assert list(rows) == list(table.keys)
        for key, t in table.items():
            row = rows[key]
            cands = t.por_candidatura(ec.eleccion.contiendas[key])
            best = max((v for _c, v, _p in cands), default=0)
            leaders = [c for c, v, _p in cands if v == best]
            assert row["avance"]["actas_capturadas"] == t.capturadas
            assert row["avance"]["porcentaje_actas_capturadas"] == t.pct_capturadas
            assert row["avance"]["porcentaje_participacion_ciudadana"] == t.participacion
            if best == 0:
                assert row["encabeza"] is None
            else:
                assert row["encabeza"]["clave"] == leaders[0].clave
                assert row["encabeza"]["votos"] == best
                assert row["encabeza"]["porcentaje"] == rules.pct(best, t.total)
                assert row["encabeza"]["empate"] == (len(leaders) > 1)
            html = (out / f"{clave}/index.html").read_text()
            assert f'href="../{row["html"]}"' in html  # relative to the election page
