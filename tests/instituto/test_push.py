"""Push over SFTP (asyncssh) and rsync (over OpenSSH) into difusor inboxes on a real sshd: host key pinning,
retries with backoff, the delivery log, isolation of a dead difusor, and the receiver taking what arrives."""

from __future__ import annotations

import asyncio
import os
import socket
from datetime import timedelta

import pytest

from toolcheck import require_tool
from instituto.kit import difusor
from instituto.sshkit import keygen
from difusor.kit import T0, Institute, make_config
from pregon import durable
from pregon.difusor.pipeline import Receiver
from pregon.instituto import store
from pregon.instituto.config import PushConfig
from pregon.durable import sha256_file
from pregon.instituto.packages import PackageRecord, pending_for
from pregon.instituto.push import Pusher


def records_for(inst: Institute, n_deltas: int = 2) -> list[PackageRecord]:
    out = []
    paths = [inst.full(1)] + [inst.delta(i) for i in range(2, 2 + n_deltas)]
    for i, p in enumerate(paths, start=1):
        size, digest = sha256_file(p)
        out.append(PackageRecord(sequence=i, kind="full" if i == 1 else "delta", file=str(p), bytes=size,
                                 sha256=digest, published=store.iso(T0), election=inst.election,
                                 corte_sequence=i, base_sequence=None if i == 1 else i - 1))
    return out


class Backoff:
    """Records the backoff waits instead of sleeping."""

    def __init__(self):
        self.waits = []

    async def __call__(self, seconds):
        self.waits.append(seconds)


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: connection refused


@pytest.mark.parametrize("method", ["sftp", "rsync"])
def test_push_delivers_and_receiver_activates(ssh_server, tmp_path, method):
    if method == "rsync":
        require_tool("rsync")
        require_tool("ssh")
    inst = Institute(tmp_path / "inst")
    recs = records_for(inst)
    cfg = make_config(tmp_path / "dif", inst, id="medio")
    cfg.inbox.mkdir(parents=True)
    d = difusor("medio", method=method, ssh=ssh_server, inbox=cfg.inbox)
    log = tmp_path / "deliveries.jsonl"
    pusher = Pusher(PushConfig(timeout_seconds=20, retries=1, backoff_seconds=0.01), ssh_server.client_key, log,
                    tmp_path / "ssh")
    out = asyncio.run(pusher.push_all([d], recs))
    assert [(x.sequence, x.result) for x in out] == [(1, "ok"), (2, "ok"), (3, "ok")]
    assert sorted(os.listdir(cfg.inbox)) == sorted(os.path.basename(r.file) for r in recs)  # no temp names left
    entries = durable.read_jsonl(log)
    assert [(e["difusor"], e["sequence"], e["result"], e["bytes"]) for e in entries] == \
        [("medio", r.sequence, "ok", r.bytes) for r in recs]
    assert all(e["seconds"] >= 0 and e["method"] == method for e in entries)
    # the receiver takes them in order: full, then both deltas
    rx = Receiver(cfg, clock=lambda: T0 + timedelta(hours=2), check_clock=False)
    rx.start()
    outcomes = rx.scan_inbox()
    assert [(o.verdict, o.sequence) for o in outcomes] == [("accepted", 1), ("accepted", 2), ("accepted", 3)]
    assert rx.state().sequence == 3
    # nothing left to send: a second round delivers nothing; a new Pusher remembers from the log
    assert asyncio.run(pusher.push_all([d], recs)) == []
    again = Pusher(PushConfig(), ssh_server.client_key, log, tmp_path / "ssh")
    assert again.last_ok == {"medio": 3} and again.tree_seq == {"medio": 3}


@pytest.mark.parametrize("method", ["sftp", "rsync"])
def test_wrong_pinned_host_key_is_refused(ssh_server, tmp_path, method):
    if method == "rsync":
        require_tool("rsync")
    inst = Institute(tmp_path / "inst")
    recs = records_for(inst, 0)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    other = keygen(tmp_path / "other_host")
    d = difusor("medio", method=method, ssh=ssh_server, inbox=inbox)
    d.transfer.host_key = (tmp_path / "other_host.pub").read_text().strip()
    backoff = Backoff()
    pusher = Pusher(PushConfig(timeout_seconds=20, retries=2, backoff_seconds=0.5), ssh_server.client_key,
                    tmp_path / "log.jsonl", tmp_path / "ssh", sleep=backoff)
    (out,) = asyncio.run(pusher.push_all([d], recs))
    assert out.result == "failed" and out.attempts == 3
    assert "host key" in out.error.lower()
    assert backoff.waits == [0.5, 1.0]  # exponential backoff between the three attempts
    assert os.listdir(inbox) == []
    assert other.exists()


def test_dead_difusor_does_not_stop_the_others(ssh_server, tmp_path):
    inst = Institute(tmp_path / "inst")
    recs = records_for(inst, 1)
    good = []
    for i in range(3):
        inbox = tmp_path / f"inbox{i}"
        inbox.mkdir()
        good.append(difusor(f"ok{i}", method="sftp", ssh=ssh_server, inbox=inbox))
    dead = difusor("caido", method="sftp", ssh=ssh_server, inbox=tmp_path / "x")
    dead.transfer.port = dead_port()
    blackhole = difusor("lento", method="sftp", ssh=ssh_server, inbox=tmp_path / "y")
    # a listener that accepts but never speaks SSH: only the per-attempt timeout ends it
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    blackhole.transfer.port = srv.getsockname()[1]
    backoff = Backoff()
    pusher = Pusher(PushConfig(timeout_seconds=1.0, retries=1, backoff_seconds=0.01), ssh_server.client_key,
                    tmp_path / "log.jsonl", tmp_path / "ssh", sleep=backoff)
    try:
        out = asyncio.run(pusher.push_all([*good, dead, blackhole], recs))
    finally:
        srv.close()
    res = {(x.difusor, x.sequence): x for x in out}
    for i in range(3):
        assert res[(f"ok{i}", 1)].result == "ok" and res[(f"ok{i}", 2)].result == "ok"
        assert sorted(os.listdir(tmp_path / f"inbox{i}")) == sorted(os.path.basename(r.file) for r in recs)
    assert res[("caido", 1)].result == "failed" and "refused" in res[("caido", 1)].error
    assert res[("lento", 1)].result == "failed" and "timed out" in res[("lento", 1)].error
    # a failed package stops that difusor's round (later deltas depend on it) ...
    assert ("caido", 2) not in res and ("lento", 2) not in res
    # ... and the next round starts again from it
    assert [r.sequence for r in pending_for(recs, "caido", pusher.last_ok.get("caido"),
                                            pusher.tree_seq.get("caido"))] == [1, 2]


def rec(seq, kind, base=None, to=()):
    return PackageRecord(sequence=seq, kind=kind, file=f"/p/{seq}", bytes=1, sha256="0" * 64, published="x",
                         election="E", base_sequence=base, to=tuple(to))


def test_pending_for_catch_up_rules():
    recs = [rec(1, "full"), rec(2, "delta", 1), rec(3, "delta", 2), rec(4, "full"), rec(5, "delta", 4),
            rec(6, "notice", to=["otro"]), rec(7, "delta", 5), rec(8, "notice")]
    seqs = lambda *a: [r.sequence for r in pending_for(recs, *a)]  # noqa: E731
    assert seqs("m", None, None) == [4, 5, 7, 8]  # new difusor: latest full onward, not others' notices
    assert seqs("m", 3, 3) == [4, 5, 7, 8]  # up to date chain continues through the full
    assert seqs("m", 2, 2) == [4, 5, 7, 8]  # missed 3: resync from the full
    assert seqs("m", 5, 5) == [7, 8]
    assert seqs("otro", 5, 5) == [6, 7, 8]
    assert seqs("m", 8, 7) == []
    # a difusor that took a notice after its tree went stale must wait for a newer full (no replays)
    assert seqs("m", 8, 2) == []


def test_broken_chain_after_a_notice_asks_for_a_full(tmp_path):
    recs = [rec(1, "full"), rec(2, "delta", 1), rec(3, "notice", to=["m"]), rec(4, "delta", 2)]
    # the difusor holds tree 1 (delta 2 never reached it) but already took notice 3: delta 4 cannot apply,
    # and re-sending 2 would be a replay
    assert pending_for(recs, "m", 3, 1) == []
    log = tmp_path / "deliveries.jsonl"
    durable.append_jsonl(log, {"difusor": "m", "sequence": 1, "kind": "full", "result": "ok"})
    durable.append_jsonl(log, {"difusor": "m", "sequence": 3, "kind": "notice", "result": "ok"})
    pusher = Pusher(PushConfig(), None, log, tmp_path / "ssh", work=tmp_path)
    d = difusor("m", method="sftp", ssh=type("S", (), {"port": 22, "user": "prep", "host_pub_line": "x"}),
                inbox=tmp_path)
    assert asyncio.run(pusher.push_all([d], recs)) == []
    assert asyncio.run(pusher.push_all([d], recs)) == []
    (req,) = durable.read_jsonl(tmp_path / "full-requests.jsonl")  # asked once, not every round
    assert "holds tree 1" in req["reason"]
    # once a full exists above the notice it is what the difusor gets
    recs.append(rec(5, "full"))
    assert [r.sequence for r in pending_for(recs, "m", 3, 1)] == [5]
