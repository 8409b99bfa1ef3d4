"""The compliance checklist of a `--perfil` drill: every rule of the institute's call that a drill can observe,
✔ or ✗ with its evidence, and the rules it cannot (what the operator must see to).

Pure: `build(profile, facts)` reads what the drill gathered (simulacro.run `Simulacro._facts`) and returns
[{"rule", "ok", "evidence"}]. The rule texts are the call's, in Spanish, as the drill's summary is.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..perfiles import Profile

METHOD_NAMES = {"sftp": "SFTP/SSH", "rsync": "rsync sobre SSH", "pull": "descarga (pull)", "frame": "marco (método 2)"}
SERVER_NAMES = {"apache": "Apache", "nginx": "nginx", "iis": "IIS", "any": "cualquiera"}
STATISTICS = {"visitantes": "visitors", "paginas_vistas": "pages", "paginas": "top_pages", "hits": "hits",
              "tiempo_en_sitio": "mean_s"}


def _item(rule: str, ok: bool, evidence: str) -> dict:
    return {"rule": rule, "ok": bool(ok), "evidence": evidence}


def _hhmm(t: datetime) -> str:
    return t.strftime("%d/%m %H:%M")


def build(p: Profile, facts: dict) -> list[dict]:
    """The observable rules of the call, judged on the drill's facts."""
    out = [_elections(p, facts), _not_before(p, facts), _cadence(p, facts), _final(facts), _current(facts)]
    if p.cadence.lag_limit_seconds:
        out.append(_lag(p, facts))
    out.append(_transport(p, facts))
    if p.web.main_json_rule:
        out.append(_main_json(facts))
    if p.web.servers != ("any",):
        out.append(_server(p, facts))
    if p.duties.keep_packages or p.duties.auto_apply:
        out.append(_keep_and_apply(facts))
    if p.duties.content_seconds:
        out.append(_response(p, facts))
    if p.duties.availability_pct:
        out.append(_availability(p, facts))
    if p.duties.statistics:
        out.append(_statistics(p, facts))
    if p.memoria.required:
        out.append(_memoria(p, facts))
    if "frame" in p.transport.methods:
        out.append(_frame(facts))
    return out


def operator_duties(p: Profile) -> list[str]:
    """What the call asks that a drill on one machine cannot show: for the operator to see to."""
    d, t, w = p.duties, p.transport, p.window
    out = []
    if d.https:
        out.append("HTTPS con certificado válido en el sitio del difusor ([serve] tls_certificate)")
    if d.ntp:
        out.append("reloj sincronizado por NTP (pregon difusor init lo verifica)")
    if d.syslog:
        out.append("bitácora del sistema (syslog): [difusor] syslog = true y rsyslog o journald")
    if d.ddos:
        out.append("protección contra DDoS (contrato con el proveedor o la CDN)")
    if d.exclusive_server:
        out.append("servidor dedicado exclusivamente al PREP")
    if p.web.cdn:
        out.append("CDN " + ("recomendada" if p.web.cdn == "advised" else "con purga de json/main.json en cada "
                             "corte ([hooks] on_activate)"))
    if p.web.high_availability:
        out.append("alta disponibilidad (varios nodos tras un balanceador)")
    if t.single_source_ip or any(m in ("sftp", "rsync") for m in t.methods):
        out.append(f"SSH/rsync ({', '.join(str(x) for x in t.ports)}) solo desde las direcciones del instituto "
                   "(pregon difusor init escribe las reglas nftables)")
    if 873 in t.ports:
        out.append("el puerto 873 (demonio rsync) que la convocatoria abre: pregon entrega rsync sobre SSH (22)")
    if t.bandwidth_mb_s:
        out.append(f"ancho de banda de al menos {t.bandwidth_mb_s:g} MB/s")
    if w.end_rule == "hours_or_captured":
        out.append(f"fin de la publicación: {w.end_hours:g} h después del inicio, o al 100 % de actas capturadas "
                   "y agotada la recuperación (pregon instituto recovery-exhausted; probado en tests/instituto/"
                   "test_ending.py)")
    if w.keep_until:
        out.append(f"conservar los últimos resultados hasta el {_hhmm(w.keep_until.astimezone(p.tz))} "
                   "([window] keep_until; después, la página que remite al sitio oficial)")
    if d.availability_pct:
        out.append(f"disponibilidad de {d.availability_pct:g} % en la noche real (el monitor la informa por día y "
                   "por mes)")
    if p.memoria.required:
        if "visitas_vs_habitual" in p.memoria.contents:
            out.append("comparación con el tráfico habitual en la memoria: --baseline-from/--baseline-to con un "
                       "periodo de tráfico ordinario del portal")
        if p.memoria.logs_from:
            out.append(f"bitácoras del {p.memoria.logs_from:%d/%m} al {p.memoria.logs_to:%d/%m} en la memoria")
        if p.memoria.due:
            out.append(f"entrega de la memoria técnica a más tardar el {p.memoria.due:%d/%m/%Y}")
    if p.drills:
        out.append("simulacros: " + ", ".join(f"{x:%d/%m}" for x in p.drills)
                   + (f" ({p.drill_hours})" if p.drill_hours else ""))
    if p.blocking:
        out.append("bloqueo de difusores: pregon instituto difusores block (aviso firmado, fuera de la lista)")
    return out


# --- the rules -------------------------------------------------------------------------------------------------


def _elections(p: Profile, f: dict) -> dict:
    want = sorted(p.elections)
    seen = {ident: sorted(d.get("elections") or []) for ident, d in f["difusores"].items() if d["method"] != "frame"}
    official = sorted(f.get("official_elections") or [])
    ok = official == want and all(v == want for v in seen.values())
    bad = [f"{i}: {', '.join(v) or 'ninguna'}" for i, v in seen.items() if v != want]
    return _item(f"Se publican las elecciones de la convocatoria: {', '.join(p.elections)}", ok,
                 f"sitio oficial: {', '.join(official) or 'ninguna'}"
                 + ("; " + "; ".join(bad) if bad else "; cada difusor publica las mismas"))


def _not_before(p: Profile, f: dict) -> dict:
    start = p.window.start
    firsts = {i: d.get("first_public") for i, d in f["difusores"].items() if d["method"] != "frame"}
    early = [i for i, t in firsts.items() if t is not None and t < start]
    first_cut = min((c["instant"] for c in f["cuts"]), default=None)
    ok = not early and first_cut is not None and first_cut >= start
    return _item(f"Nada se publica antes de las {start.astimezone(p.tz):%H:%M} del {start.astimezone(p.tz):%d/%m/%Y}",
                 ok, (f"primer corte a las {_hhmm(first_cut.astimezone(p.tz))}" if first_cut else "ningún corte")
                 + ("; publicado antes: " + ", ".join(early) if early else "; ningún difusor publicó antes"))


def _cadence(p: Profile, f: dict) -> dict:
    step = timedelta(minutes=p.cadence.minutes)
    start = p.window.start
    regular = [c for c in f["cuts"] if not c["final"]]
    off = [c["corte"] for c in regular if (c["instant"] - start) % step]
    ok = not off and f["skipped"] == 0 and f["failed"] == 0 and len(regular) >= 2
    rule = ("Cada difusor publica cada paquete al recibirlo; el instituto corta cada "
            if p.cadence.per_package else "Un corte cada ") + f"{p.cadence.minutes:g} minutos"
    return _item(rule, ok, f"{len(regular)} cortes a intervalos de {p.cadence.minutes:g} min"
                 + (f"; fuera de la rejilla: {off}" if off else "")
                 + f"; omitidos {f['skipped']}, fallidos {f['failed']}")


def _final(f: dict) -> dict:
    finals = [c for c in f["cuts"] if c["final"]]
    ok = len(finals) == 1 and finals[0] is f["cuts"][-1] and finals[0]["instant"] == f["end"]
    return _item("El último corte se publica al cierre, marcado como final", ok,
                 f"corte {finals[-1]['corte']} a las {_hhmm(finals[-1]['instant'])}, final" if finals
                 else "ningún corte final")


def _current(f: dict) -> dict:
    behind = [i for i, d in f["difusores"].items() if d["method"] != "frame" and not d["current"]]
    n = sum(1 for d in f["difusores"].values() if d["method"] != "frame")
    return _item("Cada difusor termina publicando el último corte", not behind and n > 0,
                 f"{n - len(behind)} de {n} difusores en el último corte" + (f"; atrasados: {behind}" if behind else ""))


def _lag(p: Profile, f: dict) -> dict:
    limit = p.cadence.lag_limit_seconds
    worst = {i: max(d["lags"]) if d["lags"] else None for i, d in f["difusores"].items() if d["method"] != "frame"}
    ok = all(v is not None and v <= limit for v in worst.values()) and bool(worst)
    return _item(f"Cada difusor publica cada corte a más tardar {limit:g} s después del instituto", ok,
                 "retraso máximo en segundos reales: " + ", ".join(
                     f"{i} {'—' if v is None else f'{v:.2f} s'}" for i, v in worst.items()))


def _transport(p: Profile, f: dict) -> dict:
    allowed = set(p.transport.methods)
    used = {i: d["method"] for i, d in f["difusores"].items()}
    outside = [i for i, m in used.items() if m not in allowed]
    failed = {i: d["deliveries_failed"] for i, d in f["difusores"].items() if d.get("deliveries_failed")}
    counts = {i: d["deliveries_ok"] for i, d in f["difusores"].items() if d["method"] in ("sftp", "rsync")}
    ok = not outside and all(n > 0 for n in counts.values())
    return _item("Entrega por " + " o ".join(METHOD_NAMES[m] for m in p.transport.methods), ok,
                 "; ".join(f"{i}: {METHOD_NAMES.get(used[i], used[i])}" + (f", {counts[i]} paquetes entregados"
                                                                            if i in counts else "")
                           + (f", {failed[i]} intentos fallidos y reintentados" if i in failed else "")
                           for i in used))


def _main_json(f: dict) -> dict:
    want = "no-cache, no-store, must-revalidate"
    got = {i: d.get("main_json_cache_control") for i, d in f["difusores"].items() if d["method"] != "frame"}
    ok = bool(got) and all(v == want for v in got.values())
    return _item(f"json/main.json se sirve con Cache-Control: {want}", ok,
                 "; ".join(f"{i}: {v or 'sin encabezado'}" for i, v in got.items()))


def _server(p: Profile, f: dict) -> dict:
    names = [SERVER_NAMES[s] for s in p.web.servers]
    got = {i: d.get("server_header") or "" for i, d in f["difusores"].items() if d["method"] != "frame"}
    ok = bool(got) and all(any(v.lower().startswith(n.lower()) for n in names) for v in got.values())
    return _item("Servidor web: " + " o ".join(names), ok,
                 "encabezado Server: " + "; ".join(f"{i}: {v or '—'}" for i, v in got.items()))


def _keep_and_apply(f: dict) -> dict:
    rows, ok = [], True
    for i, d in f["difusores"].items():
        if d["method"] == "frame":
            continue
        kept, got, applied = d["archived"], d["received"], d["activated"]
        ok = ok and kept >= got > 0 and applied == d["accepted_cuts"]
        rows.append(f"{i}: {got} paquetes recibidos, {kept} en el archivo, {applied} aplicados solos")
    return _item("El difusor verifica, descomprime y publica cada paquete automáticamente y conserva todos", ok,
                 "; ".join(rows))


def _response(p: Profile, f: dict) -> dict:
    limit = p.duties.content_seconds
    worst = {i: d.get("response_max_s") for i, d in f["difusores"].items()}
    ok = bool(worst) and all(v is not None and v <= limit for v in worst.values())
    return _item(f"El contenido llega a cada visitante en a lo más {limit:g} s", ok,
                 "respuesta más lenta vista por el monitor: " + ", ".join(
                     f"{i} {'—' if v is None else f'{v:.3f} s'}" for i, v in worst.items()))


def _availability(p: Profile, f: dict) -> dict:
    limit = p.duties.availability_pct
    got = {i: d.get("availability_pct") for i, d in f["difusores"].items()}
    ok = bool(got) and all(v is not None and v >= limit for v in got.values())
    return _item(f"Disponibilidad de al menos {limit:g} % (según el monitor del instituto)", ok,
                 ", ".join(f"{i} {'—' if v is None else f'{v:.3f} %'}" for i, v in got.items()))


def _statistics(p: Profile, f: dict) -> dict:
    missing = {}
    for i, d in f["difusores"].items():  # a framing difusor's too: its page's visitors
        headline = (d.get("memoria_datos") or {}).get("headline") or {}
        keys = [k for k in p.duties.statistics if STATISTICS[k] != "top_pages" and STATISTICS[k] not in headline]
        if "paginas" in p.duties.statistics and not (d.get("memoria_datos") or {}).get("analytics", {}).get("period"):
            keys.append("paginas")
        if keys:
            missing[i] = keys
    ok = not missing and bool(f["difusores"])
    return _item("La memoria informa " + ", ".join(x.replace("_", " ") for x in p.duties.statistics), ok,
                 "cada memoria (datos.json) trae esas cifras" if ok else f"faltan: {missing}")


def _memoria(p: Profile, f: dict) -> dict:
    bad = {}
    for i, d in f["difusores"].items():
        datos = d.get("memoria_datos") or {}
        files = d.get("memoria_files") or []
        lacks = []
        if "bitacoras" in p.memoria.contents and not any(x.startswith("logs-") for x in files):
            lacks.append("bitácoras")
        if any(c in p.memoria.contents for c in ("incidentes",)) and "incidents" not in datos:
            lacks.append("incidentes")
        if "comentarios" in p.memoria.contents and not datos.get("comments"):
            lacks.append("comentarios")
        if "estadisticas_de_visitas" in p.memoria.contents and "headline" not in datos:
            lacks.append("estadísticas de visitas")
        if not d.get("memoria_ok") or lacks:
            bad[i] = lacks or ["no se escribió"]
    wanted = [c for c in p.memoria.contents if c != "visitas_vs_habitual"]
    return _item("Memoria técnica con " + ", ".join(x.replace("_", " ") for x in wanted), not bad,
                 "cada difusor escribió su memoria (HTML, bitácoras, datos.json)" if not bad else f"faltan: {bad}")


def _frame(f: dict) -> dict:
    frames = {i: d for i, d in f["difusores"].items() if d["method"] == "frame"}
    ok = bool(frames) and all(d.get("frame_status") == "ok" for d in frames.values())
    return _item("Método 2: el difusor enmarca el sitio oficial y el monitor lo verifica", ok,
                 "; ".join(f"{i}: {d.get('frame_status') or 'sin observación'}" for i, d in frames.items())
                 or "ningún difusor por marco en el simulacro")
