"""`pregon difusor stats`: visitor analytics of the difusor's access logs (the figures of the memoria técnica)."""

from __future__ import annotations

import json

import click

from ..errors import InputError
from ..times import optional_instant


def baseline_option(baseline_from: str | None, baseline_to: str | None, tz=None):
    """(start, end) of the usual-traffic period from --baseline-from/--baseline-to, or None; both or neither."""
    if (baseline_from is None) != (baseline_to is None):
        raise InputError("baseline: give both --baseline-from and --baseline-to, or neither")
    if baseline_from is None:
        return None
    return optional_instant(baseline_from, "--baseline-from", tz), optional_instant(baseline_to, "--baseline-to", tz)


@click.command()
@click.argument("logs", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=str))
@click.option("--from", "start", metavar="TIME", help="Start of the PREP period, ISO 8601 with offset.")
@click.option("--to", "end", metavar="TIME", help="End of the PREP period (exclusive), ISO 8601 with offset.")
@click.option("--baseline-from", metavar="TIME", help="Start of a period of usual traffic to compare against.")
@click.option("--baseline-to", metavar="TIME", help="End of the baseline period (exclusive).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON (schema pregon.analytics/1).")
@click.option("--tz", default="America/Mexico_City", show_default=True, help="Time zone of days and hours.")
@click.option("--monitor-agent", multiple=True, default=("pregon-monitor",), show_default=True,
              help="User-agent substring of the institute's monitor (repeatable).")
@click.option("--monitor-ip", multiple=True, help="Address or network of the institute's monitor (repeatable).")
@click.option("--site-host", multiple=True, help="This site's host name(s), shown as '(this site)' in referrers.")
@click.option("--top", default=20, show_default=True, type=click.IntRange(1, 10_000), help="Rows in top lists.")
@click.option("--session-gap", default=30, show_default=True, type=click.IntRange(1, 24 * 60),
              help="Minutes without a request that end a visit.")
@click.option("--poll-cap", default=30, show_default=True, type=click.IntRange(0, 24 * 60),
              help="Minutes after a visit's latest page during which JSON polls keep it alive.")
@click.option("--workers", type=click.IntRange(1, 256), help="Processes to use (default: every available core).")
@click.option("--no-hourly", is_flag=True, help="Leave the per-hour table out of the text report.")
def stats(logs, start, end, baseline_from, baseline_to, as_json, tz, monitor_agent, monitor_ip, site_host, top,
          session_gap, poll_cap, workers, no_hourly):
    """Hits, pages, visitors, visits and time of permanence from access logs (combined format, plain or .gz;
    rotated sets are read oldest first). Malformed lines are counted and shown, never fatal."""
    from ..analytics import analyze

    baseline = baseline_option(baseline_from, baseline_to)
    report = analyze(
        logs,
        start=optional_instant(start, "--from"),
        end=optional_instant(end, "--to"),
        baseline=baseline,
        tz=tz,
        monitor_agents=monitor_agent,
        monitor_ips=monitor_ip,
        site_hosts=site_host,
        session_gap=session_gap * 60,
        poll_cap=poll_cap * 60,
        top=top,
        workers=workers,
    )
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        click.echo(report.render_text(hourly=not no_hourly), nl=False)
