"""`analyze()`: the arguments checked, the pass over the logs run, its partials merged, the Report assembled.

The pass itself lives below: `pool` cuts the logs into tasks and runs them, `chunk` turns a task's bytes
into partial aggregates (`parts`), `merge` adds them up, `report` turns the sums into figures.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import InputError
from .classify import Monitor
from .hours import LocalHours
from .logparse import check_readable, order_logs
from .malformed import printable
from .merge import Merger
from .parts import MAX_EXAMPLES, NO_LIMIT, Config
from .period import build_period, compare
from .pool import run_pass
from .report import SCHEMA, Report, definitions
from .visits import POLL_CAP, SESSION_GAP


def _epoch(value, name: str) -> int:
    if not isinstance(value, datetime):
        raise InputError(f"{name}: expected a datetime with its UTC offset, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(f"{name}: {value.isoformat()} has no UTC offset; give one, e.g. 2024-06-02T20:00:00-06:00")
    return int(value.timestamp())


def _bounds(start, end, what: str) -> tuple[int, int]:
    s = NO_LIMIT[0] if start is None else _epoch(start, f"{what} start")
    e = NO_LIMIT[1] if end is None else _epoch(end, f"{what} end")
    if s >= e:
        raise InputError(f"{what}: start {start.isoformat()} is not before end {end.isoformat()}; swap them")
    return s, e


def analyze(
    paths,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    baseline: tuple[datetime, datetime] | None = None,
    tz: str = "America/Mexico_City",
    monitor_agents=("pregon-monitor",),
    monitor_ips=(),
    site_hosts=(),
    session_gap: int = SESSION_GAP,
    poll_cap: int = POLL_CAP,
    top: int = 20,
    workers: int | None = None,
    task_bytes: int = 16 << 20,
):
    """Analyse access logs (plain or compressed, rotated sets in any order) and return a `Report`.

    `start`/`end` bound the PREP period (aware datetimes; open when None); `baseline` is a (start, end) of
    usual traffic to compare against. Raises InputError for unusable arguments or unreadable files; a
    malformed line is counted, never an error.
    """
    files = _log_files(paths)
    zone = _zone(tz)
    if session_gap <= 0 or poll_cap < 0:
        raise InputError("session gap must be positive and poll cap not negative (seconds)")
    periods = _periods(start, end, baseline)
    monitor = Monitor.build(monitor_agents, monitor_ips)
    config = Config(tz=tz, periods=tuple(periods), monitor=monitor)

    infos, results = run_pass(files, config, workers=workers, task_bytes=task_bytes)
    merger = Merger(periods, session_gap, poll_cap)
    examples, totals = _tally(infos, results, merger)
    data = merger.finish()

    hours = LocalHours(tz)
    site_hosts = tuple(h.lower() for h in site_hosts)
    period = build_period(data[0], hours, top=top, site_hosts=site_hosts)
    base = build_period(data[1], hours, top=top, site_hosts=site_hosts) if baseline is not None else None
    parameters = _parameters(tz, start, end, baseline, session_gap, poll_cap, monitor, site_hosts)
    return _report(infos, zone, parameters, monitor_ips, examples, totals, period, base)


# --- the steps of analyze() ----------------------------------------------------------------------------------


def _log_files(paths) -> list:
    """The logs in the order they were written (rotations oldest first), each checked readable."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files = order_logs(paths)
    if not files:
        raise InputError("no access log given; pass one or more LOG files (plain or .gz)")
    for p in files:
        check_readable(p)
    return files


def _zone(tz: str):
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"time zone {tz!r}: unknown; give an IANA name such as America/Mexico_City") from None


def _periods(start, end, baseline) -> list[tuple[int, int]]:
    """[PREP period] or [PREP period, baseline], as epoch bounds."""
    periods = [_bounds(start, end, "period")]
    if baseline is not None:
        if len(baseline) != 2 or None in baseline:
            raise InputError("baseline: give both its start and its end")
        periods.append(_bounds(baseline[0], baseline[1], "baseline"))
    return periods


def _tally(infos, results, merger: Merger) -> tuple[list[dict], Counter]:
    """Feed every TaskResult to the merger, and count lines per file as they come: (malformed examples,
    totals of valid lines and of lines per period)."""
    examples = []
    totals = Counter()
    for fi, res in results:
        info = infos[fi]
        for idx, text in res.examples:
            if len(examples) < MAX_EXAMPLES:
                examples.append({"file": info.path, "line": info.lines + idx + 1, "text": printable(text)})
        info.lines += res.lines
        info.blank += res.blank
        info.malformed += res.lines - res.blank - res.valid
        if res.valid:
            info.first = res.ep_min if info.first is None else min(info.first, res.ep_min)
            info.last = res.ep_max if info.last is None else max(info.last, res.ep_max)
        totals["valid"] += res.valid
        for i, part in enumerate(res.periods):
            totals[i] += part.rows
        merger.add(res)
    return examples, totals


def _parameters(tz, start, end, baseline, session_gap, poll_cap, monitor: Monitor, site_hosts) -> dict:
    return {
        "tz": tz,
        "start": None if start is None else start.isoformat(),
        "end": None if end is None else end.isoformat(),
        "baseline_start": None if baseline is None else baseline[0].isoformat(),
        "baseline_end": None if baseline is None else baseline[1].isoformat(),
        "session_gap_s": session_gap,
        "poll_cap_s": poll_cap,
        "monitor_agents": list(monitor.agents),
        "monitor_ips": [str(n) for n in monitor.networks],
        "site_hosts": list(site_hosts),
    }


def _file_row(i, zone) -> dict:
    return {
        "path": i.path,
        "compressed": i.compressed,
        "bytes": i.bytes,
        "lines": i.lines,
        "blank": i.blank,
        "malformed": i.malformed,
        "first": None if i.first is None else datetime.fromtimestamp(i.first, zone).isoformat(),
        "last": None if i.last is None else datetime.fromtimestamp(i.last, zone).isoformat(),
        "warning": i.warning,
    }


def _report(infos, zone, parameters: dict, monitor_ips, examples, totals, period, base):
    total_lines = sum(i.lines for i in infos)
    blank = sum(i.blank for i in infos)
    p = parameters
    return Report(
        schema=SCHEMA,
        definitions=definitions(p["tz"], p["session_gap_s"], p["poll_cap_s"], p["monitor_agents"], monitor_ips),
        parameters=parameters,
        files=[_file_row(i, zone) for i in infos],
        lines={
            "total": total_lines,
            "blank": blank,
            "parsed": totals["valid"],
            "malformed": total_lines - blank - totals["valid"],
            "in_period": totals[0],
            "in_baseline": totals[1] if base is not None else None,
        },
        malformed_examples=examples,
        period=period,
        baseline=base,
        comparison=compare(period, base) if base is not None else None,
        warnings=[f"{i.path}: {i.warning}" for i in infos if i.warning],
    )
