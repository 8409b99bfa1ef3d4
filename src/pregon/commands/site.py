"""`pregon site …`: the official site of a corte (HTML pages, JSON twins, CSV database, assets).

The commands parse and print; pregon.site builds and checks, pregon.database turns published files into a corte.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .. import durable
from ..errors import CheckFailed, InputError
from ..times import parse_instant


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
@click.option("--changes-out", type=click.Path(dir_okay=False, path_type=Path),
              help="With --previous: write every path the build wrote or removed here, one per line (for "
                   "`package build --changed`: a delta that reads only those).")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
def build_cmd(election_dir, databases, at, out, previous, sequence, final, jobs, no_downloads, proceso_id,
              proceso_nombre, instituto, changes_out, as_json):
    """Write the complete site of one corte into OUT (incrementally with --previous)."""
    from ..site import build

    if (election_dir is None) == (not databases):
        raise InputError("site build: pass either --election DIR (with --at) or --database FILE")
    if election_dir is not None:
        if at is None:
            raise InputError("site build: --at is required with --election; e.g. --at 2024-06-02T22:40:00-06:00")
        if proceso_id or proceso_nombre or instituto:
            raise InputError("site build: --proceso-id/--proceso-nombre/--instituto apply to --database only; "
                             "the election directory's catalog.toml names the proceso")
        corte = _corte_from_election(election_dir, parse_instant(at, "--at"), sequence, final)
    else:
        if at is not None:
            raise InputError("site build: --at does not apply to --database; the corte instant is the database's")
        corte = _corte_from_databases(databases, sequence, final, proceso_id, proceso_nombre, instituto)
    if previous is not None and not previous.is_dir():
        raise InputError(f"--previous {previous}: not a directory; pass the previous corte's site")
    if changes_out is not None and previous is None:
        raise InputError("site build: --changes-out needs --previous (a full build changes everything)")
    report = build(corte, out, previous, jobs=jobs, downloads_on=not no_downloads)
    if changes_out is not None:
        if report.changed is None:
            raise InputError(f"site build: {report.full_reason}, so every file changed; build the package of "
                             f"{out} without --changed")
        durable.atomic_write(changes_out, "".join(rel + "\n" for rel in report.changed).encode("utf-8"))
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
    from ..database import corte_from

    corte, notes = corte_from(*paths, sequence=sequence, final=final, proceso_id=proceso_id,
                              proceso_nombre=proceso_nombre, instituto=instituto)
    for note in notes:
        click.echo(f"pregon: note: {note}", err=True)
    return corte


@site.command("check")
@click.argument("site_dir", metavar="SITE", type=click.Path(path_type=Path))
@click.option("--page", "pages", multiple=True,
              help="Check only this page (a path inside SITE, e.g. DIP_LOC/index.html); repeat for more.")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
def check_cmd(site_dir, pages, as_json):
    """Check a built site: every HTML page well formed and carrying its corte stamp, every internal link
    resolving inside SITE. Exit 1 naming the first problem (all are printed), 2 when SITE is not a site."""
    from ..site.check import check_site

    if not site_dir.is_dir():
        raise InputError(f"site check: {site_dir}: not a directory; pass a site made by 'pregon site build'")
    if not (site_dir / "index.html").is_file():
        raise InputError(f"site check: {site_dir}: no index.html; not a site made by 'pregon site build'")
    for page in pages:
        if not page.endswith(".html") or not (site_dir / page).is_file():
            raise InputError(f"--page {page!r}: no such HTML page in {site_dir}; give a path inside the site")
    problems = check_site(site_dir, pages=list(pages) or None)
    if as_json:
        click.echo(json.dumps({"site": str(site_dir), "ok": not problems, "problems": problems},
                              ensure_ascii=False, indent=1))
    else:
        for problem in problems:
            click.echo(problem)
    if problems:
        more = f" (and {len(problems) - 1} more problem(s), see above)" if len(problems) > 1 else ""
        raise CheckFailed(f"site check: {site_dir}/{problems[0]}{more}")
    if not as_json:
        click.echo(f"site {site_dir}: every page well formed and stamped, every link resolving")
