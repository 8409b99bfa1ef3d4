"""The institute's dashboard: one static HTML page, rewritten atomically after every monitor round, one row
per difusor (status, current corte and since when, lag, availability, lag p95, last failure). It refreshes
itself every 30 s; serve it to the operations room from any static server (it is not for the public)."""

from __future__ import annotations

import html
from pathlib import Path

from .. import durable

_COLORS = {"ok": "#1b7f3b", "notice-shown": "#555", "lagging": "#b26a00", "headers": "#b26a00",
           "tampered": "#b00020", "down": "#b00020", "tls-error": "#b00020", "notice-missing": "#b00020"}
_LABELS = {"ok": "en regla", "lagging": "retrasado", "tampered": "contenido alterado", "down": "caído",
           "tls-error": "TLS inválido", "headers": "encabezados", "notice-shown": "bloqueado (aviso visible)",
           "notice-missing": "bloqueado SIN aviso", None: "sin datos"}


def render(rows: list[dict], *, generated: str, latest_corte: int | None, lag_limit: float) -> str:
    def cell(v, fmt="{}"):
        return "—" if v is None else html.escape(fmt.format(v))

    trs = []
    for r in rows:
        st = r.get("status")
        color = _COLORS.get(st, "#555")
        lf = r.get("last_failure")
        failure = (f"{html.escape(lf['time'] or '')}: {html.escape(lf['status'] or '')} — {html.escape(lf['error'] or '')}"
                   if lf else "—")
        trs.append(
            f"<tr><td>{html.escape(r['difusor'])}</td>"
            f"<td style=\"color:{color};font-weight:bold\">{html.escape(_LABELS.get(st, str(st)))}</td>"
            f"<td>{cell(r.get('corte'))}</td><td>{cell(r.get('since'))}</td>"
            f"<td>{cell(r.get('lag_s'), '{:.0f} s')}</td><td>{cell(r.get('availability_pct'), '{:.2f} %')}</td>"
            f"<td>{cell(r.get('lag_p90_s'), '{:.0f} s')}</td><td>{r.get('tampered', 0)}</td><td>{failure}</td></tr>")
    body = "\n".join(trs) or "<tr><td colspan=\"9\">Sin difusores registrados.</td></tr>"
    return (
        "<!DOCTYPE html>\n<html lang=\"es-MX\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"refresh\" content=\"30\">\n<title>Monitor de difusores del PREP</title>\n"
        "<style>body{font-family:system-ui,sans-serif;margin:1.5rem}table{border-collapse:collapse;width:100%}"
        "th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;font-size:.9rem}"
        "th{background:#f3f3f3}</style>\n</head>\n<body>\n<h1>Monitor de difusores del PREP</h1>\n"
        f"<p>Actualizado: {html.escape(generated)}. Último corte publicado: {cell(latest_corte)}. "
        f"Retraso máximo permitido: {lag_limit:.0f} s.</p>\n"
        "<table>\n<thead><tr><th>Difusor</th><th>Estado</th><th>Corte</th><th>Desde</th><th>Retraso</th>"
        "<th>Disponibilidad</th><th>Retraso p90</th><th>Alteraciones</th><th>Última falla</th></tr></thead>\n"
        f"<tbody>\n{body}\n</tbody>\n</table>\n</body>\n</html>\n")


def write(path: Path, rows: list[dict], **kw) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    durable.atomic_write(path, render(rows, **kw).encode("utf-8"))
    return path
