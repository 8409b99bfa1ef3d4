"""The report as the command prints it: plain-text tables, numbers with thousands separators, binary byte
units (`human_bytes`, shared with the memoria técnica)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .classify import CLASS_NAMES

if TYPE_CHECKING:
    from .report import PeriodReport, Report, Row


def _n(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:,.1f}"
    return f"{x:,}"


def human_bytes(n: float) -> str:
    """1,234 B, 3.1 MiB: binary units, one decimal past bytes (shared with the memoria técnica)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


def _secs(s) -> str:
    if s is None:
        return "-"
    s = float(s)
    if s < 60:
        return f"{s:.0f} s"
    return f"{int(s // 60)} min {s % 60:02.0f} s"


def _table(header: list[str], rows: list[list], indent: str = "  ") -> list[str]:
    cells = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    out = []
    for r in cells:
        out.append(indent + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return out


def _period_text(title: str, p: PeriodReport, hourly: bool) -> list[str]:
    out = [f"{title}: {p.start.isoformat() if p.start else '-'} to {p.end.isoformat() if p.end else '-'} ({p.hours:g} h)"]
    rows = []
    for name in ("all",) + CLASS_NAMES:
        t = p.traffic[name]
        rows.append([name, _n(t.hits), human_bytes(t.bytes), _n(t.pages), _n(t.json), _n(t.downloads), _n(t.assets), _n(t.other)])
    out += _table(["", "hits", "bytes", "pages", "json", "downloads", "assets", "other"], rows)
    perm = p.visits["permanence"]
    out.append(
        f"  visitors {_n(p.visitors)} distinct people (bots {_n(p.bot_visitors)}, monitor {_n(p.monitor_visitors)}); "
        f"visits {_n(p.visits['count'])}, {_n(p.visits['pages_per_visit'])} pages per visit"
    )
    out.append(
        f"  time of permanence: mean {_secs(perm['mean_s'])}, mean of visits with 2+ pages "
        f"{_secs(perm['mean_multi_page_s'])}, median {_secs(perm['median_s'])}; single-page visits "
        f"{_n(perm['single_page_visits'])}"
    )
    total = perm["visits"] or 1
    out += _table(["permanence", "visits", "%"], [[b["label"], _n(b["visits"]), f"{100 * b['visits'] / total:.1f}"] for b in perm["buckets"]])
    cols = ["hits", "bytes", "pages", "json", "downloads", "visitors", "visits", "bot_hits", "bot_visitors", "monitor_hits"]

    def row_cells(r: Row):
        return [r.start] + [human_bytes(r.bytes) if c == "bytes" else _n(getattr(r, c)) for c in cols]

    out.append("")
    out += _table(["day"] + cols, [row_cells(r) for r in p.per_day])
    if hourly:
        out.append("")
        out += _table(["hour"] + cols, [row_cells(r) for r in p.per_hour])
    for heading, items, keys in (
        ("top pages", p.top_pages, ("path", "views")),
        ("downloads", p.top_downloads, ("path", "downloads", "bytes")),
        ("referrers (people's page views)", p.referrers, ("referrer", "pages")),
        ("status codes", p.status_codes, ("status", "hits")),
        ("bots", p.bots, ("agent", "hits")),
    ):
        if items:
            out.append("")
            out += _table([heading] + list(keys[1:]), [[i[keys[0]]] + [_n(i[k]) for k in keys[1:]] for i in items])
    return out


def render_text(r: Report, *, hourly: bool = True) -> str:
    lines = r.lines
    out = [
        f"pregon difusor stats: {len(r.files)} file(s), {_n(lines['total'])} lines, {_n(lines['parsed'])} parsed, "
        f"{_n(lines['malformed'])} malformed, {_n(lines['blank'])} blank; time zone {r.parameters['tz']}",
    ]
    for f in r.files:
        span = f"{f['first'] or '-'} to {f['last'] or '-'}"
        out.append(f"  {f['path']}: {_n(f['lines'])} lines, {_n(f['malformed'])} malformed, {span}" + (f"; {f['warning']}" if f.get("warning") else ""))
    for w in r.warnings:
        out.append(f"  warning: {w}")
    out.append("")
    out += _period_text("PREP period", r.period, hourly)
    if r.baseline is not None:
        out.append("")
        out += _period_text("Baseline", r.baseline, False)
        out.append("")
        out += _table(
            ["per hour", "period", "baseline", "ratio"],
            [[c["metric"], _n(c["period_per_hour"]), _n(c["baseline_per_hour"]), "-" if c["ratio"] is None else f"{c['ratio']:g}x"] for c in r.comparison],
        )
    if r.malformed_examples:
        out.append("")
        out.append("malformed lines (first ones):")
        for e in r.malformed_examples:
            out.append(f"  {e['file']}:{e['line']}: {e['text'][:160]}")
    out.append("")
    out.append("Definitions:")
    for text in r.definitions.values():
        out.append(f"  - {text}")
    return "\n".join(out) + "\n"
