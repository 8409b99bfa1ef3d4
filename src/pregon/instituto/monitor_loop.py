"""The monitor's loop, in one place for `pregon instituto monitor` and the drill: a round of observations,
the dashboard rewritten from all observations after it, one round every interval, and the verdict of the
last round. The callers only say where the time comes from and what to print."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Callable

from .. import durable
from . import dashboard
from .monitor import IN_ORDER, Monitor, Observation, summarize


def out_of_compliance(observations: list[Observation]) -> bool:
    return any(o.status not in IN_ORDER for o in observations)


def write_dashboard(mon: Monitor, path: Path, *, generated: str, lag_limit: float) -> Path:
    """The dashboard of every observation so far, with the latest published corte."""
    observations = durable.read_jsonl(mon.cfg.observations)
    rows = summarize(observations, mon.registry.all())
    cuts = mon.cuts()
    return dashboard.write(path, rows, observations, generated=generated,
                           latest_corte=cuts[-1].corte_sequence if cuts else None,
                           lag_limit=lag_limit)


async def observe_round(mon: Monitor, path: Path, *, generated: Callable[[], str], lag_limit: float,
                        dashboard_failed: Callable[[OSError], None] | None = None) -> list[Observation]:
    """One round, then the dashboard. A disk that refuses the dashboard goes to `dashboard_failed` (the
    observations are kept and observing goes on), or raises without it."""
    obs = await mon.round()
    try:
        write_dashboard(mon, path, generated=generated(), lag_limit=lag_limit)
    except OSError as exc:
        if dashboard_failed is None:
            raise
        dashboard_failed(exc)
    return obs


async def run_rounds(one_round: Callable, *, rounds: int | None, interval: float, min_wait: float = 0.0,
                     on_round: Callable[[list[Observation]], None] | None = None,
                     on_error: Callable[[Exception], None] | None = None) -> list[Observation]:
    """`await one_round()` `rounds` times (without end for None), one starting every `interval` seconds (and
    at least `min_wait` after the previous one ends). A round that raises goes to `on_error` and the loop goes
    on, or it propagates without one. Returns the last round's observations."""
    done, last = 0, []
    while rounds is None or done < rounds:
        t0 = time.monotonic()
        try:
            last = await one_round()
            if on_round is not None:
                on_round(last)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if on_error is None:
                raise
            on_error(exc)
        done += 1
        if rounds is not None and done >= rounds:
            break
        await asyncio.sleep(max(min_wait, interval - (time.monotonic() - t0)))
    return last
