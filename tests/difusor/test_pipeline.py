"""The receiver in-process with an injected clock: go live, refuse bad packages, window, notices, status."""

from __future__ import annotations

import gzip
import struct
import zlib
import json
import os
from datetime import datetime, timedelta

import pytest

from difusor.kit import T0, Institute, drop, make_config, served_corte
from pregon.times import ManualClock
from pregon.durable import read_jsonl
from pregon.difusor.pipeline import Receiver
from pregon.package import keys as keys_mod


def regzip(data: bytes) -> bytes:
    """gzip with the exact header the package format fixes (MTIME 0, XFL 0, OS 255), so only the
    tampered tar bytes differ."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = c.compress(data) + c.flush()
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + body
            + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF))


@pytest.fixture
def setup(tmp_path):
    inst = Institute(tmp_path / "inst")
    clock = ManualClock(T0 + timedelta(hours=1))
    cfg = make_config(tmp_path / "difusor", inst)
    r = Receiver(cfg, clock=clock, durable=False, check_clock=False)
    r.start()
    return inst, cfg, r, clock


def events(cfg):
    return [e["event"] for e in read_jsonl(cfg.journal)]


def test_full_then_delta_go_live_and_hard_link(setup):
    inst, cfg, r, clock = setup
    assert r.status()["published"] == "placeholder"
    drop(inst.full(1), cfg.inbox)
    [out] = r.scan_inbox()
    assert out.verdict == "accepted" and out.activated and out.sequence == 1
    assert served_corte(cfg.current)[0] == 1
    first = cfg.current.resolve()
    drop(inst.delta(2), cfg.inbox)
    [out] = r.scan_inbox()
    assert out.verdict == "accepted" and out.kind == "delta"
    assert served_corte(cfg.current)[0] == 2
    second = cfg.current.resolve()
    assert first != second and first.is_dir()  # the old release is kept
    # the unchanged file is one inode in both releases
    assert os.stat(first / "csv/catalogo.csv").st_ino == os.stat(second / "csv/catalogo.csv").st_ino
    assert not list(cfg.inbox.iterdir())
    archived = r.archived_packages()
    assert len(archived) == 2 and all(r.read_verdict(p)["verdict"] == "accepted" for p in archived)
    st = json.loads(cfg.status.read_text())
    assert st["sequence"] == 2 and st["corte"]["sequence"] == 2 and st["published"] == "corte"
    assert events(cfg).count("activated") == 2
    assert r.state().tree_sequence == 2


def test_deltas_are_staged_over_the_release_before_the_live_one(setup):
    """Recycling (pipeline._recycle): each delta's release is the directory of the corte two back, patched;
    the releases on disk stay two or three however long the night; every cut serves its own tree."""
    inst, cfg, r, clock = setup
    drop(inst.full(1), cfg.inbox)
    r.scan_inbox()
    dirs = {}
    for seq in range(2, 8):
        clock.set(inst.instant(seq) + timedelta(minutes=1))
        drop(inst.delta(seq), cfg.inbox)
        [out] = r.scan_inbox()
        assert out.verdict == "accepted" and out.kind == "delta", out
        live = cfg.current.resolve()
        assert served_corte(cfg.current)[0] == seq
        dirs[seq] = os.stat(live).st_ino
        cortes = [p for p in cfg.releases.iterdir() if p.is_dir() and p.name[:1].isdigit()]
        assert len(cortes) <= 3, sorted(p.name for p in cortes)
        assert (cfg.releases / ".arboles" / f"{live.name}.gz").is_file()
    # from cut 3 on, a delta's release is the directory (the same inode) of the cut two before it
    assert dirs[5] == dirs[3] and dirs[7] == dirs[5] and dirs[6] == dirs[4]
    assert not any(p.name.startswith(".staging-") for p in cfg.releases.iterdir())


def test_without_recycling_every_release_is_built_from_nothing(setup):
    inst, cfg, r, clock = setup
    cfg.recycle = False
    drop(inst.full(1), cfg.inbox)
    r.scan_inbox()
    for seq in range(2, 5):
        clock.set(inst.instant(seq) + timedelta(minutes=1))
        drop(inst.delta(seq), cfg.inbox)
        [out] = r.scan_inbox()
        assert out.verdict == "accepted"
    cortes = [p for p in cfg.releases.iterdir() if p.is_dir() and p.name[:1].isdigit()]
    assert len(cortes) == 4 and served_corte(cfg.current)[0] == 4


def test_a_notice_leaves_the_releases_as_they_were(setup):
    inst, cfg, r, clock = setup
    for seq in (1, 2):
        drop(inst.full(1) if seq == 1 else inst.delta(2), cfg.inbox)
        r.scan_inbox()
    before = sorted(p.name for p in cfg.releases.iterdir())
    drop(inst.notice("message", "Aviso del instituto"), cfg.inbox)
    [out] = r.scan_inbox()
    assert out.verdict == "accepted"
    assert sorted(p.name for p in cfg.releases.iterdir()) == before  # a notice recycles nothing
    clock.set(inst.instant(4) + timedelta(minutes=1))
    drop(inst.delta(4), cfg.inbox)
    [out] = r.scan_inbox()
    assert out.verdict == "accepted" and served_corte(cfg.current)[0] == 4


def _refused(r, cfg, path, reason):
    drop(path, cfg.inbox)
    [out] = r.scan_inbox()
    assert out.verdict == "refused", out
    assert out.reason == reason, out
    entry = [e for e in read_jsonl(cfg.journal) if e["event"] == "refused"][-1]
    assert entry["reason"] == reason
    assert r.read_verdict(cfg.archive / out.archive)["reason"] == reason
    return out


def test_bad_packages_are_refused_and_journaled_while_old_cut_serves(setup, tmp_path):
    inst, cfg, r, clock = setup
    p1 = inst.full(1)
    drop(p1, cfg.inbox)
    r.scan_inbox()
    live = cfg.current.resolve()

    # tampered: one byte of the site changed inside the archive
    p2 = inst.full(2)
    raw = bytearray(gzip.decompress(p2.read_bytes()))
    i = raw.index(b"Corte 2")
    raw[i:i + 7] = b"Corte 9"
    tampered = tmp_path / "tampered.tar.gz"
    tampered.write_bytes(regzip(bytes(raw)))
    _refused(r, cfg, tampered, "hash-mismatch")

    # replayed: sequence 1 again
    _refused(r, cfg, p1, "replay")
    # truncated upload
    trunc = tmp_path / "trunc.tar.gz"
    trunc.write_bytes(p2.read_bytes()[: len(p2.read_bytes()) // 2])
    _refused(r, cfg, trunc, "truncated")
    # expired
    exp = inst.full(3, expires=T0 + timedelta(minutes=50), instant=T0 + timedelta(minutes=40))
    _refused(r, cfg, exp, "expired")
    # signed by a stranger
    other = Institute(tmp_path / "other", key=keys_mod.generate())
    _refused(r, cfg, other.full(5), "unknown-key")
    # another election
    _refused(r, cfg, inst.full(6, election="DGO-2024", name="dgo.tar.gz"), "wrong-election")

    assert cfg.current.resolve() == live and served_corte(cfg.current)[0] == 1
    # every package kept, with its verdict
    verdicts = [r.read_verdict(p)["verdict"] for p in r.archived_packages()]
    assert verdicts.count("refused") == 6 and verdicts.count("accepted") == 1
    assert json.loads(cfg.status.read_text())["last_error"]
    # the genuine package 2 still goes live after all that
    drop(p2, cfg.inbox, name="again.tar.gz")
    [out] = r.scan_inbox()
    assert out.verdict == "accepted" and served_corte(cfg.current)[0] == 2


def test_placeholder_before_window_then_publish_at_start(tmp_path):
    inst = Institute(tmp_path / "inst")
    start = T0 + timedelta(hours=2)
    clock = ManualClock(T0 + timedelta(hours=1))
    cfg = make_config(tmp_path / "d", inst, start=start, end=start + timedelta(days=1))
    r = Receiver(cfg, clock=clock, durable=False, check_clock=False)
    r.start()
    drop(inst.full(1), cfg.inbox)
    [out] = r.scan_inbox()
    assert out.verdict == "accepted" and not out.activated
    page = (cfg.current / "index.html").read_text()
    assert "a partir del" in page and "22:30 h" in page  # T0 is 20:30 -06:00; start 22:30 local
    assert not (cfg.current / "json" / "main.json").exists()
    assert r.status()["published"] == "placeholder"
    clock.t = start
    r.tick()
    assert served_corte(cfg.current)[0] == 1
    # after the end: the last cut stays, later packages are archived but not published
    clock.t = start + timedelta(days=2)
    drop(inst.full(2, expires=start + timedelta(days=5)), cfg.inbox)
    [out] = r.scan_inbox()
    assert out.verdict == "ignored"
    r.tick()
    assert served_corte(cfg.current)[0] == 1


def test_after_keep_until_the_site_gives_way_to_the_official_one(tmp_path):
    """IEM, Chiapas: the last results stay published until the call's date; then the closing page points
    visitors at the institute's official site, and nothing later is published."""
    inst = Institute(tmp_path / "inst")
    start = T0 - timedelta(hours=1)
    clock = ManualClock(T0 + timedelta(hours=1))
    cfg = make_config(tmp_path / "d", inst, start=start, end=start + timedelta(days=1),
                      keep_until=start + timedelta(days=14), official_url="https://prep.iepc-chiapas.org.mx/")
    r = Receiver(cfg, clock=clock, durable=False, check_clock=False)
    r.start()
    drop(inst.full(1, expires=start + timedelta(days=30)), cfg.inbox)
    r.scan_inbox()
    clock.t = start + timedelta(days=13)  # after the end, before keep_until: the last corte is still public
    r.tick()
    assert served_corte(cfg.current)[0] == 1 and r.status()["window"] == "after"
    clock.t = start + timedelta(days=14)
    r.tick()
    page = (cfg.current / "index.html").read_text()
    assert "concluyó" in page and 'href="https://prep.iepc-chiapas.org.mx/"' in page
    assert not (cfg.current / "json" / "main.json").exists()
    assert r.status()["published"] == "closed" and r.status()["window"] == "closed"
    drop(inst.full(2, expires=start + timedelta(days=30)), cfg.inbox)
    assert [o.verdict for o in r.scan_inbox()] == ["ignored"]


def test_withdrawal_notice_replaces_site_and_clear_restores(setup):
    inst, cfg, r, clock = setup
    drop(inst.full(1), cfg.inbox)
    r.scan_inbox()
    drop(inst.notice("withdrawal", "El IMPEPAC retiró a este medio como difusor oficial."), cfg.inbox)
    [out] = r.scan_inbox()
    assert out.verdict == "accepted" and out.kind == "notice"
    assert "retiró a este medio" in (cfg.current / "index.html").read_text()
    assert r.status()["published"] == "notice"
    drop(inst.notice("clear", "fin del aviso"), cfg.inbox)
    r.scan_inbox()
    assert served_corte(cfg.current)[0] == 1
    # a notice addressed to another difusor does not replace this one's site
    drop(inst.notice("withdrawal", "solo para otro", to=["otro-medio"]), cfg.inbox)
    r.scan_inbox()
    assert served_corte(cfg.current)[0] == 1


def test_maintenance_replaces_site_and_message_leaves_it(setup):
    """`maintenance` takes the results down behind the institute's page; `message` never alters the published
    site (it is unmodified by rule) and is offered to the difusor's own pages through status.json."""
    inst, cfg, r, clock = setup
    drop(inst.full(1), cfg.inbox)
    r.scan_inbox()
    drop(inst.notice("message", "Los resultados son preliminares."), cfg.inbox)
    r.scan_inbox()
    assert served_corte(cfg.current)[0] == 1
    assert "preliminares" in str(r.status())
    drop(inst.notice("maintenance", "El PREP está en mantenimiento; vuelva en unos minutos."), cfg.inbox)
    r.scan_inbox()
    page = (cfg.current / "index.html").read_text()
    assert "Sitio en mantenimiento" in page and "vuelva en unos minutos" in page
    drop(inst.notice("clear", "fin"), cfg.inbox)
    r.scan_inbox()
    assert served_corte(cfg.current)[0] == 1


def test_stale_and_partial_uploads(setup):
    inst, cfg, r, clock = setup
    drop(inst.full(1, expires=T0 + timedelta(hours=2)), cfg.inbox)
    # partial uploads are never taken
    (cfg.inbox / ".MOR-2024-000002.tar.gz.Ab12Cd").write_bytes(b"partial")
    (cfg.inbox / "MOR-2024-000003.tar.gz.part").write_bytes(b"partial")
    outs = r.scan_inbox()
    assert [o.sequence for o in outs] == [1]
    assert len(list(cfg.inbox.iterdir())) == 2
    clock.t = T0 + timedelta(hours=3)
    r.tick()
    r.tick()
    assert events(cfg).count("stale") == 1
    assert r.status()["stale"] is True


def test_require_marker(tmp_path):
    inst = Institute(tmp_path / "inst")
    cfg = make_config(tmp_path / "d", inst, require_marker=True)
    r = Receiver(cfg, clock=ManualClock(T0 + timedelta(hours=1)), durable=False, check_clock=False)
    r.start()
    p = inst.full(1)
    (cfg.inbox / p.name).write_bytes(p.read_bytes())
    assert r.scan_inbox() == []
    (cfg.inbox / (p.name + ".ready")).write_text("")
    [out] = r.scan_inbox()
    assert out.verdict == "accepted"
    assert not list(cfg.inbox.iterdir())


def test_unreadable_inbox_and_disk_low_are_incidents(setup):
    inst, cfg, r, clock = setup
    drop(inst.full(1), cfg.inbox)
    r.scan_inbox()
    live = cfg.current.resolve()
    cfg.inbox.rename(cfg.inbox.with_name("inbox-moved"))
    assert r.scan_inbox() == []
    assert "inbox-incident" in events(cfg)
    cfg.inbox.with_name("inbox-moved").rename(cfg.inbox)
    # the disk "fills": a minimum larger than any disk
    drop(inst.delta(2), cfg.inbox)
    cfg.min_free_mb = 1 << 40
    [out] = r.scan_inbox()
    assert out.verdict == "error"
    assert cfg.current.resolve() == live
    assert list(cfg.inbox.iterdir()), "the package stays in the inbox: nothing lost"
    cfg.min_free_mb = 1
    [out] = r.scan_inbox()
    assert out.verdict == "accepted" and served_corte(cfg.current)[0] == 2
    assert "disk" in events(cfg)


def test_embargoed_package_is_held_then_published(setup):
    inst, cfg, r, clock = setup
    from pregon.package.build import build_package
    from difusor.kit import make_site
    site = make_site(inst.work / "s1", 1, T0)
    out_path = inst.work / "emb.tar.gz"
    build_package(site, key=inst.key, sequence=1, out=out_path, not_before=clock.t + timedelta(minutes=10))
    drop(out_path, cfg.inbox)
    [out] = r.scan_inbox()
    assert out.verdict == "held"
    held = r.read_verdict(cfg.archive / out.archive)
    assert datetime.fromisoformat(held["embargo_until"]) == clock.t + timedelta(minutes=10)
    r.tick()
    assert r.status()["published"] == "placeholder"
    clock.t += timedelta(minutes=11)
    r.tick()
    assert served_corte(cfg.current)[0] == 1


def test_embargo_read_from_the_verdict_field_or_an_older_verdict_s_detail():
    from pregon.difusor.verdicts import embargo_over
    until = T0 + timedelta(minutes=10)
    for v in ({"verdict": "held", "embargo_until": until.isoformat()},
              {"verdict": "held", "detail": f"embargoed until {until.isoformat()}"}):  # written before the field
        assert not embargo_over(v, until - timedelta(seconds=1)) and embargo_over(v, until)
    assert embargo_over({"verdict": "held", "detail": "no time here"}, T0)  # unreadable: retried
