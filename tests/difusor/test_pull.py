"""Pull mode against a loopback HTTP server: conditional index requests, resume after a cut download."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


from difusor.kit import T0, Institute, make_config, served_corte
from pregon.times import ManualClock
from pregon.difusor.pipeline import Receiver
from pregon.difusor.pull import PullConfig, Puller, plan
from pregon.instituto.packages import PackageRecord
from pregon.instituto.pull import publish


class Server:
    """Static files with ETag/If-None-Match and Range; can cut the first download of each package."""

    def __init__(self, root: Path, cut_first: bool = True):
        self.root = root
        self.log: list[tuple[str, str, int]] = []
        self.cut: set[str] = set()
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                p = outer.root / self.path.lstrip("/")
                if not p.is_file():
                    self.send_response(404)
                    self.end_headers()
                    outer.log.append(("GET", self.path, 404))
                    return
                data = p.read_bytes()
                st = p.stat()
                etag = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    outer.log.append(("GET", self.path, 304))
                    return
                start = 0
                rng = self.headers.get("Range")
                if rng:
                    start = int(rng.split("=")[1].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.end_headers()
                outer.log.append(("GET", self.path, 206 if rng else 200))
                if cut_first and self.path.endswith(".tar.gz") and self.path not in outer.cut:
                    outer.cut.add(self.path)
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def record(path: Path, seq: int, kind: str, base=None) -> PackageRecord:
    data = path.read_bytes()
    return PackageRecord(sequence=seq, kind=kind, file=str(path), bytes=len(data),
                         sha256=hashlib.sha256(data).hexdigest(), published="2024-06-03T03:00:00Z",
                         election="MOR-2024", base_sequence=base)


def test_pull_conditional_resume_and_publish(tmp_path):
    inst = Institute(tmp_path / "inst")
    pub = tmp_path / "publicado"
    records = [record(inst.full(1), 1, "full")]
    publish(pub, records, key=inst.key, election="MOR-2024", issuer="IMPEPAC", updated=T0)
    clock = ManualClock(T0 + timedelta(hours=1))
    cfg = make_config(tmp_path / "d", inst)
    r = Receiver(cfg, clock=clock, durable=False, check_clock=False)
    r.start()
    with Server(pub) as srv:
        puller = Puller(cfg, PullConfig(url=f"http://127.0.0.1:{srv.port}/index.json", timeout=5))
        # first poll: the download is cut halfway -> an incident, a partial file kept for resuming
        assert r.pull_once(puller) == []
        assert "pull" in r.rt.incidents
        parts = list(cfg.inbox.glob(".pull-*.part"))
        assert len(parts) == 1 and parts[0].stat().st_size > 0
        # second poll resumes with a Range request and publishes
        outs = r.pull_once(puller)
        assert [o.verdict for o in outs] == ["accepted"]
        assert any(code == 206 for _, _, code in srv.log)
        assert served_corte(cfg.current)[0] == 1
        # unchanged index: a conditional request answered 304, nothing fetched
        n = len(srv.log)
        assert r.pull_once(puller) == []
        assert srv.log[n:] == [("GET", "/index.json", 304)]
        # the institute publishes a delta and a notice for another difusor
        records.append(record(inst.delta(2), 2, "delta", base=1))
        note = inst.notice("withdrawal", "solo para otro", to=["otro"])
        records.append(dataclasses.replace(record(note, 3, "notice"), to=("otro",)))
        publish(pub, records, key=inst.key, election="MOR-2024", issuer="IMPEPAC", updated=T0 + timedelta(minutes=20))
        r.pull_once(puller)  # cut again (first download of the delta)
        outs = r.pull_once(puller)
        assert [(o.verdict, o.sequence) for o in outs] == [("accepted", 2)]
        assert served_corte(cfg.current)[0] == 2
        assert not any(p for p in cfg.inbox.iterdir())


def test_plan_falls_back_to_latest_full():
    index = {"packages": [
        {"sequence": 5, "kind": "full", "file": "p/5"}, {"sequence": 6, "kind": "delta", "base_sequence": 5,
                                                        "file": "p/6"},
        {"sequence": 7, "kind": "notice", "file": "p/7", "to": ["x"]}]}
    assert [e["sequence"] for e in plan(index, sequence=None, tree_sequence=None, difusor_id="y")] == [5, 6]
    assert [e["sequence"] for e in plan(index, sequence=5, tree_sequence=5, difusor_id="x")] == [6, 7]
    assert [e["sequence"] for e in plan(index, sequence=2, tree_sequence=2, difusor_id="y")] == [5, 6]


def test_pull_refuses_a_tampered_index(tmp_path):
    inst = Institute(tmp_path / "inst")
    pub = tmp_path / "publicado"
    publish(pub, [record(inst.full(1), 1, "full")], key=inst.key, election="MOR-2024", issuer="I", updated=T0)
    (pub / "index.json").write_bytes((pub / "index.json").read_bytes().replace(b'"latest":1', b'"latest":9'))
    cfg = make_config(tmp_path / "d", inst)
    r = Receiver(cfg, clock=ManualClock(T0 + timedelta(hours=1)), durable=False, check_clock=False)
    r.start()
    with Server(pub, cut_first=False) as srv:
        puller = Puller(cfg, PullConfig(url=f"http://127.0.0.1:{srv.port}/index.json", timeout=5))
        assert r.pull_once(puller) == []
    assert "signature" in r.rt.incidents["pull"] or "verify" in r.rt.incidents["pull"]
    assert r.status()["published"] == "placeholder"
