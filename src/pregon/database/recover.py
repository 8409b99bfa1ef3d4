"""What a database's rows reveal of the catalog: entities and the names of their distritos, municipios and
juntas, secciones, casillas with their lista nominal, and each contest's ballot, with the candidates the
candidaturas file names.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

from ..election.catalog import (Candidatura, Casilla, Catalog, Contienda, Eleccion, Entidad, Partido, Proceso,
                                Seccion, casilla_key)
from ..election.timefmt import NO_TIME
from ..errors import InputError
from . import text as textmod
from .reader import Database
from .vocabulary import normalize, vocabulary


def catalog(db, ent_text, clave, ambito, ent, sec, tipo, idc, ext, ubic, ln, boletas_especial, geo, fuera,
             running, tipo_acta, acopio, excede_con_nulos) -> tuple[Catalog, Eleccion]:
    """Entities, geography names, secciones and casillas from every row in the catálogo (captured or not)."""
    voc = vocabulary()
    inside = np.flatnonzero(~fuera)
    entidades: dict[int, dict] = {}
    secciones: dict[tuple[int, int], dict] = {}
    casillas: dict[tuple, Casilla] = {}
    per_especial: dict[tuple, int] = {}
    units = geo["numbers"]
    for i in inside.tolist():
        e, s = int(ent[i]), int(sec[i])
        info = entidades.setdefault(e, {"nombre": "", "units": {u: {} for u in units}})
        if not info["nombre"]:
            info["nombre"] = str(ent_text[i])
        row_units = {}
        for u, numbers in units.items():
            num = int(numbers[i])
            row_units[u] = num
            if num and not info["units"][u].get(num):
                info["units"][u][num] = str(geo["names"][u][i]).strip()
        sd = secciones.setdefault((e, s), {})
        for u, num in row_units.items():
            sd.setdefault(u, num)
        key = casilla_key(e, s, str(tipo[i]), int(idc[i]), int(ext[i]))
        if key not in casillas:
            casillas[key] = Casilla(e, s, str(tipo[i]), int(idc[i]), int(ext[i]), int(ubic[i]), int(ln[i]),
                                    boletas_especial if tipo[i] == "S" else 0)
        if tipo[i] == "S":
            per_especial[key] = per_especial.get(key, 0) + 1
    for i in np.flatnonzero(fuera & (ent > 0)).tolist():  # an entity known only through its fuera actas
        info = entidades.setdefault(int(ent[i]), {"nombre": "", "units": {u: {} for u in units}})
        info["nombre"] = info["nombre"] or str(ent_text[i])
    ents = {}
    for eid, info in entidades.items():
        def tup(u):
            got = info["units"].get(u, {})
            top = max(got, default=0)
            return tuple(got.get(k) or str(k) for k in range(1, top + 1))
        ents[eid] = Entidad(eid, info["nombre"] or str(eid), tup("distrito_local"), tup("distrito_federal"),
                            tup("municipio"), "", tup("junta"))
    seccion_objs = {k: Seccion(k[0], k[1], v.get("distrito_local", 0), v.get("distrito_federal", 0),
                               v.get("municipio", 0), v.get("junta", 0)) for k, v in secciones.items()}
    especial_rows = (tipo == "S") & ~fuera
    tipo_normal = _mode(tipo_acta[~fuera & ~especial_rows]) or 1
    tipo_especial = _mode(tipo_acta[especial_rows]) if especial_rows.any() else None
    header = _header_int(db, "esperadas")
    expected_rows = int((~fuera).sum())
    eleccion = _eleccion(db, clave, ambito, running, ents, tipo_normal, tipo_especial)
    eleccion = replace(eleccion, actas_especial=max(per_especial.values(), default=1),
                       actas_esperadas=header if header is not None else expected_rows,
                       excede_con_nulos=excede_con_nulos)
    proceso = Proceso(clave, db.eleccion or clave, _election_day(db, acopio), _zone_name(db, ents), "")
    partidos = {c: Partido(c, *voc.partidos.get(c, (c, "#777777")))
                for c in eleccion.columnas if not c.startswith(("C_", "CC_", "CAND_IND")) and c not in
                ("NO_REGISTRADOS", "NULOS")}
    catalog = Catalog(proceso, ents, partidos, seccion_objs, sorted(casillas.values()), {clave: eleccion})
    return catalog, eleccion


def _mode(values: np.ndarray) -> int | None:
    values = values[values > 0]
    if values.size == 0:
        return None
    uniq, counts = np.unique(values, return_counts=True)
    return int(uniq[np.argmax(counts)])


def _header_int(db: Database, role: str) -> int | None:
    value = db.header().get(role)
    try:
        parsed = textmod.figure_value(value) if value is not None else None
    except ValueError:
        raise InputError(f"{db.source}: header figure {role.upper()} is {value!r}, not a number") from None
    return None if parsed is None else parsed[0] // 10 ** parsed[1]


def _election_day(db: Database, acopio: np.ndarray):
    """Election day: the date the first package arrived (acopio starts when polls close) within the three
    days before the corte (a mistyped year in one row must not move the election), else the corte's."""
    tz = timezone(db.instant.utcoffset())
    cut = int(db.instant.timestamp())
    known = acopio[(acopio != NO_TIME) & (acopio <= cut) & (acopio >= cut - 3 * 86400)]
    if known.size:
        return datetime.fromtimestamp(int(known.min()), tz).date()
    return db.instant.date()


def _zone_name(db: Database, ents: dict[int, Entidad]) -> str:
    """The entity's IANA zone when it agrees with the corte line's offset, else a fixed Etc/GMT zone."""
    offset = db.instant.utcoffset()
    if len(ents) == 1:
        name = vocabulary().zonas.get(next(iter(ents)))
        if name and db.instant.astimezone(ZoneInfo(name)).utcoffset() == offset:
            return name
    hours = int(offset / timedelta(hours=1))
    if offset == timedelta(hours=hours):
        return "Etc/GMT" + (f"{-hours:+d}" if hours else "")
    return "UTC"  # a half-hour offset no Mexican zone has


def _eleccion(db: Database, clave, ambito, running: dict[str, np.ndarray], ents, tipo_acta, tipo_especial) -> Eleccion:
    """The ballots as the database shows them: in each contest, a coalition is the party set of its widest
    C_ combination running there; a candidatura común (CC_) is one candidacy; names from the candidaturas."""
    cols = db.layout.vote_names
    cand_file = db.candidaturas
    parties_all = [c for c in cols if not c.startswith(("C_", "CC_", "CAND_IND")) and c not in ("NO_REGISTRADOS", "NULOS")]
    contiendas = {}

    def sort_key(k):
        return tuple(int(x) for x in k.split("-"))

    for key in sorted(running, key=sort_key):
        ent_s, _, num_s = key.partition("-")
        e, num = int(ent_s), int(num_s or 0)
        named = _named_columns(cand_file, e, num, cols, parties_all)
        here = tuple(c for c, r in zip(cols, running[key]) if r or c in named)
        coalitions: list[tuple[str, ...]] = []
        for col in here:
            if col.startswith("C_"):
                members = tuple(_member(m, parties_all) for m in col[2:].split("_"))
                if not any(set(members) <= set(c) for c in coalitions):
                    coalitions = [c for c in coalitions if not set(c) <= set(members)] + [members]

        def name_of(option):
            if cand_file is None:
                return ""
            return cand_file.name(e, num, tuple(_member(m, parties_all) for m in option))

        cands = []
        for m in coalitions:
            columns = tuple(c for c in here if c in m or (c.startswith("C_") and
                                                         {_member(x, parties_all) for x in c[2:].split("_")} <= set(m)))
            person = name_of(m) or next((name_of((p,)) for p in m if name_of((p,))), "")
            cands.append(Candidatura("_".join(m), "Coalición " + ", ".join(m), "coalicion", columns, m, person))
        inside = {p for m in coalitions for p in m}
        for c in here:
            if c.startswith("CC_"):
                members = tuple(_member(p, parties_all) for p in c[3:].split("_"))
                cands.append(Candidatura(c, "Candidatura común " + ", ".join(members), "comun", (c,), members,
                                         name_of(members)))
        for p in parties_all:
            if p in here and p not in inside:
                cands.append(Candidatura(p, p, "partido", (p,), (p,), name_of((p,))))
        for c in here:
            if c.startswith("CAND_IND"):
                person = name_of((c,))
                cands.append(Candidatura(c, person or c, "independiente", (c,), (), person))
        entidad = ents.get(e)
        nombre = entidad.nombre_de(ambito, num) if entidad and num else (entidad.nombre if entidad else key)
        contiendas[key] = Contienda(clave, key, e, num, nombre, here, tuple(cands))
    return Eleccion(clave, db.eleccion or clave, ambito, tipo_acta, tipo_especial, tuple(cols), contiendas)


def _named_columns(cand_file, e: int, num: int, cols: list[str], parties: list[str]) -> set[str]:
    """The vote columns a contest's candidaturas file names: its parties, the combination columns of its
    coalitions, its independents (a contest no acta has reached yet still shows its ballot)."""
    if cand_file is None:
        return set()
    here = cand_file.names.get((e, num)) or cand_file.names.get((e, 0)) or {}
    out = {"NO_REGISTRADOS", "NULOS"} & set(cols) if here else set()
    for option in here:
        members = {_member(m, parties) for m in option}
        for c in cols:
            if c in members:
                out.add(c)
            elif c.startswith("C_") and len(members) > 1 and {_member(x, parties) for x in c[2:].split("_")} <= members:
                out.add(c)
            elif c.startswith("CC_") and {_member(x, parties) for x in c[3:].split("_")} == members:
                out.add(c)
    return out


def _member(token: str, parties: list[str]) -> str:
    """A party named inside a combination or a candidaturas row, as the columns name it: exact, or the one
    party column it abbreviates (Puebla's candidaturas write MOR for the MORENA column)."""
    if token in parties:
        return token
    starts = [p for p in parties if p.startswith(token)]
    return starts[0] if len(starts) == 1 else token


def clave_from_title(title: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", normalize(title)).strip("_")[:16] or "ELECCION"
