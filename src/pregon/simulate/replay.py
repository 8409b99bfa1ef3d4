"""The real night again: an election directory (catalog + actas feeds, what `simulate election` writes) made
from published databases, each acta arriving at its real time.

An acta's arrival is its FECHA_HORA_VERIFICACION, else its captura, else its acopio (in the file's zone).
An acta the database holds with no time at all (Puebla 2018 dates none of its sin-acta actas), or with a
time after the database's own corte, arrives at that corte: it was in the database then, and nothing says
when it came. So `pregon corte --election DIR --at <the database's corte>` gives the database's header back,
and a drill over DIR (`pregon simulacro --election DIR`) rehearses the night the institute had.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from .. import database
from ..election.corte import Corte
from ..election.timefmt import NO_TIME, iso, zone
from ..electionio.tomltext import string as _q
from .output import write_election

GENERATOR = "pregon.simulate.replay/1"
CENTRO = ZoneInfo("America/Mexico_City")
CADENCE_MINUTES = 15


@dataclass
class Replay:
    corte: Corte  # the databases' corte, every election, with arrival times set
    sources: list[str]
    undated: dict[str, int]  # per election: actas that arrive at the corte for want of a time
    late: dict[str, int]  # per election: actas whose time is after the database's own corte
    notes: list[str]

    @property
    def inicio(self) -> datetime:
        """The publication window opens at 20:00 hora del Centro of election day (every call's rule)."""
        return datetime.combine(self.corte.catalog.proceso.fecha, time(20, 0), CENTRO)

    @property
    def fin(self) -> datetime:
        return self.corte.instant


def build(paths) -> Replay:
    """Read the databases of one corte and set each acta's arrival."""
    readings = [database.interpret(db) for db in database.read(*paths)]
    corte, notes = database.combine(readings)
    for r in readings:
        notes += [f"{r.clave}: {n}" for n in r.notes]
    cut = int(corte.instant.timestamp())
    undated, late = {}, {}
    for clave, ec in corte.elecciones.items():
        a = ec.actas
        arrival = a.verificacion.copy()
        for other in (a.captura, a.acopio):
            arrival = np.where(arrival == NO_TIME, other, arrival)
        undated[clave] = int((arrival == NO_TIME).sum())
        late[clave] = int((arrival > cut).sum())
        arrival = np.where((arrival == NO_TIME) | (arrival > cut), cut, arrival)
        a.verificacion = arrival
        # TIPO_ACTA 0 marks fuera de catálogo in the feed: an acta in the catálogo keeps a real type
        a.tipo_acta = np.where(~a.fuera_catalogo & (a.tipo_acta == 0), ec.eleccion.tipo_acta, a.tipo_acta)
        a.tipo_acta = np.where(a.fuera_catalogo, 0, a.tipo_acta)
        order = np.argsort(arrival, kind="stable")
        ec.actas = a.take(order)
    sources = [r.database.source for r in readings]
    if corte.instant < datetime.combine(corte.catalog.proceso.fecha, time(20, 0), CENTRO):
        notes.append("the databases' corte is before 20:00 hora del Centro of election day: a drill over this "
                     "replay publishes from 20:00, when no acta has arrived yet")
    return Replay(corte, sources, undated, late, notes)


def simulacion_toml(rp: Replay) -> str:
    catalog = rp.corte.catalog
    tz = zone(catalog.proceso.timezone)
    verif = [ec.actas.verificacion for ec in rp.corte.elecciones.values() if len(ec.actas)]
    lines = [
        "# Written by 'pregon simulate replay': a real night, from the databases below. Same files, same bytes.",
        "[simulacion]", 'preset = "replay"', f"generador = {_q(GENERATOR)}",
        "fuentes = [" + ", ".join(_q(Path(s.split('!')[0]).name + ('!' + s.split('!', 1)[1] if '!' in s else ''))
                                   for s in rp.sources) + "]",
        f"actas = {sum(len(ec.actas) for ec in rp.corte.elecciones.values())}",
        f"casillas = {len(catalog.casillas)}", "",
        "[timeline]", f"timezone = {_q(catalog.proceso.timezone)}",
        f"inicio_publicacion = {rp.inicio.isoformat()}", f"fin_publicacion = {rp.fin.isoformat()}",
        f"corte_de_la_base = {rp.fin.isoformat()}", f"cadencia_minutos = {CADENCE_MINUTES}",
    ]
    if verif:
        lines += [f"primera_verificacion = {iso(int(min(v.min() for v in verif)), tz)}",
                  f"ultima_verificacion = {iso(int(max(v.max() for v in verif)), tz)}"]
    lines.append("")
    for clave, ec in rp.corte.elecciones.items():
        t = ec.tally
        lines += ["[[eleccion]]", f"clave = {_q(clave)}", f"nombre = {_q(ec.eleccion.nombre)}",
                  f"actas_esperadas = {t.esperadas}", f"actas_en_feed = {len(ec.actas)}",
                  f"llegan_al_corte_sin_hora = {rp.undated[clave]}",
                  f"hora_posterior_al_corte = {rp.late[clave]}", f"final = {'true' if ec.final else 'false'}",
                  "encabezado = [" + ", ".join(_q(v) for v in t.header_values()) + "]", ""]
    for note in rp.notes:
        lines.append(f"# {note}")
    return "\n".join(lines) + "\n"


def write(rp: Replay, directory: str | Path) -> Path:
    """The election directory (output.write_election: a previous one is replaced, a foreign one refused)."""
    return write_election(directory, rp.corte.catalog, {k: ec.actas for k, ec in rp.corte.elecciones.items()},
                          zone(rp.corte.catalog.proceso.timezone), simulacion_toml(rp))

