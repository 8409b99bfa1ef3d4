"""The Durango end rule (IEPC Durango 2022): publication ends 24 h after 20:00, or earlier, at the first cut
where 100 % of the actas esperadas are captured in every election and the institute has declared recovery
exhausted, whichever comes first. The early último corte is final (participation with especiales)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pytest

from instituto.kit import START, institute, load
from pregon import durable
from pregon.cli import main
from pregon.instituto import ending
from pregon.instituto import packages as pk
from pregon.instituto.scheduler import Scheduler
from pregon.simulate import generate, write
from pregon.simulate.presets import preset
from pregon.simulate.spec import AnomalyRates
from pregon.times import ManualClock

CADENCE = 120  # minutes: 13 cuts in 24 h keep the test short


def election(out, *, complete: bool):
    """Durango's two elections; with `complete`, every acta arrives (none lost, none outside the catalog)."""
    spec = preset("iepc-dgo-2022")
    spec = replace(spec, fecha=START.date(), timezone="America/Mexico_City")
    if complete:
        spec = replace(spec, rates=AnomalyRates(never_casilla=0.0, never_acta=0.0, fuera_catalogo=0.0))
    sim = generate(spec, seed=3, scale=0.02)
    write(sim, out)
    last = max(int(f.verificacion.max()) for f in sim.feeds.values())
    return out, datetime.fromtimestamp(last, START.tzinfo)


def scheduler(tmp_path, feed):
    cfg_path = institute(tmp_path / "inst", feed, cadence=CADENCE, full_every=100,
                         end=(START + timedelta(hours=24)).isoformat())
    text = cfg_path.read_text().replace("[schedule]\n", "[schedule]\nend_when_captured = true\n", 1)
    cfg_path.write_text(text)
    cfg = load(cfg_path)
    return cfg, Scheduler(cfg, ManualClock(START))


def cut_times(cfg):
    return [(datetime.fromisoformat(r.corte_instant) - START) for r in pk.published(cfg.work)]


@pytest.fixture(scope="module")
def complete(tmp_path_factory):
    return election(tmp_path_factory.mktemp("dgo") / "eleccion", complete=True)


@pytest.fixture(scope="module")
def lossy(tmp_path_factory):
    return election(tmp_path_factory.mktemp("dgo-lossy") / "eleccion", complete=False)


def test_captured_and_declared_ends_at_the_first_cut_with_everything(complete, tmp_path):
    feed, all_in = complete
    cfg, sched = scheduler(tmp_path, feed)
    ending.declare(cfg.work, START + timedelta(hours=1), by="UTSI")
    asyncio.run(sched.run())
    slot = timedelta(minutes=CADENCE)
    first_full = START + slot * int(np.ceil((all_in - START) / slot))
    assert first_full < START + timedelta(hours=24)  # the early end is what this test is about
    times = cut_times(cfg)
    assert times[-1] == first_full - START and len(times) < 13
    final = durable.read_json(cfg.work / "official" / "json" / "main.json")["corte"]
    assert final["final"] is True
    (ended,) = [e for e in durable.read_jsonl(cfg.journal) if e["event"] == "ended-by-capture"]
    assert ended["instant"] == first_full.isoformat()


def test_captured_without_the_declaration_runs_to_24_hours(complete, tmp_path):
    feed, _all_in = complete
    cfg, sched = scheduler(tmp_path, feed)
    asyncio.run(sched.run())
    assert cut_times(cfg)[-1] == timedelta(hours=24) and len(cut_times(cfg)) == 13


def test_declared_but_never_complete_ends_at_24_hours(lossy, tmp_path):
    feed, _ = lossy
    cfg, sched = scheduler(tmp_path, feed)
    ending.declare(cfg.work, START, by="UTSI")
    asyncio.run(sched.run())
    assert cut_times(cfg)[-1] == timedelta(hours=24)
    assert not [e for e in durable.read_jsonl(cfg.journal) if e["event"] == "ended-by-capture"]


def test_a_declaration_after_everything_arrived_ends_at_the_next_cut(complete, tmp_path):
    feed, all_in = complete
    cfg, sched = scheduler(tmp_path, feed)
    slot = timedelta(minutes=CADENCE)
    late = START + slot * (int(np.ceil((all_in - START) / slot)) + 2) - timedelta(minutes=1)
    ending.declare(cfg.work, late, by="UTSI")
    asyncio.run(sched.run())
    assert cut_times(cfg)[-1] == late + timedelta(minutes=1) - START


def test_the_cli_declares_and_journals(tmp_path, complete, capsys):
    feed, _ = complete
    cfg, _ = scheduler(tmp_path, feed)
    assert main(["instituto", "recovery-exhausted", "--config", str(cfg.source), "--at",
                 (START + timedelta(hours=3)).isoformat(), "--by", "Coordinación del PREP"]) == 0
    assert ending.recovery_exhausted(cfg.work, START + timedelta(hours=3))
    assert not ending.recovery_exhausted(cfg.work, START + timedelta(hours=2))
    assert "recovery-exhausted" in [e["event"] for e in durable.read_jsonl(cfg.journal)]
