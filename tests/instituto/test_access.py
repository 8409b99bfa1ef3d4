"""Per-difusor pull credentials: secret (never in the registry record or the public list), revoked by block and
restored by unblock, refused when malformed; the CLI that hands them out; the drill's server honours them."""

from __future__ import annotations

import http.client
import json
import stat
import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from instituto.kit import START, difusor
from instituto.webkit import instituto_toml
from pregon.cli import main
from pregon.errors import InputError
from pregon.instituto import access as access_mod
from pregon.instituto.access import Access, check_token, pull_path, pull_url, requested
from pregon.instituto.config import load_config
from pregon.instituto.public_list import write_public_list
from pregon.instituto.registry import Registry
from serve.servers_kit import free_port


@pytest.fixture
def inst(tmp_path):
    cfg_path = instituto_toml(tmp_path / "inst", tmp_path / "feed", site_url="https://prep.impepac.mx/",
                              election="MOR-2024")
    cfg = load_config(cfg_path)
    reg = Registry(cfg.registry)
    reg.add(difusor("uni", method="pull", nombre="Universidad"))
    return cfg_path, cfg, reg


def test_token_is_secret_and_kept_in_the_work_directory(inst, tmp_path):
    cfg_path, cfg, reg = inst
    acc = Access(cfg.work)
    token = acc.ensure("uni", active=True)
    assert check_token(token) == token and len(token) == 43
    assert acc.ensure("uni", active=True) == token  # issued once
    assert token not in (cfg.registry / "uni.json").read_text()
    site = tmp_path / "site"
    write_public_list(site, reg)
    assert token not in (site / "difusores" / "index.html").read_text()
    root = cfg.work / "access"
    assert stat.S_IMODE(root.stat().st_mode) == 0o711  # the web server can look a name up, not list them
    assert stat.S_IMODE((root / "ids").stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "ids" / "uni").stat().st_mode) == 0o600
    assert stat.S_IMODE((root / "live").stat().st_mode) == 0o711
    assert acc.identify(token) == "uni" and acc.is_live(token)
    assert pull_url("https://prep.impepac.mx/", token) == f"https://prep.impepac.mx/d/{token}/publicado/index.json"


def test_revoke_restore_and_rotate(inst):
    _, cfg, _ = inst
    acc = Access(cfg.work)
    token = acc.ensure("uni", active=True)
    assert acc.revoke("uni") is True and not acc.is_live(token)
    assert acc.identify(token) == "uni"  # still reaches the index and its notice
    assert acc.revoke("uni") is False
    assert acc.restore("uni") is True and acc.is_live(token) and acc.token("uni") == token
    assert acc.ensure("uni", active=False) == token and not acc.is_live(token)  # matches the registry's state
    new = acc.rotate("uni", active=True)
    assert new != token and acc.is_live(new) and acc.identify(token) is None and not acc.is_live(token)
    assert acc.revoke("otro") is False and acc.restore("otro") is False and acc.token("otro") is None


def test_malformed_tokens_and_ids_are_refused(inst):
    _, cfg, _ = inst
    acc = Access(cfg.work)
    acc.ensure("uni", active=True)
    (cfg.work / "secret").write_text("uni\n")
    for bad in ("../secret", "../../work/secret", "a/b", "", "x" * 42, "x" * 44, "x" * 42 + ".", "%2e%2e%2fsecret",
                "x" * 42 + "\n"):
        with pytest.raises(InputError):
            check_token(bad)
        with pytest.raises(InputError):
            pull_path(bad)
        assert acc.identify(bad) is None and not acc.is_live(bad)
    for bad in ("../uni", "UNI", "a/b", ""):
        with pytest.raises(InputError):
            acc.ensure(bad, active=True)
    (cfg.work / "access" / "ids" / "uni").write_text("../../secret\n")  # a damaged credential store
    with pytest.raises(InputError, match="token"):
        acc.token("uni")
    assert requested("index.json") == "index" and requested("index.json.minisig") == "index"
    assert requested("packages/MOR-2024-00000003-notice.tar.gz") == "notice"
    assert requested("packages/MOR-2024-00000004-delta.tar.gz") == "package"
    for other in ("packages/.x.tar.gz.tmp", "packages/../index.json", "../index.json", "packages/a/b.tar.gz",
                  "difusores/index.html", "packages/"):
        assert requested(other) is None


def test_block_and_unblock_revoke_and_restore_through_the_cli(inst, capsys):
    cfg_path, cfg, reg = inst
    assert main(["instituto", "difusores", "access", "uni", "--config", str(cfg_path)]) == 0
    url = capsys.readouterr().out.strip()
    token = url.split("/")[4]
    acc = Access(cfg.work)
    assert acc.is_live(token)
    at = (START + timedelta(minutes=5)).isoformat()
    assert main(["instituto", "difusores", "block", "uni", "--config", str(cfg_path), "--reason", "x", "--no-push",
                 "--at", at]) == 0
    capsys.readouterr()
    assert not acc.is_live(token) and acc.identify(token) == "uni"
    assert main(["instituto", "difusores", "access", "uni", "--config", str(cfg_path), "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == {"difusor": "uni", "url": url, "live": False}
    assert not acc.is_live(token)  # asking for the URL does not reopen it
    assert main(["instituto", "difusores", "unblock", "uni", "--config", str(cfg_path), "--no-push", "--at", at]) == 0
    capsys.readouterr()
    assert acc.is_live(token)
    assert main(["instituto", "difusores", "access", "--all", "--config", str(cfg_path)]) == 0
    assert capsys.readouterr().out == f"uni\t{url}\n"
    assert main(["instituto", "difusores", "access", "uni", "--rotate", "--config", str(cfg_path)]) == 0
    assert capsys.readouterr().out.strip() != url and not acc.is_live(token)


def test_access_cli_errors_are_one_line(inst, capsys, tmp_path):
    cfg_path, cfg, reg = inst
    d = difusor("marco")
    d.transfer.method = "frame"
    reg.add(d)
    cases = [(["marco"], "only pull difusores"), (["nadie"], "not registered"), ([], "one difusor id, or --all"),
             (["uni", "--all"], "one difusor id, or --all"), (["uni", "--base-url", "ftp://x/"], "--base-url"),
             (["../uni"], "difusor id")]
    for args, msg in cases:
        assert main(["instituto", "difusores", "access", *args, "--config", str(cfg_path)]) == 2, args
        err = capsys.readouterr().err
        assert msg in err and len(err.strip().splitlines()) == 1, (args, err)
    bare = instituto_toml(tmp_path / "bare", tmp_path / "feed", site_url=None)
    Registry(load_config(bare).registry).add(difusor("uni", method="pull"))
    assert main(["instituto", "difusores", "access", "uni", "--config", str(bare)]) == 2
    assert "site_url is required" in capsys.readouterr().err
    assert main(["instituto", "difusores", "access", "uni", "--config", str(bare), "--base-url",
                 "https://descargas.prep.mx/"]) == 0
    assert capsys.readouterr().out.startswith("https://descargas.prep.mx/d/")


def test_site_url_key_is_checked(tmp_path):
    cfg_path = instituto_toml(tmp_path / "i", tmp_path / "feed", site_url=None)
    cfg_path.write_text(cfg_path.read_text().replace('name = "IMPEPAC"', 'name = "IMPEPAC"\nsite_url = 7'))
    with pytest.raises(InputError, match="site_url"):
        load_config(cfg_path)
    cfg_path.write_text(cfg_path.read_text().replace("site_url = 7", 'site_url = "https://prep.x.mx/"'))
    assert load_config(cfg_path).site_url == "https://prep.x.mx/"


# --- the drill's stand-in for the institute's server ---------------------------------------------------------


def _get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def test_drill_server_honours_the_credentials(tmp_path):
    from pregon.simulacro import faults as faults_mod
    from pregon.simulacro.run import InstituteServer

    plan = SimpleNamespace(inst=tmp_path / "instituto", work=tmp_path / "instituto" / "work")
    pub = plan.inst / "publicado"
    (pub / "packages").mkdir(parents=True)
    (pub / "index.json").write_text('{"format":"pregon-pull-index/1"}\n')
    (pub / "index.json.minisig").write_text("sig\n")
    (pub / "packages" / "E-00000001-full.tar.gz").write_bytes(b"full")
    (pub / "packages" / "E-00000002-notice.tar.gz").write_bytes(b"notice")
    notes = []
    drill = SimpleNamespace(plan=plan, faults=faults_mod.Faults([], ["uni"]), note=notes.append)
    acc = Access(plan.work)
    token = acc.ensure("uni", active=True)
    port = free_port()
    server = InstituteServer(drill, port)
    server.start()
    try:
        base = f"/d/{token}/publicado/"
        assert _get(port, base + "index.json") == (200, b'{"format":"pregon-pull-index/1"}\n')
        assert _get(port, base + "packages/E-00000001-full.tar.gz") == (200, b"full")
        assert _get(port, "/publicado/index.json")[0] == 200
        assert _get(port, "/publicado/packages/E-00000001-full.tar.gz")[0] == 403
        assert _get(port, f"/d/{'A' * 43}/publicado/index.json")[0] == 403
        assert _get(port, "/d/uni/publicado/packages/E-00000001-full.tar.gz")[0] == 403  # the old id path
        assert _get(port, f"/d/{token}/publicado/../../work/access/ids/uni")[0] in (403, 404)
        acc.revoke("uni")
        assert _get(port, base + "packages/E-00000001-full.tar.gz")[0] == 403
        assert _get(port, base + "packages/E-00000002-notice.tar.gz") == (200, b"notice")
        assert _get(port, base + "index.json")[0] == 200
        acc.restore("uni")
        assert _get(port, base + "packages/E-00000001-full.tar.gz") == (200, b"full")
    finally:
        server.stop()


def test_drill_pull_difusor_gets_its_credential_url(tmp_path):
    from pregon.simulacro.plan import Plan, write_difusor

    plan = Plan(out=tmp_path / "drill", n=3, start=datetime(2024, 6, 3, 2, 0, tzinfo=timezone.utc))
    d = next(x for x in plan.difusores if x.method == "pull")
    write_difusor(plan, d)
    url = tomllib.loads(d.toml.read_text())["pull"]["url"]
    token = Access(plan.work).token(d.id)
    assert url == f"{plan.official_url}d/{token}/publicado/index.json"
    assert Access(plan.work).is_live(token)
    assert access_mod.TOKEN_RE.fullmatch(token) and Path(plan.work / "access" / "live" / token).is_file()
