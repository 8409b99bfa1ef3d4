"""The real Quintana Roo 2019 database: pregon's rules reproduce every published figure, every acta's
outcome and observation, and the file itself byte for byte."""

import io
import json
import zipfile

import pytest

from pregon.cli import main
from pregon import database

PUBLISHED = "2136|2136|0|2136|100.0000|2031|95.0842|23.0337|105|1187254|263005|262598|22.1523"


@pytest.fixture(scope="module")
def db(real_qroo):
    (one,) = database.read(real_qroo)
    return one


def test_header_is_read_by_content(db):
    assert db.eleccion == "DIPUTACIONES LOCALES"
    assert db.corte_label == "2019/06/03 05:47 (UTC-5)"
    assert "|".join(db.header_values) == PUBLISHED
    assert len(db.rows) == 2136


def test_recount_reproduces_every_header_figure(db):
    result = database.recount(db)
    assert result.final  # every expected acta captured: the last corte
    assert "|".join(rec for _, _, rec in result.header) == PUBLISHED
    assert result.ok, result.differences[:5]


def test_recount_reproduces_each_acta(db):
    a = database.interpret(db).eleccion.actas
    i_c, i_t = db.column("contabilizada"), db.column("total_calculado")
    assert [r[i_c] for r in db.rows] == ["1" if x else "0" for x in a.contabilizada]
    assert [r[i_t] for r in db.rows] == [str(int(x)) for x in a.total]


def test_observation_cases_of_the_real_file(db):
    a = database.interpret(db).eleccion.actas
    texts = [a.observacion_texto(i) for i in range(len(a))]
    i_o = db.column("observaciones")
    assert texts == [r[i_o] for r in db.rows]
    counts = {t: texts.count(t) for t in set(texts)}
    assert counts == {"": 1569, "ALGUN DATO ILEGIBLE O SIN DATO": 462, "SIN ACTA POR PAQUETE ENTREGADO SIN SOBRE": 49,
                      "TODOS ILEGIBLES O SIN DATO": 30, "SIN ACTA POR PAQUETE NO ENTREGADO": 26}


def test_csv_to_corte_to_csv_is_byte_identical(real_qroo, db):
    original = zipfile.ZipFile(real_qroo).read("QROO_DIP_LOC_2019.csv")
    reading = database.interpret(db)
    rebuilt = database.from_corte(reading.eleccion, reading.corte.instant, reading.corte.instant.tzinfo)
    assert rebuilt.to_bytes() == original


def test_cli_recount_agrees_and_exits_zero(real_qroo, capsys):
    assert main(["recount", str(real_qroo), "--json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["actas"] == 2136
    assert any("leaves NULOS out" in n for n in report["notes"])  # the six actas of docs/counting.md


def _tampered(real_qroo, tmp_path, edit):
    raw = zipfile.ZipFile(real_qroo).read("QROO_DIP_LOC_2019.csv").decode()
    path = tmp_path / "tampered.csv"
    path.write_text(edit(raw))
    return path


def test_cli_recount_exits_one_on_a_changed_vote(real_qroo, tmp_path, capsys):
    # One more PAN vote on the first acta: TOTAL_VOTOS_CALCULADO and the header totals no longer agree.
    path = _tampered(real_qroo, tmp_path, lambda s: s.replace("|426|71|6|77|7|7|", "|426|71|6|77|8|7|", 1))
    assert main(["recount", str(path)]) == 1
    out = capsys.readouterr().out
    assert "230085B010002 TOTAL_VOTOS_CALCULADO: published 77, recounted 78" in out
    assert "TOTAL_VOTOS_C_CS" in out and "MISMATCH" in out


def test_cli_recount_exits_one_on_a_changed_header(real_qroo, tmp_path):
    path = _tampered(real_qroo, tmp_path, lambda s: s.replace("|95.0842|", "|95.0843|", 1))
    assert main(["recount", str(path)]) == 1


def test_truncated_database_is_an_input_error(real_qroo, tmp_path, capsys):
    raw = zipfile.ZipFile(real_qroo).read("QROO_DIP_LOC_2019.csv")
    path = tmp_path / "cut.csv"
    path.write_bytes(raw[: len(raw) // 2])
    assert main(["recount", str(path)]) == 2
    err = capsys.readouterr().err
    assert "cut.csv" in err and "truncated" in err and "Traceback" not in err


def test_2024_layout_variant_is_read(db, tmp_path):
    """INE 2024: comma separator, no sep= line, renamed columns, quoted keys, DD/MM/YYYY times."""
    renames = {"ID_ESTADO": "ID_ENTIDAD", "ESTADO": "ENTIDAD", "SHA": "CODIGO_INTEGRIDAD",
               "NO_REGISTRADOS": "NO_REGISTRADAS"}
    cols = [renames.get(c, c) for c in db.columns] + ["COTEJADA"]
    i_times = [db.column(c) for c in ("acopio", "captura", "verificacion")]

    def convert(row):
        row = list(row)
        row[0] = "'" + row[0][2:-1] + "'"
        for i in i_times:
            if row[i]:
                d, t = row[i].split(" ")
                y, m, dd = d.split("-")
                row[i] = f"{dd}/{m}/{y} {t}"
        return row + ["1"]

    out = io.StringIO()
    out.write("DIPUTACIONES LOCALES\n03/06/2019 05:47 (UTC-5)\n" + ",".join(db.header_names) + "\n")
    out.write(",".join(db.header_values) + "\n\n" + ",".join(cols) + "\n")
    for row in db.rows:
        out.write(",".join(convert(row)) + "\n")
    path = tmp_path / "2024.csv"
    path.write_text(out.getvalue())
    (db24,) = database.read(path)
    result = database.recount(db24)
    assert result.ok, result.differences[:3]
    assert "|".join(rec for _, _, rec in result.header) == PUBLISHED
