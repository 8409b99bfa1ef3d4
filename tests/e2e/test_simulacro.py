"""A short simulacro end to end: a small Morelos night on a fast clock, three difusores (SFTP push through a
real sshd, rsync push through another, pull over HTTP), a package tampered on the wire to the SFTP difusor
and the rsync difusor down for a while. Checks what the issue's "done when" asks:

- every difusor ends on the institute's last corte;
- no difusor ever activated a package the institute did not sign and publish (each activated package in
  its archive has the SHA-256 of the institute's record and a signature by the institute's key);
- the monitor's lag figures agree with the receivers' journals (below);
- the memorias exist (HTML; PDF too when WeasyPrint is importable);
- the tampered package was refused and the difusor caught up; nothing this started is left running.

Agreement of the monitor with the journals, precisely: every monitor observation at (simulated) time t says
difusor D shows corte c; the journal of D must have c live at some instant within t ± tolerance (the HTTP
round trip plus a clock tick), and an observed lag L (real seconds) must not exceed the journal's figure
for that cut (activation of the first newer cut − its publication) by more than the tolerance; and for every
difusor that was never down, the monitor's maximum lag is within one polling interval (+ tolerance) below
the journals' maximum.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from datetime import datetime, timedelta
from pathlib import Path

from toolcheck import require_tool
from pregon import durable
from pregon.instituto import packages as pk
from pregon.package import EMPTY_STATE, load_public_key, read_unverified
from pregon.package.verify import check_signature
from pregon.simulacro.faults import parse_all
from pregon.errors import InputError
from pregon.simulacro.plan import Plan, check
from pregon.simulacro.run import Simulacro
from pregon.simulacro.sshd import SSHD, free_port


def _journal(path: Path) -> list[dict]:
    return durable.read_jsonl(path)


def _live_intervals(journal: list[dict]) -> list[tuple[datetime, int]]:
    """(from, corte) each time a corte went live."""
    return [(datetime.fromisoformat(e["time"]), int(e["corte"]["sequence"]))
            for e in journal if e.get("event") == "activated" and e.get("corte")]


def _live_at(intervals, t: datetime) -> int | None:
    cur = None
    for since, corte in intervals:
        if since <= t:
            cur = corte
    return cur


def test_short_simulacro(tmp_path):
    for tool in (SSHD, "ssh-keygen", "ssh", "rsync"):
        require_tool(tool)
    out = tmp_path / "drill"
    for _ in range(20):  # a base port with the three next ones free too
        plan = Plan(out=out, preset="morelos", seed=3, scale=0.1, hours=2.5, speed=720, n=3,
                    port=20000 + free_port() % 30000, faults=parse_all(["tamper:1:3", "down:2:45-70"], 3))
        try:
            check(plan)
            break
        except InputError:
            continue
    pdf = importlib.util.find_spec("weasyprint") is not None
    lines: list[str] = []
    drill = Simulacro(plan, echo=lines.append, linger=False, pdf=pdf)
    summary = drill.run()
    text = "\n".join(lines)

    # nothing left running
    assert all(not c.running() for c in drill.children.values())
    assert all(not s.running() for s in drill.sshds.values())

    work = plan.work
    records = [r for r in pk.published(work) if r.kind != "notice"]
    assert len(records) == plan.cuts == summary["cuts"] == 11
    assert summary["cut_skipped"] == 0 and summary["cut_failed"] == 0
    last = records[-1]
    by_seq = {r.sequence: r for r in records}
    pub = load_public_key(plan.inst / "keys" / "pregon.pub")
    keys = EMPTY_STATE.effective_keys([pub])

    for d in plan.difusores:
        # ends on the last corte
        main = json.loads((d.root / "current" / "json" / "main.json").read_text())
        assert main["corte"]["secuencia"] == last.corte_sequence, d.id
        status = json.loads((d.root / "status.json").read_text())
        assert status["sequence"] == last.sequence, d.id
        # every package it activated is one the institute signed and published, byte for byte
        journal = _journal(d.root / "journal.jsonl")
        activated = [e for e in journal if e.get("event") == "activated"]
        assert activated, d.id
        verdicts = {}
        for v in (d.root / "archive").glob("*.verdict.json"):
            obj = json.loads(v.read_text())
            if obj.get("verdict") == "accepted":
                verdicts[obj["sequence"]] = v.with_name(v.name[: -len(".verdict.json")])
        for e in activated:
            seq = e["sequence"]
            rec = by_seq[seq]
            assert e["corte"]["sequence"] == rec.corte_sequence
            archived = verdicts[seq]
            assert hashlib.sha256(archived.read_bytes()).hexdigest() == rec.sha256, (d.id, seq)
            _m, mbytes, sig = read_unverified(archived)
            check_signature(mbytes, sig, keys, frozenset())  # raises when not the institute's signature

    # the tampered package: refused by el-diario, which then caught up
    diario = _journal(plan.difusor(1).root / "journal.jsonl")
    refused = [e for e in diario if e.get("event") == "refused"]
    assert refused and refused[0]["reason"]
    assert "se altera en tránsito" in text and "rechaza" in text and "al día de nuevo" in text
    # the difusor that went down stopped, came back, and caught up
    norte = _journal(plan.difusor(2).root / "journal.jsonl")
    assert [e["event"] for e in norte].count("started") == 2
    assert "tv-norte cae" in text and "tv-norte vuelve" in text

    # the monitor agrees with the journals
    speed = plan.speed
    obs = durable.read_jsonl(plan.work / "monitor" / "observations.jsonl")
    assert obs
    published = {r.corte_sequence: datetime.fromisoformat(r.published) for r in records}
    for d in plan.difusores:
        intervals = _live_intervals(_journal(d.root / "journal.jsonl"))
        mine = [o for o in obs if o["difusor"] == d.id and o.get("corte_sequence") is not None]
        assert mine, d.id
        for o in mine:
            t = datetime.fromisoformat(o["time"])
            tol = timedelta(seconds=((o.get("response_s") or 0) + 0.3) * speed)
            seen = {_live_at(intervals, t - tol)} | {c for since, c in intervals if t - tol <= since <= t + tol}
            assert o["corte_sequence"] in seen, (d.id, o)
            if o.get("lag_s"):
                c = o["corte_sequence"]
                newer = [(since, corte) for since, corte in intervals if corte > c]
                assert newer, (d.id, o)
                journal_lag = (newer[0][0] - published[c + 1]).total_seconds() / speed
                assert o["lag_s"] <= journal_lag + 0.3 + (o.get("response_s") or 0), (d.id, o, journal_lag)
        row = next(x for x in summary["difusores"] if x["id"] == d.id)
        assert row["current"] and row["cuts_activated"] >= 1
        if row["monitor_lag_max_s"] is not None and row["lag_max_s"] is not None:
            assert row["monitor_lag_max_s"] <= row["lag_max_s"] + 0.3
            if d.index != 2:  # never down: the monitor saw its worst lag within one polling interval
                assert row["monitor_lag_max_s"] >= row["lag_max_s"] - plan.monitor_interval - 1.0, row

    # memorias
    for d in plan.difusores:
        mem = d.root / "memoria"
        assert (mem / "memoria.html").stat().st_size > 1000, d.id
        assert (mem / "SHA256SUMS").exists()
        # the drill's visitors (simulacro/visitors.py) reach the memoria: people, pages and time on site
        datos = json.loads((mem / "datos.json").read_text())
        head = datos["headline"]
        assert head["visitors"] > 0 and head["pages"] > head["visitors"] and head["mean_s"] > 0, (d.id, head)
        # compared with an ordinary day (the synthetic baseline a week before), over the night's hours only
        a = datos["analytics"]
        assert a["baseline"]["visitors"] > 0, d.id
        assert {c["metric"] for c in a["comparison"]} >= {"visitors"}, a["comparison"]
        assert datetime.fromisoformat(datos["period"]["end"]) <= plan.end + timedelta(hours=1), datos["period"]
        gen = summary["difusores"][d.index - 1]["visitors"]
        assert gen["generated"]["sessions"] > 0 and gen["memoria"]["visitors"] == head["visitors"]
        if pdf:
            assert (mem / "memoria.pdf").read_bytes()[:5] == b"%PDF-"
    assert (out / "resumen.json").exists() and "resumen del simulacro" in text
    # the lag is labelled as real seconds
    assert "segundos REALES" in text and summary["lag_unit"] == "real seconds"
