"""The monitor and the corte stamp: the stamp a difusor serves is always in the sample and must be the very
corte's its main.json names; its home page must frame it."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from instituto.kit import difusor
from pregon.instituto import stamp_check, store
from pregon.instituto.config import MonitorConfig
from pregon.instituto.monitor import Monitor
from pregon.instituto.packages import PackageRecord, record
from pregon.instituto.registry import Registry
from pregon.times import ManualClock

T = datetime(2024, 6, 2, 20, 0, tzinfo=timezone.utc)
NO_STORE = "no-cache, no-store, must-revalidate"
FRAME = '<iframe class="sello-marco" src="{root}corte.html" title="Fecha y hora del corte vigente"></iframe>'


def official_site(root: Path, seq: int) -> Path:
    site = root / f"site{seq}"
    (site / "json").mkdir(parents=True)
    (site / "GUB").mkdir()
    (site / "json" / "main.json").write_text(json.dumps({"corte": {"secuencia": seq, "instante": f"t{seq}"}}))
    (site / "corte.html").write_text(f"<p>Corte: {seq}</p>")
    (site / "index.html").write_text(f"<html>{FRAME.format(root='')} inicio</html>")  # the same at every corte
    for i in range(30):
        (site / "GUB" / f"p{i}.html").write_text(f"<p>{FRAME.format(root='../')} {i}</p>")
    return site


def copy_of(site: Path) -> dict:
    return {str(p.relative_to(site)): (200, p.read_bytes(), {"cache-control": NO_STORE} if p.name == "main.json"
                                       else {})
            for p in site.rglob("*") if p.is_file()}


def test_the_stamp_is_always_sampled_and_the_home_page_must_frame_it(tmp_path):
    work = tmp_path / "work"
    sites = {seq: official_site(tmp_path, seq) for seq in (1, 2)}
    for seq in (1, 2):
        record(work, PackageRecord(sequence=seq, kind="full", file="x", bytes=1, sha256="0" * 64,
                                   published=store.iso(T + timedelta(minutes=15 * (seq - 1))), election="E",
                                   corte_sequence=seq, site=str(sites[seq])))
    reg = Registry(tmp_path / "reg")
    names = ("bien", "sello-viejo", "sin-marco")
    for i, ident in enumerate(names):
        reg.add(difusor(ident, port=9100 + i))
    served = {ident: copy_of(sites[2]) for ident in names}
    served["sello-viejo"]["corte.html"] = copy_of(sites[1])["corte.html"]  # a cache holding the old stamp
    served["sin-marco"]["index.html"] = (200, b"<html> inicio</html>", {})
    asked: dict[str, list[str]] = {ident: [] for ident in names}

    def handler(request: httpx.Request):
        ident = names[request.url.port - 9100]
        asked[ident].append(request.url.path.lstrip("/"))
        st, body, headers = served[ident].get(request.url.path.lstrip("/"), (404, b"", {}))
        return httpx.Response(st, content=body, headers=headers)

    cfg = MonitorConfig(lag_limit_seconds=60, sample_pages=3, timeout_seconds=2,
                        observations=tmp_path / "mon" / "obs.jsonl")
    mon = Monitor(cfg, reg, clock=ManualClock(T + timedelta(minutes=16)), work=work,
                  transport=httpx.MockTransport(handler))
    obs = {o.difusor: o for o in asyncio.run(mon.round())}
    assert all("corte.html" in asked[i] for i in names)  # a sample of 3 pages, and the stamp beside them
    assert obs["bien"].status == "ok", obs["bien"].error
    assert obs["sello-viejo"].status == "tampered" and obs["sello-viejo"].tampered == ["corte.html"]
    assert obs["sin-marco"].status == "tampered" and obs["sin-marco"].tampered == ["index.html"]
    assert "index.html does not frame the corte stamp corte.html" in obs["sin-marco"].error


def test_frames_stamp_resolves_the_src_against_the_page():
    assert stamp_check.frames_stamp("GUB/17/index.html", b'<iframe src="../../corte.html"></iframe>')
    assert not stamp_check.frames_stamp("GUB/17/index.html", b'<iframe src="../corte.html"></iframe>')
    assert not stamp_check.frames_stamp("index.html", b'<iframe src="https://otro.mx/corte.html"></iframe>')
    assert not stamp_check.frames_stamp("index.html", b"<p>corte.html</p>")
    assert stamp_check.page_to_check(["corte.html", "GUB/a.html", "index.html"]) == "index.html"
