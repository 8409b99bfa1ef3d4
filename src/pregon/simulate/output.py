"""Write a Simulation as an election directory:

    DIR/catalog.toml, DIR/secciones.csv, DIR/casillas.csv     (election.catalog.save)
    DIR/actas/<CLAVE>.csv                                     one feed per election (actas.feed_header layout)
    DIR/simulacion.toml                                       preset, seed, scale, the night's timeline, counts

Feeds are written as CSV text straight from the column arrays (the same bytes `actas.write_feed` would give
for these values, several times faster); no field the simulator produces needs CSV quoting.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..election import catalog as catalog_mod
from ..election import rules
from ..election import actas as actas_mod
from ..election.timefmt import NO_TIME, iso, zone
from ..errors import InputError
from .model import Feed, Simulation

LAYOUT = {"catalog.toml", "secciones.csv", "casillas.csv", "simulacion.toml", "actas", "boletas"}
GENERATOR = "pregon.simulate/1"


def feed_text(feed: Feed, tz) -> str:
    """The feed file's text (a Feed carries every field `actas.feed_text` writes)."""
    return actas_mod.feed_text(feed, tz)


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
    """Write the election directory (see `write_directory`)."""
    tz = zone(sim.preset.timezone)

    def fill(tmp: Path) -> None:
        catalog_mod.save(sim.catalog, tmp)
        (tmp / "actas").mkdir()
        for clave, feed in sim.feeds.items():
            with open(tmp / "actas" / f"{clave}.csv", "w", encoding="utf-8", newline="") as fh:
                fh.write(feed_text(feed, tz))
        (tmp / "simulacion.toml").write_text(simulacion_toml(sim), encoding="utf-8")

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
