"""The cartogram of an election page: one tile per distrito or municipio, in catalog order, coloured by who
leads it, each a link to its page. No map data and no script: a CSS grid that wraps at any width. The grid is
decorative for assistive technology (aria-hidden, its links out of the tab order); the table of the same rows
just below it is its accessible twin, with the same leader and figures."""

from __future__ import annotations

from html import escape

from . import svg

NO_LEAD = "#d9d9d9"  # no votes counted yet
MAX_TILES = 700  # beyond (a national list of municipios), the table alone: the page stays light


def _label(row: dict) -> str:
    """A tile's short label: the place's number within its entity ('17-3' → '3'), else its first letters."""
    key = str(row.get("clave") or "")
    tail = key.rsplit("-", 1)[-1]
    return tail if tail.isdigit() else escape((row.get("nombre") or "?")[:3])


TILE, GAP = 30, 3


def _columns(n: int) -> int:
    """A wide-ish grid: about 1.6 times as many columns as rows, at most 20 (legible at 360 px)."""
    c = 1
    while c * c < n * 1.6 and c < 20:
        c += 1
    return c


def tiles(filas: list[dict], root: str, titulo: str) -> str:
    """The grid (an SVG: its colours are attributes, so the pages' CSP needs no inline style) and its legend
    (leaders with the number of places each leads); '' for fewer than 2 places or more than MAX_TILES."""
    if not 2 <= len(filas) <= MAX_TILES:
        return ""
    cols = _columns(len(filas))
    rows_n = -(-len(filas) // cols)
    cells, led = [], {}
    for i, r in enumerate(filas):
        lead = r.get("encabeza")
        color = svg.color(lead["color"]) if lead else NO_LEAD
        name = lead["nombre"] if lead else "Sin votos contabilizados"
        if lead and lead.get("empate"):
            name += " (empate)"
        led[(color, name)] = led.get((color, name), 0) + 1
        x, y = (i % cols) * (TILE + GAP), (i // cols) * (TILE + GAP)
        cells.append(f'<a href="{root}{escape(r["html"])}" tabindex="-1"><title>{escape(r["nombre"])}: '
                     f'{escape(name)}</title><rect x="{x}" y="{y}" width="{TILE}" height="{TILE}" rx="3" '
                     f'fill="{color}"/><text x="{x + TILE // 2}" y="{y + TILE // 2 + 4}" text-anchor="middle" '
                     f'font-size="11" fill="{svg.ink(color)}">{_label(r)}</text></a>')
    w, h = cols * (TILE + GAP) - GAP, rows_n * (TILE + GAP) - GAP
    legend = "".join(
        f'<li><svg class="sw" width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill="{c}"/>'
        f'</svg> {escape(nm)}: {k}</li>'
        for (c, nm), k in sorted(led.items(), key=lambda kv: (-kv[1], kv[0][1])))
    t = escape(titulo)
    return (f'<section class="cartograma" aria-labelledby="cm-t"><h2 id="cm-t">{t}</h2>'
            f'<p class="cm-nota">Cada cuadro es un lugar, coloreado según quién encabeza; la tabla de abajo '
            f'tiene las mismas cifras.</p><svg class="cm-rejilla" viewBox="0 0 {w} {h}" aria-hidden="true" '
            f'focusable="false">{"".join(cells)}</svg><ul class="cm-leyenda">{legend}</ul></section>')
