"""The drill's summary: what the night was (cuts published, skipped, failed; faults; the monitor's alerts) and
per difusor how it went (cuts activated, current at the end, lags in real seconds, the monitor's figures,
deliveries failed, incidents, its memoria), as `resumen.json` and the text `resumen.txt` prints."""

from __future__ import annotations

import json
from pathlib import Path

from .. import durable
from ..instituto import packages as pk
from ..instituto import store
from ..instituto.monitor import summarize as monitor_summary


def failed_cuts(journal: list[dict]) -> int:
    return sum(1 for e in journal if e.get("event") in ("cut-failed", "cut-abandoned"))


def skipped_cuts(journal: list[dict]) -> int:
    return sum(1 for e in journal if e.get("event") == "cut-skipped")


def deliveries_failed(deliveries: list[dict], ident: str) -> int:
    return sum(1 for x in deliveries if x.get("difusor") == ident and x.get("result") != "ok")


def summarize(plan, cfg, progress, *, interrupted: bool, monitor_alerts: list[str], memorias: dict) -> dict:
    progress.poll(final=True)
    inst = durable.read_jsonl(cfg.journal)
    recs = [r for r in pk.published(cfg.work) if r.kind != "notice"]
    deliveries = durable.read_jsonl(cfg.deliveries)
    mon = {r["difusor"]: r for r in monitor_summary(durable.read_jsonl(cfg.monitor.observations))}
    last = recs[-1] if recs else None
    generated = _json(plan.out / "visitantes.json") or {}
    out = {"preset": plan.preset, "election": str(plan.source or ""), "scale": plan.scale, "speed": plan.speed,
           "hours": plan.hours, "interrupted": interrupted,
           "cuts": len(recs), "cuts_planned": plan.cuts,
           "last_corte": last.corte_sequence if last else None, "last_sequence": last.sequence if last else None,
           "last_percent": progress.cuts[-1].percent if progress.cuts else None,
           "cut_skipped": skipped_cuts(inst), "cut_failed": failed_cuts(inst),
           "faults": [f.spec for f in plan.faults], "monitor_alerts": monitor_alerts,
           "lag_unit": "real seconds", "difusores": []}
    for d in plan.difusores:
        s = progress.seen[d.id]
        lags = progress.lags(d.id)
        final_seq = s.activations[-1][0] if s.activations else None
        m = mon.get(d.id, {})
        out["difusores"].append({
            "id": d.id, "method": d.method, "url": d.url,
            "cuts_activated": len({a[0] for a in s.activations}),
            "final_sequence": final_seq,
            "current": final_seq == (last.sequence if last else None) if d.hosts else progress.framed(d.id),
            "lag_max_s": round(max(lags), 3) if lags else None,
            "lag_mean_s": round(sum(lags) / len(lags), 3) if lags else None,
            "monitor_lag_max_s": m.get("lag_max_s"), "monitor_availability_pct": m.get("availability_pct"),
            "monitor_observations": m.get("observations"), "monitor_tampered": m.get("tampered"),
            "deliveries_failed": deliveries_failed(deliveries, d.id),
            "incidents": [{"time": store.iso(t), "event": ev, "detail": det} for t, ev, det in s.incidents],
            "memoria": memorias.get(d.id),
            "visitors": {"generated": generated.get(d.id), "memoria": _memoria_visitors(memorias.get(d.id))}})
    return out


def _json(path: Path):
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _memoria_visitors(m: dict | None) -> dict | None:
    """What the memoria counted (its headline): visitors, pages, visits, mean time on site (simulated s)."""
    doc = _json(Path(m["dir"]) / "datos.json") if m else None
    h = (doc or {}).get("headline") or {}
    return {k: h.get(k) for k in ("visitors", "pages", "visits", "mean_s", "median_s")} if h else None


def _value(v, fmt="{:.2f}") -> str:
    return "—" if v is None else fmt.format(v)


def text(plan, s: dict) -> str:
    lines = ["", "── resumen del simulacro " + "─" * 50,
             f"cortes publicados: {s['cuts']} de {s['cuts_planned']}"
             + (" (interrumpido)" if s["interrupted"] else "")
             + f"; último corte {s['last_corte']} con {s['last_percent']}% de actas contabilizadas",
             f"cortes omitidos por retraso del instituto: {s['cut_skipped']}; cortes fallidos: {s['cut_failed']}",
             "retrasos en segundos REALES (publicación del instituto → activación en el difusor):",
             f"  {'difusor':<18} {'método':<6} {'cortes':>6} {'al día':>6} {'máx':>7} {'medio':>7} "
             f"{'monitor máx':>11} {'dispon.':>8}  incidentes"]
    for d in s["difusores"]:
        inc = ", ".join(f"{i['event']}" for i in d["incidents"]) or "—"
        lines.append(f"  {d['id']:<18} {d['method']:<6} {d['cuts_activated']:>6} {'sí' if d['current'] else 'NO':>6} "
                     f"{_value(d['lag_max_s']):>7} {_value(d['lag_mean_s']):>7} {_value(d['monitor_lag_max_s']):>11} "
                     f"{_value(d['monitor_availability_pct'], '{:.1f}%'):>8}  {inc}")
    lines += _memoria_lines(s)
    if s.get("checklist") is not None:
        lines += _checklist_lines(plan.rules, s)
    lines.append(f"resumen: {plan.out / 'resumen.txt'} y resumen.json")
    return "\n".join(lines) + "\n"


def _memoria_lines(s: dict) -> list[str]:
    if not any(d.get("memoria") for d in s["difusores"]):
        return []
    lines = ["memorias técnicas:"]
    for d in s["difusores"]:
        m = d.get("memoria")
        if m:
            lines.append(f"  {d['id']:<18} {m['dir']}/  ({', '.join(x for x in m['files'] if x.startswith('memoria'))})"
                         + ("" if m["ok"] else "  FALLÓ"))
            v = (d.get("visitors") or {}).get("memoria")
            if v:
                stay = "—" if v.get("mean_s") is None else f"{v['mean_s'] / 60:.1f} min".replace(".", ",")
                lines.append(f"  {'':<18} {v['visitors'] or 0:,} visitantes, {v['pages'] or 0:,} páginas vistas, "
                             f"permanencia media {stay} (simulados)")
    return lines


def _checklist_lines(rules, s: dict) -> list[str]:
    lines = [f"lista de cumplimiento de la convocatoria de {rules.institute} ({rules.id}):"]
    for item in s["checklist"]:
        lines.append(f"  {'✔' if item['ok'] else '✗'} {item['rule']}")
        lines.append(f"      {item['evidence']}")
    lines.append("lo que un simulacro no puede mostrar (a cargo del operador):")
    lines += [f"  · {x}" for x in s["operator"]]
    return lines
