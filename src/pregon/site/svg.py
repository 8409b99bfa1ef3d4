"""Bar charts drawn on the server as inline SVG: no chart library, nothing to run in the browser, readable
with scripts off and inside a frame.

The drawing is sized for a 360 px phone (one SVG unit ≈ one CSS pixel there) and scales up with the page.
Only presentation attributes are used (no `style=`), so a strict Content-Security-Policy allows it.
"""

from __future__ import annotations

import re

from markupsafe import escape

from .ballot import column_parties

WIDTH = 360
ROW = 34
PAD = 4
MAX_LABEL = 24
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


def ink(value: str) -> str:
    """Black or white text, whichever contrasts more with the tile (WCAG relative luminance)."""
    c = color(value, "#d9d9d9").lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)

    def lin(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(int(c[i:i + 2], 16)) for i in (0, 2, 4))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#fff"


def _label(name: str) -> str:
    hit = _LABELS.get(name)
    if hit is None:
        short = name if len(name) <= MAX_LABEL else name[: MAX_LABEL - 1] + "…"
        hit = str(escape(short))
        if len(_LABELS) < 100_000:
            _LABELS[name] = hit
    return hit


_TEMPLATES: dict = {}
EMBLEM = 28  # the emblem beside each bar; the label and bar start after it
LEFT = PAD + EMBLEM + 6


def siglas(r: dict) -> str:
    """The letters of an option's emblem: its short name or clave, at most four characters (coalitions: the
    first letters of each party: 'PAN_PRI_PRD' → 'PPP')."""
    key = str(r.get("corto") or r.get("clave") or r.get("nombre") or "?")
    parts = [p for p in re.split(r"[_\-\s]+", key) if p]
    text = "".join(p[0] for p in parts) if len(parts) > 1 else key
    return text[:4].upper()


def parties(r: dict) -> list[str]:
    """The parties behind a chart row: a candidacy's, a party column's own, a combination's members."""
    if "columna" in r:
        return column_parties(str(r["columna"]))
    if r.get("tipo") == "partido":
        return list(r.get("partidos") or [r.get("clave", "")])
    return list(r.get("partidos") or ())


ART_MAX = 4  # a coalition of more parties than fit in the square gets its letters


def emblem(r: dict, x: int, y: int, art=None, root: str = "") -> str:
    """A row's emblem: the catalog's artwork of its party, or of each party of a coalition in a 2×2 grid;
    otherwise its colour with its letters in contrasting ink. Decorative: the name is the text beside it, and
    the artwork is an image file (an SVG shown as an image never runs script)."""
    members = parties(r)
    if art and members and len(members) <= ART_MAX and all(p in art for p in members):
        if len(members) == 1:
            return (f'<image href="{escape(root + art[members[0]])}" x="{x}" y="{y}" width="{EMBLEM}" '
                    f'height="{EMBLEM}"/>')
        half = EMBLEM // 2
        cells = [(x + (i % 2) * half, y + (i // 2) * half + (half // 2 if len(members) == 2 else 0))
                 for i in range(len(members))]
        return "".join(f'<image href="{escape(root + art[p])}" x="{cx}" y="{cy}" width="{half}" height="{half}"/>'
                       for p, (cx, cy) in zip(members, cells))
    c = color(r.get("color", ""))
    t = siglas(r)
    size = 11 if len(t) <= 3 else 9
    return (f'<rect x="{x}" y="{y}" width="{EMBLEM}" height="{EMBLEM}" rx="5" fill="{c}" stroke="#333" '
            f'stroke-width=".5"/><text x="{x + EMBLEM // 2}" y="{y + EMBLEM // 2 + size // 3 + 1}" '
            f'text-anchor="middle" font-size="{size}" font-weight="700" fill="{ink(c)}">{escape(t)}</text>')


def _template(rows: list[dict], chart_id: str, title: str, art=None, root: str = "") -> tuple:
    """The parts of a chart that do not depend on the votes: header, and per row the label and bar geometry."""
    height = ROW * len(rows) + PAD
    head = (f'<svg class="grafica" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
            f'aria-labelledby="{chart_id}-t" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{chart_id}-t">{escape(title)}</title>'
            f'<line x1="{LEFT}" y1="0" x2="{LEFT}" y2="{height}" stroke="#888"/><g font-size="12" fill="#1a1a1a">')
    per_row = []
    for i, r in enumerate(rows):
        y = PAD + i * ROW
        per_row.append((
            emblem(r, PAD, y + 2, art, root) + f'<text x="{LEFT}" y="{y + 12}">{_label(str(r["nombre"]))}</text>'
            f'<text x="{WIDTH - PAD}" y="{y + 12}" text-anchor="end">',
            f'<rect x="{LEFT}" y="{y + 16}" width="',
            f'" height="12" fill="{color(r.get("color", ""))}" stroke="#333" stroke-width=".5"/>',
        ))
    return tuple(r["nombre"] for r in rows), tuple(r.get("color", "") for r in rows), head, per_row, art


def bars(rows: list[dict], chart_id: str, title: str, key=None, art=None, root: str = "") -> str:
    """Horizontal bars, one per row {nombre, votos, porcentaje, color}; longest bar = most votes.

    The figures are also in the table beside every chart; the SVG is one labelled image. `key` names a
    chart whose labels and colours repeat on many pages (a contest's, at one depth: `root` prefixes the paths
    of the parties' artwork in `art`), so its fixed parts are built once."""
    if not rows:
        return ""
    tpl = _TEMPLATES.get(key) if key is not None else None
    if (tpl is None or len(tpl[0]) != len(rows) or any(a != r["nombre"] for a, r in zip(tpl[0], rows))
            or any(a != r.get("color", "") for a, r in zip(tpl[1], rows))
            or tpl[4] is not art):  # the artwork of another build (a renderer's own mapping; it holds it alive)
        tpl = _template(rows, chart_id, title, art, root)
        if key is not None and len(_TEMPLATES) < 50_000:
            _TEMPLATES[key] = tpl
    _names, _colors, head, per_row, _art = tpl
    top = max(r["votos"] for r in rows)
    span = WIDTH - LEFT - PAD
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
