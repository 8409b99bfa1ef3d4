"""The generated nginx and Apache configurations, run in the real Debian servers on loopback."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from toolcheck import require_tool
from difusor.kit import T0, Institute, drop, make_config
from pregon.times import ManualClock
from pregon.difusor.pipeline import Receiver
from pregon.serve import policy
from pregon.serve.limits import ClientLimits
from serve.hostile_kit import connect, request, until_closed
from serve.servers_kit import Apache, Embedded, Nginx, cleanup, get, world_readable_tmp

COMBINED = re.compile(r'^127\.0\.0\.1 - - \[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "(?:GET|HEAD) (\S+) HTTP/1\.1" '
                      r'(\d{3}) (\d+|-) "([^"]*)" "([^"]*)"$')


@pytest.fixture
def difusor(tmp_path):
    base = world_readable_tmp("pregon-serve-")
    inst = Institute(tmp_path / "inst")
    cfg = make_config(base / "difusor", inst)
    cfg.serve.frame_ancestors = "'self' https://www.el-diario.example"
    r = Receiver(cfg, clock=ManualClock(T0 + timedelta(hours=1)), durable=False, check_clock=False)
    r.start()
    drop(inst.full(1), cfg.inbox)
    assert r.scan_inbox()[0].verdict == "accepted"
    yield inst, cfg, r, base
    cleanup(base)


def _check_site(port, inst, cfg, r):
    st, h, body = get(port, "/json/main.json")
    assert st == 200 and json.loads(body)["corte"]["secuencia"] == 1
    assert h["cache-control"] == policy.NO_STORE
    assert h["content-type"].startswith("application/json")
    assert "frame-ancestors 'self' https://www.el-diario.example" in h["content-security-policy"]
    assert h["x-content-type-options"] == "nosniff"
    assert "x-frame-options" not in h  # it would forbid the difusor's other origin from framing

    css = next((cfg.current / "assets").glob("app.*.css")).name
    st, h, body = get(port, f"/assets/{css}")
    assert st == 200 and h["cache-control"] == policy.IMMUTABLE and h["content-type"].startswith("text/css")
    assert h["x-content-type-options"] == "nosniff"

    for path in ("/", "/index.html", "/distrito/00/"):
        st, h, body = get(port, path, {"Referer": "https://www.el-diario.example/", "User-Agent": "pregon-test"})
        assert st == 200, path
        assert h["cache-control"] == policy.HTML, path
        assert h["content-type"].startswith("text/html"), path
        assert b'name="pregon-corte" content="1|' in body
        assert "frame-ancestors" in h["content-security-policy"]

    # the corte stamp every page frames: never cached (like main.json), framed under the pages' own policy
    (cfg.current / "corte.html").write_text('<!DOCTYPE html><p class="sello">Corte: 1</p>\n', "utf-8")
    st, h, body = get(port, "/corte.html")
    assert st == 200 and h["cache-control"] == policy.NO_STORE and h["content-type"].startswith("text/html")
    assert "frame-ancestors 'self' https://www.el-diario.example" in h["content-security-policy"]
    (cfg.current / "corte.html").unlink()

    st, h, _ = get(port, "/csv/catalogo.csv")
    assert st == 200 and h["cache-control"] == policy.OTHER and h["content-type"].startswith("text/csv")
    st, h, _ = get(port, "/no/such/page.html")
    assert st == 404
    assert h["x-content-type-options"] == "nosniff"  # also on errors
    # dotfiles are not served
    st, _, _ = get(port, "/.well-hidden")
    assert st in (403, 404)

    # a new cut is visible on the very next request: no descriptor or metadata cache across the swap
    drop(inst.delta(2), cfg.inbox)
    assert r.scan_inbox()[0].activated
    st, h, body = get(port, "/json/main.json")
    assert json.loads(body)["corte"]["secuencia"] == 2
    st, h, body = get(port, "/")
    assert b'content="2|' in body


def _check_log(access_log):
    """After the server stopped (the embedded one flushes its buffer on exit)."""
    lines = access_log.read_text().splitlines()
    assert lines, "no access log lines"
    for line in lines:
        assert COMBINED.match(line), line
    assert any('"https://www.el-diario.example/" "pregon-test"' in line for line in lines)


def test_nginx_generated_config_serves_with_headers(difusor):
    nginx = require_tool("nginx")
    inst, cfg, r, base = difusor
    with Nginx(cfg, base / "nginx", nginx) as srv:
        _check_site(srv.port, inst, cfg, r)
        # rate limit off by default: a burst is all 200
        assert all(get(srv.port, "/json/main.json")[0] == 200 for _ in range(30))
    _check_log(srv.access_log)


def test_nginx_rate_limit(difusor):
    nginx = require_tool("nginx")
    inst, cfg, r, base = difusor
    cfg.serve.rate_limit = 2
    with Nginx(cfg, base / "nginx", nginx) as srv:
        codes = [get(srv.port, "/json/main.json")[0] for _ in range(30)]
    assert 200 in codes and 429 in codes


def test_nginx_takes_the_embedded_server_s_client_limits(difusor):
    """[serve] header_timeout reaches nginx as client_header_timeout: a slowloris head is cut within the bound
    (nginx's own default would hold it 60 s, past the wait below)."""
    nginx = require_tool("nginx")
    inst, cfg, r, base = difusor
    cfg.serve.limits = ClientLimits(header_timeout=1, idle_timeout=1)
    with Nginx(cfg, base / "nginx", nginx) as srv:
        slow = connect(srv.port)
        slow.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
        assert until_closed(slow, 20) == b""  # closed without an answer, as nginx does on a header timeout
        idle = connect(srv.port)
        idle.sendall(request("/json/main.json"))
        assert until_closed(idle, 20).startswith(b"HTTP/1.1 200 ")  # answered, then closed when idle


def test_apache_generated_config_serves_with_headers(difusor):
    apache = require_tool("apache2")
    inst, cfg, r, base = difusor
    with Apache(cfg, base / "apache", apache) as srv:
        _check_site(srv.port, inst, cfg, r)
    _check_log(srv.access_log)


def test_embedded_server_serves_with_headers(difusor, tmp_path):
    inst, cfg, r, base = difusor
    toml = base / "difusor.toml"
    pub = inst.write_public_key(base / "instituto.pub")
    toml.write_text(f'[difusor]\nroot = "{cfg.root}"\npublic_keys = ["{pub}"]\n'
                    f'[serve]\nframe_ancestors = "{cfg.serve.frame_ancestors}"\n')
    log = base / "embedded-access.log"
    with Embedded(toml, workers=1, access_log=log) as srv:
        _check_site(srv.port, inst, cfg, r)
        # conditional request on an unchanged file
        st, h, _ = get(srv.port, "/csv/catalogo.csv")
        st2, _, body = get(srv.port, "/csv/catalogo.csv", {"If-None-Match": h["etag"]})
        assert st2 == 304 and body == b""
        st, h, body = get(srv.port, "/json/main.json", method="HEAD")
        assert st == 200 and body == b"" and int(h["content-length"]) > 0
        assert get(srv.port, "/distrito/00")[0] == 301
    _check_log(log)
