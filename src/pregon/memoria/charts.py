"""Small SVG charts as strings: deterministic (fixed decimals, no ids from counters or clocks), no dependency.

Each function returns one `<svg>` element sized in CSS pixels with a viewBox, so the HTML scales it and
WeasyPrint draws it as vectors in the PDF.
"""

from __future__ import annotations

from html import escape

from . import fmt

FONT = "font-family=\"DejaVu Sans, Arial, sans-serif\""
BAR = "#2f5d8a"
LINE = "#d0612a"
GRID = "#d8d8d8"
TEXT = "#333333"


def _f(x: float) -> str:
    """A coordinate with one decimal, without '-0.0'."""
    s = f"{x:.1f}"
    return "0.0" if s == "-0.0" else s


def nice_step(v: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 × 10^k) so that `ticks` steps reach at least v."""
    if v <= 0:
        return 1.0
    raw = v / ticks
    k = 1.0
    while k * 10 <= raw:
        k *= 10
    while k > raw:
        k /= 10
    for m in (1, 2, 5, 10):
        if m * k >= raw:
            return m * k
    return 10 * k  # pragma: no cover


def _axis_label(v: float) -> str:
    return fmt.number(v, 1) if v != int(v) else fmt.number(v)


def bars(values, labels, *, title: str, line=None, line_label: str = "", bar_label: str = "",
         width: int = 680, height: int = 260, label_every: int = 1) -> str:
    """Vertical bars (one per label), with an optional comparison polyline over them (one value per bar)."""
    left, right, top, bottom = 62, 12, 30, 52
    pw, ph = width - left - right, height - top - bottom
    n = max(1, len(values))
    peak = max([*values, *(v for v in (line or []) if v is not None), 0])
    step = nice_step(peak)
    if step < 1:
        step = 1.0
    vmax = step * 4
    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {FONT} font-size="11">'),
           f'<text x="{left}" y="16" fill="{TEXT}" font-size="13" font-weight="bold">{escape(title)}</text>']
    for i in range(5):
        v = vmax * i / 4
        y = top + ph - ph * i / 4
        out.append(f'<line x1="{left}" y1="{_f(y)}" x2="{width - right}" y2="{_f(y)}" stroke="{GRID}" stroke-width="0.8"/>')
        out.append(f'<text x="{left - 6}" y="{_f(y + 4)}" text-anchor="end" fill="{TEXT}">{_axis_label(v)}</text>')
    slot = pw / n
    bw = max(1.0, slot * 0.72)
    for i, v in enumerate(values):
        h = ph * v / vmax
        x = left + slot * i + (slot - bw) / 2
        out.append(f'<rect x="{_f(x)}" y="{_f(top + ph - h)}" width="{_f(bw)}" height="{_f(h)}" fill="{BAR}"/>')
    for i, lab in enumerate(labels):
        if i % label_every:
            continue
        x = left + slot * i + slot / 2
        y = top + ph + 14
        out.append(f'<text x="{_f(x)}" y="{_f(y)}" text-anchor="end" fill="{TEXT}" font-size="9" '
                   f'transform="rotate(-45 {_f(x)} {_f(y)})">{escape(lab)}</text>')
    if line:
        pts = [(left + slot * i + slot / 2, top + ph - ph * v / vmax) for i, v in enumerate(line) if v is not None]
        if pts:
            out.append(f'<polyline fill="none" stroke="{LINE}" stroke-width="2" stroke-dasharray="5 3" '
                       f'points="{" ".join(f"{_f(x)},{_f(y)}" for x, y in pts)}"/>')
    # legend
    lx = width - right - 300
    if bar_label:
        out.append(f'<rect x="{lx}" y="7" width="12" height="10" fill="{BAR}"/>')
        out.append(f'<text x="{lx + 16}" y="16" fill="{TEXT}">{escape(bar_label)}</text>')
    if line and line_label:
        out.append(f'<line x1="{lx + 130}" y1="12" x2="{lx + 152}" y2="12" stroke="{LINE}" stroke-width="2" '
                   f'stroke-dasharray="5 3"/>')
        out.append(f'<text x="{lx + 156}" y="16" fill="{TEXT}">{escape(line_label)}</text>')
    out.append(f'<line x1="{left}" y1="{top + ph}" x2="{width - right}" y2="{top + ph}" stroke="{TEXT}" stroke-width="1"/>')
    out.append("</svg>")
    return "\n".join(out)


def hbars(items, *, title: str, width: int = 680, label_width: int = 250, value_fmt=fmt.number) -> str:
    """Horizontal bars, one per (label, value), with the value written at the end of the bar."""
    row, top = 20, 28
    height = top + row * max(1, len(items)) + 8
    left = label_width + 8
    pw = width - left - 80
    vmax = max([v for _, v in items] + [0]) or 1
    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {FONT} font-size="11">'),
           f'<text x="0" y="16" fill="{TEXT}" font-size="13" font-weight="bold">{escape(title)}</text>']
    if not items:
        out.append(f'<text x="0" y="{top + 14}" fill="{TEXT}">Sin datos en el periodo.</text>')
    for i, (label, v) in enumerate(items):
        y = top + row * i
        w = pw * v / vmax
        text = label if len(label) <= 44 else label[:20] + "…" + label[-23:]
        out.append(f'<text x="{label_width}" y="{y + 13}" text-anchor="end" fill="{TEXT}">{escape(text)}</text>')
        out.append(f'<rect x="{left}" y="{y + 3}" width="{_f(max(w, 0.5))}" height="{row - 6}" fill="{BAR}"/>')
        out.append(f'<text x="{_f(left + w + 5)}" y="{y + 13}" fill="{TEXT}">{escape(value_fmt(v))}</text>')
    out.append("</svg>")
    return "\n".join(out)
