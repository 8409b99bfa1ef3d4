"""`secciones.csv` and `casillas.csv`: the catalog's geography and casillas, one row each.

Plain CSV an institute's IT unit can read and diff; every reading error names the file, line and field.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..election.catalog import TIPOS_CASILLA, Casilla, Catalog, Entidad, Seccion, casilla_key
from ..errors import InputError, where

SECCION_COLUMNS = ("ENTIDAD", "SECCION", "DISTRITO_LOCAL", "DISTRITO_FEDERAL", "MUNICIPIO")
CASILLA_COLUMNS = ("ENTIDAD", "SECCION", "TIPO", "NUMERO", "EXT_CONTIGUA", "UBICACION", "LISTA_NOMINAL", "BOLETAS")


def load_secciones(path: Path, entidades: dict[int, Entidad]) -> dict[tuple[int, int], Seccion]:
    out = {}
    for line, row in csv_rows(path, SECCION_COLUMNS):
        vals = [cell_int(path, line, row, k) for k in SECCION_COLUMNS]
        if "JUNTA" in row:  # optional column: the junta municipal, where the entity elects them
            vals.append(cell_int(path, line, row, "JUNTA"))
        if vals[0] not in entidades:
            raise InputError(f"{where(path, line, 'ENTIDAD')}: entity {vals[0]} is not in catalog.toml")
        sec = Seccion(*vals)
        if (sec.entidad, sec.numero) in out:
            raise InputError(f"{where(path, line, 'SECCION')}: sección {sec.numero} appears twice; remove one row")
        out[(sec.entidad, sec.numero)] = sec
    return out


def load_casillas(path: Path, secciones: dict) -> list[Casilla]:
    out, seen = [], set()
    for line, row in csv_rows(path, CASILLA_COLUMNS):
        tipo = row["TIPO"].strip()
        if tipo not in TIPOS_CASILLA:
            raise InputError(f"{where(path, line, 'TIPO')}: {tipo!r} is not a casilla type; use B, C, E, S or M")
        c = Casilla(
            cell_int(path, line, row, "ENTIDAD"), cell_int(path, line, row, "SECCION"), tipo,
            cell_int(path, line, row, "NUMERO"), cell_int(path, line, row, "EXT_CONTIGUA"),
            cell_int(path, line, row, "UBICACION"), cell_int(path, line, row, "LISTA_NOMINAL"),
            cell_int(path, line, row, "BOLETAS"),
        )
        if (c.entidad, c.seccion) not in secciones:
            raise InputError(f"{where(path, line, 'SECCION')}: sección {c.seccion} is not in secciones.csv")
        key = casilla_key(c.entidad, c.seccion, c.tipo, c.numero, c.ext_contigua)
        if key in seen:
            raise InputError(f"{where(path, line)}: casilla {c.clave} appears twice; remove one row")
        seen.add(key)
        out.append(c)
    out.sort()
    return out


def csv_rows(path: Path, required: tuple[str, ...]):
    """(line number, row dict) of a catalog CSV whose header holds `required`."""
    try:
        fh = open(path, encoding="utf-8", newline="")
    except FileNotFoundError:
        raise InputError(f"{path}: not found; the catalog needs it beside catalog.toml") from None
    with fh:
        reader = csv.DictReader(fh)
        try:
            header = reader.fieldnames or []
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text; save it as UTF-8") from None
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(f"{where(path, 1)}: missing column {missing[0]!r}; the header must have "
                             f"{','.join(required)}")
        try:
            for row in reader:
                yield reader.line_num, row
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text after line {reader.line_num}; save it as UTF-8") from None


def cell_int(path, line, row, key) -> int:
    value = (row.get(key) or "").strip()
    if not value.isdigit():
        raise InputError(f"{where(path, line, key)}: {value!r} is not a non-negative whole number")
    return int(value)


def write_secciones(catalog: Catalog, path: Path) -> None:
    """secciones.csv, with the JUNTA column only when some sección votes in a junta municipal."""
    juntas = any(s.junta for s in catalog.secciones.values())
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(list(SECCION_COLUMNS) + ["JUNTA"] * juntas)
        for s in sorted(catalog.secciones.values(), key=lambda s: (s.entidad, s.numero)):
            w.writerow([s.entidad, s.numero, s.distrito_local, s.distrito_federal, s.municipio] + [s.junta] * juntas)


def write_casillas(catalog: Catalog, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(list(CASILLA_COLUMNS))
        for c in catalog.casillas:
            w.writerow([c.entidad, c.seccion, c.tipo, c.numero, c.ext_contigua, c.ubicacion, c.lista_nominal,
                        c.boletas])
