"""The institute's own PREP system, in a drill of `--source database|site`: at each corte instant of the
night it writes that corte's drop into the institute's `[source] dir`, the way a capture system would
(built aside under a dotted name, then renamed into place), and pregon takes it from there.

`database` drops are a directory of the corte's published database zips; `site` drops are a finished
static site (pregon renders it here, standing in for the vendor's system: the institute signs and
distributes it without looking inside, and the monitor tells its cortes by the bytes of json/main.json).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from ..instituto.scheduler import cut_instants
from .plan import Plan


class PrepSystem:
    def __init__(self, plan: Plan, clock, log=lambda m: None):
        self.plan, self.clock, self.log = plan, clock, log
        self.dir = plan.drops
        self.made: list[str] = []

    async def run(self) -> None:
        from datetime import timedelta

        cadence = timedelta(minutes=self.plan.cadence_minutes)
        for k, instant, final in cut_instants(self.plan.start, self.plan.end, cadence):
            await self.clock.sleep_until(instant)
            await asyncio.to_thread(self.drop, k, instant, final)

    def drop(self, k: int, instant, final: bool) -> Path:
        from .. import database
        from ..electionio.election_dir import load_engine
        from ..election.timefmt import zone
        from ..site import render

        engine = load_engine(self.plan.election, until=instant)
        corte = engine.corte(instant, k, final and self.plan.final_cut)
        name = f"corte-{k:04d}"
        tmp = self.dir / f".{name}.part"
        shutil.rmtree(tmp, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.plan.source_kind == "database":
            database.write_zip(corte, tmp, zone(corte.catalog.proceso.timezone))
        else:
            render.build(corte, tmp, jobs=1)
        final_path = self.dir / name
        os.replace(tmp, final_path)  # complete at once: [source] ready = "rename"
        self.made.append(name)
        return final_path
