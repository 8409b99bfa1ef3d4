"""`pregon simulate replay`: a real night again. A corte of the replay at the database's own instant gives
the database's header back, figure for figure; the directory is an ordinary election directory."""

from __future__ import annotations

import hashlib
import json

import pytest

from pregon import database
from pregon.cli import main
from pregon.election.corte import HEADER_FIELDS
from pregon.electionio import catalog_dir
from pregon.electionio.election_dir import load_engine
from pregon.simulacro.plan import read_simulacion
from pregon.times import parse_instant
from realdata import CAMPECHE, PUEBLA, QROO, SONORA, real


def published(relative: str) -> dict[str, list[str]]:
    """Each election's 13 header figures as its database publishes them, by clave."""
    out = {}
    for db in database.read(real(relative) if not relative.endswith("/") else real(relative.rstrip("/"))):
        r = database.interpret(db)
        out[r.clave] = [v for _n, v in zip(db.header_names, db.header_values)]
    return out


@pytest.fixture(scope="module")
def puebla(tmp_path_factory):
    out = tmp_path_factory.mktemp("replay") / "puebla"
    assert main(["simulate", "replay", str(real("IEE_PUE_2018")), "--out", str(out)]) == 0
    return out


def test_puebla_replay_reproduces_each_header_at_the_databases_corte(puebla, tmp_path, capsys):
    capsys.readouterr()
    assert main(["corte", "--election", str(puebla), "--at", "2018-07-02T20:00:00-05:00", "--out",
                 str(tmp_path / "z"), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)["elecciones"]
    want = {}
    for k in PUEBLA:
        want.update(published(PUEBLA[k]))
    assert sorted(got) == ["AYUN", "DIP_LOC", "GUB"] == sorted(want)
    keys = ["actas_esperadas", "actas_registradas", "actas_fuera_catalogo", "actas_capturadas",
            "porcentaje_actas_capturadas", "actas_contabilizadas", "porcentaje_actas_contabilizadas",
            "porcentaje_actas_inconsistencias", "actas_no_contabilizadas", "lista_nominal_actas_contabilizadas",
            "total_votos_c_cs", "total_votos_s_cs", "porcentaje_participacion_ciudadana"]
    for clave, figures in got.items():
        assert [str(figures[k]) for k in keys] == want[clave], clave


def test_the_printed_corte_shows_the_same_thirteen_figures(puebla, tmp_path, capsys):
    capsys.readouterr()
    assert main(["corte", "--election", str(puebla), "--at", "2018-07-02T20:00:00-05:00",
                 "--out", str(tmp_path / "z")]) == 0
    text = capsys.readouterr().out
    (db,) = database.read(real(PUEBLA["GOB"]))
    block = text.split("GUBERNATURA (GUB)")[1].split("\n\n")[0].splitlines()[1:]
    assert [ln.split()[-1] for ln in block] == db.header_values
    assert [ln.split()[0] for ln in block] == list(HEADER_FIELDS)


def test_replay_is_an_ordinary_election_directory(puebla):
    assert read_simulacion(puebla / "simulacion.toml")["eleccion"][0]["final"] is False  # its schema holds
    cat = catalog_dir.load(puebla)
    assert sorted(cat.elecciones) == ["AYUN", "DIP_LOC", "GUB"]
    assert (puebla / "boletas" / "AYUN.csv").exists()  # 217 ballots no rule of catalog.toml describes
    ayun = cat.elecciones["AYUN"]
    assert len(ayun.contiendas) == 217 and ayun.actas_esperadas == 7547
    acajete = ayun.contiendas["21-1"]
    assert "ROGELIO ALEJANDRO LEON GONZALEZ" in {c.candidato for c in acajete.candidaturas}
    (db,) = database.read(real(PUEBLA["AYUN"]))
    assert database.interpret(db).eleccion.eleccion.contiendas["21-1"] == acajete  # the ballot survives


def test_each_acta_arrives_at_its_real_time(puebla):
    engine = load_engine(puebla)
    a = engine.actas["GUB"]
    assert (a.verificacion[1:] >= a.verificacion[:-1]).all()
    corte = parse_instant("2018-07-02T20:00:00-05:00", "corte")
    early = engine.corte(parse_instant("2018-07-02T04:00:00-05:00", "corte")).elecciones["GUB"].tally
    assert 0 < early.capturadas < engine.corte(corte).elecciones["GUB"].tally.capturadas


def test_same_databases_same_bytes(puebla, tmp_path):
    again = tmp_path / "again"
    assert main(["simulate", "replay", str(real("IEE_PUE_2018")), "--out", str(again)]) == 0

    def digest(root):
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}

    assert digest(puebla) == digest(again)


@pytest.mark.parametrize("relative, at, final", [
    (QROO, "2019-06-03T05:47:00-05:00", True),
    (CAMPECHE, "2021-06-01T18:52:00-05:00", False),
    (SONORA["GOB"], "2021-06-07T13:19:00-07:00", True),
    (SONORA["AYUN"], "2021-06-07T13:19:00-07:00", True),
])
def test_other_replays_reproduce_their_headers(relative, at, final, tmp_path, capsys):
    out = tmp_path / "rp"
    assert main(["simulate", "replay", str(real(relative)), "--out", str(out)]) == 0
    capsys.readouterr()
    args = ["corte", "--election", str(out), "--at", at, "--out", str(tmp_path / "z"), "--json"]
    assert main(args + (["--final"] if final else [])) == 0
    got = json.loads(capsys.readouterr().out)["elecciones"]
    for clave, figures in published(relative).items():
        t = got[clave]
        assert t["actas_esperadas"] == int(figures[0]) and t["actas_capturadas"] == int(figures[3])
        assert t["actas_contabilizadas"] == int(figures[5]) and t["porcentaje_actas_inconsistencias"] == (
            figures[7] if "." in figures[7] else "0.0000")
        assert str(t["total_votos_s_cs"]) == (figures[11] or "0")


def test_replay_refuses_a_directory_it_did_not_make(tmp_path, capsys):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "mine.txt").write_text("x")
    assert main(["simulate", "replay", str(real(QROO)), "--out", str(busy)]) == 2
    assert "not empty" in capsys.readouterr().err
