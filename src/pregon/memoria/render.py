"""The memoria técnica as HTML (Jinja2, es-MX) and PDF (WeasyPrint, optional).

The HTML is a pure function of its inputs: no wall clock, no absolute paths of this machine, charts as
inline SVG, so the same logs, journal and options give the same bytes.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path

import jinja2
import markupsafe

from . import charts, fmt
from .data import CONTACT_KEYS, REGISTRO_FIELDS

TEMPLATES = Path(__file__).parent / "templates"

METRIC_LABELS = {
    "hits": "Hits (solicitudes)",
    "bytes": "Bytes enviados",
    "pages": "Páginas vistas",
    "json": "Consultas JSON (actualizaciones)",
    "downloads": "Descargas",
    "visits": "Visitas",
    "visitors": "Visitantes (media por hora)",
}
CLASS_LABELS = {"all": "Todo", "humans": "Personas", "bots": "Robots", "monitor": "Monitor del instituto"}
# the page break sections, in order: their titles are what the tests look for in the PDF
SECTIONS = (
    ("registro", "1. Datos del difusor"),
    ("cifras", "2. Cifras de audiencia"),
    ("trafico", "3. Tráfico durante el PREP y tráfico habitual"),
    ("paginas", "4. Páginas vistas y tiempo de permanencia"),
    ("cortes", "5. Cortes publicados"),
    ("incidentes", "6. Incidentes"),
    ("bitacoras", "7. Bitácoras de acceso"),
    ("comentarios", "8. Comentarios"),
)


def comments_html(text: str | None) -> str:
    """Plain text or a little Markdown (# headings, - lists, blank-line paragraphs, **bold**), escaped."""
    if not text or not text.strip():
        return ""
    out, para, items = [], [], []

    def inline(s: str) -> str:
        s = html.escape(s)
        return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)

    def flush():
        if para:
            out.append("<p>" + "<br>\n".join(inline(x) for x in para) + "</p>")
            para.clear()
        if items:
            out.append("<ul>\n" + "\n".join(f"<li>{inline(x)}</li>" for x in items) + "\n</ul>")
            items.clear()

    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        stripped = line.lstrip()
        if not stripped:
            flush()
        elif stripped.startswith("#"):
            flush()
            out.append(f"<h3>{inline(stripped.lstrip('#').strip())}</h3>")
        elif stripped[:2] in ("- ", "* "):
            if para:
                flush()
            items.append(stripped[2:].strip())
        else:
            if items:
                flush()
            para.append(stripped)
    flush()
    return "\n".join(out)


def _baseline_profile(report) -> dict[int, float]:
    """Mean hits per local hour of day during the baseline (the portal's usual traffic at that hour)."""
    if report.baseline is None:
        return {}
    sums: dict[int, list[int]] = {}
    for r in report.baseline.per_hour:
        h = datetime.fromisoformat(r.start).hour
        sums.setdefault(h, []).append(r.hits)
    return {h: sum(v) / len(v) for h, v in sums.items()}


def build_charts(report) -> dict[str, str]:
    p = report.period
    rows = p.per_hour
    labels = [datetime.fromisoformat(r.start).strftime("%d/%m %Hh") for r in rows]
    every = max(1, -(-len(rows) // 36))
    profile = _baseline_profile(report)
    line = [profile.get(datetime.fromisoformat(r.start).hour) for r in rows] if profile else None
    out = {
        "hits": charts.bars([r.hits for r in rows], labels, title="Hits por hora", line=line,
                            bar_label="Durante el PREP", line_label="Tráfico habitual", label_every=every),
        "visitors": charts.bars([r.visitors for r in rows], labels, title="Visitantes distintos por hora",
                                bar_label="Durante el PREP", label_every=every),
        "pages": charts.hbars([(t["path"], t["views"]) for t in p.top_pages[:10]], title="Páginas más vistas"),
        "permanence": charts.hbars([(b["label"], b["visits"]) for b in p.visits["permanence"]["buckets"]],
                                   title="Visitas por tiempo de permanencia", label_width=90),
    }
    return out


def context(*, cfg, registro: dict, start: datetime, end: datetime, report, cuts, incidents, journal_counts,
            bundle_name: str, bundle_sha256: str, logs, comments: str | None, date: datetime,
            excluded=(), availability: dict | None = None, frame: bool = False) -> dict:
    """Everything the template shows, as plain values (the template computes nothing)."""
    tz = cfg.tz
    p = report.period
    return {
        "f": fmt,
        "tz": tz,
        "tzname": getattr(tz, "key", str(tz)),
        "sections": dict(SECTIONS),
        "difusor_id": cfg.id,
        "server_name": cfg.serve.server_name if cfg.serve.server_name != "_" else None,
        "nombre": registro.get("nombre") or cfg.id,
        "registro": registro_rows(registro),
        "start": start,
        "end": end,
        "date": date,
        "hours": (end - start).total_seconds() / 3600,
        "window": (cfg.window_start, cfg.window_end),
        "headline": headline(p),
        "traffic": [(CLASS_LABELS.get(k, k), t) for k, t in p.traffic.items()],
        "bots": (p.bot_visitors, p.monitor_visitors),
        "per_day": p.per_day,
        "per_hour": p.per_hour,
        "baseline": report.baseline,
        "comparison": [(METRIC_LABELS.get(c["metric"], c["metric"]), c) for c in (report.comparison or [])],
        "top_pages": p.top_pages,
        "top_downloads": p.top_downloads[:10],
        "referrers": p.referrers[:10],
        "permanence": p.visits["permanence"],
        "charts": build_charts(report),
        "cuts": cuts,
        "cuts_summary": cuts_summary(cuts),
        "incidents": incidents,
        "incidents_summary": incidents_summary(incidents),
        "journal_counts": journal_counts,
        "lines": report.lines,
        "files": logs,
        "excluded": list(excluded),
        "bundle_name": bundle_name,
        "bundle_sha256": bundle_sha256,
        "comments": comments_html(comments),
        "definitions": report.definitions,
        "warnings": report.warnings,
        "availability": availability_context(availability),
        "frame": frame,
    }


def registro_rows(registro: dict) -> list[tuple[str, str]]:
    """(label, text) of the registration data, in REGISTRO_FIELDS order; a contact as one line."""
    rows = []
    for key, label in REGISTRO_FIELDS.items():
        if key not in registro:
            continue
        v = registro[key]
        if isinstance(v, dict):
            v = " · ".join(v[k] for k in CONTACT_KEYS if k in v)
        rows.append((label, v))
    return rows


def headline(p) -> dict:
    """The audience figures in the memoria's first table (and the command's last line, and datos.json)."""
    humans = p.traffic["humans"]
    perm = p.visits["permanence"]
    return {
        "visitors": p.visitors,
        "pages": humans.pages,
        "hits": p.traffic["all"].hits,
        "visits": p.visits["count"],
        "pages_per_visit": p.visits["pages_per_visit"],
        "mean_s": perm["mean_s"],
        "median_s": perm["median_s"],
        "mean_multi_s": perm["mean_multi_page_s"],
        "json": humans.json,
        "downloads": humans.downloads,
        "bytes": p.traffic["all"].bytes,
    }


def cuts_summary(cuts) -> dict:
    """How many cuts went live, how many late, and their lag (to the institute's signature, else to the corte)."""
    lags = [c.lag_institute_s if c.lag_institute_s is not None else c.lag_corte_s for c in cuts]
    lags = [x for x in lags if x is not None]
    return {
        "count": len(cuts),
        "late": sum(1 for c in cuts if c.late),
        "max_lag": max(lags) if lags else None,
        "mean_lag": sum(lags) / len(lags) if lags else None,
        "with_created": sum(1 for c in cuts if c.created is not None),
    }


def incidents_summary(incidents) -> dict:
    return {
        "count": len(incidents),
        "errors": sum(1 for i in incidents if i.level == "error"),
        "longest_stale": max((i.duration_s or 0 for i in incidents if i.event == "stale"), default=None),
    }


def availability_context(a: dict | None) -> dict | None:
    """The "Disponibilidad" table: per day and month (es-MX labels) and the total, against the threshold."""
    if a is None:
        return None

    def t(text):
        try:
            return datetime.fromisoformat(text) if isinstance(text, str) else None
        except ValueError:
            return None

    return {
        "threshold": f"{a['threshold_pct']:g} %",
        "tz": a["tz"],
        "first": t(a.get("first")),
        "last": t(a.get("last")),
        "days": [(fmt.day_label(r["period"]), r) for r in a.get("days", [])],
        "months": [(fmt.month_label(r["period"]), r) for r in a.get("months", [])],
        "total": a["total"],
        "missed": sum(1 for r in a.get("days", []) if r["meets"] is False),
    }


def css_string(text: str) -> markupsafe.Markup:
    """A CSS string literal (quotes included) for text inside <style>: every character outside plain
    letters, digits and spaces as a CSS escape, so no quote, backslash or `</style>` can break out."""
    out = []
    for ch in str(text):
        if ch.isalnum() or ch in " .,-:/()":
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):x} ")
    return markupsafe.Markup('"' + "".join(out) + '"')


def render_html(ctx: dict) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters["css_string"] = css_string
    return env.get_template("memoria.html.j2").render(**ctx)


def weasyprint_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def render_pdf(html_text: str, out: Path, *, title: str, date: datetime) -> None:
    """The PDF of the HTML; raises ImportError/OSError when WeasyPrint or its libraries are missing."""
    import logging

    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    doc = weasyprint.HTML(string=html_text, base_url=str(TEMPLATES)).render()
    doc.metadata.title = title
    doc.metadata.created = doc.metadata.modified = date.isoformat(timespec="seconds")
    doc.metadata.generator = "pregon"
    doc.write_pdf(out)
