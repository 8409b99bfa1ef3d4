"""`pregon corte` and `pregon recount`: the corte of an election directory, and the recount of a database."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import CheckFailed
from ..election import corte as corte_mod
from ..election import csvdb, recount as recount_mod
from ..election.timefmt import parse_instant, zone


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
    instant = parse_instant(at)
    engine = corte_mod.load_engine(election_dir, until=instant)
    c = engine.corte(instant, sequence, final)
    tz = zone(c.catalog.proceso.timezone)
    paths = csvdb.write_zip(c, out, tz)
    figures = {k: ec.tally.to_dict() | {"eleccion": ec.eleccion.nombre} for k, ec in c.elecciones.items()}
    if as_json:
        click.echo(json.dumps({"corte": instant.isoformat(), "final": final, "elecciones": figures,
                               "archivos": [str(p) for p in paths]}, ensure_ascii=False, sort_keys=True, indent=1))
        return
    click.echo(f"corte {csvdb.corte_label(instant.astimezone(tz))}  sequence {sequence}"
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
@click.argument("database", type=click.Path(path_type=Path))
@click.option("--final/--during", default=None,
              help="Whether this is the last corte (participation with especiales). Default: final when every "
                   "expected acta is captured.")
@click.option("--boletas-especial", type=int, default=750, show_default=True,
              help="Ballots per casilla especial, for the excede-lista test (not in the database).")
@click.option("--excede-con-nulos", is_flag=True,
              help="Count NULOS in the excede-lista test (the LEEME's wording); default follows published files.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@click.option("--max-differences", type=int, default=20, show_default=True, help="Per-acta differences to list.")
def recount(database, final, boletas_especial, excede_con_nulos, as_json, max_differences):
    """Recount a published PREP database (2018–2024 layouts) and compare every figure; exit 1 on a difference."""
    dbs = csvdb.read(database)
    results = [recount_mod.recount(db, final=final, boletas_especial=boletas_especial,
                                   excede_con_nulos=excede_con_nulos) for db in dbs]
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=1))
    else:
        for r in results:
            click.echo(f"{r.source}\n{r.eleccion} — corte {r.corte} — {r.actas} actas"
                       f" — {'último corte' if r.final else 'corte intermedio'}")
            click.echo(f"  {'field':<36} {'published':>12} {'recounted':>12}")
            for name, pub, rec in r.header:
                mark = "" if pub == rec else "   <-- differs"
                click.echo(f"  {name:<36} {pub:>12} {rec:>12}{mark}")
            actas_diffs = [d for d in r.differences if d.where != "header"]
            click.echo(f"  per-acta CONTABILIZADA and TOTAL_VOTOS_CALCULADO: "
                       f"{'all ' + str(r.actas) + ' agree' if not actas_diffs else str(len(actas_diffs)) + ' differ'}")
            for d in actas_diffs[:max_differences]:
                click.echo(f"    {d.where} {d.field}: published {d.published}, recounted {d.recomputed}")
            click.echo("  OK: every figure agrees" if r.ok else "  MISMATCH")
    if not all(r.ok for r in results):
        raise CheckFailed(f"{database}: the recount differs from the published figures")
