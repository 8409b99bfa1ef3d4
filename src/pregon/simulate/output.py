"""Write a Simulation as an election directory:

    DIR/catalog.toml, DIR/secciones.csv, DIR/casillas.csv     (electionio.catalog_dir.save)
    DIR/actas/<CLAVE>.csv                                     one feed per election (electionio.feed layout)
    DIR/simulacion.toml                                       preset, seed, scale, the night's timeline, counts

Feeds are written by electionio.feed straight from the column arrays (a Feed carries every field an ActaSet
writes); no field the simulator produces needs CSV quoting. A replay (replay.py) writes the same layout.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..election import rules
from ..election.catalog import Catalog
from ..election.timefmt import NO_TIME, iso, zone
from ..electionio import catalog_dir, feed
from ..electionio.tomltext import string as _toml_str
from ..errors import InputError
from .model import Simulation

LAYOUT = {"catalog.toml", "secciones.csv", "casillas.csv", "simulacion.toml", "actas", "boletas"}
GENERATOR = "pregon.simulate/1"


def simulacion_toml(sim: Simulation) -> str:
    p = sim.preset
    verif = [f.verificacion for f in sim.feeds.values() if len(f)]
    first = min(int(v.min()) for v in verif) if verif else NO_TIME
    last = max(int(v.max()) for v in verif) if verif else NO_TIME
    tz = zone(p.timezone)
    lines = [
        "# Written by 'pregon simulate election'. The same preset, seed and scale give the same bytes.",
        "[simulacion]",
        f"preset = {_toml_str(p.name)}",
        f"seed = {sim.seed}",
        f"scale = {sim.scale!r}",
        f"generador = {_toml_str(GENERATOR)}",
        f"actas = {sim.n_actas}",
        f"casillas = {len(sim.catalog.casillas)}",
        "",
        "[timeline]",
        f"timezone = {_toml_str(p.timezone)}",
        f"cierre_casillas = {sim.cierre.isoformat()}",
        f"inicio_publicacion = {sim.inicio.isoformat()}",
        f"fin_publicacion = {sim.fin.isoformat()}",
        f"cadencia_minutos = {p.cadence_min}",
    ]
    if verif:
        lines += [f"primera_verificacion = {iso(first, tz)}", f"ultima_verificacion = {iso(last, tz)}"]
    lines.append("")
    for clave, f in sim.feeds.items():
        kinds = np.bincount(f.kind.astype(np.int64), minlength=len(rules.Observacion))
        lines += [
            "[[eleccion]]",
            f"clave = {_toml_str(clave)}",
            f"actas_esperadas = {f.expected}",
            f"actas_en_feed = {len(f)}",
            f"actas_nunca_llegan = {f.never_arrived}",
            f"sin_acta = {int(kinds[rules.Observacion.SIN_ACTA])}",
            f"todos_ilegibles = {int(kinds[rules.Observacion.TODOS_ILEGIBLES])}",
            f"algun_ilegible = {int(kinds[rules.Observacion.ALGUN_ILEGIBLE])}",
            f"excede_lista_nominal = {int(kinds[rules.Observacion.EXCEDE_LISTA])}",
            f"fuera_catalogo = {int(kinds[rules.Observacion.FUERA_CATALOGO])}",
            "",
        ]
    return "\n".join(lines)


def write(sim: Simulation, directory: str | Path) -> Path:
    """Write the election directory (see `write_election`)."""
    return write_election(directory, sim.catalog, sim.feeds, zone(sim.preset.timezone), simulacion_toml(sim))


def write_election(directory: str | Path, catalog: Catalog, feeds: dict, tz, simulacion: str) -> Path:
    """The catalog, one feed per election (ActaSets or Feeds) and simulacion.toml, as `write_directory`."""

    def fill(tmp: Path) -> None:
        catalog_dir.save(catalog, tmp)
        (tmp / "actas").mkdir()
        for clave, actas in feeds.items():
            feed.write_feed(actas, tmp / "actas" / f"{clave}.csv", tz)
        (tmp / "simulacion.toml").write_text(simulacion, encoding="utf-8")

    return write_directory(directory, fill)


def write_directory(directory: str | Path, fill) -> Path:
    """Make an election directory with `fill(tmp)` beside it, then swap it into place. A directory that
    already holds a simulation or replay is replaced whole; any other non-empty one is refused, so a typo
    cannot wipe someone's files; a failure leaves the old directory as it was."""
    directory = Path(directory)
    if directory.exists():
        if not directory.is_dir():
            raise InputError(f"{directory}: exists and is not a directory; choose another --out")
        entries = {e.name for e in directory.iterdir()}
        if entries and not (entries <= LAYOUT and "simulacion.toml" in entries):
            raise InputError(f"{directory}: not empty and not a previous simulation; choose an empty or new --out")
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        fill(tmp)
        os.chmod(tmp, 0o755)
        if directory.exists():
            shutil.rmtree(directory)
        os.replace(tmp, directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory
