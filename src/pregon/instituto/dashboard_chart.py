"""The night's lag per difusor as one inline SVG (no script, deterministic): x is hora del Centro, y seconds,
the limit a dashed line; each series is named in a legend beside its colour and marker, so colour is never the
only cue."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from html import escape

from .dashboard_text import CENTRO, parse, segundos

PALETTE = ("#0b5cad", "#b35c00", "#6a3d9a", "#1b7f3b", "#b00020", "#00798c", "#7a5c00", "#c2185b")
MARKERS = ("circle", "square", "diamond", "triangle")
W, H, L, R, T, B = 720, 260, 52, 12, 14, 34


def _marker(kind: str, x: float, y: float, color: str) -> str:
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>'
    if kind == "square":
        return f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="{color}"/>'
    pts = ([(x, y - 4), (x + 4, y), (x, y + 4), (x - 4, y)] if kind == "diamond"
           else [(x, y - 4), (x + 4, y + 3), (x - 4, y + 3)])
    return f'<polygon points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in pts)}" fill="{color}"/>'


def _ticks(t0: float, t1: float) -> list[float]:
    """Hour or sub-hour ticks over [t0, t1] (epoch seconds), at most ~8."""
    span = max(t1 - t0, 1.0)
    step = next((s for s in (300, 900, 1800, 3600, 7200, 10800, 21600) if span / s <= 8), 43200)
    first = (int(t0) // step + 1) * step
    return [float(t) for t in range(first, int(t1) + 1, step)]


def _nice(top: float) -> tuple[float, float]:
    """A round step (1, 2, 2.5 or 5 × 10^k) giving about four gridlines, and the axis top it rounds to."""
    raw = max(top, 1e-6) / 4
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return step, math.ceil(top / step - 1e-9) * step


def _num(v: float) -> str:
    return f"{v:.0f}" if v == int(v) else f"{v:g}".replace(".", ",")



MAX_POINTS = 480  # per difusor: about one per 1.5 px of the plot; a night polled every 10 s has 4,000


def thin(points: list, n: int = MAX_POINTS) -> list:
    """At most about `n` points of a time-ordered series, keeping in each run of consecutive points the first,
    the worst and the last: a spike over the limit is never averaged away, and the line still ends where the
    night does."""
    if len(points) <= n:
        return points
    size = -(-len(points) * 3 // n)  # each bucket yields up to three points
    out = []
    for i in range(0, len(points), size):
        bucket = points[i:i + size]
        keep = {0, len(bucket) - 1, max(range(len(bucket)), key=lambda k: bucket[k][1])}
        out += [bucket[k] for k in sorted(keep)]
    return out


def chart(series: dict[str, list[tuple[str, float]]], limit: float) -> str:
    """series: difusor -> [(iso time, lag s)] in time order."""
    pts = {d: thin([(parse(t), v) for t, v in s if parse(t) is not None]) for d, s in series.items()}
    times = [t.timestamp() for s in pts.values() for t, _ in s]
    if not times:
        return '<p class="vacio">Aún no hay mediciones de retraso.</p>'
    t0, t1 = min(times), max(times)
    t1 = t1 if t1 > t0 else t0 + 60
    step, top = _nice(max([limit * 1.2] + [v * 1.1 for s in pts.values() for _, v in s]))
    sx = lambda t: L + (t - t0) / (t1 - t0) * (W - L - R)  # noqa: E731
    sy = lambda v: T + (1 - v / top) * (H - T - B)  # noqa: E731
    out = [f'<svg class="grafica" viewBox="0 0 {W} {H}" role="img" aria-labelledby="g-titulo">',
           '<title id="g-titulo">Retraso de cada difusor durante la noche, en segundos</title>',
           f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="#444"/>',
           f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="#444"/>']
    for k in range(int(round(top / step)) + 1):
        v = step * k
        out.append(f'<text x="{L - 6}" y="{sy(v) + 4:.1f}" text-anchor="end" font-size="11">{_num(v)}</text>')
    for t in _ticks(t0, t1):
        label = datetime.fromtimestamp(t, timezone.utc).astimezone(CENTRO).strftime("%H:%M")
        out.append(f'<text x="{sx(t):.1f}" y="{H - B + 16}" text-anchor="middle" font-size="11">{label}</text>')
    out.append(f'<line x1="{L}" y1="{sy(limit):.1f}" x2="{W - R}" y2="{sy(limit):.1f}" stroke="#b00020" '
               f'stroke-dasharray="6 4"/><text x="{W - R}" y="{sy(limit) - 4:.1f}" text-anchor="end" '
               f'font-size="11" fill="#b00020">límite {segundos(limit)}</text>')
    for i, (d, s) in enumerate(sorted(pts.items())):
        color, mark = PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)]
        line = " ".join(f"{sx(t.timestamp()):.1f},{sy(v):.1f}" for t, v in s)
        out.append(f'<g class="serie" data-difusor="{escape(d)}"><polyline points="{line}" fill="none" '
                   f'stroke="{color}" stroke-width="1.5"/>')
        out += [_marker(mark, sx(t.timestamp()), sy(v), color) for t, v in s[-1:]]
        out.append("</g>")
    out.append("</svg>")
    legend = "".join(
        f'<li><svg width="14" height="14" aria-hidden="true">{_marker(MARKERS[i % 4], 7, 7, PALETTE[i % 8])}</svg> '
        f'{escape(d)}</li>' for i, d in enumerate(sorted(pts)))
    return "\n".join(out) + f'\n<ul class="leyenda">{legend}</ul>'
