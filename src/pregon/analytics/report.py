"""The figures a difusor hands in, as data (`Report.to_dict()`, a stable JSON shape) and as text.

The memoria técnica takes its numbers from here, so every figure has one definition, written once in
DEFINITIONS, printed with the report and repeated in docs/analytics.md. `period` computes the figures,
`text` prints them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime

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
        from .text import render_text

        return render_text(self, hourly=hourly)
