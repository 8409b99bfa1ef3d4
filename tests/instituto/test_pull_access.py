"""End to end on loopback: a pull difusor (a real Receiver and Puller) polls its own credential URL through the
institute's generated web configuration (the real nginx, and Apache). `difusores block` closes the download
link at once (403 on the next package, no reload) while the signed not-official notice still gets through;
`difusores unblock` reopens the same URL and the difusor receives the next cut."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest

from instituto.kit import START, difusor, public_key, simulate
from instituto.webkit import WebServer, instituto_toml
from pregon.cli import main
from pregon.difusor.config import Config as DifusorConfig
from pregon.difusor.pipeline import Receiver
from pregon.difusor.pull import PullConfig, Puller
from pregon.instituto import packages as pk
from pregon.instituto.config import load_config
from pregon.instituto.registry import Registry
from pregon.instituto.scheduler import Scheduler
from pregon.times import ManualClock
from serve.servers_kit import cleanup, free_port, world_readable_tmp


def cli(capsys, *args) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


@pytest.mark.parametrize("server", ["nginx", "apache"])
def test_block_closes_the_pull_link_and_unblock_reopens_it(server, tmp_path_factory, capsys):
    root = world_readable_tmp(f"pregon-pull-{server}-")  # apache2 serves as www-data
    try:
        feed = simulate(tmp_path_factory.getbasetemp() / "feed-pull-access")
        port = free_port()
        site = f"http://127.0.0.1:{port}/"
        cfg_path = instituto_toml(root / "inst", feed, site_url=site)
        cfg = load_config(cfg_path)
        Registry(cfg.registry).add(difusor("uni", method="pull"))
        code, out = cli(capsys, "instituto", "difusores", "access", "uni", "--config", str(cfg_path))
        url = out.strip()
        assert code == 0 and url.startswith(f"{site}d/") and url.endswith("/publicado/index.json")
        token = url.split("/")[4]
        record = (cfg.registry / "uni.json").read_text()
        assert token not in record  # the secret stays in the work directory

        clock = ManualClock(START)
        assert asyncio.run(Scheduler(cfg, clock).run(max_cuts=1)) == 1
        rcfg = DifusorConfig(root=root / "uni", id="uni", public_keys=[public_key(cfg_path)], syslog=False,
                             min_free_mb=1)
        now = {"t": clock.now() + timedelta(seconds=5)}
        rx = Receiver(rcfg, clock=lambda: now["t"], durable=False, check_clock=False)
        rx.start()
        with WebServer(server, cfg_path, root / server, port) as web, httpx.Client(timeout=5) as http:
            puller = Puller(rcfg, PullConfig(url=url, timeout=5))
            assert [o.verdict for o in rx.pull_once(puller)] == ["accepted"]
            assert rx.status()["corte"]["sequence"] == 1
            first = pk.published(cfg.work)[-1]
            # the public directory: the index for anyone, no package without a credential
            assert http.get(f"{site}publicado/index.json").status_code == 200
            assert http.get(f"{site}publicado/packages/{first.name}").status_code == 403
            assert http.get(f"{site}d/{'A' * 43}/publicado/packages/{first.name}").status_code == 403
            assert http.get(f"{site}d/{'A' * 43}/publicado/index.json").status_code == 403

            # blocked: the notice is signed and published; the next cut's package is refused to this difusor
            at = clock.now() + timedelta(minutes=2)
            code, _ = cli(capsys, "instituto", "difusores", "block", "uni", "--config", str(cfg_path), "--reason",
                          "alteró resultados", "--no-push", "--at", at.isoformat())
            assert code == 0
            assert asyncio.run(Scheduler(cfg, clock).run(max_cuts=1)) == 1
            recs = pk.published(cfg.work)
            notice = [r for r in recs if r.kind == "notice"][-1]
            delta = recs[-1]
            assert delta.kind in ("delta", "full") and delta.sequence > notice.sequence
            base = url.rsplit("/", 1)[0]
            refused = http.get(f"{base}/packages/{delta.name}")
            assert refused.status_code == 403
            assert refused.headers.get("cache-control") == "no-store"  # an unblocked difusor meets no stale 403
            assert http.get(f"{base}/packages/{notice.name}").status_code == 200  # the notice still reaches it
            assert http.get(url).status_code == 200
            now["t"] = clock.now() + timedelta(seconds=5)
            assert rx.pull_once(puller) == []  # the notice is fetched, then the package is refused
            assert "pull" in rx.rt.incidents and "403" in rx.rt.incidents["pull"]
            outs = rx.scan_inbox()
            assert [(o.verdict, o.kind) for o in outs] == [("accepted", "notice")]
            assert rx.status()["published"] == "notice"

            # unblocked: the same URL works again, and the next cut (a full one) goes live at the difusor
            code, _ = cli(capsys, "instituto", "difusores", "unblock", "uni", "--config", str(cfg_path), "--no-push",
                          "--at", (clock.now() + timedelta(minutes=1)).isoformat())
            assert code == 0
            code, out = cli(capsys, "instituto", "difusores", "access", "uni", "--config", str(cfg_path))
            assert out.strip() == url
            assert http.get(f"{base}/packages/{delta.name}").status_code == 200
            assert asyncio.run(Scheduler(cfg, clock).run(max_cuts=1)) == 1
            latest = pk.published(cfg.work)[-1]
            assert latest.kind == "full"
            now["t"] = clock.now() + timedelta(seconds=5)
            outs = rx.pull_once(puller)
            assert ("accepted", latest.sequence) in [(o.verdict, o.sequence) for o in outs]
            assert rx.status()["published"] == "corte" and rx.status()["corte"]["sequence"] == latest.corte_sequence
            got = http.get(f"{base}/packages/{latest.name}")
            assert got.status_code == 200 and got.headers["cache-control"] == "private, max-age=31536000, immutable"
            assert len(got.content) == latest.bytes
        logs = web.logs()  # complete once the server stopped (nginx buffers its access log)
        assert token not in logs  # the access log shows the credential's first characters only
        assert f"/d/{token[:6]}.../publicado/index.json" in logs
        journal = [json.loads(line) for line in cfg.journal.read_text().splitlines()]
        assert [e.get("pull_access_revoked") for e in journal if e["event"] == "blocked"] == [True]
        assert [e.get("pull_access_restored") for e in journal if e["event"] == "unblocked"] == [True]
    finally:
        cleanup(root)
