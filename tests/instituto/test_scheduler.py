"""The scheduler on an injected clock: cadence, full every K cuts with deltas between, retries and journal
of failed cuts, skipped cuts, resume after restart, pull publication, and a difusor receiving it all."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest

from instituto.kit import START, difusor, institute, load, public_key, receiver_config, simulate
from pregon import durable
from pregon.cli import main
from pregon.difusor.pipeline import Receiver
from pregon.instituto import packages as pk
from pregon.instituto import pull
from pregon.instituto.registry import Registry
from pregon.instituto.scheduler import Scheduler, cut_instants
from pregon.times import AcceleratedClock, ManualClock


@pytest.fixture(scope="module")
def feed(tmp_path_factory):
    return simulate(tmp_path_factory.mktemp("feed") / "morelos")


def events(cfg, name=None):
    es = durable.read_jsonl(cfg.journal)
    return [e for e in es if name is None or e["event"] == name]


def test_cut_instants_cadence_and_final():
    end = START + timedelta(minutes=40)
    got = list(cut_instants(START, end, timedelta(minutes=15)))
    assert [(k, t - START, f) for k, t, f in got] == [
        (1, timedelta(0), False), (2, timedelta(minutes=15), False), (3, timedelta(minutes=30), False),
        (4, timedelta(minutes=40), True)]


def test_accelerated_clock_runs_faster():
    c = AcceleratedClock(START, speed=3600)
    t = START + timedelta(minutes=15)
    asyncio.run(c.sleep_until(t))
    assert c.now() >= t


def test_cuts_packages_pull_and_receiver(feed, tmp_path, ssh_server):
    cfg_path = institute(tmp_path / "inst", feed, full_every=3, ssh_key=ssh_server.client_key)
    cfg = load(cfg_path)
    rcfg = receiver_config(tmp_path / "dif", "medio", public_key(cfg_path))
    rcfg.inbox.mkdir(parents=True)
    reg = Registry(cfg.registry)
    reg.add(difusor("medio", method="sftp", ssh=ssh_server, inbox=rcfg.inbox, nombre="Medio Uno"))
    reg.add(difusor("jalador", nombre="Jalador"))  # pull: nothing is pushed to it
    clock = ManualClock(START)
    sched = Scheduler(cfg, clock)
    real_cut = sched.cut
    calls = {"n": 0}

    def flaky(k, instant, final=False):
        calls["n"] += 1
        if k == 2 and calls["n"] == 2:
            raise OSError("feed temporarily unreadable")  # first attempt at cut 2 fails
        return real_cut(k, instant, final)

    sched.cut = flaky
    assert asyncio.run(sched.run(max_cuts=5)) == 5
    recs = pk.published(cfg.work)
    assert [(r.sequence, r.kind, r.corte_sequence, r.base_sequence) for r in recs] == [
        (1, "full", 1, None), (2, "delta", 2, 1), (3, "delta", 3, 2), (4, "full", 4, None), (5, "delta", 5, 4)]
    assert [datetime_of(r.corte_instant) - START for r in recs] == [timedelta(minutes=15 * i) for i in range(5)]
    failed = events(cfg, "cut-failed")
    assert len(failed) == 1 and failed[0]["cut"] == 2 and "unreadable" in failed[0]["error"]
    assert [e["cut"] for e in events(cfg, "cut")] == [1, 2, 3, 4, 5]
    assert clock.now() == START + timedelta(minutes=60)  # the retry waited on the clock, not on real time
    # the official site and the public list
    official = cfg.work / "official"
    main_json = json.loads((official / "json" / "main.json").read_text())
    assert main_json["corte"]["secuencia"] == 5
    page = (official / "difusores" / "index.html").read_text()
    assert "Medio Uno" in page and "Jalador" in page
    # pull: signed index of the latest full and what follows
    idx = pull.verify_index((cfg.pull_dir / "index.json").read_bytes(),
                            (cfg.pull_dir / "index.json.minisig").read_bytes(), [public_key(cfg_path)])
    assert idx["latest"] == 5 and [e["sequence"] for e in idx["packages"]] == [4, 5]
    for e in idx["packages"]:
        assert durable.sha256_file(cfg.pull_dir / e["file"])[1] == e["sha256"]
    # push: the sftp difusor got the chain and its receiver applies it, ending on cut 5
    deliveries = durable.read_jsonl(cfg.deliveries)
    assert {e["difusor"] for e in deliveries} == {"medio"}
    assert all(e["result"] == "ok" for e in deliveries)
    rx = Receiver(rcfg, clock=lambda: START + timedelta(hours=2), check_clock=False)
    rx.start()
    rx.scan_inbox()
    assert rx.state().sequence == 5
    served = json.loads((rcfg.current / "json" / "main.json").read_text())
    assert served == main_json
    # restart: resumes after cut 5, does not redo earlier cuts
    sched2 = Scheduler(load(cfg_path), clock)
    assert asyncio.run(sched2.run(max_cuts=1)) == 1
    assert [r.corte_sequence for r in pk.published(cfg.work)][-1] == 6


def datetime_of(s):
    from datetime import datetime

    return datetime.fromisoformat(s)


def test_failed_cut_is_abandoned_loudly_and_late_cuts_are_skipped(feed, tmp_path):
    cfg = load(institute(tmp_path / "inst", feed))
    clock = ManualClock(START + timedelta(minutes=50))  # the institute starts late: cuts 1-3 are overdue
    sched = Scheduler(cfg, clock)
    real_cut = sched.cut

    def broken(k, instant, final=False):
        if k == 5:
            raise ValueError("corrupt acta line 12")
        return real_cut(k, instant, final)

    sched.cut = broken
    assert asyncio.run(sched.run(max_cuts=6)) == 2
    assert [e["cut"] for e in events(cfg, "cut-skipped")] == [1, 2, 3]
    assert [e["attempt"] for e in events(cfg, "cut-failed")] == [1, 2, 3]
    (abandoned,) = events(cfg, "cut-abandoned")
    assert abandoned["cut"] == 5
    assert [e["cut"] for e in events(cfg, "cut")] == [4, 6]
    recs = pk.published(cfg.work)
    assert [(r.corte_sequence, r.kind) for r in recs] == [(4, "full"), (6, "delta")]
    assert recs[1].base_sequence == recs[0].sequence


def test_run_cli_bad_config_is_one_line(tmp_path, capsys):
    bad = tmp_path / "instituto.toml"
    bad.write_text('[schedule]\ncadence_minutes = "quince"\n')
    assert main(["instituto", "run", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "cadence_minutes" in err and len(err.strip().splitlines()) == 1
    bad.write_text('[schedule]\nstart = "2024-06-02T20:00"\n')
    assert main(["instituto", "run", "--config", str(bad)]) == 2
    assert "no UTC offset" in capsys.readouterr().err
    bad.write_text('[instituto]\nfeed = "x"\nkey = "k"\n[schedule]\nstart = 2024-06-02T20:00:00-06:00\nbogus = 1\n')
    assert main(["instituto", "run", "--config", str(bad)]) == 2
    assert "unknown key 'bogus'" in capsys.readouterr().err
    bad.write_text('[schedule]\nstart = 2024-06-02T20:00:00-06:00\n')
    assert main(["instituto", "run", "--config", str(bad)]) == 2
    assert "feed is required" in capsys.readouterr().err


def test_block_unblock_notices_and_full_resync(feed, tmp_path, capsys):
    cfg_path = institute(tmp_path / "inst", feed, full_every=10)
    cfg = load(cfg_path)
    reg = Registry(cfg.registry)
    reg.add(difusor("uno", nombre="Uno"))
    reg.add(difusor("dos", nombre="Dos"))
    clock = ManualClock(START)
    assert asyncio.run(Scheduler(cfg, clock).run(max_cuts=2)) == 2
    at = (clock.now() + timedelta(minutes=1)).isoformat()
    assert main(["instituto", "difusores", "block", "dos", "--config", str(cfg_path), "--reason", "prueba",
                 "--at", at, "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["notice_sequence"] == 3 and res["deliveries"] == []  # a pull difusor: nothing pushed
    idx = json.loads((cfg.pull_dir / "index.json").read_bytes())
    notice = [e for e in idx["packages"] if e["kind"] == "notice"]
    assert notice == [{**notice[0], "sequence": 3, "to": ["dos"]}]
    from pregon.package.verify import read_unverified

    m, _, _ = read_unverified(cfg.packages / notice[0]["file"].split("/")[-1])
    assert m.notice.type == "not-official" and m.notice.to == ("dos",)
    assert m.notice.message.startswith("Dos ya no es difusor oficial del PREP")
    assert main(["instituto", "difusores", "list", "--config", str(cfg_path), "--json"]) == 0
    assert [d["id"] for d in json.loads(capsys.readouterr().out)] == ["uno"]
    assert main(["instituto", "difusores", "block", "dos", "--config", str(cfg_path), "--reason", "x"]) == 2
    assert "already blocked" in capsys.readouterr().err
    assert main(["instituto", "difusores", "unblock", "dos", "--config", str(cfg_path), "--at", at]) == 0
    capsys.readouterr()
    # the next cut is full (the unblocked difusor's tree is behind its notices), then deltas again
    assert asyncio.run(Scheduler(cfg, clock).run(max_cuts=2)) == 2
    recs = pk.published(cfg.work)
    assert [(r.sequence, r.kind) for r in recs] == [(1, "full"), (2, "delta"), (3, "notice"), (4, "notice"),
                                                   (5, "full"), (6, "delta")]
    assert recs[3].notice_type == "clear"
    assert [e["event"] for e in events(cfg) if e["event"] in ("blocked", "unblocked")] == ["blocked", "unblocked"]


def test_run_cli_accelerated_drill(feed, tmp_path, capsys):
    cfg_path = institute(tmp_path / "inst", feed)
    assert main(["instituto", "run", "--config", str(cfg_path), "--max-cuts", "2", "--speed", "100000",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    cfg = load(cfg_path)
    made, skipped = events(cfg, "cut"), events(cfg, "cut-skipped")
    # at 100000x a cut takes virtual hours, so the second slot may already be overtaken by the third:
    # either way every slot is accounted for, never silently dropped
    assert out["cuts"] == len(made) and len(made) + len(skipped) == 2
    assert made[0]["cut"] == 1 and made[0]["instant"] == START.isoformat() and made[0]["kind"] == "full"
    assert [r.corte_sequence for r in pk.published(cfg.work)] == [e["cut"] for e in made]
    (start,) = events(cfg, "started")
    assert start["time"].startswith("2024-06-03")  # the journal speaks virtual time, not today's date


@pytest.mark.parametrize("delta_format", [1, 2])
def test_deltas_chain_on_the_kept_tree_listing(feed, tmp_path, monkeypatch, delta_format):
    """Each delta's base is the tree listing of the package before it (work/trees/<tree>.list), not its
    manifest (a format-2 delta's lists only changes), and its site is not walked (the render's report of what
    it changed is read instead); the result is the same package the site would give, and `delta_format` picks
    the manifest's format."""
    from pregon.package import build as package_build
    from pregon.package import build_package, load_secret_key, read_unverified

    scans = []
    scan = package_build.scan_site
    monkeypatch.setattr(package_build, "scan_site", lambda site, *a, **kw: scans.append(site) or scan(site, *a, **kw))

    cfg_path = institute(tmp_path / "inst", feed, full_every=8)
    cfg_path.write_text(cfg_path.read_text().replace("full_every = 8\n",
                                                     f"full_every = 8\ndelta_format = {delta_format}\n"))
    cfg = load(cfg_path)
    sched = Scheduler(cfg, ManualClock(START))
    assert asyncio.run(sched.run(max_cuts=3)) == 3
    recs = pk.published(cfg.work)
    assert [r.kind for r in recs] == ["full", "delta", "delta"]
    manifests = [read_unverified(r.file)[0] for r in recs]
    assert [m.format for m in manifests] == ["pregon-package/1"] + [f"pregon-package/{delta_format}"] * 2
    listings = sorted(p.name for p in (cfg.work / "trees").iterdir())
    assert listings == sorted(f"{m.tree}.list" for m in manifests[1:])  # the last two: current and previous
    assert [Path(p).name for p in scans] == [Path(recs[0].site).name]  # only the full package's site was walked
    # the last delta again, from the second cut's site: the same bytes as from its listing
    again = tmp_path / "again.tar.gz"
    build_package(recs[2].site, key=load_secret_key(cfg.key), sequence=recs[2].sequence, out=again,
                  base=recs[1].site, base_sequence=recs[1].sequence, election=recs[2].election, issuer=cfg.name,
                  instant=datetime_of(recs[2].corte_instant), corte_sequence=3, ttl=cfg.ttl,
                  delta_format=delta_format)
    assert again.read_bytes() == open(recs[2].file, "rb").read()
