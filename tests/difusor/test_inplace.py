"""Uploads written in place (an uploader with neither a temporary name nor a marker, the default
configuration): such a package is taken only once it stood still for `quiet_seconds`; and one taken too
early anyway, refused as truncated, is looked at again once its archived copy (the same inode) has grown."""

from __future__ import annotations

import dataclasses
import os
from datetime import timedelta

from difusor.kit import T0, Institute, drop, make_config, served_corte
from pregon.times import ManualClock
from pregon.difusor import inbox as inbox_mod
from pregon.difusor.pipeline import Receiver


def receiver(tmp_path, inst, **kw):
    cfg = dataclasses.replace(make_config(tmp_path / "d", inst), **kw)
    r = Receiver(cfg, clock=ManualClock(T0 + timedelta(hours=1)), durable=False, check_clock=False)
    r.start()
    return cfg, r


def test_a_package_written_in_place_waits_for_quiet(tmp_path, monkeypatch):
    inst = Institute(tmp_path / "inst")
    data = inst.full(1).read_bytes()
    cfg, r = receiver(tmp_path, inst, quiet_seconds=30)
    target = cfg.inbox / "MOR-2024-000001-full.tar.gz"
    with open(target, "wb") as f:  # the writer has written half and is still at it
        f.write(data[: len(data) // 2])
        f.flush()
        assert r.scan_inbox() == []  # not taken: ctime == mtime, and not quiet yet
        f.write(data[len(data) // 2:])
    assert r.scan_inbox() == []  # finished, but a writer in place may still come back: wait the quiet period
    real = inbox_mod.time.time
    monkeypatch.setattr(inbox_mod.time, "time", lambda: real() + 31)
    (outcome,) = r.scan_inbox()
    assert outcome.verdict == "accepted" and served_corte(cfg.current)[0] == 1


def test_a_rename_into_place_is_taken_at_once(tmp_path):
    inst = Institute(tmp_path / "inst")
    cfg, r = receiver(tmp_path, inst, quiet_seconds=3600)
    drop(inst.full(1), cfg.inbox)  # rsync/sftp: temporary name, then rename(2)
    (outcome,) = r.scan_inbox()
    assert outcome.verdict == "accepted"


def test_a_package_taken_too_early_is_reexamined_when_complete(tmp_path):
    inst = Institute(tmp_path / "inst")
    data = inst.full(1).read_bytes()
    cfg, r = receiver(tmp_path, inst, quiet_seconds=0)  # as every receiver did before: take it at once
    target = cfg.inbox / "MOR-2024-000001-full.tar.gz"
    with open(target, "wb") as writer:
        writer.write(data[: len(data) // 3])
        writer.flush()
        (first,) = r.scan_inbox()
        assert first.verdict == "refused" and first.reason == "truncated"
        assert not target.exists()  # moved into the archive: the writer's descriptor now writes there
        writer.write(data[len(data) // 3:])
    archived = cfg.archive / first.archive
    assert archived.read_bytes() == data
    r.tick()
    v = r.read_verdict(archived)
    assert v["verdict"] == "accepted" and v["size"] == len(data) and v["reexamined_from"] == len(data) // 3
    assert served_corte(cfg.current)[0] == 1
    events = [e["event"] for e in map(__import__("json").loads, cfg.journal.read_text().splitlines())]
    assert events.index("reexamined") < len(events) - 1 and "refused" in events
    r.tick()  # nothing more to look at
    assert r.read_verdict(archived)["verdict"] == "accepted"


def test_a_truncated_package_that_never_grows_stays_refused(tmp_path):
    inst = Institute(tmp_path / "inst")
    data = inst.full(1).read_bytes()
    cfg, r = receiver(tmp_path, inst, quiet_seconds=0)
    (cfg.inbox / "p.tar.gz").write_bytes(data[:500])
    (first,) = r.scan_inbox()
    assert first.reason == "truncated"
    for _ in range(3):
        r.tick()
    assert r.read_verdict(cfg.archive / first.archive)["verdict"] == "refused"
    assert os.path.getsize(cfg.archive / first.archive) == 500


def test_a_modification_time_from_a_clock_ahead_still_settles(tmp_path, monkeypatch):
    """rsync --times from an uploader whose clock runs an hour ahead: the quiet period counts from the change
    time the kernel set, not from the modification time the uploader chose."""
    inst = Institute(tmp_path / "inst")
    cfg, r = receiver(tmp_path, inst, quiet_seconds=30)
    target = cfg.inbox / "MOR-2024-000001-full.tar.gz"
    target.write_bytes(inst.full(1).read_bytes())
    ahead = target.stat().st_mtime + 3600
    os.utime(target, (ahead, ahead))  # mtime now past ctime: not told as a rename
    assert r.scan_inbox() == []
    real = inbox_mod.time.time
    monkeypatch.setattr(inbox_mod.time, "time", lambda: real() + 31)
    (outcome,) = r.scan_inbox()
    assert outcome.verdict == "accepted"
