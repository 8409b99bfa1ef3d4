"""Builders for the site tests: a small, hand-shaped election.

One entity, three elections (an entity-wide contest with a coalition, distritos with a partial coalition and an
independent, municipios without especial actas), a dozen casillas, and actas that arrive through the night
with every kind of observation."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from pregon.election import actas as actas_mod
from pregon.election import catalog as cat_mod
from pregon.election import rules
from pregon.election.catalog import Casilla, Catalog, Entidad, Partido, Proceso, Seccion

TZ = ZoneInfo("America/Mexico_City")
START = datetime(2024, 6, 2, 20, 30, tzinfo=TZ)
STEP_MIN = 9


def tiny_catalog() -> Catalog:
    proceso = Proceso("TST-2024", "Proceso Electoral Local de Prueba 2024", date(2024, 6, 2),
                      "America/Mexico_City", "Instituto Electoral de Prueba")
    ent = Entidad(17, "MORELOS", ("CUERNAVACA", "JIUTEPEC"), ("CUERNAVACA",), ("CUERNAVACA", "JIUTEPEC", "YAUTEPEC"))
    partidos = {s: Partido(s, n, c) for s, n, c in (
        ("PAN", "Partido Acción Nacional", "#0059B3"), ("PRI", "Partido Revolucionario Institucional", "#E30613"),
        ("PRD", "Partido de la Revolución Democrática", "#FFD700"), ("MORENA", "Morena", "#B5261E"),
        ("MC", "Movimiento Ciudadano", "#FF8200"))}
    secs = {}
    for i, num in enumerate(range(100, 106)):
        secs[(17, num)] = Seccion(17, num, 1 if i < 3 else 2, 1, 1 + i % 3)
    casillas = []
    for e, num in secs:
        casillas.append(Casilla(e, num, "B", 1, 0, 1, 600 + num, 0))
        casillas.append(Casilla(e, num, "C", 1, 0, 1, 580 + num, 0))
        if num == 100:
            casillas.append(Casilla(e, num, "S", 1, 0, 1, 0, 750))
        if num == 104:
            casillas.append(Casilla(e, num, "C", 2, 0, 2, 500, 0))
    casillas.sort()
    catalog = Catalog(proceso, {17: ent}, partidos, secs, casillas)
    todos = list(partidos)
    coal = {"nombre": "Fuerza y Corazón por Morelos", "partidos": ["PAN", "PRI", "PRD"], "contiendas": None}
    catalog.elecciones["GUB"] = cat_mod.build_eleccion(
        "GUB", "GUBERNATURA", "entidad", 1, 1, todos, cat_mod.contests_for("entidad", catalog.entidades), [coal], [])
    catalog.elecciones["DIP_LOC"] = cat_mod.build_eleccion(
        "DIP_LOC", "DIPUTACIONES LOCALES", "distrito_local", 2, 3, todos,
        cat_mod.contests_for("distrito_local", catalog.entidades),
        [{"nombre": "Va por Morelos", "partidos": ["PAN", "PRD"], "contiendas": ["17-1"]}],
        [{"contienda": "17-2", "nombre": "Juana Pérez <Independiente> & Cía"}])
    catalog.elecciones["AYUN"] = cat_mod.build_eleccion(
        "AYUN", "AYUNTAMIENTOS", "municipio", 4, None, todos, cat_mod.contests_for("municipio", catalog.entidades),
        [], [])
    return catalog


def tiny_actas(catalog: Catalog, seed: int = 7) -> dict[str, actas_mod.ActaSet]:
    rng = np.random.default_rng(seed)
    out = {}
    for k_el, (clave, el) in enumerate(catalog.elecciones.items()):
        expected = catalog.expected(el)
        cols: dict[str, list] = {name: [] for name in (
            "entidad", "seccion", "tipo_casilla", "id_casilla", "ext_contigua", "tipo_acta", "votes", "lista_nominal",
            "boletas", "representantes", "sin_acta", "fuera_catalogo", "contienda", "casilla_idx", "sha", "acopio",
            "captura", "verificacion", "tipo_documento", "mecanismo", "origen", "digitalizacion")}
        rows = []
        for j, ci in enumerate(expected):
            if j == len(expected) - 1:
                continue  # the last casilla never arrives: pending on every page
            rows.append(ci)
        rows.insert(3, -1)  # one acta fuera de catálogo
        for j, ci in enumerate(rows):
            if ci >= 0:
                c = catalog.casillas[ci]
                s = catalog.secciones[(c.entidad, c.seccion)]
                contest = el.contienda_clave(c.entidad, s)
                running = set(el.contiendas[contest].columnas)
                ent, sec, tipo, idc, ext, ln = c.entidad, c.seccion, c.tipo, c.numero, c.ext_contigua, c.lista_nominal
                tacta = el.tipo_acta_especial if c.especial else el.tipo_acta
            else:
                ent, sec, tipo, idc, ext, ln = 17, 999, "B", 1, 0, 0
                contest, running, tacta = "", set(el.columnas), el.tipo_acta
            votes = [int(rng.integers(0, 60)) if col in running else rules.NO_APLICA for col in el.columnas]
            sin_acta = ""
            if j == 2:
                votes[0] = rules.ILEGIBLE  # counted, "ALGUN DATO ILEGIBLE O SIN DATO"
            if j == 4 and k_el == 0:
                sin_acta = "SIN ACTA POR PAQUETE NO ENTREGADO"
            if j == 5 and k_el == 1:
                votes[0] = 5000  # excede lista nominal
            t = START + timedelta(minutes=STEP_MIN * j + 2 * k_el)
            epoch = int(t.timestamp())
            row = {
                "entidad": ent, "seccion": sec, "tipo_casilla": tipo, "id_casilla": idc, "ext_contigua": ext,
                "tipo_acta": tacta, "votes": votes, "lista_nominal": ln, "boletas": 750, "representantes": 2,
                "sin_acta": sin_acta, "fuera_catalogo": ci < 0, "contienda": contest, "casilla_idx": ci,
                "sha": hashlib.sha256(f"{clave}-{j}".encode()).hexdigest(), "acopio": epoch - 1800,
                "captura": epoch - 300, "verificacion": epoch, "tipo_documento": "ACTA PREP", "mecanismo": "F",
                "origen": "CASILLA", "digitalizacion": "MOVIL",
            }
            for name, value in row.items():
                cols[name].append(value)
        out[clave] = actas_mod.from_columns(el, cols, len(rows))
    return out




def at(minutes_after_start: int) -> datetime:
    return START + timedelta(minutes=minutes_after_start)


def files_of(root) -> dict[str, bytes]:
    """Every file under root by relative path, with its bytes (to compare whole sites)."""
    import os
    from pathlib import Path

    out = {}
    for dirpath, _d, names in os.walk(root):
        for name in names:
            p = Path(dirpath) / name
            out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out
