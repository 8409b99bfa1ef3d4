"""Small hand-made elections for tests: every figure can be checked by hand."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from pregon.election import actas as actas_mod
from pregon.election.catalog import (Casilla, Catalog, Entidad, Partido, Proceso, Seccion, build_eleccion,
                                     contests_for)
from pregon.election.corte import CorteEngine

TZ = ZoneInfo("America/Mexico_City")
PARTIES = ["PAN", "PRI", "PRD", "MORENA", "PT", "MC"]


def at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2024, 6, day, hour, minute, tzinfo=TZ)


def tiny_catalog() -> Catalog:
    """Two distritos, three secciones, five casillas (one especial); coalition PAN-PRI-PRD everywhere,
    MORENA-PT only in distrito 2, an independent in distrito 1."""
    ents = {17: Entidad(17, "MORELOS", ("CUERNAVACA NORTE", "CUAUTLA"), ("F1",), ("CUERNAVACA", "CUAUTLA"))}
    secciones = {(17, 1): Seccion(17, 1, 1, 1, 1), (17, 2): Seccion(17, 2, 1, 1, 1), (17, 3): Seccion(17, 3, 2, 1, 2)}
    casillas = [
        Casilla(17, 1, "B", 1, 0, 1, 500), Casilla(17, 1, "C", 1, 0, 1, 480), Casilla(17, 2, "B", 1, 0, 2, 300),
        Casilla(17, 3, "B", 1, 0, 1, 600), Casilla(17, 3, "S", 1, 0, 1, 0, 750),
    ]
    cat = Catalog(Proceso("MOR-2024", "Proceso Electoral Local 2023-2024", date(2024, 6, 2)), ents,
                  {p: Partido(p, p) for p in PARTIES}, secciones, sorted(casillas))
    cat.elecciones["DIP_LOC"] = build_eleccion(
        "DIP_LOC", "DIPUTACIONES LOCALES", "distrito_local", 2, 3, PARTIES, contests_for("distrito_local", ents),
        [{"nombre": "Fuerza", "partidos": ["PAN", "PRI", "PRD"], "contiendas": None},
         {"nombre": "Sigamos", "partidos": ["MORENA", "PT"], "contiendas": ["17-2"]}],
        [{"contienda": "17-1", "nombre": "Juana Independiente"}],
    )
    return cat


def acta_rows(cat: Catalog, specs: list[dict]):
    """An ActaSet for DIP_LOC from specs {casilla: (sec, tipo, num), votes: {col: value}, ...}."""
    el = cat.elecciones["DIP_LOC"]
    cols: dict[str, list] = {k: [] for k in ("entidad", "seccion", "tipo_casilla", "id_casilla", "ext_contigua",
                                             "votes", "lista_nominal", "boletas", "representantes", "sin_acta",
                                             "fuera_catalogo", "casilla_idx", "contienda", "verificacion",
                                             "tipo_acta", "ubicacion")}
    for spec in specs:
        sec, tipo, num = spec["casilla"]
        key = (17, sec, tipo, num, 0)
        ci = cat.casilla_index.get(key, -1)
        casilla = cat.casillas[ci] if ci >= 0 else None
        contest = el.contienda_clave(17, cat.secciones[(17, sec)]) if ci >= 0 else ""
        running = el.contiendas[contest].columnas if contest else el.columnas
        row = [spec.get("votes", {}).get(c, 0) if c in running else -1 for c in el.columnas]
        cols["entidad"].append(17); cols["seccion"].append(sec); cols["tipo_casilla"].append(tipo)
        cols["id_casilla"].append(num); cols["ext_contigua"].append(0); cols["votes"].append(row)
        cols["lista_nominal"].append(casilla.lista_nominal if casilla else 0)
        cols["boletas"].append(casilla.boletas if casilla and casilla.boletas else 750)
        cols["representantes"].append(spec.get("reps", 0)); cols["sin_acta"].append(spec.get("sin_acta", ""))
        cols["fuera_catalogo"].append(ci < 0); cols["casilla_idx"].append(ci); cols["contienda"].append(contest)
        cols["verificacion"].append(int(spec.get("at", at(21)).timestamp()))
        cols["tipo_acta"].append(3 if tipo == "S" else 2); cols["ubicacion"].append(1)
    return actas_mod.from_columns(el, cols, len(specs))


def engine_for(cat: Catalog, specs: list[dict]) -> CorteEngine:
    return CorteEngine(cat, {"DIP_LOC": acta_rows(cat, specs)})
