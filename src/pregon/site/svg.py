"""Bar charts drawn on the server as inline SVG: no chart library, nothing to run in the browser, readable
with scripts off and inside a frame.

The drawing is sized for a 360 px phone (one SVG unit ≈ one CSS pixel there) and scales up with the page.
Only presentation attributes are used (no `style=`), so a strict Content-Security-Policy allows it.
"""

from __future__ import annotations

import re

from markupsafe import escape

WIDTH = 360
ROW = 34
PAD = 4
MAX_LABEL = 30
_COLOR = re.compile(r"#[0-9A-Fa-f]{3}(?:[0-9A-Fa-f]{3})?")


_COLORS: dict[str, str] = {}
_LABELS: dict[str, str] = {}


def color(value: str, default: str = "#777777") -> str:
    hit = _COLORS.get(value)
    if hit is None:
        hit = value if value and _COLOR.fullmatch(value) else default
        if len(_COLORS) < 10_000:
            _COLORS[value] = hit
    return hit


def _label(name: str) -> str:
    hit = _LABELS.get(name)
    if hit is None:
        short = name if len(name) <= MAX_LABEL else name[: MAX_LABEL - 1] + "…"
        hit = str(escape(short))
        if len(_LABELS) < 100_000:
            _LABELS[name] = hit
    return hit


_TEMPLATES: dict = {}


def _template(rows: list[dict], chart_id: str, title: str) -> tuple:
    """The parts of a chart that do not depend on the votes: header, and per row the label and bar geometry."""
    height = ROW * len(rows) + PAD
    head = (f'<svg class="grafica" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
            f'aria-labelledby="{chart_id}-t" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{chart_id}-t">{escape(title)}</title>'
            f'<line x1="{PAD}" y1="0" x2="{PAD}" y2="{height}" stroke="#888"/><g font-size="12" fill="#1a1a1a">')
    per_row = []
    for i, r in enumerate(rows):
        y = PAD + i * ROW
        per_row.append((
            f'<text x="{PAD}" y="{y + 12}">{_label(str(r["nombre"]))}</text>'
            f'<text x="{WIDTH - PAD}" y="{y + 12}" text-anchor="end">',
            f'<rect x="{PAD}" y="{y + 16}" width="',
            f'" height="12" fill="{color(r.get("color", ""))}" stroke="#333" stroke-width=".5"/>',
        ))
    return tuple(r["nombre"] for r in rows), tuple(r.get("color", "") for r in rows), head, per_row


def bars(rows: list[dict], chart_id: str, title: str, key=None) -> str:
    """Horizontal bars, one per row {nombre, votos, porcentaje, color}; longest bar = most votes.

    The figures are also in the table beside every chart; the SVG is one labelled image. `key` names a
    chart whose labels and colours repeat on many pages (a contest's), so its fixed parts are built once."""
    if not rows:
        return ""
    tpl = _TEMPLATES.get(key) if key is not None else None
    if (tpl is None or len(tpl[0]) != len(rows) or any(a != r["nombre"] for a, r in zip(tpl[0], rows))
            or any(a != r.get("color", "") for a, r in zip(tpl[1], rows))):
        tpl = _template(rows, chart_id, title)
        if key is not None and len(_TEMPLATES) < 50_000:
            _TEMPLATES[key] = tpl
    _names, _colors, head, per_row = tpl
    top = max(r["votos"] for r in rows)
    span = WIDTH - 2 * PAD
    out = [head]
    for (label, bar_pre, bar_post), r in zip(per_row, rows):
        votos = r["votos"]
        w = (votos * span // top) if top > 0 else 0
        if votos > 0 and w < 2:
            w = 2
        out.append(f'{label}{votos:,} · {r["porcentaje"]}%</text>')
        if w:
            out.append(f"{bar_pre}{w}{bar_post}")
    out.append("</g></svg>")
    return "".join(out)
