"""The counting rules on hand-computed actas: every observation case, truncation, coalitions, especiales."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from builders import at, engine_for, tiny_catalog
from pregon.election import rules
from pregon.election.rules import ILEGIBLE, NO_APLICA, SIN_DATO, Observacion, classify_one, pct


@pytest.mark.parametrize("num,den,expected", [
    (2031, 2136, "95.0842"),  # the real file: 95.084269… truncated, not rounded
    (492, 2136, "23.0337"),
    (263005, 1187254, "22.1523"),
    (2, 3, "66.6666"),  # rounding would give 66.6667
    (1, 1, "100.0000"),
    (0, 5, "0.0000"),
    (5, 0, "0.0000"),
])
def test_pct_truncates(num, den, expected):
    assert pct(num, den) == expected


@given(st.integers(0, 10**9), st.integers(1, 10**9))
def test_pct_is_exact_truncation(num, den):
    exact = Fraction(num * 100, den)
    text = pct(num, den)
    value = Fraction(text.replace(".", "")) / 10**4
    assert value <= exact < value + Fraction(1, 10**4)
    assert len(text.split(".")[1]) == 4


def test_clean_acta_counts():
    assert classify_one([10, 20, 5], lista_nominal=100) is Observacion.NINGUNA


def test_some_illegible_counts_as_zero():
    obs = classify_one([10, ILEGIBLE, SIN_DATO, NO_APLICA], lista_nominal=100)
    assert obs is Observacion.ALGUN_ILEGIBLE and obs.contabilizada and obs.inconsistencia
    assert rules.total_calculado(np.array([[10, ILEGIBLE, SIN_DATO, NO_APLICA]]))[0] == 10


def test_all_illegible_or_blank_is_not_counted():
    obs = classify_one([ILEGIBLE, SIN_DATO, NO_APLICA], lista_nominal=100)
    assert obs is Observacion.TODOS_ILEGIBLES and not obs.contabilizada and obs.inconsistencia


def test_excede_lista_nominal_plus_representatives():
    assert classify_one([60, 45], lista_nominal=100, representantes=5) is Observacion.NINGUNA  # 105 <= 105
    obs = classify_one([60, 46], lista_nominal=100, representantes=5)
    assert obs is Observacion.EXCEDE_LISTA and not obs.contabilizada and obs.inconsistencia


def test_excede_ignores_nulos_by_default_and_can_include_them():
    # A NULOS field holding the leftover ballots (as six real Quintana Roo 2019 actas do) does not exceed.
    assert classify_one([50, 40, 385], lista_nominal=445, representantes=7, nulos_index=2) is Observacion.NINGUNA
    assert classify_one([50, 40, 385], lista_nominal=445, representantes=7) is Observacion.EXCEDE_LISTA


def test_especial_uses_ballots_not_lista_nominal():
    assert classify_one([300, 200], lista_nominal=0, especial=True, boletas=750) is Observacion.NINGUNA
    assert classify_one([500, 300], lista_nominal=0, especial=True, boletas=750) is Observacion.EXCEDE_LISTA
    assert classify_one([500, 300], lista_nominal=0, especial=True, boletas=750, representantes=50) \
        is Observacion.NINGUNA


@pytest.mark.parametrize("reason", rules.SIN_ACTA_REASONS)
def test_sin_acta_never_counts_and_is_no_inconsistency(reason):
    obs = classify_one([0, 0], lista_nominal=100, sin_acta=True)
    assert obs is Observacion.SIN_ACTA and not obs.contabilizada and not obs.inconsistencia


def test_fuera_de_catalogo_never_counts():
    obs = classify_one([10, 10], lista_nominal=100, fuera_catalogo=True)
    assert obs is Observacion.FUERA_CATALOGO and not obs.contabilizada


def test_vote_code_parses_prep_texts():
    assert [rules.vote_code(t) for t in ("12", "-", "SIN DATO", "ILEGIBLE", "Ilegible")] == \
        [12, NO_APLICA, SIN_DATO, ILEGIBLE, ILEGIBLE]
    with pytest.raises(ValueError):
        rules.vote_code("doce")


def _votes(**kw):
    return kw


def test_small_election_by_hand():
    """Five casillas; every figure below computed by hand."""
    cat = tiny_catalog()
    specs = [
        # distrito 1, sección 1 B1: clean. 100+50+10 (PAN, PRI, C_PAN_PRI) + 7 CI + 3 nulos = 170
        {"casilla": (1, "B", 1), "votes": _votes(PAN=100, PRI=50, C_PAN_PRI=10, CAND_IND_1=7, NULOS=3), "at": at(20, 30)},
        # sección 1 C1: some illegible -> counts, MORENA illegible as 0. 80 + 40 = 120
        {"casilla": (1, "C", 1), "votes": _votes(MORENA=ILEGIBLE, PAN=80, MC=40), "at": at(21)},
        # sección 2 B1: LN 300 + 2 reps; 303 votes -> excede, not counted
        {"casilla": (2, "B", 1), "votes": _votes(PAN=303), "reps": 2, "at": at(21, 30)},
        # distrito 2, sección 3 B1: coalition MORENA-PT runs here: 200 + 100 + 20 (C_MORENA_PT) + 30 PAN = 350
        {"casilla": (3, "B", 1), "votes": _votes(MORENA=200, PT=100, C_MORENA_PT=20, PAN=30), "at": at(22)},
        # sección 3 S1: especial, 90 votes for MORENA; counted, outside S_CS
        {"casilla": (3, "S", 1), "votes": _votes(MORENA=90), "at": at(22, 30)},
        # fuera de catálogo: casilla C9 does not exist
        {"casilla": (1, "C", 9), "votes": _votes(PAN=10), "at": at(22, 40)},
    ]
    engine = engine_for(cat, specs)

    c = engine.corte(at(23), sequence=5)
    t = c.elecciones["DIP_LOC"].tally
    assert (t.esperadas, t.registradas, t.fuera_catalogo, t.capturadas) == (5, 6, 1, 5)
    assert (t.contabilizadas, t.no_contabilizadas, t.inconsistencias) == (4, 1, 2)
    assert t.lista_nominal == 500 + 480 + 600 + 0
    assert (t.total_c_cs, t.total_s_cs) == (170 + 120 + 350 + 90, 170 + 120 + 350)
    assert t.participacion == pct(640, 1580) == "40.5063"
    assert t.pct_contabilizadas == "80.0000" and t.pct_inconsistencias == "40.0000"

    final = engine.corte(at(23), final=True).elecciones["DIP_LOC"].tally
    assert final.participacion == pct(730, 1580) == "46.2025"

    # Por candidatura: the coalition gets its parties and every combination column.
    ec = c.elecciones["DIP_LOC"]
    d1 = ec.table("contienda").tally("17-1")
    cands = {cand.clave: v for cand, v, _ in d1.por_candidatura(ec.contienda("17-1"))}
    assert cands["PAN_PRI_PRD"] == 100 + 50 + 10 + 80
    assert cands["CAND_IND_1"] == 7 and cands["MC"] == 40 and "MORENA_PT" not in cands
    d2 = ec.table("contienda").tally("17-2")
    cands2 = {cand.clave: v for cand, v, _ in d2.por_candidatura(ec.contienda("17-2"))}
    assert cands2["MORENA_PT"] == 200 + 100 + 20 + 90 and cands2["PAN_PRI_PRD"] == 30

    # Only what was verified by the instant is in the corte.
    early = engine.corte(at(21, 15)).elecciones["DIP_LOC"].tally
    assert (early.capturadas, early.contabilizadas, early.total_c_cs) == (2, 2, 290)

    # Levels: sección 1 has two casillas, both counted; sección 2 none counted.
    secs = ec.table("seccion")
    assert secs.tally("17-1").contabilizadas == 2 and secs.tally("17-2").contabilizadas == 0
    assert secs.tally("17-2").capturadas == 1 and secs.tally("17-3").esperadas == 2
