"""Presets are sized like the real elections, with the casilla structure INE's rules give."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from pregon.simulate import generate, preset
from pregon.simulate.territory import build_territory


def test_morelos_full_size(morelos_sim):
    cat = morelos_sim.catalog
    assert 2400 <= len(cat.casillas) <= 2800
    assert list(cat.elecciones) == ["GUB", "DIP_LOC", "AYUN"]
    ent = cat.entidades[17]
    assert ent.nombre == "MORELOS"
    assert len(ent.municipios) == 36 and "CUERNAVACA" in ent.municipios and "JIUTEPEC" in ent.municipios
    assert len(ent.distritos_locales) == 12
    assert len(cat.elecciones["GUB"].contiendas) == 1
    assert len(cat.elecciones["DIP_LOC"].contiendas) == 12
    assert len(cat.elecciones["AYUN"].contiendas) == 36
    assert 800 <= len(cat.secciones) <= 1100
    n_actas = morelos_sim.n_actas
    assert 7000 <= n_actas <= 8200
    # Lista nominal like Morelos 2024 (about 1.5 million).
    ln = sum(c.lista_nominal for c in cat.casillas)
    assert 1.3e6 <= ln <= 1.8e6
    # Parties of 2024 with colours, plus local ones.
    assert {"PAN", "PRI", "PRD", "PVEM", "PT", "MC", "MORENA"} <= set(cat.partidos)
    assert len(cat.partidos) > 7
    assert all(p.color.startswith("#") and len(p.color) == 7 for p in cat.partidos.values())


def test_edomex_catalog_size():
    t = build_territory(preset("edomex"), 1.0)
    cat = t.catalog
    assert 19_500 <= len(cat.casillas) <= 21_500
    ent = cat.entidades[15]
    assert len(ent.municipios) == 125 and "ECATEPEC DE MORELOS" in ent.municipios and "TOLUCA" in ent.municipios
    assert len(ent.distritos_locales) == 45
    assert list(cat.elecciones) == ["DIP_LOC", "AYUN"]
    assert len(cat.elecciones["DIP_LOC"].contiendas) == 45
    assert len(cat.elecciones["AYUN"].contiendas) == 125
    # every distrito and municipio has secciones
    assert len({(s.distrito_local) for s in cat.secciones.values()}) == 45
    assert len({(s.municipio) for s in cat.secciones.values()}) == 125


def test_nacional_spec_and_scaled_catalog():
    spec = preset("nacional")
    assert len(spec.entidades) == 32
    assert sum(e.distritos_federales for e in spec.entidades) == 300
    assert 165_000 <= sum(e.casillas for e in spec.entidades) <= 175_000
    names = {e.id: e.nombre for e in spec.entidades}
    assert names[9] == "CIUDAD DE MEXICO" and names[15] == "MEXICO" and names[32] == "ZACATECAS"

    scale = 0.02
    sim = generate("nacional", seed=1, scale=scale)
    cat = sim.catalog
    assert [(k, e.ambito) for k, e in cat.elecciones.items()] == [
        ("PRES", "nacional"), ("SEN", "entidad"), ("DIP_FED", "distrito_federal")]
    assert len(cat.elecciones["PRES"].contiendas) == 1
    assert len(cat.elecciones["SEN"].contiendas) == 32
    assert len(cat.elecciones["DIP_FED"].contiendas) == 300
    assert len({(s.entidad, s.distrito_federal) for s in cat.secciones.values()}) == 300
    # Scaled back, about 170,000 casillas and 500,000 actas (the floor of one sección per distrito makes a
    # small scale round up a little).
    assert 160_000 <= len(cat.casillas) / scale <= 200_000
    expected = sum(f.expected for f in sim.feeds.values())
    assert expected == 3 * len(cat.casillas)  # especiales produce all three federal actas
    assert 480_000 <= expected / scale <= 600_000


def test_casilla_structure(morelos_sim):
    cat = morelos_sim.catalog
    by_sec = defaultdict(list)
    for c in cat.casillas:
        by_sec[(c.entidad, c.seccion)].append(c)
    assert cat.casillas == sorted(cat.casillas)
    tipos = {c.tipo for c in cat.casillas}
    assert {"B", "C", "E", "S"} <= tipos
    for key, cs in by_sec.items():
        regular = [c for c in cs if c.tipo in "BC"]
        assert [c.tipo for c in regular][:1] == ["B"], key
        b = regular[0]
        assert (b.numero, b.ext_contigua) == (1, 0)
        assert [c.numero for c in regular[1:]] == list(range(1, len(regular)))  # C1..Cn
        lists = [c.lista_nominal for c in regular]
        assert max(lists) - min(lists) <= 1  # contiguas split the list evenly
        assert all(0 < ln <= 750 for ln in lists)
        for number in {c.numero for c in cs if c.tipo == "E"}:
            exts = [c.ext_contigua for c in cs if c.tipo == "E" and c.numero == number]
            assert exts == list(range(len(exts)))  # E1, E1C1, E1C2…
        for s in (c for c in cs if c.tipo == "S"):
            assert s.lista_nominal == 0 and s.boletas == 750
    esp = [c for c in cat.casillas if c.tipo == "S"]
    assert 10 <= len(esp) <= 60
    assert [c.numero for c in esp if c.seccion == esp[0].seccion][0] == 1


def test_especiales_and_ayuntamientos(morelos_sim):
    cat = morelos_sim.catalog
    ayun, gub = cat.elecciones["AYUN"], cat.elecciones["GUB"]
    assert ayun.tipo_acta_especial is None
    assert gub.tipo_acta_especial is not None
    n_esp = sum(c.especial for c in cat.casillas)
    assert morelos_sim.feeds["AYUN"].expected == len(cat.casillas) - n_esp == len(cat.expected(ayun))
    assert morelos_sim.feeds["GUB"].expected == len(cat.casillas) == len(cat.expected(gub))
    assert not (morelos_sim.feeds["AYUN"].tipo_casilla == "S").any()
    assert (morelos_sim.feeds["GUB"].tipo_casilla == "S").any()


def test_coalitions_and_independents(morelos_sim):
    cat = morelos_sim.catalog
    dip, ayun, gub = cat.elecciones["DIP_LOC"], cat.elecciones["AYUN"], cat.elecciones["GUB"]
    assert "C_PVEM_PT_MORENA" in dip.columnas and "C_PAN_PRI_PRD" in dip.columnas

    def coalitions(el):
        return [frozenset(c.partidos for c in ct.candidaturas if c.tipo == "coalicion")
                for ct in el.contiendas.values()]

    # Partial coalitions: some contests have them, others not; municipios make their own deals.
    assert len(set(coalitions(dip))) > 1
    assert len(set(coalitions(ayun))) > 2
    assert len(set(coalitions(gub))) == 1
    assert any(c.startswith("CAND_IND_") for c in ayun.columnas)
    n_ind = sum(1 for ct in ayun.contiendas.values() for c in ct.candidaturas if c.tipo == "independiente")
    assert 0 < n_ind < 36 * 3


def test_catalog_does_not_depend_on_seed():
    a = build_territory(preset("morelos"), 0.2).catalog
    b = generate("morelos", seed=99, scale=0.2).catalog
    assert a == b


@pytest.mark.parametrize("name", ["morelos", "edomex"])
def test_participation_and_shares(name):
    sim = generate(name, seed=5, scale=0.3 if name == "edomex" else 1.0)
    for feed in sim.feeds.values():
        normal = (feed.kind == 0) & (feed.tipo_casilla != "S")
        votes = np.where(feed.votes[normal] > 0, feed.votes[normal], 0)
        ln = np.array([sim.catalog.casillas[i].lista_nominal for i in feed.casilla_idx[normal]])
        assert 0.50 <= votes.sum() / ln.sum() <= 0.66
        cols = feed.eleccion.columnas
        share = votes.sum(axis=0) / votes.sum()
        assert 0.015 <= share[cols.index("NULOS")] <= 0.04
        assert share[cols.index("NO_REGISTRADOS")] < 0.003
        assert share[cols.index("MORENA")] == share[[cols.index(p) for p in sim.catalog.partidos]].max()
        combos = [i for i, c in enumerate(cols) if c.startswith("C_")]
        assert 0 < share[combos].sum() < 0.05
