"""`pregon site …`: the official site of a corte (HTML pages, JSON twins, CSV database, assets)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click

from ..errors import InputError

@click.group()
def site():
    """The official site: every page, its JSON twin, the CSV database and how to verify it."""


@site.command("build")
@click.option("--election", "election_dir", type=click.Path(path_type=Path),
              help="Election directory: catalog.toml, secciones.csv, casillas.csv, actas/<CLAVE>.csv.")
@click.option("--database", "databases", multiple=True, type=click.Path(path_type=Path),
              help="Or published PREP databases of one corte (a .csv, a folder, a .zip or zip of zips; repeat "
                   "for each election): the corte is rebuilt from their rows, with the candidaturas beside them.")
@click.option("--at", "at", help="Corte instant, ISO 8601 with offset, e.g. 2024-06-02T22:40:00-06:00.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Directory to write the site into.")
@click.option("--previous", type=click.Path(path_type=Path),
              help="The previous corte's site: render only the pages whose figures changed (may equal --out).")
@click.option("--sequence", type=click.IntRange(min=0), default=1, show_default=True, help="Corte sequence number.")
@click.option("--final", is_flag=True, help="This is the last corte (participación counts casillas especiales).")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes (default: up to 2).")
@click.option("--no-downloads", is_flag=True, help="Skip the CSV database zips (previews only).")
@click.option("--proceso-id", help="With --database: the proceso id for json/main.json (default: the election clave).")
@click.option("--proceso-nombre", help="With --database: the proceso name shown on every page.")
@click.option("--instituto", help="With --database: the institute's name.")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
def build_cmd(election_dir, databases, at, out, previous, sequence, final, jobs, no_downloads, proceso_id,
              proceso_nombre, instituto, as_json):
    """Write the complete site of one corte into OUT (incrementally with --previous)."""
    from ..election.timefmt import parse_instant
    from ..site import build

    if (election_dir is None) == (not databases):
        raise InputError("site build: pass either --election DIR (with --at) or --database FILE")
    if election_dir is not None:
        if at is None:
            raise InputError("site build: --at is required with --election; e.g. --at 2024-06-02T22:40:00-06:00")
        if proceso_id or proceso_nombre or instituto:
            raise InputError("site build: --proceso-id/--proceso-nombre/--instituto apply to --database only; "
                             "the election directory's catalog.toml names the proceso")
        instant = parse_instant(at)
        corte = _corte_from_election(election_dir, instant, sequence, final)
    else:
        if at is not None:
            raise InputError("site build: --at does not apply to --database; the corte instant is the database's")
        corte = _corte_from_databases(databases, sequence, final, proceso_id, proceso_nombre, instituto)
    if previous is not None and not previous.is_dir():
        raise InputError(f"--previous {previous}: not a directory; pass the previous corte's site")
    report = build(corte, out, previous, jobs=jobs, downloads_on=not no_downloads)
    if as_json:
        click.echo(json.dumps(report.to_dict(), sort_keys=True))
    else:
        click.echo(report.summary())
    return 0


def _corte_from_election(directory: Path, instant, sequence: int, final: bool):
    from ..electionio.election_dir import load_engine

    if not directory.is_dir():
        raise InputError(f"--election {directory}: not a directory; point it at a directory made by "
                         "'pregon simulate election'")
    engine = load_engine(directory, until=instant)
    return engine.corte(instant, sequence, final)


def _corte_from_databases(paths, sequence: int, final: bool, proceso_id, proceso_nombre, instituto):
    from .. import database

    readings = [database.interpret(db, final=True if final else None) for db in database.read(*paths)]
    corte, notes = database.combine(readings, sequence=sequence)
    for note in notes:
        click.echo(f"pregon: note: {note}", err=True)
    p = corte.catalog.proceso
    pid = proceso_id or (p.id if len(readings) == 1 else "PREP")
    corte.catalog.proceso = dataclasses.replace(p, id=pid, nombre=proceso_nombre or (p.nombre if len(readings) == 1
                                                                                    else "PREP"),
                                                instituto=instituto or p.instituto)
    return dataclasses.replace(corte, final=corte.final or final)
