"""The published pull directory: signed index, immutable packages, conditional requests through real nginx."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import timedelta

import httpx
import pytest

from toolcheck import require_tool
from difusor.kit import T0, Institute
from instituto.sshkit import free_port, wait_port
from pregon.errors import CheckFailed
from pregon.instituto import pull, store
from pregon.durable import sha256_file
from pregon.instituto.packages import PackageRecord
from pregon.package import keys as keys_mod


def records(inst: Institute, n: int) -> list[PackageRecord]:
    out = []
    for i in range(1, n + 1):
        p = inst.full(i) if i == 1 else inst.delta(i)
        size, digest = sha256_file(p)
        out.append(PackageRecord(sequence=i, kind="full" if i == 1 else "delta", file=str(p), bytes=size,
                                 sha256=digest, published=store.iso(T0), election=inst.election, corte_sequence=i,
                                 base_sequence=None if i == 1 else i - 1))
    return out


def test_index_signed_and_lists_from_latest_full(tmp_path):
    inst = Institute(tmp_path / "inst")
    recs = records(inst, 3)
    notice = PackageRecord(sequence=4, kind="notice", file=str(inst.notice("not-official", "x", 4)), bytes=1,
                           sha256="0" * 64, published=store.iso(T0), election=inst.election, to=("malo",))
    recs.append(notice)
    full4 = inst.full(5)
    size, digest = sha256_file(full4)
    recs.append(PackageRecord(sequence=5, kind="full", file=str(full4), bytes=size, sha256=digest,
                              published=store.iso(T0), election=inst.election, corte_sequence=5))
    pub = tmp_path / "pub"
    pull.publish(pub, recs, key=inst.key, election=inst.election, issuer="IMPEPAC", updated=T0)
    data, sig = (pub / "index.json").read_bytes(), (pub / "index.json.minisig").read_bytes()
    idx = pull.verify_index(data, sig, [inst.public])
    assert idx["latest"] == 5
    assert [(e["sequence"], e["kind"], e.get("to")) for e in idx["packages"]] == [(4, "notice", ["malo"]),
                                                                                  (5, "full", None)]
    for e in idx["packages"]:
        assert (pub / e["file"]).is_file()
    with pytest.raises(CheckFailed, match="does not verify"):
        pull.verify_index(data.replace(b'"latest":5', b'"latest":6'), sig, [inst.public])
    with pytest.raises(CheckFailed, match="unknown key"):
        pull.verify_index(data, sig, [keys_mod.generate().public])


def test_conditional_requests_through_nginx(tmp_path):
    nginx = require_tool("nginx")
    inst = Institute(tmp_path / "inst")
    recs = records(inst, 2)
    pub = tmp_path / "pub"
    pull.publish(pub, recs[:1], key=inst.key, election=inst.election, issuer="IMPEPAC", updated=T0)
    port = free_port()
    rt = tmp_path / "nginx"
    (rt / "logs").mkdir(parents=True)
    conf = rt / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"{user}worker_processes 1;\npid {rt}/nginx.pid;\nerror_log {rt}/error.log;\ndaemon on;\n"
        f"events {{ worker_connections 64; }}\nhttp {{\n  access_log off;\n"
        f"  client_body_temp_path {rt}/body; proxy_temp_path {rt}/proxy; fastcgi_temp_path {rt}/fcgi;\n"
        f"  uwsgi_temp_path {rt}/uwsgi; scgi_temp_path {rt}/scgi;\n"
        f"  server {{\n    listen 127.0.0.1:{port};\n{pull.nginx_locations('/publicado/', pub)}  }}\n}}\n")
    subprocess.run([nginx, "-t", "-p", str(rt), "-c", str(conf)], check=True, capture_output=True)
    subprocess.run([nginx, "-p", str(rt), "-c", str(conf)], check=True)
    try:
        wait_port(port)
        base = f"http://127.0.0.1:{port}/publicado/"
        with httpx.Client(timeout=5) as c:
            r1 = c.get(base + "index.json")
            assert r1.status_code == 200 and r1.headers["cache-control"] == "no-cache"
            etag = r1.headers["etag"]
            r2 = c.get(base + "index.json", headers={"If-None-Match": etag})
            assert r2.status_code == 304
            # a new cut: the index changes, even within the same second and at the same length
            pull.publish(pub, recs, key=inst.key, election=inst.election, issuer="IMPEPAC", updated=T0)
            r3 = c.get(base + "index.json", headers={"If-None-Match": etag})
            assert r3.status_code == 200 and r3.headers["etag"] != etag
            sig = c.get(base + "index.json.minisig").content
            idx = pull.verify_index(r3.content, sig, [inst.public])
            assert idx["latest"] == 2
            pkg = c.get(base + idx["packages"][-1]["file"])
            assert pkg.status_code == 200 and "immutable" in pkg.headers["cache-control"]
            assert len(pkg.content) == idx["packages"][-1]["bytes"]
    finally:
        subprocess.run([nginx, "-p", str(rt), "-c", str(conf), "-s", "quit"], capture_output=True)
        deadline = time.monotonic() + 10
        while (rt / "nginx.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)


def test_index_mtime_strictly_increases(tmp_path):
    inst = Institute(tmp_path / "inst")
    recs = records(inst, 1)
    pub = tmp_path / "pub"
    stamps = []
    for _ in range(3):
        pull.publish(pub, recs, key=inst.key, election=inst.election, issuer="I", updated=T0 + timedelta(seconds=1))
        stamps.append(os.stat(pub / "index.json").st_mtime_ns // 1_000_000_000)
    assert stamps[0] < stamps[1] < stamps[2]
