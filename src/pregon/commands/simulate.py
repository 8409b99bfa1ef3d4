"""`pregon simulate …`: synthetic elections at real sizes."""

from __future__ import annotations

import json
import time

import click

from ..errors import InputError
from ..perfiles import names as _profile_names
from ..simulate.presets import PRESET_NAMES

PRESETS = [*PRESET_NAMES, *_profile_names()]


@click.group()
def simulate():
    """Synthetic elections: a catalog and a whole night's actas, seeded and reproducible."""


@simulate.command("election")
@click.option("--preset", type=click.Choice(PRESETS), required=True,
              help="morelos (~2,600 casillas, 3 elections), edomex (~20,500, 2), nacional (~170,000, 3 federal), "
                   "michoacan (~6,200, 3), durango (~2,900, 3), chiapas (~7,100, 3); or an institute's profile "
                   "(its preset, elections, date and cadence: pregon.perfiles).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Drives votes, anomalies and arrival times; the catalog depends on the preset only.")
@click.option("--scale", type=click.FloatRange(min=0.001, max=4.0), default=1.0, show_default=True,
              help="Multiply the number of casillas (e.g. 0.02 for a quick run).")
@click.option("--out", "out", type=click.Path(file_okay=False), required=True,
              help="Directory to write (new, empty, or a previous simulation, which is replaced).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def election(preset: str, seed: int, scale: float, out: str, as_json: bool):
    """Write catalog.toml, secciones.csv, casillas.csv, actas/<ELECCION>.csv and simulacion.toml to OUT."""
    from ..simulate import generate, write

    t0 = time.perf_counter()
    try:
        sim = generate(preset, seed=seed, scale=scale)
    except ValueError as exc:  # e.g. a scale too large for 4-digit secciones
        raise InputError(f"--scale {scale}: {exc}") from None
    write(sim, out)
    elapsed = time.perf_counter() - t0
    summary = {
        "preset": preset, "seed": seed, "scale": scale, "out": out,
        "casillas": len(sim.catalog.casillas), "secciones": len(sim.catalog.secciones),
        "inicio": sim.inicio.isoformat(), "fin": sim.fin.isoformat(),
        "elecciones": {k: dict(v, contiendas=len(sim.catalog.elecciones[k].contiendas)) for k, v in sim.stats.items()},
        "actas": sim.n_actas, "seconds": round(elapsed, 2),
    }
    head = (f"{preset} seed {seed}: {summary['casillas']} casillas, {summary['secciones']} secciones, "
            f"{summary['actas']} actas in {elapsed:.1f}s -> {out}")
    _report(summary, as_json, head, lambda clave, st: (
        f"  {clave:8} {st['contiendas']:4} contiendas  {st['esperadas']:7} esperadas  "
        f"{st['en_feed']:7} en el feed  {st['nunca_llegan']:5} nunca llegan"), [])


def _report(summary: dict, as_json: bool, head: str, row, notes: list[str], window: str = "") -> None:
    """The summary as JSON (--json), or for a person: `head`, one `row(clave, figures)` per election, the
    publication window (and what it is, `window`) and the notes."""
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    click.echo(head)
    for clave, st in summary["elecciones"].items():
        click.echo(row(clave, st))
    click.echo(f"  publicación {summary['inicio']} .. {summary['fin']}{window}")
    for note in notes:
        click.echo(f"  note: {note}")


@simulate.command("replay")
@click.argument("databases", nargs=-1, required=True, type=click.Path(exists=False))
@click.option("--out", "out", type=click.Path(file_okay=False), required=True,
              help="Directory to write (new, empty, or a previous simulation or replay, which is replaced).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def replay(databases, out: str, as_json: bool):
    """Write an election directory from real PREP databases of one corte (a CSV, folder, zip or zip of zips
    per election): the catalog they reveal and each acta arriving at its real time."""
    from ..simulate import replay as replay_mod

    t0 = time.perf_counter()
    rp = replay_mod.build(databases)
    replay_mod.write(rp, out)
    elapsed = time.perf_counter() - t0
    summary = {
        "out": out, "fuentes": rp.sources, "casillas": len(rp.corte.catalog.casillas),
        "secciones": len(rp.corte.catalog.secciones), "inicio": rp.inicio.isoformat(), "fin": rp.fin.isoformat(),
        "elecciones": {k: {"actas": len(ec.actas), "esperadas": ec.tally.esperadas, "final": ec.final,
                           "sin_hora": rp.undated[k], "hora_posterior_al_corte": rp.late[k]}
                       for k, ec in rp.corte.elecciones.items()},
        "notas": rp.notes, "seconds": round(elapsed, 2),
    }
    head = (f"replay of {len(rp.sources)} database(s): {summary['casillas']} casillas, {summary['secciones']} "
            f"secciones in {elapsed:.1f}s -> {out}")
    _report(summary, as_json, head, lambda clave, st: (
        f"  {clave:8} {st['actas']:7} actas  {st['esperadas']:7} esperadas  "
        f"{st['sin_hora']:5} sin hora (llegan al corte)  {'último corte' if st['final'] else ''}"),
            rp.notes, window=" (the databases' corte)")
