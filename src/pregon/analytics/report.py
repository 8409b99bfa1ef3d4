"""The figures a difusor hands in, as data (`Report.to_dict()`, a stable JSON shape) and as text.

The memoria técnica takes its numbers from here, so every figure has one definition, written once in
DEFINITIONS, printed with the report and repeated in docs/analytics.md.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import numpy as np

from .classify import BOT, CLASS_NAMES, DOWNLOAD, HUMAN, JSON, KIND_NAMES, MONITOR, PAGE
from .visits import permanence

SCHEMA = "pregon.analytics/1"

DEFINITIONS = {
    "hit": "Hit: every request in the log (people, bots and the monitor), whatever its answer.",
    "page": "Page: a GET for an HTML document (a path ending in /, .html, .htm, .php and the like, or without "
    "an extension) answered 2xx or 304.",
    "json": "JSON poll: a GET of a .json file answered 2xx or 304, mostly the page's own refresh of "
    "json/main.json; counted apart from pages.",
    "download": "Download: a GET of the database or its companions (.zip, .csv, .txt, .sha256, .pdf and the "
    "like) answered 2xx or 304; counted apart from pages.",
    "asset": "Asset: a GET of a style sheet, script, image or font (and robots.txt) answered 2xx or 304.",
    "other": "Other: every other hit: errors (4xx, 5xx), redirects, HEAD, POST, unknown file types. "
    "Hits = pages + json + downloads + assets + other.",
    "visitor": "Visitor: one (IP, user agent) on one calendar day in {tz}, counted from its requests not "
    "answered 4xx, as GoAccess counts unique visitors. The period total counts each (IP, user agent) once.",
    "visit": "Visit: the requests of one (IP, user agent) that start at a page and go on with no gap over "
    "{gap} between counted requests (pages, downloads, JSON polls); midnight does not split a visit. JSON "
    "polls keep a visit alive only up to {cap} after its latest page or download; polls and downloads before "
    "any page belong to no visit.",
    "permanence": "Time of permanence: the last counted request of a visit minus its first page. Means are "
    "given over all visits and over visits of more than one page.",
    "bot": "Bot: a client whose user agent names a crawler, link previewer, script, scanner or uptime "
    "checker, or is empty. Bots are counted apart and are never visitors.",
    "monitor": "Monitor: the institute's compliance monitor, recognised by user agent ({agents}) or address "
    "({ips}); counted apart, never a visitor.",
    "rows": "Per-hour and per-day rows use {tz} local time. In them hits and bytes count every request; "
    "pages, json, downloads, visitors and visits count people only (a visit in the hour of its first page); "
    "bot_* and monitor_* count those apart.",
    "ratio": "Baseline ratio: a figure per hour during the period divided by the same figure per hour during "
    "the baseline; for visitors, the mean of the hourly distinct visitors.",
}


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def definitions(tz: str, gap: int, cap: int, monitor_agents, monitor_ips) -> dict[str, str]:
    """DEFINITIONS with this analysis's parameters filled in."""
    values = {
        "tz": tz,
        "gap": _duration(gap),
        "cap": _duration(cap),
        "agents": ", ".join(monitor_agents) or "none",
        "ips": ", ".join(str(i) for i in monitor_ips) or "none",
    }
    return {k: v.format(**values) for k, v in DEFINITIONS.items()}


@dataclass
class Traffic:
    hits: int = 0
    bytes: int = 0
    pages: int = 0
    json: int = 0
    downloads: int = 0
    assets: int = 0
    other: int = 0


@dataclass
class Row:
    """One hour (`start` an ISO instant with offset) or one day (`start` an ISO date)."""

    start: str
    hits: int = 0
    bytes: int = 0
    pages: int = 0
    json: int = 0
    downloads: int = 0
    visitors: int = 0
    visits: int = 0
    bot_hits: int = 0
    bot_visitors: int = 0
    monitor_hits: int = 0
    monitor_visitors: int = 0


@dataclass
class PeriodReport:
    start: datetime | None
    end: datetime | None
    hours: float
    traffic: dict[str, Traffic]  # all, humans, bots, monitor
    visitors: int  # distinct people over the period
    bot_visitors: int
    monitor_visitors: int
    visits: dict  # count, pages, pages_per_visit, permanence
    per_day: list[Row]
    per_hour: list[Row]
    top_pages: list[dict]
    top_downloads: list[dict]
    referrers: list[dict]
    status_codes: list[dict]
    bots: list[dict]

    def rate(self, metric: str) -> float | None:
        """Figure per hour, the basis of the baseline ratio."""
        if not self.hours:
            return None
        if metric == "visitors":
            return sum(r.visitors for r in self.per_hour) / self.hours
        if metric == "visits":
            return self.visits["count"] / self.hours
        t = self.traffic["all" if metric in ("hits", "bytes") else "humans"]
        return getattr(t, metric) / self.hours


COMPARED = ("hits", "bytes", "pages", "json", "downloads", "visits", "visitors")


@dataclass
class Report:
    schema: str
    definitions: dict[str, str]
    parameters: dict
    files: list[dict]
    lines: dict
    malformed_examples: list[dict]
    period: PeriodReport
    baseline: PeriodReport | None = None
    comparison: list[dict] | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain JSON-ready data; keys are stable (schema `pregon.analytics/1`)."""

        def conv(v):
            if isinstance(v, datetime):
                return v.isoformat()
            if isinstance(v, date):
                return v.isoformat()
            return v

        def factory(items):
            return {k: conv(v) for k, v in items}

        return dataclasses.asdict(self, dict_factory=factory)

    def render_text(self, *, hourly: bool = True) -> str:
        """The report as the command prints it; `hourly=False` leaves out the per-hour table."""
        return render_text(self, hourly=hourly)


# --- building -------------------------------------------------------------------------------------------------


def iso(epoch: int | None, tz) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz).isoformat()


def _ref_host(ref: bytes, site_hosts) -> str:
    if ref in (b"-", b""):
        return "(direct)"
    text = ref.decode("utf-8", "replace")
    try:
        host = urlsplit(text).hostname
    except ValueError:
        host = None
    if not host:
        return text[:80]
    if host in site_hosts:
        return "(this site)"
    return host


def _top(counter: Counter, n: int) -> list:
    """Most common first, ties by name: the same log gives the same report however it was split."""
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def build_period(data, hours_helper, *, top: int, site_hosts=()) -> PeriodReport:
    """Turn a merged PeriodData into a PeriodReport."""
    tz = hours_helper.tz
    hk, kind, cls, hits, nbytes = data.hourly
    lo = data.start if data.start is not None else data.ep_min
    hi = data.end if data.end is not None else (data.ep_max + 1 if data.ep_max is not None else None)

    traffic = {name: Traffic() for name in ("all",) + CLASS_NAMES}
    for c, cname in enumerate(CLASS_NAMES):
        sel = cls == c
        t = traffic[cname]
        t.hits = int(hits[sel].sum())
        t.bytes = int(nbytes[sel].sum())
        for k, kname in enumerate(KIND_NAMES):
            setattr(t, kname, int(hits[sel & (kind == k)].sum()))
    for f in dataclasses.fields(Traffic):
        setattr(traffic["all"], f.name, sum(getattr(traffic[c], f.name) for c in CLASS_NAMES))

    # Every local hour of the period, so the memoria's charts have no holes.
    if lo is not None and hi is not None and hi > lo:
        first = int(hours_helper.hour_keys(np.array([lo], np.int64))[0])
        grid = hours_helper.hour_keys(np.arange(first, hi, 3600, dtype=np.int64))
        hour_keys = np.unique(np.concatenate((grid, hk, hours_helper.hour_keys(data.visits.start))))
    else:
        hour_keys = np.unique(hk)
    nh = hour_keys.size
    hour_rows = [Row(start=iso(int(h), tz)) for h in hour_keys.tolist()]
    hour_dates = [datetime.fromtimestamp(int(h), tz).date() for h in hour_keys.tolist()]
    if hour_dates:
        d0, d1 = hour_dates[0], hour_dates[-1]
        days = [d0 + timedelta(days=i) for i in range((d1 - d0).days + 1)]
    else:
        days = []
    day_rows = [Row(start=d.isoformat()) for d in days]
    hour_day = np.array([(d - hour_dates[0]).days for d in hour_dates], np.int64) if hour_dates else np.zeros(0, np.int64)
    nd = len(days)

    def per_hour(weights_sel, values) -> np.ndarray:
        idx = np.searchsorted(hour_keys, hk[weights_sel])
        return np.bincount(idx, weights=values[weights_sel], minlength=nh).astype(np.int64)

    everything = np.ones(hk.size, bool)
    columns = {
        "hits": per_hour(everything, hits),
        "bytes": per_hour(everything, nbytes),
        "pages": per_hour((cls == HUMAN) & (kind == PAGE), hits),
        "json": per_hour((cls == HUMAN) & (kind == JSON), hits),
        "downloads": per_hour((cls == HUMAN) & (kind == DOWNLOAD), hits),
        "bot_hits": per_hour(cls == BOT, hits),
        "monitor_hits": per_hour(cls == MONITOR, hits),
    }
    v = data.visits
    vidx = np.searchsorted(hour_keys, hours_helper.hour_keys(v.start))
    columns["visits"] = np.bincount(vidx, minlength=nh).astype(np.int64)

    # Distinct visitors per hour, per day and over the period, by class.
    vhk, vcl, vcls = data.visitors
    vh = np.searchsorted(hour_keys, vhk)
    distinct_total = {}
    for c, prefix in ((HUMAN, ""), (BOT, "bot_"), (MONITOR, "monitor_")):
        sel = vcls == c
        columns[prefix + "visitors"] = np.bincount(vh[sel], minlength=nh).astype(np.int64)
        day_of = hour_day[vh[sel]] if nh else np.zeros(0, np.int64)
        clients = vcl[sel]
        if clients.size:
            order = np.lexsort((clients, day_of))
            dd, cc = day_of[order], clients[order]
            first_in_day = np.concatenate(([True], (dd[1:] != dd[:-1]) | (cc[1:] != cc[:-1])))
            per_day = np.bincount(dd[first_in_day], minlength=nd)
        else:
            per_day = np.zeros(nd, np.int64)
        for row, n in zip(day_rows, per_day.tolist()):
            setattr(row, prefix + "visitors", int(n))
        distinct_total[c] = int(np.unique(clients).size)

    for name, col in columns.items():
        for row, n in zip(hour_rows, col.tolist()):
            setattr(row, name, int(n))
        if name.endswith("visitors"):
            continue
        by_day = np.bincount(hour_day, weights=col, minlength=nd).astype(np.int64) if nd else []
        for row, n in zip(day_rows, list(by_day)):
            setattr(row, name, int(n))

    visits = {
        "count": len(v),
        "pages": int(v.pages.sum()),
        "pages_per_visit": round(float(v.pages.mean()), 2) if len(v) else None,
        "permanence": permanence(v.duration, v.pages),
    }

    ref_hosts = Counter()
    for ref, n in data.referrers.items():
        ref_hosts[_ref_host(ref, site_hosts)] += n
    dec = lambda b: b.decode("utf-8", "replace")  # noqa: E731
    status_hits = Counter()
    for s, n in zip(data.status[0].tolist(), data.status[2].tolist()):
        status_hits[int(s)] += int(n)

    return PeriodReport(
        start=datetime.fromtimestamp(lo, tz) if lo is not None else None,
        end=datetime.fromtimestamp(hi, tz) if hi is not None else None,
        hours=round((hi - lo) / 3600, 4) if lo is not None and hi is not None else 0.0,
        traffic=traffic,
        visitors=distinct_total[HUMAN],
        bot_visitors=distinct_total[BOT],
        monitor_visitors=distinct_total[MONITOR],
        visits=visits,
        per_day=day_rows,
        per_hour=hour_rows,
        top_pages=[{"path": dec(p), "views": n} for p, n in _top(data.pages, top)],
        top_downloads=[
            {"path": dec(p), "downloads": n, "bytes": b}
            for p, (n, b) in sorted(data.downloads.items(), key=lambda kv: (-kv[1][0], kv[0]))[:top]
        ],
        referrers=[{"referrer": h, "pages": n} for h, n in _top(ref_hosts, top)],
        status_codes=[{"status": s, "hits": n} for s, n in sorted(status_hits.items())],
        bots=[{"agent": name, "hits": n} for name, n in _top(data.bots, top)],
    )


def compare(period: PeriodReport, baseline: PeriodReport) -> list[dict]:
    out = []
    for metric in COMPARED:
        p, b = period.rate(metric), baseline.rate(metric)
        ratio = round(p / b, 3) if p is not None and b else None
        out.append({
            "metric": metric,
            "period_per_hour": None if p is None else round(p, 3),
            "baseline_per_hour": None if b is None else round(b, 3),
            "ratio": ratio,
        })
    return out


# --- text ---------------------------------------------------------------------------------------------------


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
