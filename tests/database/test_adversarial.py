"""Databases come from the web: hostile or broken files must end in one InputError line (CLI exit 2),
never a traceback, never unbounded work, and never be mistaken for a finding about the data (exit 1)."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pregon import database
from pregon.cli import main
from pregon.database import files
from pregon.errors import InputError
from realdata import QROO, real

SMALL = (
    "sep=|\nDIPUTACIONES LOCALES\n2019/06/03 05:47 (UTC-5)\n"
    "ACTAS_ESPERADAS|ACTAS_REGISTRADAS|ACTAS_FUERA_CATALOGO|ACTAS_CAPTURADAS|PORCENTAJE_ACTAS_CAPTURADAS|"
    "ACTAS_CONTABILIZADAS|PORCENTAJE_ACTAS_CONTABILIZADAS|PORCENTAJE_ACTAS_INCONSISTENCIAS|ACTAS_NO_CONTABILIZADAS|"
    "LISTA_NOMINAL_ACTAS_CONTABILIZADAS|TOTAL_VOTOS_C_CS|TOTAL_VOTOS_S_CS|PORCENTAJE_PARTICIPACION_CIUDADANA\n"
    "2|2|0|2|100.0000|2|100.0000|0.0000|0|900|300|300|33.3333\n\n"
    "CLAVE_CASILLA|CLAVE_ACTA|ID_ESTADO|ESTADO|ID_DISTRITO|DISTRITO|SECCION|ID_CASILLA|TIPO_CASILLA|EXT_CONTIGUA|"
    "UBICACION_CASILLA|TIPO_ACTA|TOTAL_BOLETAS_SOBRANTES|TOTAL_PERSONAS_VOTARON|TOTAL_REP_PARTIDO_CI_VOTARON|"
    "TOTAL_VOTOS_SACADOS|PAN|PRI|NO_REGISTRADOS|NULOS|TOTAL_VOTOS_ASENTADO|TOTAL_VOTOS_CALCULADO|LISTA_NOMINAL|"
    "REPRESENTANTES_PP_CI|OBSERVACIONES|CONTABILIZADA|MECANISMOS_TRASLADO|SHA|FECHA_HORA_ACOPIO|FECHA_HORA_CAPTURA|"
    "FECHA_HORA_VERIFICACION|ORIGEN|DIGITALIZACION|TIPO_DOCUMENTO\n"
    '="230001B0100"|230001B010002|23|QUINTANA ROO|1|CHETUMAL|1|1|B|0|1|2|300|150|0|150|100|40|0|10|150|150|450|0|'
    "|1|D|ab|2019-06-02 20:10:00|2019-06-02 20:20:00|2019-06-02 20:30:00|CATD|ESCANER|ACTA PREP\n"
    '="230001C0100"|230001C010002|23|QUINTANA ROO|1|CHETUMAL|1|1|C|0|1|2|300|150|0|150|90|50|5|5|150|150|450|0|'
    "|1|D|cd|2019-06-02 20:11:00|2019-06-02 20:21:00|2019-06-02 20:31:00|CATD|ESCANER|ACTA PREP\n"
)


def read_bytes(data: bytes, name="x.csv"):
    return files._from_entries([(name, data)], "<test>", depth=0, budget=[files.MAX_EXPANDED])


def test_the_small_file_is_valid():
    (db,) = read_bytes(SMALL.encode())
    r = database.recount(db)
    assert r.ok and [rec for _f, _p, rec in r.header][-1] == "33.3333"


def zipped(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


CORPUS = {
    "empty": b"",
    "random bytes": bytes(range(256)) * 40,
    "only a title": b"GUBERNATURA\n",
    "figures without values": SMALL.encode().split(b"\n2|2|")[0],
    "no acta table": SMALL.encode().split(b"\n\nCLAVE")[0],
    "a row cut short": SMALL.encode()[:-40],
    "header figure is text": SMALL.replace("|900|300|", "|novecientos|300|").encode(),
    "corte line not a date": SMALL.replace("2019/06/03 05:47 (UTC-5)", "mañana temprano (UTC-5)").encode(),
    "corte in the 31st month": SMALL.replace("2019/06/03", "2019/31/03").encode(),
    "offset out of range": SMALL.replace("(UTC-5)", "(UTC-25)").encode(),
    "unknown TIPO_CASILLA": SMALL.replace("|1|B|0|", "|1|Q|0|", 1).encode(),
    "unknown CONTABILIZADA": SMALL.replace("|0||1|D|ab", "|0||si|D|ab").encode(),
    "bad time": SMALL.replace("2019-06-02 20:30:00", "ayer a las 8").encode(),
    "section is text": SMALL.replace("|1|1|B|", "|uno|1|B|", 1).encode(),
    "duplicate vote column": SMALL.replace("|PAN|PRI|", "|PAN|PAN|").encode(),
    "no totals": SMALL.replace("TOTAL_VOTOS_ASENTADO|TOTAL_VOTOS_CALCULADO", "X1|X2").encode(),
    "figures named twice": SMALL.replace("ACTAS_REGISTRADAS|", "ACTAS_ESPERADAS|", 1).encode(),
    "a zip that is not one": b"PK\x03\x04" + b"\x00" * 100,
    "a zip with nothing in it": zipped({"notes.txt": b"hola"}),
    "a zip with a broken database": zipped({"X.csv": SMALL.encode()[:400]}),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_file_is_one_clear_input_error(name, tmp_path, capsys):
    path = tmp_path / ("in.zip" if CORPUS[name].startswith(b"PK") else "in.csv")
    path.write_bytes(CORPUS[name])
    assert main(["recount", str(path)]) == 2, name
    err = capsys.readouterr().err
    assert err.startswith("pregon: error:") and err.count("\n") == 1 and "Traceback" not in err
    assert str(tmp_path) in err or "in." in err


def test_zips_nested_too_deep_are_refused():
    data = SMALL.encode()
    for _ in range(files.MAX_DEPTH + 1):
        data = zipped({"inner.zip": data})
    with pytest.raises(InputError, match="nested more than"):
        files._from_zip(data, "deep.zip", 0, [files.MAX_EXPANDED])


def test_a_zip_bomb_is_refused_before_it_is_expanded(monkeypatch):
    monkeypatch.setattr(files, "MAX_EXPANDED", 1 << 20)
    bomb = zipped({"big.csv": b"0" * (4 << 20)})
    assert len(bomb) < 64 << 10
    with pytest.raises(InputError, match="zip bomb"):
        files._from_zip(bomb, "bomb.zip", 0, [files.MAX_EXPANDED])


def test_too_many_entries_are_refused(monkeypatch):
    monkeypatch.setattr(files, "MAX_ENTRIES", 5)
    data = zipped({f"f{i}.txt": b"x" for i in range(6)})
    with pytest.raises(InputError, match="entries"):
        files._from_zip(data, "many.zip", 0, [files.MAX_EXPANDED])


def test_entry_names_are_never_paths_on_disk(tmp_path):
    """A zip's names are only labels: '../../x.csv' is read in memory, nothing is written anywhere."""
    data = zipped({"../../etc/evil.csv": SMALL.encode(), "/abs/evil2.csv": SMALL.encode()})
    before = set(tmp_path.parent.iterdir())
    dbs = files._from_zip(data, "names.zip", 0, [files.MAX_EXPANDED])
    assert len(dbs) == 2 and set(tmp_path.parent.iterdir()) == before


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_mutation_reads_or_fails_cleanly(data):
    raw = bytearray(SMALL.encode())
    for _ in range(data.draw(st.integers(1, 6))):
        op = data.draw(st.sampled_from(["flip", "delete", "insert", "cut"]))
        i = data.draw(st.integers(0, len(raw) - 1))
        if op == "flip":
            raw[i] = data.draw(st.integers(0, 255))
        elif op == "delete":
            del raw[i:i + data.draw(st.integers(1, 20))]
        elif op == "insert":
            raw[i:i] = data.draw(st.sampled_from([b"|", b",", b"\n", b"\r", b'"', b"'", b"=", b"-", b"\xd1", b"99"]))
        else:
            del raw[i:]
        if not raw:
            raw = bytearray(b"x")
    try:
        for db in read_bytes(bytes(raw)):
            database.recount(db)
    except InputError as exc:
        assert "\n" not in str(exc)


def test_a_real_database_with_a_flipped_vote_is_a_finding_not_an_input_error(tmp_path):
    raw = zipfile.ZipFile(real(QROO)).read("QROO_DIP_LOC_2019.csv").decode()
    path = tmp_path / "flipped.csv"
    path.write_text(raw.replace("|426|71|6|77|7|7|", "|426|71|6|77|9|7|", 1), encoding="utf-8")
    assert main(["recount", str(path)]) == 1
