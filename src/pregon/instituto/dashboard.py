"""The institute's dashboard for the operations room: one static page and its JSON twin (`estado.json`),
rewritten atomically after every monitor round. In Spanish, times in hora del Centro: each difusor's state at a
glance (word and colour), the night's lag as an SVG chart, and each alert with its evidence (which file, which
hash the official corte has and which was served, since when). It refreshes itself every 30 s without script;
serve it from any static server to the operators (it is not for the public)."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from .. import durable
from .dashboard_chart import chart
from .dashboard_text import hora, message, segundos, state
from .monitor import IN_ORDER

TWIN = "estado.json"
REFRESH_S = 30


def _streak_start(obs: list[dict]) -> str | None:
    """When the difusor's current status began: the first observation of its last run of that status."""
    if not obs:
        return None
    st, start = obs[-1].get("status"), obs[-1].get("time")
    for o in reversed(obs):
        if o.get("status") != st:
            break
        start = o.get("time")
    return start


def model(rows: list[dict], observations: list[dict], *, generated: str, latest_corte: int | None,
          lag_limit: float) -> dict:
    """Everything the page shows, as data (the JSON twin): per difusor its state and alert, the lag series."""
    by: dict[str, list[dict]] = {}
    for o in observations:
        by.setdefault(o.get("difusor"), []).append(o)
    difusores, alertas, series = [], [], {}
    for r in rows:
        obs = by.get(r["difusor"], [])
        last = obs[-1] if obs else {}
        word, level = state(r.get("status"))
        d = {"difusor": r["difusor"], "estado": r.get("status"), "estado_texto": word, "nivel": level,
             "corte": r.get("corte"), "corte_desde": r.get("since"), "retraso_s": r.get("lag_s"),
             "retraso_max_s": r.get("lag_max_s"), "disponibilidad_pct": r.get("availability_pct"),
             "alteraciones": r.get("tampered", 0), "observaciones": r.get("observations", 0),
             "url": last.get("url")}
        difusores.append(d)
        series[r["difusor"]] = [(o["time"], float(o["lag_s"])) for o in obs if o.get("lag_s") is not None]
        if obs and r.get("status") not in IN_ORDER:
            alertas.append({"difusor": r["difusor"], "estado": r.get("status"), "estado_texto": word,
                            "nivel": level, "mensaje": message(last), "desde": _streak_start(obs),
                            "ultima_observacion": last.get("time"), "url": last.get("url"),
                            "http_status": last.get("http_status"), "corte": last.get("corte_sequence"),
                            "corte_publicado": last.get("latest_corte"),
                            "evidencia": last.get("evidence") or [{"path": p} for p in last.get("tampered", [])],
                            "detalle_tecnico": last.get("error")})
    return {"generado": generated, "ultimo_corte": latest_corte, "retraso_limite_s": lag_limit,
            "refresco_s": REFRESH_S, "difusores": difusores, "alertas": alertas,
            "retrasos": {d: [{"hora": t, "retraso_s": v} for t, v in s] for d, s in sorted(series.items())}}


def _card(d: dict) -> str:
    pct = d["disponibilidad_pct"]
    return (f'<article class="tarjeta {d["nivel"]}" aria-labelledby="d-{escape(d["difusor"])}">'
            f'<h3 id="d-{escape(d["difusor"])}">{escape(d["difusor"])}</h3>'
            f'<p class="estado"><span class="punto" aria-hidden="true"></span>{escape(d["estado_texto"])}</p>'
            f'<dl><dt>Corte</dt><dd>{"—" if d["corte"] is None else d["corte"]}</dd>'
            f'<dt>Desde</dt><dd>{hora(d["corte_desde"])}</dd>'
            f'<dt>Retraso</dt><dd>{segundos(d["retraso_s"])}</dd>'
            f'<dt>Peor retraso</dt><dd>{segundos(d["retraso_max_s"])}</dd>'
            f'<dt>Disponibilidad</dt><dd>{"—" if pct is None else f"{pct:.1f} %".replace(".", ",")}</dd></dl>'
            '</article>')


def _alert(a: dict) -> str:
    ev = []
    for e in a["evidencia"]:
        if e.get("expected") or e.get("found") or e.get("http_status"):
            served = (f'servido <code>{escape(e["found"][:16])}…</code>' if e.get("found")
                      else f'HTTP {e.get("http_status")}')
            ev.append(f'<li><code>{escape(e["path"])}</code>: oficial <code>{escape((e.get("expected") or "—")[:16])}'
                      f'…</code>, {served}</li>')
        else:
            ev.append(f'<li><code>{escape(e["path"])}</code></li>')
    where = f' en <a href="{escape(a["url"])}">{escape(a["url"])}</a>' if a.get("url") else ""
    return (f'<li class="alerta {a["nivel"]}"><p><strong>{escape(a["difusor"])}: {escape(a["estado_texto"])}</strong>'
            f' desde las {hora(a["desde"])} (última revisión {hora(a["ultima_observacion"])}){where}.</p>'
            f'<p>{escape(a["mensaje"])}</p>' + (f'<ul class="evidencia">{"".join(ev)}</ul>' if ev else "") + '</li>')


_CSS = ("body{font-family:system-ui,sans-serif;margin:1rem;color:#111;background:#fff}h1{font-size:1.4rem}"
        ".tarjetas{display:grid;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));gap:.75rem}"
        ".tarjeta{border:2px solid #767676;border-radius:.4rem;padding:.5rem .75rem}.tarjeta h3{margin:.1rem 0}"
        ".estado{font-weight:700;font-size:1.1rem;margin:.2rem 0}.punto{display:inline-block;width:.8rem;"
        "height:.8rem;border-radius:50%;margin-right:.4rem;background:#555}"
        ".bien{border-color:#1b7f3b}.bien .punto{background:#1b7f3b}.aviso{border-color:#8a5300}"
        ".aviso .punto{background:#b26a00}.grave{border-color:#b00020;background:#fff4f5}.grave .punto"
        "{background:#b00020}dl{display:grid;grid-template-columns:auto 1fr;gap:.1rem .6rem;margin:.3rem 0}"
        "dt{color:#444}dd{margin:0;font-variant-numeric:tabular-nums}.grafica{width:100%;max-width:48rem;"
        "height:auto}.leyenda{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1rem}"
        ".alertas{padding:0;list-style:none}.alerta{border-left:.4rem solid #b00020;padding:.3rem .7rem;"
        "margin:.5rem 0;background:#fff4f5}.alerta.aviso{border-color:#b26a00;background:#fff8ec}"
        "code{word-break:break-all}")


def _pause(seconds: int) -> str:
    """The reload with a pause button (WCAG 2.2.1: a page that refreshes itself lets its reader stop it); without
    script the <noscript> meta refresh does the same job."""
    return ('<p><button type="button" id="pausa" aria-pressed="false">Pausar la actualización</button></p>\n'
            '<script>(function () {var left = %d, paused = false, b = document.getElementById("pausa");'
            'b.addEventListener("click", function () {paused = !paused; b.setAttribute("aria-pressed", String(paused));'
            'b.textContent = paused ? "Reanudar la actualización" : "Pausar la actualización";});'
            'setInterval(function () {if (!paused && --left <= 0) {location.reload();}}, 1000);}());</script>'
            % seconds)


def render(m: dict) -> str:
    cards = "\n".join(_card(d) for d in m["difusores"]) or "<p>Sin difusores registrados.</p>"
    alerts = ("<ul class=\"alertas\">" + "\n".join(_alert(a) for a in m["alertas"]) + "</ul>" if m["alertas"]
              else "<p>Sin alertas: todos los difusores están en regla.</p>")
    series = {d: [(p["hora"], p["retraso_s"]) for p in s] for d, s in m["retrasos"].items()}
    last = "—" if m["ultimo_corte"] is None else m["ultimo_corte"]
    return (
        "<!DOCTYPE html>\n<html lang=\"es-MX\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<noscript><meta http-equiv=\"refresh\" content=\"{m['refresco_s']}\"></noscript>\n"
        "<title>Monitor de difusores del PREP</title>\n"
        f"<link rel=\"alternate\" type=\"application/json\" href=\"{TWIN}\">\n<style>{_CSS}</style>\n</head>\n<body>\n"
        "<h1>Monitor de difusores del PREP</h1>\n"
        f"<p>Actualizado a las {hora(m['generado'], fecha=True)} (hora del Centro). Último corte publicado: "
        f"{last}. Retraso máximo permitido: {segundos(m['retraso_limite_s'])}. La página se actualiza sola cada "
        f"{m['refresco_s']} s. <a href=\"{TWIN}\">Datos en JSON</a>.</p>\n{_pause(m['refresco_s'])}\n"
        f"<h2>Alertas ({len(m['alertas'])})</h2>\n{alerts}\n"
        f"<h2>Difusores ({len(m['difusores'])})</h2>\n<div class=\"tarjetas\">\n{cards}\n</div>\n"
        f"<h2>Retraso durante la noche</h2>\n{chart(series, m['retraso_limite_s'])}\n"
        "</body>\n</html>\n")


def write(path: Path, rows: list[dict], observations: list[dict] | None = None, **kw) -> Path:
    """The page and, beside it, its JSON twin (each replaced atomically: a reader sees one round or the next)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    m = model(rows, observations or [], **kw)
    durable.atomic_write(path.parent / TWIN, (json.dumps(m, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    durable.atomic_write(path, render(m).encode("utf-8"))
    return path
