"""A full or failing disk under the difusor: every step is an incident in the journal (kept in memory while
the disk refuses it, written once it accepts again), the last good corte stays live, the work is retried,
and nothing crashes. On a real small disk (tmpfs)."""

from __future__ import annotations

import dataclasses
import errno
import json
import threading
from datetime import datetime, timedelta, timezone

from diskkit import fill, free, small_disk, top_up
from difusor.kit import T0, Institute, drop, make_config, served_corte, write_config_toml
from pregon.times import ManualClock
from pregon.difusor.journal import Journal
from pregon.durable import read_jsonl
from pregon.difusor.pipeline import Receiver


def test_full_disk_is_an_incident_and_the_work_resumes(tmp_path):
    inst = Institute(tmp_path / "inst")
    with small_disk(tmp_path / "disk", "6m") as disk:
        cfg = dataclasses.replace(make_config(disk / "difusor", inst), min_free_mb=0)
        r = Receiver(cfg, clock=ManualClock(T0 + timedelta(hours=1)), check_clock=False)
        r.start()
        drop(inst.full(1, pages=40), cfg.inbox)
        assert [o.verdict for o in r.scan_inbox()] == ["accepted"]
        delta = inst.delta(2, pages=40)
        fillers = fill(disk, leave=delta.stat().st_size + 8192)
        drop(delta, cfg.inbox)  # it fits; nothing else will
        fillers += fill(disk)
        outcomes = r.scan_inbox()  # archiving, verdicts, staging, the journal: all refused by the disk
        for _ in range(3):
            r.tick()
        assert [o.verdict for o in outcomes] == ["error"]
        assert "disk" in r.rt.incidents and served_corte(cfg.current)[0] == 1  # the last good corte
        free(fillers)
        r.scan_inbox()
        r.tick()
        assert served_corte(cfg.current)[0] == 2 and "disk" not in r.rt.incidents and "status" not in r.rt.incidents
        assert r.journal.unwritten == []
        events = [json.loads(line)["event"] for line in cfg.journal.read_text().splitlines()]
        assert "disk" in events and events.index("disk") < events.index("activated", events.index("disk"))


def test_journal_never_raises_and_keeps_order(tmp_path):
    with small_disk(tmp_path / "disk", "1m") as disk:
        j = Journal(disk / "journal.jsonl")
        j.write("one")
        fillers = fill(disk)
        n = 0
        while j.failure is None and n < 1000:  # the file's last page takes a few lines; then the disk says no
            j.write("while-full", n=n)  # never an exception
            n += 1
        for m in range(n, n + 5):
            j.write("while-full", n=m)
        assert j.failure.errno == errno.ENOSPC and len(j.unwritten) >= 5
        free(fillers)
        j.write("after")
        lines = [json.loads(x) for x in (disk / "journal.jsonl").read_text().splitlines()]
        assert [e["event"] for e in lines] == ["one"] + ["while-full"] * (n + 5) + ["after"]
        assert [e.get("n") for e in lines[1:-1]] == list(range(n + 5))  # in order, none torn, none lost


def test_io_errors_anywhere_in_a_tick_are_incidents(tmp_path, monkeypatch):
    inst = Institute(tmp_path / "inst")
    cfg = make_config(tmp_path / "d", inst)
    r = Receiver(cfg, clock=ManualClock(T0 + timedelta(hours=1)), check_clock=False, durable=False)
    r.start()

    def broken(*a, **k):
        raise OSError(errno.EIO, "Input/output error", str(cfg.current))
    monkeypatch.setattr("pregon.difusor.layout.activate", broken)
    monkeypatch.setattr(r, "check_health", broken)
    r.tick()  # no exception
    assert "io" in r.rt.incidents and "Input/output error" in r.rt.incidents["io"]


def test_the_agent_process_lives_through_a_full_disk(tmp_path):
    """`pregon difusor run` under systemd: a full disk must not crash it (a crash loop would stop status and
    incidents); it says so on stderr, keeps the last good corte, and publishes once there is room."""
    from difusor.test_agent import start_agent, stop_agent, wait_for

    inst = Institute(tmp_path / "inst")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    inst.instant = lambda seq: now - timedelta(hours=2) + timedelta(minutes=5 * seq)
    pub = inst.write_public_key(tmp_path / "instituto.pub")
    with small_disk(tmp_path / "disk", "6m") as disk:
        root = disk / "difusor"
        config = write_config_toml(tmp_path / "difusor.toml", root, pub)
        agent = start_agent(config)
        said: list[str] = []
        reader = threading.Thread(target=lambda: said.extend(iter(agent.stderr.readline, b"")), daemon=True)
        reader.start()
        fillers = []
        try:
            wait_for(lambda: (root / "status.json").exists(), what="agent start")
            drop(inst.full(1, pages=40), root / "inbox")
            wait_for(lambda: (served_corte(root / "current") or (0,))[0] == 1, what="corte 1 live")
            fillers = fill(disk)
            top_up(root / "journal.jsonl")
            wait_for(lambda: any(b"journal-unwritable" in line for line in said), what="the agent saying so")
            assert agent.poll() is None and served_corte(root / "current")[0] == 1
            free(fillers)
            drop(inst.delta(2, pages=40), root / "inbox")
            wait_for(lambda: (served_corte(root / "current") or (0,))[0] == 2, what="corte 2 live")
        finally:
            free(fillers)
            stop_agent(agent)
            reader.join(timeout=10)
        assert agent.returncode == 0, b"".join(said).decode()
        events = [e["event"] for e in read_jsonl(root / "journal.jsonl")]
        first, second = (i for i, e in enumerate(events) if e == "activated")
        # what the disk refused meanwhile was kept and written, in its place
        assert any(e.endswith("-incident") or e == "disk" for e in events[first:second]), events
