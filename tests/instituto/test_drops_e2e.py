"""End to end on loopback, cortes from the institute's own PREP system: drops of a foreign static site and of
real-layout databases go to a difusor over SFTP (a real sshd) and to one that pulls the signed index over
HTTP; each ends serving exactly the drop (site) or the institute's rendering of it (database). The monitor
flags the difusor that alters a page of a site corte, telling the corte by the bytes of the site's own
main.json, since that site numbers its cortes its own way."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import timedelta
from pathlib import Path

from difusor.test_pull import Server
from instituto.kit import START, difusor, public_key
from instituto.test_drops import LATE, files_of, institute, vendor_site, write_dir, zipped
from instituto.test_e2e import Side, monitor
from pregon import durable
from pregon.cli import main
from pregon.difusor.pull import PullConfig, Puller
from pregon.instituto import packages as pk
from pregon.instituto.config import load_config
from pregon.instituto.registry import Registry
from pregon.instituto.scheduler import Scheduler
from pregon.times import ManualClock
from realdata import QROO, real


def publish_drops(cfg, clock) -> int:
    cfg = copy.copy(cfg)
    cfg.end, cfg.cadence = clock.now() + timedelta(seconds=3), timedelta(seconds=1)
    return asyncio.run(Scheduler(cfg, clock).run())


def served(side: Side) -> dict[str, bytes]:
    return files_of(Path(side.cfg.current).resolve())


def two_sides(tmp, cfg_path, ssh_server):
    cfg = load_config(cfg_path)
    pub = tmp / "instituto.pub"
    pub.write_text(public_key(cfg_path).file_text())
    push, puller = Side(tmp / "sftp", "por-sftp", pub), Side(tmp / "pull", "por-pull", pub)
    reg = Registry(cfg.registry)
    reg.add(difusor("por-sftp", method="sftp", ssh=ssh_server, inbox=push.cfg.inbox, port=push.port))
    reg.add(difusor("por-pull", method="pull", port=puller.port))
    return cfg, push, puller


def receive_both(push: Side, pull_side: Side, puller: Puller, now):
    push.receive(now)
    pull_side.now = now
    return pull_side.rx.pull_once(puller)


def test_site_drops_reach_sftp_and_pull_unmodified_and_tampering_is_seen(tmp_path_factory, ssh_server, capsys):
    tmp = tmp_path_factory.mktemp("drops-site")
    cfg_path = institute(tmp / "inst", "site", ssh_key=ssh_server.client_key)
    cfg, push, pull_side = two_sides(tmp, cfg_path, ssh_server)
    clock = ManualClock(LATE)
    cortes = [vendor_site(n, START + timedelta(minutes=15 * (n - 1))) for n in (1, 2)]
    write_dir(cfg.cortes.dir / "corte-0001", cortes[0])
    with Server(cfg.pull_dir, cut_first=False) as http, push.server, pull_side.server:
        puller = Puller(pull_side.cfg, PullConfig(url=f"http://127.0.0.1:{http.port}/index.json", timeout=5))
        assert publish_drops(cfg, clock) == 1
        outs = receive_both(push, pull_side, puller, clock.now() + timedelta(seconds=5))
        assert [o.verdict for o in outs] == ["accepted"]
        assert served(push) == cortes[0] == served(pull_side)  # byte for byte the drop, nothing added
        code, obs = monitor(capsys, cfg_path, clock.now() + timedelta(seconds=10))
        assert code == 0, obs
        assert {k: (o["status"], o["corte_sequence"]) for k, o in obs.items()} == {
            "por-sftp": ("ok", 1), "por-pull": ("ok", 1)}

        (cfg.cortes.dir / "corte-0002.zip").write_bytes(zipped(cortes[1]))
        assert publish_drops(cfg, clock) == 1
        assert pk.published(cfg.work)[-1].kind == "delta"
        receive_both(push, pull_side, puller, clock.now() + timedelta(seconds=5))
        assert served(push) == cortes[1] == served(pull_side)

        page = push.cfg.current / "distritos" / "2.html"  # the SFTP difusor changes one page's figures
        page.unlink()
        page.write_bytes(b"<html><p>Distrito 2, corte 2: 99999 votos</p></html>")
        code, obs = monitor(capsys, cfg_path, clock.now() + timedelta(seconds=20))
        assert code == 1
        assert obs["por-sftp"]["status"] == "tampered" and obs["por-sftp"]["tampered"] == ["distritos/2.html"]
        assert obs["por-sftp"]["corte_sequence"] == 2 and obs["por-pull"]["status"] == "ok"


def test_database_drops_real_and_replayed_reach_both(tmp_path_factory, ssh_server, capsys):
    tmp = tmp_path_factory.mktemp("drops-db")
    cfg_path = institute(tmp / "inst", "database", ssh_key=ssh_server.client_key)
    cfg, push, pull_side = two_sides(tmp, cfg_path, ssh_server)
    cfg.start = None
    # the PREP system's databases of two cortes: 23:00 from a replay of the real night, then the real file
    replay = tmp / "replay"
    assert main(["simulate", "replay", str(real(QROO)), "--out", str(replay)]) == 0
    assert main(["corte", "--election", str(replay), "--at", "2019-06-02T23:00:00-05:00", "--out",
                 str(tmp / "c1")]) == 0
    capsys.readouterr()
    (first,) = (tmp / "c1").iterdir()
    first.rename(cfg.cortes.dir / first.name)
    clock = ManualClock(START.replace(year=2019, month=6, day=3, hour=8))
    with Server(cfg.pull_dir, cut_first=False) as http, push.server, pull_side.server:
        puller = Puller(pull_side.cfg, PullConfig(url=f"http://127.0.0.1:{http.port}/index.json", timeout=5))
        assert publish_drops(cfg, clock) == 1
        receive_both(push, pull_side, puller, clock.now() + timedelta(seconds=5))
        m1 = json.loads((push.cfg.current / "json" / "main.json").read_bytes())
        assert m1["corte"]["instante"] == "2019-06-02T23:00:00-05:00"
        (cfg.cortes.dir / "20190603_0547_PREP_DIP_QROO.zip").write_bytes(real(QROO).read_bytes())
        assert publish_drops(cfg, clock) == 1
        receive_both(push, pull_side, puller, clock.now() + timedelta(seconds=5))
        official = files_of((cfg.work / "official").resolve())
        assert served(push) == official == served(pull_side)
        m2 = json.loads(official["json/main.json"])
        assert m2["corte"]["instante"] == "2019-06-03T05:47:00-05:00"
        assert m2["elecciones"][0]["avance"]["porcentaje_participacion_ciudadana"] == "22.1523"
        # the older database, dropped again: refused and journaled, the newer corte stays everywhere
        (cfg.cortes.dir / f"zz-{first.name}").write_bytes((cfg.cortes.dir / first.name).read_bytes())
        assert publish_drops(cfg, clock) == 0
        refused = [e for e in durable.read_jsonl(cfg.journal) if e["event"] == "drop-refused"]
        assert refused[-1]["reason"] == "older"
        assert json.loads((push.cfg.current / "json" / "main.json").read_bytes())["corte"]["instante"].startswith(
            "2019-06-03T05:47")
