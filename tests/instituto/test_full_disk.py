"""A full disk under the institute: a cut the disk refuses is journaled (in memory and syslog until the disk
takes writes again, then in order), leaves neither a half site nor a half package behind, the official site
and the pull index stay on the last good cut, and the next cut, once there is room, publishes. The monitor
keeps observing with its records in memory. On a real small disk (tmpfs)."""

from __future__ import annotations

import asyncio
import errno
import json
from datetime import timedelta

import httpx
import pytest

from diskkit import fill, free, small_disk, top_up
from instituto.kit import START, difusor, institute, load, simulate
from pregon import durable
from pregon.instituto import packages as pk
from pregon.instituto.config import MonitorConfig
from pregon.instituto.monitor import Monitor
from pregon.instituto.registry import Registry
from pregon.instituto.scheduler import Scheduler
from pregon.times import ManualClock


@pytest.fixture(scope="module")
def feed(tmp_path_factory):
    return simulate(tmp_path_factory.mktemp("feed") / "morelos")


def official_corte(cfg) -> int:
    return json.loads((cfg.work / "official" / "json" / "main.json").read_text())["corte"]["secuencia"]


def pull_latest(cfg) -> int:
    return json.loads((cfg.pull_dir / "index.json").read_text())["latest"]


def test_a_cut_the_disk_refuses_is_journaled_and_the_next_one_publishes(feed, tmp_path):
    with small_disk(tmp_path / "disk", "24m") as disk:
        cfg = load(institute(disk / "inst", feed, full_every=1))
        sched = Scheduler(cfg, ManualClock(START))
        assert asyncio.run(sched.cut_with_retries(1, START))
        fillers = fill(disk)
        top_up(cfg.journal)  # its last page too: the next journal line finds no room
        assert not asyncio.run(sched.cut_with_retries(2, START + timedelta(minutes=15)))  # never an exception
        assert official_corte(cfg) == 1 and pull_latest(cfg) == 1  # the last good cut, whole
        assert not (cfg.work / "sites" / "000002").exists()  # the half-written site is gone
        assert [p.name for p in cfg.packages.iterdir()] == [pk.package_name("MOR-2024", 1, "full")]
        assert sched._journal.failure is not None and sched._journal.failure.errno == errno.ENOSPC
        free(fillers)
        assert asyncio.run(sched.cut_with_retries(3, START + timedelta(minutes=30)))
        assert official_corte(cfg) == 3 and pull_latest(cfg) == 2
        events = [e["event"] for e in durable.read_jsonl(cfg.journal)]
        # what the disk refused was kept and written first, in order: every attempt at cut 2, then cut 3
        assert events == ["cut", "cut-failed", "cut-failed", "cut-failed", "cut-abandoned", "cut"]
        assert [r.corte_sequence for r in pk.published(cfg.work)] == [1, 3]


def test_a_state_the_disk_refuses_after_the_package_is_recorded_is_settled_later(feed, tmp_path, monkeypatch):
    """The package is the commit point: once recorded it is published, and a state file the disk then refuses
    is brought up to it at the next cut instead of failing a cut that happened."""
    cfg = load(institute(tmp_path / "inst", feed, full_every=1))
    sched = Scheduler(cfg, ManualClock(START))
    real = durable.write_json
    refused = {"n": 0}

    def full_disk_for_the_state(path, obj, **kw):
        if path == cfg.state_file and refused["n"] == 0:
            refused["n"] += 1
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, obj, **kw)

    monkeypatch.setattr(durable, "write_json", full_disk_for_the_state)
    assert asyncio.run(sched.cut_with_retries(1, START))
    assert durable.read_json(cfg.state_file) is None and sched._unsettled  # not saved, not forgotten
    assert [e["event"] for e in durable.read_jsonl(cfg.journal)] == ["disk", "cut"]
    assert asyncio.run(sched.cut_with_retries(2, START + timedelta(minutes=15)))
    assert durable.read_json(cfg.state_file)["cut"] == 2 and not sched._unsettled
    assert [e["event"] for e in durable.read_jsonl(cfg.journal)] == ["disk", "cut", "disk-recovered", "cut"]
    assert [r.sequence for r in pk.published(cfg.work)] == [1, 2]  # no cut was made twice


def test_the_monitor_keeps_observing_on_a_full_disk(tmp_path):
    with small_disk(tmp_path / "disk", "2m") as disk:
        reg = Registry(tmp_path / "reg")
        reg.add(difusor("medio", port=9001))
        cfg = MonitorConfig(observations=disk / "mon" / "observations.jsonl", timeout_seconds=1)
        down = httpx.MockTransport(lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused")))
        mon = Monitor(cfg, reg, work=tmp_path / "work", transport=down)
        asyncio.run(mon.round())
        fillers = fill(disk)
        for _ in range(3):
            (o,) = asyncio.run(mon.round())  # observations and the alert kept in memory; no exception
            assert o.status == "down"
        free(fillers)
        asyncio.run(mon.round())
        statuses = [o["status"] for o in durable.read_jsonl(cfg.observations)]
        assert statuses == ["down"] * 5
        alerts = durable.read_jsonl(cfg.observations.with_name("alerts.jsonl"))
        assert [(a["difusor"], a["state"]) for a in alerts] == [("medio", "firing")]
