"""Cortes from the PREP system an institute already runs (`[source]` kind database or site): drops taken only
when complete, in order; an older or malformed drop refused and journaled, the last good corte still
published; a site published unmodified, the list of difusores beside it; a database recounted first."""

from __future__ import annotations

import asyncio
import copy
import io
import json
import tarfile
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from instituto.kit import START
from pregon import durable
from pregon.errors import InputError
from pregon.instituto import drops
from pregon.instituto import packages as pk
from pregon.instituto.config import config_from_dict, load_config
from pregon.instituto.scheduler import Scheduler
from pregon.package import keys as keys_mod
from pregon.times import ManualClock
from realdata import QROO, SONORA, real

MX = timezone(timedelta(hours=-6))
LATE = START + timedelta(hours=2)  # the institute looks at its drop directory after they were all made


def vendor_site(n: int, when: datetime) -> dict[str, bytes]:
    """A publication made by some other PREP system: its own pages, its own main.json, no pregon files."""
    pages = {
        "index.html": f"<!DOCTYPE html><html lang=es><title>PREP</title><h1>Corte {n}</h1>"
                      f"<p>{when:%d/%m/%Y %H:%M}</p><a href=distritos/1.html>D1</a>".encode(),
        "json/main.json": json.dumps({"sistema": "PREP-Vendor 4.2", "corte": {"numero": n, "fecha": when.isoformat()},
                                      "avance": {"actas": 100 * n}}).encode(),
        "css/prep.css": b"body{font-family:sans-serif}",
        "img/logo.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    }
    for d in range(1, 4):
        pages[f"distritos/{d}.html"] = f"<html><p>Distrito {d}, corte {n}: {n * d * 7} votos</p></html>".encode()
    return pages


def write_dir(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def zipped(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, data in files.items():
            zf.writestr(rel, data)
    return buf.getvalue()


def tarred(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for rel, data in files.items():
            info = tarfile.TarInfo(rel)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def institute(root: Path, kind: str, extra: str = "", *, ssh_key: Path | None = None) -> Path:
    """An institute whose cortes are drops in `entregas/` (its keys, registry and pull directory)."""
    root.mkdir(parents=True, exist_ok=True)
    keys_mod.write_keypair(root / "keys", keys_mod.generate())
    (root / "entregas").mkdir()
    cfg = root / "instituto.toml"
    cfg.write_text(
        f'[instituto]\nname = "IEPC"\nwork = "work"\nregistry = "difusores"\npull_dir = "publicado"\n'
        f'key = "keys/pregon.key"\nelection = "PREP-2024"\n' + (f'ssh_key = "{ssh_key}"\n' if ssh_key else "")
        + f'\n[schedule]\nstart = "{START.isoformat()}"\nfull_every = 3\n'
        f'\n[monitor]\nlag_limit_seconds = 60\nsample_pages = 6\ntimeout_seconds = 5\n'
        f'\n[source]\nkind = "{kind}"\ndir = "entregas"\npoll_seconds = 1\n{extra}')
    return cfg


def run(cfg, clock) -> int:
    """Scan the drops a few times (the clock stands after every drop's instant), then stop."""
    cfg = copy.copy(cfg)
    cfg.end, cfg.cadence = clock.now() + timedelta(seconds=3), timedelta(seconds=1)
    return asyncio.run(Scheduler(cfg, clock).run())


def journal(cfg) -> list[dict]:
    return durable.read_jsonl(cfg.journal)


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_site_drops_published_unmodified_in_order(tmp_path):
    cfg = load_config(institute(tmp_path / "inst", "site"))
    clock = ManualClock(LATE)
    drop_dir = cfg.cortes.dir
    first = vendor_site(1, START)
    write_dir(drop_dir / "corte-0001", first)
    assert run(cfg, clock) == 1
    official = cfg.work / "official"
    assert files_of(official) == first  # byte for byte, nothing of pregon's inside
    rec = pk.published(cfg.work)[-1]
    assert (rec.corte_sequence, rec.corte_instant, rec.kind) == (1, START.isoformat(), "full")
    listed = (cfg.pull_dir / "difusores" / "index.html").read_text()
    assert "Difusores oficiales" in listed and START.isoformat() in listed  # beside the site, not in it

    # a zip and a tar.gz: deltas; the monitor's main file decides nothing of the corte numbering
    second, third = vendor_site(2, START + timedelta(minutes=15)), vendor_site(3, START + timedelta(minutes=30))
    (drop_dir / "corte-0002.zip").write_bytes(zipped(second))
    (drop_dir / "corte-0003.tar.gz").write_bytes(tarred(third))
    assert run(cfg, clock) == 2
    assert files_of(official) == third
    assert [r.kind for r in pk.published(cfg.work)] == ["full", "delta", "delta"]

    # an older corte: refused, journaled, the last good corte stays
    write_dir(drop_dir / "corte-0004-reenvio", vendor_site(9, START + timedelta(minutes=5)))
    assert run(cfg, clock) == 0
    refused = [e for e in journal(cfg) if e["event"] == "drop-refused"]
    assert refused[-1]["drop"] == "corte-0004-reenvio" and refused[-1]["reason"] == "older"
    assert files_of(official) == third


def test_half_copied_drop_is_refused_then_taken_when_complete(tmp_path):
    cfg = load_config(institute(tmp_path / "inst", "site"))
    clock = ManualClock(LATE)
    full = zipped(vendor_site(1, START))
    drop = cfg.cortes.dir / "corte-0001.zip"
    (cfg.cortes.dir / ".corte-0001.zip.part").write_bytes(full[:100])  # in progress: not even looked at
    assert run(cfg, clock) == 0
    assert not [e for e in journal(cfg) if e["event"] == "drop-refused"]
    drop.write_bytes(full[: len(full) // 2])  # copied in place under its final name, not finished yet
    assert run(cfg, clock) == 0
    (refused,) = [e for e in journal(cfg) if e["event"] == "drop-refused"]
    assert refused["drop"] == "corte-0001.zip" and refused["reason"] == "malformed"
    assert "damaged or incomplete" in refused["detail"]
    assert not (cfg.work / "official").exists()
    assert run(cfg, clock) == 0 and len([e for e in journal(cfg) if e["event"] == "drop-refused"]) == 1
    drop.write_bytes(full)  # the copy finishes: the changed drop is looked at again
    assert run(cfg, clock) == 1
    assert files_of(cfg.work / "official") == vendor_site(1, START)


def test_marker_mode_waits_for_the_marker(tmp_path):
    cfg = load_config(institute(tmp_path / "inst", "site", 'ready = "marker"\nmarker = ".listo"\n'))
    write_dir(cfg.cortes.dir / "c1", vendor_site(1, START))
    assert drops.scan(cfg.cortes) == []
    (cfg.cortes.dir / "c1.listo").write_text("")
    assert [d.name for d in drops.scan(cfg.cortes)] == ["c1"]


def test_instant_from_the_name_or_a_local_field(tmp_path):
    src = config_from_dict({"source": {"kind": "site", "dir": str(tmp_path), "instant": "name",
                                       "instant_pattern": "%Y%m%d_%H%M"}}, base=tmp_path).cortes
    d = drops.Drop("PREP_20240602_2315_sitio.zip", tmp_path / "x", 1, 1)
    assert drops.instant_of(d, None, src).isoformat() == "2024-06-02T23:15:00-06:00"
    with pytest.raises(drops.DropRefused, match="no corte instant in the name"):
        drops.instant_of(drops.Drop("sitio.zip", tmp_path, 1, 1), None, src)
    site = write_dir(tmp_path / "s", {"datos/corte.json": json.dumps({"a": {"b": "02/06/2024 23:30"}}).encode()})
    src2 = config_from_dict({"source": {"kind": "site", "dir": str(tmp_path), "instant_file": "datos/corte.json",
                                        "instant_field": "a.b"}}, base=tmp_path).cortes
    assert drops.instant_of(d, site, src2).isoformat() == "2024-06-02T23:30:00-06:00"


@pytest.mark.parametrize("member", ["../fuera.html", "/etc/passwd.html", "a/../../b.html"])
def test_unsafe_archives_are_refused(tmp_path, member):
    data = zipped({"index.html": b"<html>", member: b"x"})
    (tmp_path / "d.zip").write_bytes(data)
    drop = drops.Drop("d.zip", tmp_path / "d.zip", len(data), 0)
    with pytest.raises(drops.DropRefused) as exc:
        drops.materialize(drop, tmp_path / "out")
    assert exc.value.reason == "unsafe" and not (tmp_path / "out").exists()
    assert not (tmp_path / "fuera.html").exists()


def test_links_in_a_site_are_refused(tmp_path):
    site = write_dir(tmp_path / "s", {"index.html": b"<html>"})
    (site / "secreto.html").symlink_to("/etc/hostname")
    with pytest.raises(drops.DropRefused, match="not a regular file"):
        drops.materialize(drops.Drop("s", site, 1, 1), tmp_path / "out")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("index.html")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tf.addfile(info)
    (tmp_path / "l.tar.gz").write_bytes(buf.getvalue())
    with pytest.raises(drops.DropRefused, match="not a file or directory"):
        drops.materialize(drops.Drop("l.tar.gz", tmp_path / "l.tar.gz", 1, 1), tmp_path / "out2")


def test_database_drops_are_recounted_before_publication(tmp_path):
    cfg = load_config(institute(tmp_path / "inst", "database"))
    clock = ManualClock(datetime(2019, 6, 3, 6, 0, tzinfo=timezone(timedelta(hours=-5))))
    cfg.start = None
    bad = cfg.cortes.dir / "20210607_1319_PREP_DIP_LOC_SON.csv"
    bad.write_bytes(real(SONORA["DIP_LOC"]).read_bytes())  # its header disagrees with its rows
    assert run(cfg, clock) == 0
    (refused,) = [e for e in journal(cfg) if e["event"] == "drop-refused"]
    assert refused["reason"] == "recount" and "TOTAL_VOTOS_C_CS" in refused["detail"]
    assert not (cfg.work / "official").exists()  # never published
    bad.unlink()
    (cfg.cortes.dir / "zz-20190603_0547_PREP_DIP_QROO.zip").write_bytes(real(QROO).read_bytes())
    assert run(cfg, clock) == 1
    main = json.loads((cfg.work / "official" / "json" / "main.json").read_bytes())
    assert main["corte"]["instante"] == "2019-06-03T05:47:00-05:00"
    assert main["elecciones"][0]["avance"]["actas_contabilizadas"] == 2031
    assert (cfg.work / "official" / "difusores" / "index.html").exists()  # pregon's own site: the list inside
    assert pk.published(cfg.work)[-1].election == "PREP-2024"


def test_source_config_errors_are_one_line(tmp_path):
    for table, message in [({"kind": "ftp"}, "kind: expected one of 'feed', 'database', 'site', got 'ftp'"),
                           ({"kind": "site"}, "needs dir"),
                           ({"kind": "site", "dir": "x", "ready": "soon"}, "ready: expected one of 'rename', 'marker'"),
                           ({"kind": "site", "dir": "x", "timezone": "Marte/Olympus"}, "not a time zone"),
                           ({"kind": "site", "dir": "x", "main": "../etc/x"}, "inside the site"),
                           ({"kind": "site", "dir": "x", "poll_seconds": "rápido"}, "expected a number"),
                           ({"kind": "site", "dir": "x", "hora": 1}, "unknown key 'hora'")]:
        with pytest.raises(InputError) as exc:
            config_from_dict({"source": table}, base=tmp_path)
        assert message in str(exc.value) and "\n" not in str(exc.value)
