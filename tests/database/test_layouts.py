"""The format family, as a property: any layout the real files vary in, applied to a real database, must
read to the same recount. Each variant is rebuilt from the real file's cells by `forge`, one choice per
dimension (encoding, line ending, separator, title lines, corte line, figures, keys, names, markers)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pregon import database
from pregon.database import text as textmod
from pregon.errors import InputError
from realdata import QROO, SONORA, real

RENAMES = {  # other years' names of the same roles (vocabulary.toml)
    "ID_ESTADO": "ID_ENTIDAD", "ESTADO": "ENTIDAD", "SHA": "CODIGO_INTEGRIDAD", "NO_REGISTRADOS": "NO_REGISTRADAS",
    "TOTAL_BOLETAS_SOBRANTES": "NUM_BOLETAS_SOBRANTES", "TOTAL_PERSONAS_VOTARON": "TOTAL_CIUDADANOS_VOTARON",
    "TOTAL_VOTOS_CALCULADO": "TOTAL_VOTOS", "ID_DISTRITO": "ID_DISTRITO_LOCAL", "DISTRITO": "DISTRITO_LOCAL",
    "ACTAS_FUERA_CATALOGO": "ACTAS_FUERA_DE_CATÁLOGO", "MECANISMOS_TRASLADO": "MECANISMO_TRASLADO",
    "PORCENTAJE_ACTAS_INCONSISTENCIAS": "PORCENTAJE_ACTAS_CON_INCONSISTENCIAS",
}
KEY_COLUMNS = ("CLAVE_CASILLA", "CLAVE_ACTA", "ID_ESTADO", "SECCION", "ID_DISTRITO")


def base(relative: str) -> database.Database:
    (db,) = database.read(real(relative))
    return db


@st.composite
def layouts(draw):
    return {
        "encoding": draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"])),
        "newline": draw(st.sampled_from(["\n", "\r\n", "\r"])),
        "sep": draw(st.sampled_from([",", "|"])),
        "sep_line": draw(st.booleans()),
        "titles": draw(st.integers(1, 2)),
        "quote_titles": draw(st.booleans()),
        "corte": draw(st.sampled_from(["ymd", "dmy", "d/m", "quoted"])),
        "thousands": draw(st.booleans()),
        "pct_apostrophe": draw(st.booleans()),
        "keys": draw(st.sampled_from(["bare", "excel", "quotes", "apostrophe"])),
        "rename": draw(st.booleans()),
        "markers": draw(st.sampled_from(["as-is", "lower", "n/a"])),
        "trailing": draw(st.booleans()),
    }


def forge(db: database.Database, v: dict) -> bytes:
    """The database written again in layout `v` (same figures, same acta cells)."""
    sep = v["sep"]
    lines = []
    if v["sep_line"]:
        lines.append(f"sep={sep}")
    titles = [db.eleccion] + (["PROCESO ELECTORAL LOCAL ORDINARIO"] if v["titles"] == 2 else [])
    lines += [f'"{t}"' if v["quote_titles"] else t for t in titles]
    t = db.instant
    offset = db.corte_label[db.corte_label.index("(UTC"):]
    corte = {"ymd": t.strftime("%Y/%m/%d %H:%M"), "dmy": t.strftime("%d/%m/%Y %H:%M"),
             "d/m": f"{t.day}/{t.month}/{t.year} {t:%H:%M}", "quoted": t.strftime("%d/%m/%Y %H:%M")}[v["corte"]]
    corte += f" {offset}"
    lines.append(f'"{corte}"' if v["corte"] == "quoted" else corte)
    names = [RENAMES.get(n, n) if v["rename"] else n for n in db.header_names]
    lines.append(sep.join(names))
    values = []
    for name, value in zip(db.header_names, db.header_values):
        if "PORCENTAJE" in name and v["pct_apostrophe"] and value:
            value = f"'{value}%"
        elif value.isdigit() and v["thousands"] and int(value) >= 1000:
            value = f"{int(value):,}"
            value = f'"{value}"' if sep == "," else value
        values.append(value)
    lines.append(sep.join(values))
    lines.append("")
    columns = [RENAMES.get(c, c) if v["rename"] else c for c in db.columns]
    lines.append(sep.join(columns) + (sep * 2 if v["trailing"] else ""))
    keyed = {db.columns.index(c) for c in KEY_COLUMNS if c in db.columns}
    obs = db.columns.index("OBSERVACIONES")
    for row in db.rows:
        out = []
        for j, cell in enumerate(row):
            c = textmod.unwrap(cell)
            if j in keyed and c:
                c = {"bare": c, "excel": f'="{c}"', "quotes": f"'{c}'", "apostrophe": f"'{c}"}[v["keys"]]
            elif j != obs and c in ("SIN DATO", "ILEGIBLE", "-"):
                c = {"as-is": c, "lower": c.capitalize(), "n/a": "N/A" if c == "-" else c}[v["markers"]]
            if sep in c or '"' in c:
                c = '"' + c.replace('"', '""') + '"'
            out.append(c)
        lines.append(sep.join(out) + (sep * 2 if v["trailing"] else ""))
    text = v["newline"].join(lines) + v["newline"]
    if v["encoding"] == "cp1252":
        return text.encode("cp1252", errors="replace")
    return text.encode(v["encoding"])


def figures(r) -> list[str]:
    return [rec for _f, _p, rec in r.header]


@pytest.fixture(scope="module")
def qroo():
    db = base(QROO)
    return db, database.recount(db)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(layouts())
def test_any_layout_of_the_family_reads_to_the_same_recount(qroo, v):
    db, expected = qroo
    (again,) = [database.parse(forge(db, v), "variant.csv")]
    r = database.recount(again)
    assert r.ok, (v, r.differences[:3])
    assert figures(r) == figures(expected)
    assert again.instant == db.instant and len(again.rows) == len(db.rows)


def test_sonora_layout_is_also_written_back_and_read():
    db = base(SONORA["GOB"])
    expected = database.recount(db)
    v = {"encoding": "cp1252", "newline": "\r", "sep": "|", "sep_line": True, "titles": 2, "quote_titles": False,
         "corte": "ymd", "thousands": True, "pct_apostrophe": True, "keys": "excel", "rename": True,
         "markers": "lower", "trailing": True}
    r = database.recount(database.parse(forge(db, v), "sonora-variant.csv"))
    assert r.ok and figures(r) == figures(expected)


def test_zip_of_zips_with_several_elections(tmp_path):
    db = base(QROO)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("QROO_DIP_LOC_2019.csv", forge(db, {
            "encoding": "utf-8", "newline": "\n", "sep": ",", "sep_line": False, "titles": 1,
            "quote_titles": False, "corte": "dmy", "thousands": False, "pct_apostrophe": False, "keys": "apostrophe",
            "rename": False, "markers": "as-is", "trailing": False}))
        zf.writestr("LEEME.txt", "ACTAS_ESPERADAS, ACTAS_REGISTRADAS y las demás cifras…")
    outer = tmp_path / "todo.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.writestr("20190603_0547_PREP_DIP_QROO.zip", inner.getvalue())
        zf.writestr("copia/20190603_0547_PREP_DIP_QROO.zip", inner.getvalue())
    dbs = database.read(outer)
    assert len(dbs) == 2 and all(database.recount(d).ok for d in dbs)
    assert dbs[0].leeme.startswith("ACTAS_ESPERADAS")


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.replace("|PAN|", "|PAN|XYZ_COL|", 1).replace("\n\n", "\n\n", 1), "fields where the acta header"),
    (lambda s: s.replace("|LISTA_NOMINAL|", "|LISTA_NOMINAL|RARE_FIELD|", 1), "'RARE_FIELD': unknown column"),
    (lambda s: s.replace("|SIN DATO|", "|QUIZA|", 1), "'QUIZA' is not a number or a known mark"),
    (lambda s: s.replace("|TODOS ILEGIBLES O SIN DATO|", "|ACTA EXTRAVIADA|", 1), "unknown observation 'ACTA EXTRAVIADA'"),
    (lambda s: s.replace("2019/06/03 05:47 (UTC-5)", "2019/06/03 05:47", 1), "no corte line"),
    (lambda s: s.replace("|TOTAL_VOTOS_C_CS|", "|TOTAL_VOTOS_X|", 1), "unknown header figure 'TOTAL_VOTOS_X'"),
])
def test_unknown_column_marker_or_observation_is_one_line_naming_it(tmp_path, edit, message):
    raw = zipfile.ZipFile(real(QROO)).read("QROO_DIP_LOC_2019.csv").decode()
    path = tmp_path / "edited.csv"
    path.write_text(edit(raw), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        for db in database.read(path):
            database.recount(db)
    text = str(exc.value)
    assert "edited.csv" in text and message in text and "\n" not in text
    if "unknown column" in message:
        assert "edited.csv:7: field 'RARE_FIELD'" in text  # the acta header is line 7
    elif "known mark" in message or "observation" in message:
        assert re.search(r"edited\.csv:\d+: field '(PRI|PAN|[A-Z_]+)'", text), text  # file, line, column, value
