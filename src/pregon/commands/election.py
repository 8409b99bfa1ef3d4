"""`pregon corte` and `pregon recount`: the corte of an election directory, and the recount of a database."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .. import database
from ..election import corte as corte_mod
from ..election.timefmt import zone
from ..electionio.election_dir import load_engine
from ..errors import CheckFailed
from ..times import parse_instant


@click.command()
@click.option("--election", "election_dir", required=True, type=click.Path(path_type=Path),
              help="Election directory: catalog.toml, secciones.csv, casillas.csv, actas/.")
@click.option("--at", "at", required=True, help="Cut instant, ISO 8601 with offset (2024-06-02T22:40:00-06:00).")
@click.option("--final", is_flag=True, help="The last corte: participation includes casillas especiales.")
@click.option("--sequence", type=int, default=0, show_default=True, help="Corte sequence number.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="Directory for the zips.")
@click.option("--json", "as_json", is_flag=True, help="Print the header figures as JSON.")
def corte(election_dir, at, final, sequence, out, as_json):
    """Write the PREP CSV database of each election at the cut instant, zipped as institutes publish it."""
    instant = parse_instant(at, "--at")
    engine = load_engine(election_dir, until=instant)
    c = engine.corte(instant, sequence, final)
    tz = zone(c.catalog.proceso.timezone)
    paths = database.write_zip(c, out, tz)
    figures = {k: ec.tally.to_dict() | {"eleccion": ec.eleccion.nombre} for k, ec in c.elecciones.items()}
    if as_json:
        click.echo(json.dumps({"corte": instant.isoformat(), "final": final, "elecciones": figures,
                               "archivos": [str(p) for p in paths]}, ensure_ascii=False, sort_keys=True, indent=1))
        return
    click.echo(f"corte {database.corte_label(instant.astimezone(tz))}  sequence {sequence}"
               f"{'  (final)' if final else ''}")
    for k, ec in c.elecciones.items():
        t = ec.tally
        click.echo(f"\n{ec.eleccion.nombre} ({k})")
        for name, value in zip(corte_mod.HEADER_FIELDS, t.header_values()):
            click.echo(f"  {name:<36} {value:>12}")
    click.echo("")
    for p in paths:
        click.echo(f"wrote {p}")


@click.command()
@click.argument("databases", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--final/--during", default=None,
              help="Whether this is the last corte (participation with especiales). Default: the reading the "
                   "database's own participation figure follows.")
@click.option("--boletas-especial", type=click.IntRange(min=0), default=750, show_default=True,
              help="Ballots per casilla especial, for the excede-lista test (not in the database).")
@click.option("--excede-con-nulos/--excede-sin-nulos", default=None,
              help="Whether NULOS enter the excede-lista test. Default: the variant the file's own CONTABILIZADA "
                   "follows (Sonora 2021 counts them, Quintana Roo 2019 does not).")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@click.option("--max-differences", type=click.IntRange(min=0), default=20, show_default=True,
              help="Per-acta differences to list.")
def recount(databases, final, boletas_especial, excede_con_nulos, as_json, max_differences):
    """Recount published PREP databases (any layout 2015–2024: a CSV, a folder, a zip or a zip of zips) and
    compare every figure. Exit 1 when the institute's own figures disagree with its rows."""
    dbs = database.read(*databases)
    results = [database.recount(db, final=final, boletas_especial=boletas_especial,
                                excede_con_nulos=excede_con_nulos) for db in dbs]
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=1))
    else:
        for r in results:
            _print_result(r, max_differences)
    bad = [r for r in results if not r.ok]
    if bad:
        raise CheckFailed(f"{bad[0].source}: the institute's published figures disagree with its own rows "
                          f"({len(bad[0].differences)} difference(s)); this is a finding about the data, see above")


def _print_result(r, max_differences: int) -> None:
    click.echo(f"{r.source}\n{r.eleccion} — corte {r.corte} — {r.actas} filas"
               f" — {'último corte' if r.final else 'corte intermedio'}")
    click.echo(f"  {'field':<36} {'published':>12} {'recounted':>12}")
    header_bad = {d.field for d in r.differences if d.where == "header"}
    for name, pub, rec in r.header:
        click.echo(f"  {name:<36} {pub:>12} {rec:>12}{'   <-- differs' if name in header_bad else ''}")
    actas_diffs = [d for d in r.differences if d.where != "header"]
    click.echo("  per-acta CONTABILIZADA and TOTAL_VOTOS_CALCULADO: "
               + (f"all {r.actas} rows agree" if not actas_diffs else f"{len(actas_diffs)} differ"))
    for d in actas_diffs[:max_differences]:
        click.echo(f"    {d.where} {d.field}: published {d.published or '(empty)'}, recounted {d.recomputed}"
                   + (f"  (line {d.line})" if d.line else ""))
    if len(actas_diffs) > max_differences:
        click.echo(f"    … and {len(actas_diffs) - max_differences} more (--max-differences, --json)")
    for note in r.notes:
        click.echo(f"  note: {note}")
    click.echo("  OK: every figure agrees" if r.ok else
               "  MISMATCH: the published figures disagree with the file's own rows")
