"""What the drill saw, as the facts the call's checklist (simulacro.checklist) judges: the institute's cuts,
and per difusor its corte, elections, lags, deliveries, archive, response headers and memoria."""

from __future__ import annotations

import http.client
import json
from datetime import datetime
from pathlib import Path

from .. import durable
from ..instituto.monitor import summarize as monitor_summary
from .summary import deliveries_failed, failed_cuts, skipped_cuts


def _claves(site: Path) -> list[str]:
    """The elections a site's main.json lists."""
    try:
        return [e["clave"] for e in json.loads((site / "json" / "main.json").read_text())["elecciones"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _headers(port: int, path: str) -> dict:
    """The response headers of a GET to the difusor's server (lower-case names); {} when it does not answer."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        c.close()
        return {k.lower(): v for k, v in r.getheaders()}
    except (OSError, http.client.HTTPException):
        return {}


def facts(plan, cfg, progress, memorias: dict) -> dict:
    inst = durable.read_jsonl(cfg.journal)
    cuts = [{"corte": e["cut"], "instant": datetime.fromisoformat(e["instant"]), "final": bool(e.get("final")),
             "sequence": e.get("sequence")} for e in inst if e.get("event") == "cut"]
    deliveries = durable.read_jsonl(cfg.deliveries)
    obs = durable.read_jsonl(cfg.monitor.observations)
    mon = {r["difusor"]: r for r in monitor_summary(obs)}
    last = max((c["sequence"] for c in cuts), default=None)
    out = {"start": plan.start, "end": plan.end, "cuts": cuts, "skipped": skipped_cuts(inst),
           "failed": failed_cuts(inst), "official_elections": _claves(cfg.work / "official"), "difusores": {}}
    for d in plan.difusores:
        mine = [o for o in obs if o.get("difusor") == d.id]
        out["difusores"][d.id] = _difusor_facts(d, progress, memorias.get(d.id) or {}, last=last,
                                                deliveries=deliveries, observed=mine, monitor=mon.get(d.id) or {})
    return out


def _difusor_facts(d, progress, m: dict, *, last, deliveries: list[dict], observed: list[dict],
                   monitor: dict) -> dict:
    s = progress.seen[d.id]
    verdicts = [durable.read_json(v) or {} for v in sorted((d.root / "archive").glob("*.verdict.json"))]
    datos = durable.read_json(Path(m["dir"]) / "datos.json") if m.get("dir") else None
    h = _headers(d.port, "/json/main.json")
    journal = durable.read_jsonl(d.root / "journal.jsonl")
    return {
        "method": d.method, "elections": _claves(d.root / "current"),
        "first_public": s.activations[0][2] if s.activations else None,
        "lags": progress.lags(d.id),
        "current": (bool(s.activations) and s.activations[-1][0] == last) if d.hosts else progress.framed(d.id),
        "deliveries_ok": sum(1 for x in deliveries if x.get("difusor") == d.id and x.get("result") == "ok"),
        "deliveries_failed": deliveries_failed(deliveries, d.id),
        "received": sum(1 for e in journal if e.get("event") == "received"),
        "archived": len(list((d.root / "archive").glob("*.tar.gz"))),
        "accepted_cuts": sum(1 for v in verdicts if v.get("verdict") == "accepted" and v.get("kind") != "notice"),
        "activated": sum(1 for e in journal if e.get("event") == "activated"),
        "main_json_cache_control": h.get("cache-control"), "server_header": h.get("server"),
        "response_max_s": max((o["response_s"] for o in observed if o.get("response_s") is not None), default=None),
        "availability_pct": monitor.get("availability_pct"),
        "frame_status": observed[-1].get("status") if observed else None,
        "memoria_ok": m.get("ok"), "memoria_files": m.get("files"), "memoria_datos": datos}
