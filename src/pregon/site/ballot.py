"""The ballot as pages show it: each vote column's name, label and color, and the candidacies ("opciones") a
contest's columns add up to, with who leads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..election.catalog import NO_REGISTRADOS, NULOS, Catalog, Contienda, Eleccion
from .figures import pct

COLOR_CI = "#6b4f2a"
COLOR_CNR = "#8c8c8c"
COLOR_NULOS = "#555555"
COLOR_DEFAULT = "#777777"


@dataclass
class Opcion:
    """One row of the "por candidatura" view: a candidacy, or CNR / nulos."""

    clave: str
    nombre: str
    tipo: str  # partido | coalicion | comun | independiente | no_registrados | nulos
    partidos: tuple[str, ...]
    cols: list[int]  # indices into the election's columns
    color: str
    candidato: str = ""  # the person standing, when known


def _party_color(catalog: Catalog, siglas: str) -> str:
    p = catalog.partidos.get(siglas)
    return p.color if p is not None else COLOR_DEFAULT


def column_parties(col: str) -> list[str]:
    """The parties behind a vote column: a party's own, a combination's or candidatura común's members."""
    for prefix in ("CC_", "C_"):
        if col.startswith(prefix):
            return col[len(prefix):].split("_")
    return [] if col.startswith("CAND_IND_") or col in (NO_REGISTRADOS, NULOS) else [col]


def column_label(catalog: Catalog, col: str, contienda: Contienda | None = None) -> tuple[str, str, str]:
    """(full name, short label, color) of a vote column."""
    if col == NO_REGISTRADOS:
        return "Candidaturas no registradas", "CNR", COLOR_CNR
    if col == NULOS:
        return "Votos nulos", "Nulos", COLOR_NULOS
    if col.startswith("CAND_IND_"):
        n = col[len("CAND_IND_"):]
        if contienda is not None:
            for cand in contienda.candidaturas:
                if cand.tipo == "independiente" and cand.columnas == (col,):
                    return f"{cand.nombre} (independiente)", f"CI{n}", COLOR_CI
        return f"Candidatura independiente {n}", f"CI{n}", COLOR_CI
    if col.startswith(("CC_", "C_")):
        members = column_parties(col)
        if col.startswith("CC_"):
            return ("Candidatura común " + ", ".join(members), "CC " + "-".join(members),
                    _party_color(catalog, members[0]))
        return "Combinación " + ", ".join(members), "-".join(members), _party_color(catalog, members[0])
    p = catalog.partidos.get(col)
    return (p.nombre if p is not None else col), col, _party_color(catalog, col)


def opciones(catalog: Catalog, el: Eleccion, ct: Contienda, col_index: dict[str, int]) -> list[Opcion]:
    out = []
    for cand in ct.candidaturas:
        cols = [col_index[c] for c in cand.columnas if c in col_index]
        if cand.tipo == "independiente":
            color = COLOR_CI
        elif cand.partidos:
            color = _party_color(catalog, cand.partidos[0])
        else:
            color = COLOR_DEFAULT
        nombre = cand.nombre
        if cand.tipo == "partido":
            p = catalog.partidos.get(cand.clave)
            nombre = p.nombre if p is not None else cand.nombre
        out.append(Opcion(cand.clave, nombre, cand.tipo, tuple(cand.partidos), cols, color, cand.candidato))
    if NO_REGISTRADOS in col_index:
        out.append(Opcion(NO_REGISTRADOS, "Candidaturas no registradas", "no_registrados", (),
                          [col_index[NO_REGISTRADOS]], COLOR_CNR))
    if NULOS in col_index:
        out.append(Opcion(NULOS, "Votos nulos", "nulos", (), [col_index[NULOS]], COLOR_NULOS))
    return out


def matrix(ops: list[Opcion], k: int) -> np.ndarray:
    m = np.zeros((k, len(ops)), dtype=np.int64)
    for j, op in enumerate(ops):
        m[op.cols, j] = 1
    return m


def opcion_rows(ops: list[Opcion], cand_votes: list[int], total: int) -> list[dict]:
    return [{"clave": op.clave, "nombre": op.nombre, "candidato": op.candidato, "tipo": op.tipo,
             "partidos": list(op.partidos), "votos": v, "porcentaje": pct(v, total), "color": op.color}
            for op, v in zip(ops, cand_votes)]


def leader(ops: list[Opcion], cand_votes: list[int], total: int) -> dict | None:
    """Who leads among candidacies (not CNR or nulos); None while nobody has a vote."""
    best, best_v, tie = None, 0, False
    for op, v in zip(ops, cand_votes):
        if op.tipo in ("no_registrados", "nulos"):
            continue
        if v > best_v:
            best, best_v, tie = op, v, False
        elif v == best_v and best is not None:
            tie = True
    if best is None:
        return None
    return {"clave": best.clave, "nombre": best.nombre, "votos": best_v, "porcentaje": pct(best_v, total),
            "color": best.color, "empate": tie}
