"""Invariants over random small elections: totals add up across levels, counts are ordered, and the CSV
database round-trips byte for byte through a corte."""

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from builders import at, engine_for, tiny_catalog
from pregon import database
from pregon.election import rules
from pregon.election.corte import LEVELS
from zoneinfo import ZoneInfo

CAT = tiny_catalog()
EL = CAT.elecciones["DIP_LOC"]
CASILLAS = [(c.seccion, c.tipo, c.numero) for c in CAT.casillas]
vote_value = st.one_of(st.integers(0, 400), st.sampled_from([rules.SIN_DATO, rules.ILEGIBLE]))


@st.composite
def night(draw):
    chosen = draw(st.lists(st.sampled_from(CASILLAS), unique=True))
    fuera = draw(st.lists(st.tuples(st.integers(1, 3), st.sampled_from("BC"), st.integers(5, 9)), max_size=2,
                          unique=True))
    specs = []
    for cas in chosen + fuera:
        votes = {c: draw(vote_value) for c in EL.columnas}
        spec = {"casilla": cas, "votes": votes, "reps": draw(st.integers(0, 12)),
                "at": at(20 + draw(st.integers(0, 3)), draw(st.integers(0, 59)))}
        if draw(st.integers(0, 9)) == 0:
            spec["sin_acta"] = draw(st.sampled_from(rules.SIN_ACTA_REASONS))
            spec["votes"] = {}
        specs.append(spec)
    return specs, draw(st.booleans())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(night())
def test_levels_add_up_and_counts_are_ordered(data):
    specs, final = data
    ec = engine_for(CAT, specs).corte(at(23, 59), final=final).elecciones["DIP_LOC"]
    t = ec.tally
    assert 0 <= t.contabilizadas <= t.capturadas <= t.esperadas
    assert t.registradas == t.capturadas + t.fuera_catalogo == len(specs)
    assert t.total_s_cs <= t.total_c_cs == sum(t.votos)
    for level in LEVELS:
        table = ec.table(level)
        assert int(table.esperadas.sum()) == t.esperadas
        assert int(table.capturadas.sum()) == t.capturadas
        assert int(table.contabilizadas.sum()) == t.contabilizadas
        assert int(table.total_c_cs.sum()) == t.total_c_cs
        assert int(table.lista_nominal.sum()) == t.lista_nominal
        assert table.votos.sum(axis=0).tolist() == list(t.votos)
        assert np.all(table.contabilizadas <= table.capturadas) and np.all(table.capturadas <= table.esperadas)
    for key, ct in EL.contiendas.items():
        sub = ec.table("contienda").tally(key)
        assert sum(v for _, v, _ in sub.por_candidatura(ct)) + sub.votos_de("NO_REGISTRADOS") + \
            sub.votos_de("NULOS") == sub.total


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(night())
def test_csv_corte_csv_round_trip_is_byte_identical(data):
    specs, final = data
    tz = ZoneInfo("America/Mexico_City")
    corte = engine_for(CAT, specs).corte(at(23, 59), final=final)
    first = database.from_corte(corte.elecciones["DIP_LOC"], corte.instant, tz).to_bytes()
    db = database.parse(first, "generated.csv")
    back = database.interpret(db, final=final).corte
    again = database.from_corte(back.elecciones["DIP_LOC"], back.instant, back.instant.tzinfo).to_bytes()
    assert again == first
    assert back.elecciones["DIP_LOC"].tally.header_values() == corte.elecciones["DIP_LOC"].tally.header_values()


@settings(max_examples=40, deadline=None)
@given(night())
def test_later_cut_never_has_fewer_actas(data):
    specs, _ = data
    engine = engine_for(CAT, specs)
    previous = None
    for hour, minute in ((20, 30), (21, 30), (22, 30), (23, 59)):
        t = engine.corte(at(hour, minute)).elecciones["DIP_LOC"].tally
        if previous is not None:
            assert t.capturadas >= previous.capturadas and t.contabilizadas >= previous.contabilizadas
        previous = t
