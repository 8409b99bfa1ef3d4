"""The monitor's judgements against a scripted web (httpx MockTransport): ok, lag, tampered pages, missing
headers, downtime, TLS failure, unknown corte; alerts once per condition; availability and percentiles."""

from __future__ import annotations

import asyncio
import hashlib
import json
import ssl
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from instituto.kit import difusor
from pregon import durable
from pregon.instituto import store
from pregon.instituto.config import MonitorConfig
from pregon.instituto.monitor import Monitor, percentile, sample_paths, summarize, to_text, user_agent
from pregon.instituto.packages import PackageRecord, record
from pregon.instituto.registry import Registry
from pregon.times import ManualClock

T = datetime(2024, 6, 2, 20, 0, tzinfo=timezone.utc)
NO_STORE = "no-cache, no-store, must-revalidate"


def official_site(root: Path, seq: int) -> Path:
    site = root / f"site{seq}"
    (site / "json").mkdir(parents=True)
    (site / "json" / "main.json").write_text(json.dumps({"corte": {"secuencia": seq, "instante": f"t{seq}"}}))
    (site / "index.html").write_text(f"<html>corte {seq}</html>")
    for i in range(6):
        (site / "GUB").mkdir(exist_ok=True)
        (site / "GUB" / f"p{i}.html").write_text(f"<p>{i} {seq}</p>")
    return site


@pytest.fixture
def world(tmp_path):
    work = tmp_path / "work"
    sites = {}
    for seq in (1, 2):
        sites[seq] = official_site(tmp_path, seq)
        record(work, PackageRecord(sequence=seq, kind="full" if seq == 1 else "delta", file="x", bytes=1,
                                   sha256="0" * 64, published=store.iso(T + timedelta(minutes=15 * (seq - 1))),
                                   election="E", corte_sequence=seq, site=str(sites[seq])))
    reg = Registry(tmp_path / "reg")
    served: dict[str, dict] = {}  # difusor -> {path: (status, body, headers)} or an exception
    ports = {}
    for i, ident in enumerate(("bien", "atrasado", "sinheaders", "pagina", "caido", "tls", "inventa")):
        ports[ident] = 9000 + i
        reg.add(difusor(ident, port=9000 + i))
    agents = []

    def handler(request: httpx.Request):
        agents.append(request.headers.get("user-agent"))
        ident = [k for k, p in ports.items() if p == request.url.port][0]
        entry = served[ident]
        if isinstance(entry, Exception):
            raise entry
        st, body, headers = entry.get(request.url.path.lstrip("/"), (404, b"", {}))
        return httpx.Response(st, content=body, headers=headers)

    def copy_of(seq, headers=None):
        site = sites[seq]
        out = {}
        for p in site.rglob("*"):
            if p.is_file():
                rel = str(p.relative_to(site))
                h = {"cache-control": NO_STORE} if rel == "json/main.json" else {}
                if headers is not None and rel == "json/main.json":
                    h = headers
                out[rel] = (200, p.read_bytes(), h)
        return out

    served["bien"] = copy_of(2)
    served["atrasado"] = copy_of(1)
    served["sinheaders"] = copy_of(2, headers={"cache-control": "max-age=300"})
    served["pagina"] = copy_of(2)
    served["pagina"]["GUB/p3.html"] = (200, b"<p>alterada</p>", {})
    served["caido"] = httpx.ConnectError("connection refused")
    err = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    err.__cause__ = ssl.SSLCertVerificationError("certificate verify failed")
    served["tls"] = err
    served["inventa"] = {"json/main.json": (200, json.dumps({"corte": {"secuencia": 7, "instante": "x"}}).encode(),
                                            {"cache-control": NO_STORE})}
    return dict(work=work, reg=reg, handler=handler, agents=agents, served=served, tmp=tmp_path)


def make_monitor(world, clock, **kw):
    cfg = MonitorConfig(lag_limit_seconds=60, sample_pages=8, timeout_seconds=2,
                        observations=world["tmp"] / "mon" / "obs.jsonl", **kw)
    return Monitor(cfg, world["reg"], clock=clock, work=world["work"], transport=httpx.MockTransport(world["handler"]))


def test_round_judges_each_difusor(world):
    clock = ManualClock(T + timedelta(minutes=15, seconds=75))  # cut 2 has been out for 75 s
    logs = []
    mon = make_monitor(world, clock)
    mon.log = logs.append
    obs = {o.difusor: o for o in asyncio.run(mon.round())}
    assert obs["bien"].status == "ok" and obs["bien"].lag_s == 0 and obs["bien"].corte_sequence == 2
    assert obs["atrasado"].status == "lagging" and obs["atrasado"].lag_s == 75.0
    assert obs["sinheaders"].status == "headers" and obs["sinheaders"].headers_ok is False
    assert obs["pagina"].status == "tampered" and obs["pagina"].tampered == ["GUB/p3.html"]
    # the evidence an operator acts on: the official file's hash and the one served instead
    [ev] = obs["pagina"].evidence
    assert ev["path"] == "GUB/p3.html" and ev["found"] == hashlib.sha256(b"<p>alterada</p>").hexdigest()
    assert ev["expected"] == hashlib.sha256(world["served"]["bien"]["GUB/p3.html"][1]).hexdigest()
    assert ev["http_status"] == 200
    assert obs["bien"].evidence == []
    assert obs["caido"].status == "down" and not obs["caido"].up
    assert obs["tls"].status == "tls-error"
    assert obs["inventa"].status == "tampered" and "never published" in obs["inventa"].error
    assert set(world["agents"]) == {user_agent()} and user_agent().startswith("pregon-monitor/")
    assert sum("ALERT" in m for m in logs) == 6  # every condition but "bien" fires once
    # the same conditions in the next round fire nothing new; a fixed one resolves
    world["served"]["atrasado"] = world["served"]["bien"]
    logs.clear()
    asyncio.run(mon.round())
    assert not any("ALERT" in m for m in logs)
    assert any("resolved atrasado: lag" in m for m in logs)
    rows = {r["difusor"]: r for r in summarize(durable.read_jsonl(mon.cfg.observations), world["reg"].all())}
    assert rows["bien"]["availability_pct"] == 100.0
    assert rows["caido"]["availability_pct"] == 0.0 and rows["caido"]["down"] == 2
    assert rows["atrasado"]["lag_max_s"] == 75.0 and rows["atrasado"]["lag_p50_s"] == 0.0
    assert rows["atrasado"]["status"] == "ok" and rows["atrasado"]["last_failure"]["status"] == "lagging"
    assert "atrasado" in to_text(list(rows.values()))


def test_alert_command_hook(world, tmp_path):
    out = tmp_path / "hook.txt"
    mon = make_monitor(world, ManualClock(T + timedelta(minutes=17)),
                       alert_command=f'echo "$PREGON_ALERT_DIFUSOR:$PREGON_ALERT_KIND" >> {out}')
    asyncio.run(mon.round())
    lines = set(out.read_text().split())
    assert {"caido:down", "tls:down", "pagina:tampered", "inventa:tampered", "sinheaders:headers",
            "atrasado:lag"} <= lines
    assert not any(x.startswith("bien:") for x in lines)
    # a restarted monitor remembers what is already firing
    again = make_monitor(world, ManualClock(T + timedelta(minutes=18)),
                         alert_command=f'echo "$PREGON_ALERT_DIFUSOR:$PREGON_ALERT_KIND" >> {out}')
    before = out.read_text()
    asyncio.run(again.round())
    assert out.read_text() == before


def test_percentile_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([5.0], 99) == 5.0
    vals = list(range(1, 101))
    assert percentile(vals, 50) == 50 and percentile(vals, 90) == 90 and percentile(vals, 99) == 99
    assert percentile(vals, 100) == 100


def test_sample_paths_stable(tmp_path):
    site = official_site(tmp_path, 1)
    a = sample_paths(site, 4)
    assert a[0] == "index.html" and len(a) == 4 and a == sample_paths(site, 4)


def test_invalid_certificate_is_a_tls_error(tmp_path):
    """A real TLS server with a self-signed certificate: the monitor reports tls-error, not down."""
    import datetime as dt
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))

    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        reg = Registry(tmp_path / "reg")
        d = difusor("seguro")
        d.enlace = f"https://127.0.0.1:{srv.server_address[1]}/"
        reg.add(d)
        mon = Monitor(MonitorConfig(timeout_seconds=5, observations=tmp_path / "obs.jsonl"), reg,
                      clock=ManualClock(T), work=tmp_path / "work")
        (o,) = asyncio.run(mon.round())
        assert o.status == "tls-error" and not o.up and "certif" in o.error.lower()
    finally:
        srv.shutdown()
        srv.server_close()


def test_a_swap_between_main_json_and_the_pages_is_not_tampering(world):
    """The difusor activates corte 2 after the monitor read corte 1's main.json: the pages then belong to
    corte 2. The monitor looks once more and sees a consistent corte 2; a real alteration would remain."""
    served = world["served"]
    old, new = dict(served["atrasado"]), dict(served["bien"])
    state = {"main_reads": 0}
    handler = world["handler"]

    def swapping(request: httpx.Request):
        if request.url.port == 9001:  # "atrasado": serves corte 1's main.json once, then corte 2 everywhere
            path = request.url.path.lstrip("/")
            if path == "json/main.json":
                state["main_reads"] += 1
                st, body, h = (old if state["main_reads"] == 1 else new)[path]
            else:
                st, body, h = new.get(path, (404, b"", {}))
            return httpx.Response(st, content=body, headers=h)
        return handler(request)

    world["handler"] = swapping
    mon = make_monitor(world, ManualClock(T + timedelta(minutes=15, seconds=10)))
    obs = {o.difusor: o for o in asyncio.run(mon.round())}
    assert state["main_reads"] == 2
    assert obs["atrasado"].status == "ok" and obs["atrasado"].corte_sequence == 2
    assert obs["pagina"].status == "tampered"  # a real alteration is still reported after the second look
