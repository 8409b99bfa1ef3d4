"""Catalog and feed files: they round-trip, and every bad file gets one line naming file, line and field."""

import zipfile

import pytest

from builders import TZ, acta_rows, at, tiny_catalog
from pregon.cli import main
from pregon import database
from pregon.electionio import catalog_dir
from pregon.electionio import feed as feed_io
from pregon.electionio.election_dir import load_engine
from pregon.errors import InputError


@pytest.fixture
def election_dir(tmp_path):
    cat = tiny_catalog()
    catalog_dir.save(cat, tmp_path)
    (tmp_path / "actas").mkdir()
    specs = [{"casilla": (1, "B", 1), "votes": {"PAN": 10, "MORENA": 20}, "at": at(20, 10)},
             {"casilla": (3, "S", 1), "votes": {"MORENA": 30}, "at": at(21, 10)},
             {"casilla": (2, "B", 1), "sin_acta": "SIN ACTA POR PAQUETE NO ENTREGADO", "at": at(22, 10)}]
    feed_io.write_feed(acta_rows(cat, specs), tmp_path / "actas" / "DIP_LOC.csv", TZ)
    return tmp_path


def test_catalog_round_trip(election_dir):
    loaded = catalog_dir.load(election_dir)
    original = tiny_catalog()
    assert loaded.elecciones == original.elecciones
    assert loaded.casillas == original.casillas and loaded.secciones == original.secciones


def test_feed_is_read_up_to_the_instant(election_dir):
    engine = load_engine(election_dir, until=at(21, 30))
    t = engine.corte(at(21, 30)).elecciones["DIP_LOC"].tally
    assert (t.capturadas, t.contabilizadas, t.total_c_cs, t.total_s_cs) == (2, 2, 60, 30)


def test_cli_corte_writes_the_official_zip(election_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["corte", "--election", str(election_dir), "--at", "2024-06-02T23:00:00-06:00", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "ACTAS_CONTABILIZADAS" in text and "DIPUTACIONES LOCALES" in text
    (zpath,) = out.iterdir()
    assert zpath.name == "20240602_2300_PREP_DIP_LOC_MOR.zip"
    names = zipfile.ZipFile(zpath).namelist()
    assert names == ["LEEME.txt", "MOR_DIP_LOC_2024.csv", "MOR_DIP_LOC_CANDIDATURAS_2024.csv"]
    (db,) = database.read(zpath)
    assert db.corte_label == "2024/06/02 23:00 (UTC-6)"
    assert db.header_values[:4] == ["5", "3", "0", "3"]
    first = zpath.read_bytes()
    assert main(["corte", "--election", str(election_dir), "--at", "2024-06-02T23:00:00-06:00", "--out", str(out)]) == 0
    assert zpath.read_bytes() == first  # same inputs, same bytes


def _write(path, text):
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("filename,mutate,expected", [
    ("casillas.csv", lambda s: s.replace("17,1,B,1,0,1,500,0", "17,1,B,1,0,1,quinientos,0"),
     "casillas.csv:2: field 'LISTA_NOMINAL'"),
    ("casillas.csv", lambda s: s.replace("17,1,B,1", "17,1,X,1", 1), "casillas.csv:2: field 'TIPO'"),
    ("casillas.csv", lambda s: s.replace("17,1,B,1", "17,99,B,1", 1), "sección 99 is not in secciones.csv"),
    ("secciones.csv", lambda s: s.replace("DISTRITO_LOCAL", "DL"), "missing column 'DISTRITO_LOCAL'"),
    ("catalog.toml", lambda s: s.replace('ambito = "distrito_local"', 'ambito = "galaxia"'), "field 'ambito'"),
    ("catalog.toml", lambda s: s.replace("[proceso]", "[proceso"), "not valid TOML"),
    ("catalog.toml", lambda s: s.replace('contienda = "17-1"', 'contienda = "17-9"'), "'17-9' is not a contest"),
])
def test_bad_catalog_files_name_file_line_and_field(election_dir, filename, mutate, expected):
    path = election_dir / filename
    _write(path, mutate(path.read_text(encoding="utf-8")))
    with pytest.raises(InputError) as err:
        catalog_dir.load(election_dir)
    assert expected in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("mutate,expected", [
    (lambda lines: lines[:1] + [lines[1].replace(",10,", ",diez,", 1)] + lines[2:], "DIP_LOC.csv:2: field 'PAN': bad value 'diez'"),
    (lambda lines: lines[:1] + [lines[1].rsplit(",", 3)[0]] + lines[2:], "DIP_LOC.csv:2: "),
    (lambda lines: [lines[0].replace("PAN", "PAN2", 1)] + lines[1:], "DIP_LOC.csv:1: header does not match"),
    (lambda lines: lines[:1] + [lines[1].replace("2024-06-02T20:10:00-06:00", "ayer")] + lines[2:],
     "is not an ISO 8601 time"),
])
def test_bad_feed_rows_are_one_line_errors(election_dir, mutate, expected, capsys):
    path = election_dir / "actas" / "DIP_LOC.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    _write(path, "\n".join(mutate(lines)) + "\n")
    code = main(["corte", "--election", str(election_dir), "--at", "2024-06-03T12:00:00-06:00",
                 "--out", str(election_dir / "o")])
    err = capsys.readouterr().err
    assert code == 2 and expected in err and err.count("\n") == 1


def test_cut_instant_needs_an_offset(election_dir, capsys):
    assert main(["corte", "--election", str(election_dir), "--at", "2024-06-02T23:00", "--out", "x"]) == 2
    assert "no UTC offset" in capsys.readouterr().err


def test_missing_directory_says_what_to_do(tmp_path, capsys):
    assert main(["corte", "--election", str(tmp_path / "nope"), "--at", "2024-06-02T23:00:00-06:00",
                 "--out", "x"]) == 2
    assert "catalog.toml: not found" in capsys.readouterr().err


@pytest.mark.parametrize("final", [True, False])
def test_recount_reads_last_corte_from_participation(election_dir, tmp_path, capsys, final):
    """A --final corte taken before 100% of actas must recount as final, and an intermediate one as not."""
    out = tmp_path / "z"
    args = ["corte", "--election", str(election_dir), "--at", "2024-06-02T21:30:00-06:00", "--out", str(out)]
    assert main(args + (["--final"] if final else [])) == 0
    capsys.readouterr()
    (zpath,) = out.iterdir()
    assert main(["recount", str(zpath), "--json"]) == 0
    import json
    (report,) = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["final"] is final


def test_saved_column_order_survives_reordered_coalitions(tmp_path):
    cat = tiny_catalog()
    el = cat.elecciones["DIP_LOC"]
    reordered = ("NULOS",) + tuple(c for c in el.columnas if c != "NULOS")
    from dataclasses import replace
    cat.elecciones["DIP_LOC"] = replace(el, columnas=reordered)
    catalog_dir.save(cat, tmp_path)
    assert catalog_dir.load(tmp_path).elecciones["DIP_LOC"].columnas == reordered
    text = (tmp_path / "catalog.toml").read_text().replace('"NULOS", ', '"NULOS", "MORENA_BIS", ', 1)
    (tmp_path / "catalog.toml").write_text(text)
    with pytest.raises(InputError, match="field 'columnas'"):
        catalog_dir.load(tmp_path)
