"""`pregon instituto webconfig nginx|apache`: absolute paths, the frame-ancestors from the registry, the refusal of
anything that could bend a configuration line, syntax accepted by the real nginx and apache2 (also with TLS),
and what each URL answers through real Apache (nginx: test_pull_access.py and test_frame.py)."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess

import pytest

from toolcheck import require_tool
from instituto.kit import START, difusor
from instituto.webkit import WebServer, instituto_toml
from pregon.cli import main
from pregon.errors import InputError
from pregon.instituto.access import Access
from pregon.instituto.config import config_from_dict, load_config
from pregon.instituto.registry import Registry
from pregon.instituto.webconfig import render_apache, render_nginx
from pregon.serve import policy
from serve.servers_kit import cleanup, free_port, get, world_readable_tmp


def _framing(ident, enlace):
    d = difusor(ident)
    return dataclasses.replace(d, enlace=enlace, transfer=dataclasses.replace(d.transfer, method="frame"))


@pytest.fixture
def inst(tmp_path):
    cfg_path = instituto_toml(tmp_path / "inst", tmp_path / "feed", site_url="https://prep.impepac.mx/")
    cfg = load_config(cfg_path)
    reg = Registry(cfg.registry)
    reg.add(_framing("diario", "https://www.diario.mx/prep/"))
    reg.add(difusor("uni", method="pull"))
    return cfg_path, cfg, reg


def test_paths_are_absolute_even_from_a_relative_base(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = config_from_dict({"instituto": {"name": "X", "work": "w", "pull_dir": "pub", "registry": "reg"}},
                           base=__import__("pathlib").Path("rel"))
    for text in (render_nginx(cfg), render_apache(cfg)):
        paths = re.findall(r"^\s*(?:root|alias|DocumentRoot|<Directory|RewriteCond|if \(!-f) \"?([^\s\";>]+)", text,
                           re.M)
        paths += re.findall(r"RewriteRule \"[^\"]+\" \"(/[^\"]+)\"", text)
        assert paths and all(p.startswith(str(tmp_path / "rel")) for p in paths
                             if not p.startswith("/monitor")), paths
        assert f"{tmp_path}/rel/w/official" in text  # the symlink itself, resolved per request by the server


def test_frame_ancestors_follow_the_registry(inst):
    cfg_path, cfg, reg = inst
    text = render_nginx(cfg)
    csp = "frame-ancestors 'self' https://diario.example.mx https://www.diario.mx"
    assert f'add_header Content-Security-Policy "{csp}" always;' in text
    assert "X-Frame-Options" in text  # on the pull and dashboard responses, which nobody frames
    assert f'Header always set Content-Security-Policy "{csp}"' in render_apache(cfg)
    reg.block("diario", "prueba", START)
    assert "frame-ancestors 'self' https" not in render_nginx(cfg)
    assert render_nginx(cfg) == render_nginx(cfg)  # deterministic
    assert "server_name prep.impepac.mx;" in text


def test_hostile_registry_entries_and_paths_are_refused(inst, tmp_path, capsys):
    cfg_path, cfg, reg = inst
    rec = json.loads((cfg.registry / "diario.json").read_text())
    rec["sitio"] = 'https://x.mx";}add_header Evil 1;server{"/'
    (cfg.registry / "diario.json").write_text(json.dumps(rec))
    assert main(["instituto", "webconfig", "nginx", "--config", str(cfg_path)]) == 2
    err = capsys.readouterr().err
    assert "diario.json: sitio" in err and len(err.strip().splitlines()) == 1
    rec["sitio"] = "https://www.diario.mx/"
    (cfg.registry / "diario.json").write_text(json.dumps(rec))
    for key, value in (("work", "w$uri"), ("pull_dir", "pub lic"), ("work", 'w\\";')):
        bad = cfg_path.read_text().replace(f'{key} = "', f'{key} = "{value}', 1)
        p = tmp_path / f"bad-{len(value)}.toml"
        p.write_text(bad)
        with pytest.raises(InputError, match="cannot go into a web server configuration"):
            render_nginx(load_config(p))
    for args, msg in ((["--monitor-allow", "mi-red"], "--monitor-allow"), (["--tls-key", "/k.pem"], "go together"),
                      (["--standalone"], "--runtime-dir"), (["--server-name", "a;b"], "--server-name"),
                      (["--listen", "80; include /etc/passwd"], "--listen"), (["--listen", "99999"], "--listen")):
        assert main(["instituto", "webconfig", "apache", "--config", str(cfg_path), *args]) == 2, args
        err = capsys.readouterr().err
        assert msg in err and len(err.strip().splitlines()) == 1


def test_the_real_servers_accept_the_configuration_also_with_tls(inst, tmp_path):
    cfg_path, cfg, reg = inst
    openssl = require_tool("openssl")
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=prep.impepac.mx"],
                   check=True, capture_output=True)
    for server in ("nginx", "apache"):
        for extra in ((), ("--tls-certificate", str(cert), "--tls-key", str(key), "--monitor-allow", "10.0.8.0/24")):
            web = WebServer(server, cfg_path, tmp_path / f"{server}-{len(extra)}", free_port(), extra)
            r = web.check()
            assert r.returncode == 0, (server, extra, r.stderr)
            text = web.conf.read_text()
            if extra:
                assert "Strict-Transport-Security" in text and "10.0.8.0/24" in text
                assert "return 301 https://" in text or "Redirect permanent / https://" in text


@pytest.mark.parametrize("server", ["apache", "nginx"])
def test_the_server_serves_site_pull_and_dashboard(tmp_path, server):
    """What every URL answers through the real apache2 (running as www-data) and nginx."""
    root = world_readable_tmp(f"pregon-inst-{server}-")
    try:
        port = free_port()
        cfg_path = instituto_toml(root / "inst", tmp_path / "feed", site_url=f"http://127.0.0.1:{port}/")
        cfg = load_config(cfg_path)
        reg = Registry(cfg.registry)
        reg.add(_framing("diario", "https://www.diario.mx/prep/"))
        reg.add(difusor("uni", method="pull"))
        site = cfg.work / "sites" / "1"
        (site / "json").mkdir(parents=True)
        (site / "index.html").write_text("<p>corte 1</p>")
        (site / "json" / "main.json").write_text('{"corte": {"secuencia": 1}}')
        (site / "app.0123abcd.css").write_text("p{}")
        (cfg.work / "official").symlink_to("sites/1")
        pub = cfg.pull_dir
        (pub / "packages").mkdir(parents=True)
        (pub / "index.json").write_text("{}\n")
        (pub / "index.json.minisig").write_text("sig\n")
        (pub / "packages" / "E-00000002-full.tar.gz").write_bytes(b"paquete")
        (pub / "packages" / "E-00000003-notice.tar.gz").write_bytes(b"aviso")
        (pub / "difusores").mkdir()
        (pub / "difusores" / "index.html").write_text("<p>Difusores oficiales</p>")
        dash = cfg.monitor.dashboard
        dash.parent.mkdir(parents=True)
        dash.write_text("<p>monitor</p>")
        (dash.parent / "observations.jsonl").write_text("{}\n")
        (dash.parent / "estado.json").write_text('{"difusores": []}\n')
        token = Access(cfg.work).ensure("uni", active=True)
        d = f"/d/{token}/publicado/"
        with WebServer(server, cfg_path, root / server, port):
            st, h, body = get(port, "/")
            assert (st, body) == (200, b"<p>corte 1</p>") and h["cache-control"] == policy.HTML
            assert h["content-security-policy"] == "frame-ancestors 'self' https://diario.example.mx https://www.diario.mx"
            assert get(port, "/json/main.json")[1]["cache-control"] == policy.NO_STORE
            assert get(port, "/app.0123abcd.css")[1]["cache-control"] == policy.IMMUTABLE
            (cfg.work / ".official.new").symlink_to("sites/2")
            (cfg.work / "sites" / "2").mkdir()
            (cfg.work / "sites" / "2" / "index.html").write_text("<p>corte 2</p>")
            (cfg.work / ".official.new").replace(cfg.work / "official")  # the cut's swap: no reload
            assert get(port, "/")[2] == b"<p>corte 2</p>"
            assert get(port, "/publicado/index.json")[:2][0] == 200
            assert get(port, "/publicado/packages/E-00000002-full.tar.gz")[0] == 403
            assert get(port, "/publicado/difusores/")[2] == b"<p>Difusores oficiales</p>"
            st, h, body = get(port, d + "packages/E-00000002-full.tar.gz")
            assert (st, body) == (200, b"paquete") and h["cache-control"] == "private, max-age=31536000, immutable"
            assert h.get("x-frame-options") == "SAMEORIGIN"
            assert get(port, d + "index.json")[1]["cache-control"] == "no-cache"
            Access(cfg.work).revoke("uni")
            st, h, _ = get(port, d + "packages/E-00000002-full.tar.gz")
            assert st == 403 and h["cache-control"] == "no-store"
            assert get(port, d + "packages/E-00000003-notice.tar.gz")[2] == b"aviso"
            assert get(port, d + "index.json.minisig")[0] == 200
            assert get(port, f"/d/{'B' * 43}/publicado/index.json")[0] == 403
            assert get(port, d + "../../../work/access/ids/uni")[0] in (403, 404)
            st, h, body = get(port, "/monitor/")
            assert (st, body) == (200, b"<p>monitor</p>") and h["cache-control"] == policy.NO_STORE
            assert get(port, "/monitor/observations.jsonl")[0] == 404
            st, h, body = get(port, "/monitor/estado.json")  # the dashboard's JSON twin
            assert (st, body) == (200, b'{"difusores": []}\n') and h["cache-control"] == policy.NO_STORE
    finally:
        cleanup(root)
