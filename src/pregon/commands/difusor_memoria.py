"""`pregon difusor memoria`: the memoria técnica the difusor hands the institute after election night."""

from __future__ import annotations

from pathlib import Path

import click

from ..times import optional_instant
from .difusor_stats import baseline_option


@click.command()
@click.option("--config", "config_path", default="difusor.toml", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="the difusor's difusor.toml")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="directory for memoria.html, memoria.pdf, the logs bundle, SHA256SUMS and datos.json")
@click.option("--logs", "logs", multiple=True, metavar="GLOB",
              help="access logs of the period (repeatable; globs; plain or .gz). Default: [serve] access_log "
                   "and its rotations")
@click.option("--from", "start", metavar="TIME", help="start of the PREP period (default: [window] start)")
@click.option("--to", "end", metavar="TIME", help="end of the PREP period, exclusive (default: [window] end)")
@click.option("--baseline-from", metavar="TIME", help="start of a period of the portal's usual traffic")
@click.option("--baseline-to", metavar="TIME", help="end of the usual-traffic period (exclusive)")
@click.option("--comments", type=click.Path(dir_okay=False, path_type=Path),
              help="text or Markdown file for the comments section")
@click.option("--registro", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML file with the [registro] table (default: [registro] in difusor.toml)")
@click.option("--date", "date", metavar="DATE", help="date printed on the report (default: the end of the period)")
@click.option("--no-pdf", is_flag=True, help="HTML only (no WeasyPrint needed)")
@click.option("--monitor-agent", multiple=True, default=("pregon-monitor",), show_default=True,
              help="user-agent substring of the institute's monitor (repeatable)")
@click.option("--monitor-ip", multiple=True, help="address or network of the institute's monitor (repeatable)")
@click.option("--workers", type=click.IntRange(1, 256), help="processes for the log analysis (default: all cores)")
@click.option("--availability", type=click.Path(dir_okay=False, path_type=Path),
              help="the institute's availability report (`pregon instituto monitor report --by day --format json`): "
                   "adds the Disponibilidad table per day and month against the call's threshold")
@click.option("--frame", is_flag=True,
              help="a method-2 difusor: its page framed the official site, so there is no receiver journal")
def memoria(config_path, out, logs, start, end, baseline_from, baseline_to, comments, registro, date, no_pdf,
            monitor_agent, monitor_ip, workers, availability, frame):
    """Write the memoria técnica (HTML, PDF), the access logs of the period with their SHA-256, and datos.json."""
    from ..memoria.build import Options, build
    from ..memoria.data import load_settings

    cfg, _ = load_settings(config_path, registro)  # early, so time options can default to the config's zone
    tz = cfg.tz
    baseline = baseline_option(baseline_from, baseline_to, tz)
    opts = Options(config=config_path, out=out, logs=tuple(logs), start=optional_instant(start, "--from", tz),
                   end=optional_instant(end, "--to", tz), baseline=baseline, comments=comments, registro=registro,
                   date=optional_instant(date, "--date", tz), pdf=not no_pdf, workers=workers,
                   monitor_agents=tuple(monitor_agent), monitor_ips=tuple(monitor_ip), availability=availability,
                   frame=frame)
    result = build(opts, note=lambda m: click.echo(m, err=True))
    h = result.headline
    click.echo(f"pregon difusor memoria: {result.out}: {', '.join(result.files)}; visitantes {h['visitors']:,}, "
               f"páginas {h['pages']:,}, hits {h['hits']:,}; {result.cuts} cortes, {result.incidents} incidentes")
