"""Several databases of one corte (an institute publishes one per election) as one corte with one catalog.

Each database reveals part of the territory: the diputaciones file the distritos of each sección, the
ayuntamientos file its municipio, the juntas file its junta; casillas are the union. A sección two files
place in different units keeps the first file's and is reported. `corte_from` is the whole step from files
to a corte a site can be built from: read, interpret, combine, name the proceso.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..election.catalog import Casilla, Catalog, Entidad, Seccion, casilla_key
from ..election.corte import Corte, EleccionCorte, Frame
from ..errors import InputError
from .files import read
from .interpret import Reading
from .interpret import read as interpret

_UNITS = ("distrito_local", "distrito_federal", "municipio", "junta")
_NAMES = {"distrito_local": "distritos_locales", "distrito_federal": "distritos_federales",
          "municipio": "municipios", "junta": "juntas"}


def combine(readings: list[Reading], *, sequence: int = 0) -> tuple[Corte, list[str]]:
    """One corte holding every reading's election; notes on what the files disagree about."""
    if not readings:
        raise InputError("no database to combine")
    first = readings[0]
    for r in readings[1:]:
        if r.corte.instant != first.corte.instant:
            raise InputError(f"{r.database.source}: corte {r.corte.instant.isoformat()} differs from "
                             f"{first.database.source}'s {first.corte.instant.isoformat()}; pass one corte's files")
    claves = [r.clave for r in readings]
    dup = next((c for c in claves if claves.count(c) > 1), None)
    if dup is not None:
        sources = [r.database.source for r in readings if r.clave == dup]
        raise InputError(f"{sources[1]}: a second database of election {dup} (also {sources[0]}); pass one per election")
    notes: list[str] = []
    catalog = _catalog([r.corte.catalog for r in readings], notes)
    elecciones = {}
    for r in readings:
        ec = r.eleccion
        a = ec.actas.take(slice(None))
        inside = ~a.fuera_catalogo
        idx = np.full(len(a), -1, dtype=np.int64)
        if inside.any():
            idx[inside] = catalog.locate(a.entidad[inside], a.seccion[inside], a.tipo_casilla[inside],
                                         a.id_casilla[inside], a.ext_contigua[inside])
        a.casilla_idx = idx
        elecciones[r.clave] = EleccionCorte(ec.eleccion, Frame(catalog, ec.eleccion), a, ec.final,
                                            esperadas_override=ec.esperadas_override)
    final = all(ec.final for ec in elecciones.values())
    return Corte(catalog, first.corte.instant, sequence, final, elecciones), notes


def corte_from(*paths, sequence: int = 0, final: bool = False, proceso_id: str | None = None,
               proceso_nombre: str | None = None, instituto: str | None = None) -> tuple[Corte, list[str]]:
    """The corte that published databases of one corte (a .csv, a folder, a .zip or zip of zips; one per
    election) describe, with notes on what the files disagree about.

    Each file is read and interpreted (`final`: the last corte, whatever the files say), the elections are
    merged into one catalog and corte, and the proceso is named by the values given, else by the one
    database's own, else "PREP" when several elections share the corte."""
    readings = [interpret(db, final=True if final else None) for db in read(*paths)]
    corte, notes = combine(readings, sequence=sequence)
    p = corte.catalog.proceso
    single = len(readings) == 1
    corte.catalog.proceso = replace(p, id=proceso_id or (p.id if single else "PREP"),
                                    nombre=proceso_nombre or (p.nombre if single else "PREP"),
                                    instituto=instituto or p.instituto)
    return replace(corte, final=corte.final or final), notes


def _catalog(catalogs: list[Catalog], notes: list[str]) -> Catalog:
    first = catalogs[0]
    entidades: dict[int, Entidad] = {}
    secciones: dict[tuple[int, int], Seccion] = {}
    casillas: dict[tuple, Casilla] = {}
    partidos = {}
    conflicts = 0
    for cat in catalogs:
        for eid, ent in cat.entidades.items():
            entidades[eid] = _entidad(entidades.get(eid), ent)
        for key, sec in cat.secciones.items():
            old = secciones.get(key)
            if old is None:
                secciones[key] = sec
                continue
            merged = {}
            for unit in _UNITS:
                a, b = getattr(old, unit), getattr(sec, unit)
                merged[unit] = a or b
                conflicts += bool(a and b and a != b)
            secciones[key] = replace(old, **merged)
        for c in cat.casillas:
            casillas.setdefault(casilla_key(c.entidad, c.seccion, c.tipo, c.numero, c.ext_contigua), c)
        for siglas, p in cat.partidos.items():
            partidos.setdefault(siglas, p)
    if conflicts:
        notes.append(f"{conflicts} sección(es) are placed in different units by different files; the first "
                     "file's placement is kept")
    proceso = replace(first.proceso, fecha=min(c.proceso.fecha for c in catalogs))
    elecciones = {k: v for cat in catalogs for k, v in cat.elecciones.items()}
    return Catalog(proceso, entidades, partidos, secciones, sorted(casillas.values()), elecciones)


def _entidad(old: Entidad | None, new: Entidad) -> Entidad:
    """Unit names from whichever file has them (a file names only its own ámbito's units)."""
    if old is None:
        return new
    fields = {}
    for unit, attr in _NAMES.items():
        a, b = getattr(old, attr), getattr(new, attr)
        longest = max(len(a), len(b))
        fields[attr] = tuple(_better(a[i] if i < len(a) else "", b[i] if i < len(b) else "", i + 1)
                             for i in range(longest))
    nombre = old.nombre if not old.nombre.isdigit() else new.nombre
    return replace(old, nombre=nombre, **fields)


def _better(a: str, b: str, numero: int) -> str:
    """A real name over a bare number (files that only know a unit's number write it as its name)."""
    for name in (a, b):
        if name and name != str(numero):
            return name
    return a or b or str(numero)
