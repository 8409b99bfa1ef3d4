"""Every real database in ../shared/fixtures/real: read whatever its layout, recounted figure by figure.

The expected figures are the files' own header lines: the recount must reproduce what the institute
published, or name precisely where the institute's figures disagree with its own rows.
"""

from __future__ import annotations

import functools
import json

import pytest

from pregon import database
from pregon.cli import main
from pregon.election import rules
from realdata import CAMPECHE, PUEBLA, QROO, SONORA, real

ALL = [*PUEBLA.values(), *SONORA.values(), QROO, CAMPECHE]
CONSISTENT = [p for p in ALL if p != SONORA["DIP_LOC"]]


@functools.cache
def results(relative: str):
    return tuple(database.recount(db) for db in database.read(real(relative)))


@pytest.mark.parametrize("relative", CONSISTENT)
def test_recount_reproduces_every_published_figure(relative):
    for r in results(relative):
        assert r.ok, (r.source, r.differences[:5])
        assert len(r.header) == 13
        assert not [d for d in r.differences if d.where != "header"]


def test_the_eleven_databases_are_read(capsys):
    dbs = [db for rel in ALL for db in database.read(real(rel))]
    assert len(dbs) == 11
    assert sorted({db.eleccion for db in dbs}) == sorted({
        "GUBERNATURA", "DIPUTACIONES LOCALES", "AYUNTAMIENTOS", "JUNTAS",
        "DIPUTACIONES LOCALES (INCLUYE RESULTADOS DE MAYORIA RELATIVA Y REPRESENTACION PROPORCIONAL)"})


def test_cli_recount_exit_codes_over_all_files(capsys):
    for rel in CONSISTENT:
        assert main(["recount", str(real(rel))]) == 0, rel
    assert main(["recount", str(real(SONORA["DIP_LOC"]))]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "finding about the data" in err and "Traceback" not in err


def test_sonora_diputaciones_finding_is_one_acta():
    """Sonora 2021 diputaciones: acta 260777S01003ERP publishes TOTAL_VOTOS_CALCULADO 538 while its own vote
    fields add up to 536, and TOTAL_VOTOS_C_CS sums the 538. pregon reports exactly that, as a finding."""
    (r,) = results(SONORA["DIP_LOC"])
    actas = [d for d in r.differences if d.where != "header"]
    assert [(d.where, d.field, d.published, d.recomputed, d.line) for d in actas] == [
        ("260777S01003ERP", "TOTAL_VOTOS_CALCULADO", "538", "536", 3774)]
    header = {d.field: (d.published, d.recomputed) for d in r.differences if d.where == "header"}
    assert header == {"TOTAL_VOTOS_C_CS": ("809615", "809613"),
                      "PORCENTAJE_PARTICIPACION_CIUDADANA": ("43.9769", "43.9768")}
    assert any("agrees with each acta's TOTAL_VOTOS_CALCULADO as published" in n for n in r.notes)


def test_every_acta_outcome_agrees_in_every_file():
    for rel in ALL:
        for db in database.read(real(rel)):
            r = database.recount(db)
            assert not [d for d in r.differences if d.field == "CONTABILIZADA"], (rel, db.source)


def test_layout_facts_of_each_family():
    (son,) = database.read(real(SONORA["GOB"]))
    assert son.encoding == "utf-8-sig" and son.corte_label == "07/06/2021 13:19 (UTC-7)"
    assert son.instant.isoformat() == "2021-06-07T13:19:00-07:00"
    assert son.layout.vote_names[:2] == ["CC_PAN_PRI_PRD", "CC_MORENA_PT_PVEM_NA"]
    reading = database.interpret(son)
    assert reading.corte.catalog.proceso.timezone == "America/Hermosillo"
    assert reading.eleccion.eleccion.excede_con_nulos is True  # as its own CONTABILIZADA shows
    assert reading.corte.final  # its participation figure is C_CS over the lista nominal: the last corte
    (pue,) = database.read(real(PUEBLA["AYUN"]))
    assert pue.encoding == "utf-8" and pue.sep == "," and pue.candidaturas is not None and pue.leeme
    ayun = database.interpret(pue)
    assert ayun.eleccion.eleccion.ambito == "municipio" and len(ayun.eleccion.eleccion.contiendas) == 217
    names = {c.candidato for ct in ayun.eleccion.eleccion.contiendas.values() for c in ct.candidaturas}
    assert "ROGELIO ALEJANDRO LEON GONZALEZ" in names  # Acajete's PRI candidate, from the candidaturas file
    camp = database.read(real(CAMPECHE))
    assert [db.source.rsplit("!", 1)[1] for db in camp] == [
        "CAMP_AYUN_2021.csv", "CAMP_DIP_LOC_2021.csv", "CAMP_GOB_2021.csv", "CAMP_JUNTAS_2021.csv"]
    assert all(db.source.count("!") == 2 for db in camp)  # a zip of zips
    juntas = database.interpret(camp[3])
    assert juntas.clave == "JUN" and juntas.eleccion.eleccion.ambito == "junta"


def test_puebla_lists_the_whole_catalogo_and_withholds_votes():
    """Puebla 2018 lists every expected acta (not captured yet: CONTABILIZADA '-') and publishes the votes of
    an acta it did not count as zeros; four actas are captured with neither count nor reason."""
    (db,) = database.read(real(PUEBLA["GOB"]))
    reading = database.interpret(db)
    a = reading.eleccion.actas
    assert len(db.rows) == 7548 and (reading.acta_of_row < 0).sum() == 141  # not captured by the corte
    obs = rules.Observacion
    assert int((a.observacion == obs.EN_PROCESO).sum()) == 1
    assert int((a.observacion == obs.EXCEDE_LISTA).sum()) == 18
    assert reading.eleccion.tally.no_contabilizadas == 1174 == reading.eleccion.tally.capturadas - 6232 - 1
    r = database.recount(db)
    assert any("en proceso" in n for n in r.notes) and any("EXCEDE LISTA NOMINAL" in n for n in r.notes)


def test_excede_rule_is_the_one_each_institute_applied():
    (qroo,) = results(QROO)
    assert any("leaves NULOS out" in n for n in qroo.notes)
    (son,) = results(SONORA["GOB"])
    assert any("counts NULOS in the test" in n for n in son.notes)


def test_campeche_before_any_acta_agrees_with_empty_figures():
    for r in results(CAMPECHE):
        assert r.ok
        published = dict((f, p) for f, p, _ in r.header)
        assert published["ACTAS_CAPTURADAS"] == "0" and published["TOTAL_VOTOS_C_CS"] == ""
        assert any("the same figure pregon writes" in n for n in r.notes)


def test_recount_json_has_every_file_of_a_folder(capsys):
    assert main(["recount", str(real("IEE_PUE_2018")), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["eleccion"] for r in report] == ["AYUNTAMIENTOS", "DIPUTACIONES LOCALES", "GUBERNATURA"]
    assert all(r["ok"] and r["notes"] for r in report)
