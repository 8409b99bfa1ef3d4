"""`boletas/<CLAVE>.csv`: an election's ballot in each contest, written out when catalog.toml cannot say it.

catalog.toml describes a ballot by rules (parties, coalitions and where they run, independents), which is how
an institute designs one. A ballot read back from a real database does not follow them: candidaturas comunes,
independents named by initials, a coalition of different parties in each municipio, the candidates' names.
This file lists it as it is: one `contienda` row per contest (the columns that run there), then one row per
candidacy (its columns and parties, who stands).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..election.catalog import Candidatura, Contienda
from ..errors import InputError, where

HEADER = ("CONTIENDA", "ENTIDAD", "NUMERO", "TIPO", "CLAVE", "NOMBRE", "CANDIDATO", "COLUMNAS", "PARTIDOS")
TIPOS = ("partido", "coalicion", "comun", "independiente")


def dump(contiendas: dict[str, Contienda]) -> str:
    """The file's text (deterministic bytes)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(HEADER)
    for key, ct in contiendas.items():
        w.writerow([key, ct.entidad, ct.numero, "contienda", "", ct.nombre, "", " ".join(ct.columnas), ""])
        for c in ct.candidaturas:
            w.writerow([key, ct.entidad, ct.numero, c.tipo, c.clave, c.nombre, c.candidato, " ".join(c.columnas),
                        " ".join(c.partidos)])
    return out.getvalue()


def load(path: Path, eleccion: str, columnas: tuple[str, ...]) -> dict[str, Contienda]:
    """The contests of `eleccion`; every column a row names must be one of the election's `columnas`."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(rows[0]) != HEADER:
        raise InputError(f"{where(path, 1)}: the header must be {','.join(HEADER)}")
    known = set(columnas)
    contests: dict[str, dict] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(HEADER):
            raise InputError(f"{where(path, line)}: {len(row)} fields, expected {len(HEADER)}")
        key, ent, num, tipo, clave, nombre, candidato, cols, partidos = row
        if not ent.isdigit() or not num.isdigit():
            raise InputError(f"{where(path, line, 'ENTIDAD')}: {ent!r}/{num!r} must be whole numbers")
        cols_t = tuple(cols.split())
        bad = [c for c in cols_t if c not in known]
        if bad:
            raise InputError(f"{where(path, line, 'COLUMNAS')}: {bad[0]!r} is not a column of election {eleccion} "
                             "(catalog.toml 'columnas')")
        if tipo == "contienda":
            if key in contests:
                raise InputError(f"{where(path, line, 'CONTIENDA')}: contest {key!r} appears twice")
            contests[key] = {"entidad": int(ent), "numero": int(num), "nombre": nombre, "columnas": cols_t,
                             "candidaturas": []}
            continue
        if tipo not in TIPOS:
            raise InputError(f"{where(path, line, 'TIPO')}: {tipo!r}; use contienda, {', '.join(TIPOS)}")
        if key not in contests:
            raise InputError(f"{where(path, line, 'CONTIENDA')}: {key!r} has no 'contienda' row before it")
        contests[key]["candidaturas"].append(Candidatura(clave, nombre, tipo, cols_t, tuple(partidos.split()),
                                                         candidato))
    return {key: Contienda(eleccion, key, c["entidad"], c["numero"], c["nombre"], c["columnas"],
                           tuple(c["candidaturas"])) for key, c in contests.items()}
