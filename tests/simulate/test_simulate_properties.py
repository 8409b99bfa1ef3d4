"""Small random elections: whatever the configuration, what is written loads back and obeys the PREP rules."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pregon.election import rules
from pregon.electionio import catalog_dir
from pregon.electionio import feed as feed_io
from pregon.simulate import generate, write
from pregon.simulate.spec import AnomalyRates, CoalitionSpec, ElectionSpec, EntitySpec, Preset

Obs = rules.Observacion
PARTIES = ("PA", "PB", "PC", "PD", "PE", "PF")
AMBITOS = ("nacional", "entidad", "distrito_federal", "distrito_local", "municipio")


@st.composite
def entities(draw):
    ids = draw(st.lists(st.integers(1, 32), min_size=1, max_size=2, unique=True))
    out = []
    for eid in sorted(ids):
        n_mun = draw(st.integers(1, 5))
        out.append(EntitySpec(
            id=eid, nombre=f"ENTIDAD {eid}", casillas=draw(st.integers(3, 60)),
            municipios=tuple(f"MUNICIPIO {i}" for i in range(1, n_mun + 1)),
            municipio_weights=tuple(draw(st.lists(st.floats(0.5, 20), min_size=n_mun, max_size=n_mun))),
            distritos_locales=draw(st.integers(1, 3)), distritos_federales=draw(st.integers(1, 3)),
            seccion_ln_median=draw(st.floats(150, 2500)),
            arrival_shift_h=draw(st.sampled_from([0.0, 1.0])),
        ))
    return tuple(out)


@st.composite
def elections(draw, parties):
    n = draw(st.integers(1, 3))
    out = []
    for i in range(n):
        ambito = draw(st.sampled_from(AMBITOS))
        pool = list(parties)
        coals = []
        for j in range(draw(st.integers(0, 2))):
            size = draw(st.integers(2, 3))
            if len(pool) < size:
                break
            members = tuple(sorted(draw(st.permutations(pool))[:size], key=parties.index))
            pool = [p for p in pool if p not in members]
            variants = ((f"VARIANTE {i}{j}", members[:2]),) if draw(st.booleans()) and size == 3 else ()
            coals.append(CoalitionSpec(f"COALICION {i}{j}", members, coverage=draw(st.floats(0.0, 1.0)),
                                       variants=variants))
        especial = draw(st.sampled_from([None, i + 5]))
        out.append(ElectionSpec(f"E{i}", f"ELECCION {i}", ambito, i + 1, especial, parties, tuple(coals),
                                independientes=draw(st.floats(0, 2)),
                                candidate_effect=draw(st.floats(0, 0.5)),
                                especial_factor=draw(st.floats(0.3, 1.0))))
    return tuple(out)


@st.composite
def presets(draw):
    n_p = draw(st.integers(2, len(PARTIES)))
    parties = PARTIES[:n_p]
    r = lambda hi: draw(st.floats(0, hi))  # noqa: E731
    rates = AnomalyRates(never_casilla=r(0.1), never_acta=r(0.1), no_entregado=r(0.1), sin_sobre=r(0.1),
                         no_instalada=r(0.05), todos_ilegibles=r(0.1), algun_ilegible=r(0.3), excede=r(0.1),
                         fuera_catalogo=r(0.1), nulos_sobrantes=r(0.1), late=r(0.2))
    return Preset(
        name="prueba", proceso_id="PRUEBA-2024", proceso_nombre="Prueba", instituto="PRUEBA",
        entidades=draw(entities()), partidos=tuple((p, f"Partido {p}", "#123456") for p in parties),
        profile=tuple((p, draw(st.floats(0.01, 1.0))) for p in parties),
        elecciones=draw(elections(parties)), rates=rates,
        especiales_per_distrito=draw(st.floats(0, 2)),
        especiales_by=draw(st.sampled_from(["distrito_local", "distrito_federal"])),
        extraordinaria_rate=draw(st.floats(0, 1)),
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=presets(), seed=st.integers(0, 2**32 - 1))
def test_random_small_elections_load_and_obey_the_rules(spec, seed):
    sim = generate(spec, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "e"
        write(sim, out)
        cat = catalog_dir.load(out)
        assert cat.casillas == sim.catalog.casillas
        assert cat.elecciones == sim.catalog.elecciones
        t0, t_end = int(sim.inicio.timestamp()), int(sim.fin.timestamp())
        for clave, feed in sim.feeds.items():
            el = cat.elecciones[clave]
            s = feed_io.load_feed(cat, el, out / "actas" / f"{clave}.csv")
            assert len(s) == len(feed)
            assert np.array_equal(s.observacion, feed.kind)

            # identification: in-catalog actas are distinct expected actas of this election
            inside = s.casilla_idx >= 0
            expected = set(cat.expected(el))
            assert set(s.casilla_idx[inside].tolist()) <= expected
            assert len(set(s.casilla_idx[inside].tolist())) == inside.sum()
            assert (s.observacion[~inside] == Obs.FUERA_CATALOGO).all()
            keys = list(zip(s.entidad.tolist(), s.seccion.tolist(), s.tipo_casilla.tolist(),
                            s.id_casilla.tolist(), s.ext_contigua.tolist()))
            assert len(set(keys)) == len(keys)

            # sin acta rows are never counted; counted rows stay within lista nominal + representatives
            sin = s.sin_acta != ""
            assert not s.contabilizada[sin].any()
            assert (s.observacion[sin] == Obs.SIN_ACTA).all()
            counted = s.contabilizada
            limit = np.where(s.tipo_casilla == "S", s.boletas, s.lista_nominal) + s.representantes
            cand = s.total - np.maximum(s.votes[:, s.nulos_index], 0)
            assert (cand[counted] <= limit[counted]).all()
            assert (s.total[counted] >= 0).all()

            # "-" exactly where the column does not run in the acta's contest
            contests = list(el.contiendas)
            pos = {k: i for i, k in enumerate(contests)}
            applies = np.array([[c in el.contiendas[k].columnas for c in el.columnas] for k in contests])
            if inside.any():
                rows = applies[[pos[c] for c in s.contienda[inside]]]
                assert np.array_equal(s.votes[inside] == rules.NO_APLICA, ~rows)

            # times: in the window, sorted, acopio <= captura <= verificacion
            v = s.verificacion
            assert (np.diff(v) >= 0).all()
            if len(v):
                assert t0 <= v.min() and v.max() < t_end
            assert (s.captura <= v).all()
            has = s.acopio != -1
            assert (s.acopio[has] <= s.captura[has]).all()
            assert feed.expected == len(expected)
            assert feed.expected - feed.never_arrived == inside.sum()
