"""End to end on loopback: the institute cuts on a manual clock and pushes over a real sshd (SFTP and rsync)
to three difusor receivers served by `pregon difusor serve`: one healthy, one slow, one that tampers with
its served main.json. The monitor (the CLI, judging at injected instants) reports the lag and the
tampering; the tamperer is blocked with the CLI and then shows the institute's signed notice."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import datetime, timedelta


from toolcheck import require_tool
from instituto.kit import START, difusor, institute, load, public_key, simulate
from pregon import durable
from pregon.cli import main
from pregon.difusor.config import load_config as load_difusor
from pregon.difusor.pipeline import Receiver
from pregon.instituto import packages as pk
from pregon.instituto.registry import Registry
from pregon.instituto.scheduler import Scheduler
from pregon.times import ManualClock
from serve.servers_kit import Embedded, free_port


class Side:
    """One difusor: its difusor.toml, receiver and embedded server."""

    def __init__(self, root, ident, pubkey_file):
        self.id = ident
        self.port = free_port()
        root.mkdir(parents=True)
        self.toml = root / "difusor.toml"
        self.toml.write_text(f'[difusor]\nid = "{ident}"\nroot = "{root}"\npublic_keys = ["{pubkey_file}"]\n'
                             f'syslog = false\nmin_free_mb = 1\n')
        self.cfg = load_difusor(self.toml)
        self.cfg.inbox.mkdir(parents=True)
        self.now = START
        self.rx = Receiver(self.cfg, clock=lambda: self.now, check_clock=False)
        self.rx.start()
        self.server = Embedded(self.toml, port=self.port)

    def receive(self, now):
        self.now = now
        return self.rx.scan_inbox()

    def tamper(self):
        p = self.cfg.current / "json" / "main.json"
        obj = json.loads(p.read_text())
        obj["tampered"] = "votos modificados"
        os.unlink(p)  # a new file: the archive and the other releases keep the official bytes
        p.write_text(json.dumps(obj))


def monitor(capsys, cfg_path, now: datetime) -> dict:
    code = main(["instituto", "monitor", "--config", str(cfg_path), "--once", "--json", "--now", now.isoformat()])
    out = capsys.readouterr().out
    obs = {o["difusor"]: o for o in map(json.loads, out.splitlines())}
    return code, obs


def test_three_difusores_lag_tamper_block(tmp_path_factory, ssh_server, capsys):
    require_tool("rsync")
    tmp = tmp_path_factory.mktemp("e2e")
    feed = simulate(tmp / "feed")
    alerts = tmp / "alerts.txt"
    cfg_path = institute(tmp / "inst", feed, ssh_key=ssh_server.client_key,
                         extra=f'alert_command = "echo $PREGON_ALERT_DIFUSOR $PREGON_ALERT_KIND >> {alerts}"\n')
    cfg = load(cfg_path)
    pub_file = tmp / "instituto.pub"
    pub_file.write_text(public_key(cfg_path).file_text())
    sides = {i: Side(tmp / i, i, pub_file) for i in ("sano", "lento", "alterado")}
    reg = Registry(cfg.registry)
    for ident, method in (("sano", "sftp"), ("lento", "rsync"), ("alterado", "sftp")):
        s = sides[ident]
        d = difusor(ident, method=method, ssh=ssh_server, inbox=s.cfg.inbox, port=s.port, nombre=f"Medio {ident}")
        reg.add(d)
    clock = ManualClock(START)
    with sides["sano"].server, sides["lento"].server, sides["alterado"].server:
        # cut 1 reaches everyone; the tamperer alters what it serves
        assert asyncio.run(Scheduler(cfg, clock).run(max_cuts=1)) == 1
        for s in sides.values():
            assert [o.verdict for o in s.receive(clock.now() + timedelta(seconds=5))] == ["accepted"]
        sides["alterado"].tamper()
        code, obs = monitor(capsys, cfg_path, clock.now() + timedelta(seconds=10))
        assert code == 1
        assert obs["sano"]["status"] == "ok" and obs["sano"]["corte_sequence"] == 1 and obs["sano"]["lag_s"] == 0
        assert obs["lento"]["status"] == "ok"
        assert obs["alterado"]["status"] == "tampered" and obs["alterado"]["tampered"] == ["json/main.json"]
        assert obs["sano"]["headers_ok"] is True

        # cut 2: the slow difusor has it in its inbox but has not published it 90 s later
        assert asyncio.run(Scheduler(cfg, clock).run(max_cuts=1)) == 1
        cut2 = clock.now()
        assert (sides["lento"].cfg.inbox / pk.package_name(pk.published(cfg.work)[-1].election, 2, "delta")).exists()
        sides["sano"].receive(cut2 + timedelta(seconds=3))
        sides["alterado"].receive(cut2 + timedelta(seconds=3))
        sides["alterado"].tamper()
        code, obs = monitor(capsys, cfg_path, cut2 + timedelta(seconds=90))
        assert code == 1
        assert obs["sano"]["status"] == "ok" and obs["sano"]["corte_sequence"] == 2 and obs["sano"]["lag_s"] == 0
        assert obs["lento"]["status"] == "lagging" and obs["lento"]["corte_sequence"] == 1
        assert obs["lento"]["lag_s"] == 90.0 and obs["lento"]["latest_corte"] == 2
        assert obs["alterado"]["status"] == "tampered" and obs["alterado"]["corte_sequence"] == 2
        # the slow one catches up: lag back to 0, its alert resolves
        sides["lento"].receive(cut2 + timedelta(seconds=100))
        code, obs = monitor(capsys, cfg_path, cut2 + timedelta(seconds=110))
        assert obs["lento"]["status"] == "ok" and obs["lento"]["lag_s"] == 0 and obs["lento"]["corte_sequence"] == 2
        fired = alerts.read_text().split("\n")
        assert "alterado tampered" in fired and "lento lag" in fired
        assert fired.count("alterado tampered") == 1  # alerts fire when a condition starts, not every round
        assert "sano" not in alerts.read_text()

        # block the tamperer: a signed notice goes to it at once
        code = main(["instituto", "difusores", "block", "alterado", "--config", str(cfg_path),
                     "--reason", "alteró json/main.json", "--at", (cut2 + timedelta(seconds=120)).isoformat(), "--json"])
        res = json.loads(capsys.readouterr().out)
        assert code == 0 and [d["result"] for d in res["deliveries"]] == ["ok"]
        (outcome,) = sides["alterado"].receive(cut2 + timedelta(seconds=130))
        assert outcome.verdict == "accepted" and outcome.kind == "notice"
        code, obs = monitor(capsys, cfg_path, cut2 + timedelta(seconds=140))
        assert obs["alterado"]["status"] == "notice-shown"
        assert code == 0  # everyone compliant: sano and lento current, alterado showing the notice

        # the next cut goes to the others only, and the public list no longer names it
        assert asyncio.run(Scheduler(cfg, clock).run(max_cuts=1)) == 1
        page = (cfg.work / "official" / "difusores" / "index.html").read_text()
        assert "Medio sano" in page and "Medio lento" in page and "Medio alterado" not in page
        delivered = durable.read_jsonl(cfg.deliveries)
        last = max(r.sequence for r in pk.published(cfg.work))
        assert {e["difusor"] for e in delivered if e["sequence"] == last} == {"sano", "lento"}
        assert os.listdir(sides["alterado"].cfg.inbox) == []

        # reinstated: a clear notice now, and the next cut is a full package it can apply over its notices
        cut3 = clock.now()
        assert main(["instituto", "difusores", "unblock", "alterado", "--config", str(cfg_path),
                     "--at", (cut3 + timedelta(seconds=30)).isoformat()]) == 0
        capsys.readouterr()
        assert asyncio.run(Scheduler(cfg, clock).run(max_cuts=1)) == 1
        assert pk.published(cfg.work)[-1].kind == "full"
        got = sides["alterado"].receive(clock.now() + timedelta(seconds=5))
        assert [(o.verdict, o.kind) for o in got] == [("accepted", "notice"), ("accepted", "full")]
        served = json.loads((sides["alterado"].cfg.current / "json" / "main.json").read_text())
        assert served["corte"]["secuencia"] == 4

    # the report: per difusor figures from every observation
    assert main(["instituto", "monitor", "report", "--config", str(cfg_path), "--json"]) == 0
    rows = {r["difusor"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["alterado"]["tampered"] == 3 and rows["alterado"]["status"] == "notice-shown"  # last round
    assert rows["lento"]["lag_max_s"] == 90.0 and rows["lento"]["lag_over_limit"] == 1
    assert rows["sano"]["availability_pct"] == 100.0 and rows["sano"]["tampered"] == 0
    assert rows["sano"]["observations"] == 4
    assert main(["instituto", "monitor", "report", "--config", str(cfg_path), "--format", "csv"]) == 0
    csv_lines = capsys.readouterr().out.splitlines()
    assert csv_lines[0].startswith("difusor,observations,availability_pct") and len(csv_lines) == 4
    dash = cfg.monitor.dashboard.read_text()
    assert dash.count("<article class=\"tarjeta") == 3 and "Bloqueado, con aviso" in dash
