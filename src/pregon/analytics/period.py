"""A merged period's sums become its figures: traffic per class, rows per local hour and day (with no
holes, so the memoria's charts have none), distinct visitors, visits and the top lists; and the ratio of
a period to the baseline."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import numpy as np

from .classify import BOT, CLASS_NAMES, DOWNLOAD, HUMAN, JSON, KIND_NAMES, MONITOR, PAGE
from .report import COMPARED, PeriodReport, Row, Traffic
from .visits import permanence

_VISITOR_CLASSES = ((HUMAN, ""), (BOT, "bot_"), (MONITOR, "monitor_"))  # class, prefix of its Row fields


def iso(epoch: int | None, tz) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz).isoformat()


def build_period(data, hours_helper, *, top: int, site_hosts=()) -> PeriodReport:
    """Turn a merged PeriodData into a PeriodReport."""
    tz = hours_helper.tz
    lo = data.start if data.start is not None else data.ep_min
    hi = data.end if data.end is not None else (data.ep_max + 1 if data.ep_max is not None else None)
    hour_keys = _hour_grid(data, hours_helper, lo, hi)
    cal = _Calendar(hour_keys, tz)
    columns = _hourly_columns(data, hours_helper, hour_keys)
    distinct_total = _visitors(data.visitors, cal, columns)
    cal.fill(columns)
    v = data.visits
    return PeriodReport(
        start=datetime.fromtimestamp(lo, tz) if lo is not None else None,
        end=datetime.fromtimestamp(hi, tz) if hi is not None else None,
        hours=round((hi - lo) / 3600, 4) if lo is not None and hi is not None else 0.0,
        traffic=_traffic(data.hourly),
        visitors=distinct_total[HUMAN],
        bot_visitors=distinct_total[BOT],
        monitor_visitors=distinct_total[MONITOR],
        visits={
            "count": len(v),
            "pages": int(v.pages.sum()),
            "pages_per_visit": round(float(v.pages.mean()), 2) if len(v) else None,
            "permanence": permanence(v.duration, v.pages),
        },
        per_day=cal.day_rows,
        per_hour=cal.hour_rows,
        **_top_lists(data, top, site_hosts),
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


# --- the steps of build_period() -----------------------------------------------------------------------------


def _traffic(hourly) -> dict[str, Traffic]:
    """Hits and bytes per kind, for each class and for all of them."""
    _, kind, cls, hits, nbytes = hourly
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
    return traffic


def _hour_grid(data, hours_helper, lo, hi) -> np.ndarray:
    """Every local hour of the period (and any hour with a request or a visit's start), sorted."""
    hk = data.hourly[0]
    if lo is not None and hi is not None and hi > lo:
        first = int(hours_helper.hour_keys(np.array([lo], np.int64))[0])
        grid = hours_helper.hour_keys(np.arange(first, hi, 3600, dtype=np.int64))
        return np.unique(np.concatenate((grid, hk, hours_helper.hour_keys(data.visits.start))))
    return np.unique(hk)


class _Calendar:
    """The period's hour rows and day rows, and which day each hour falls in."""

    def __init__(self, hour_keys: np.ndarray, tz):
        self.hour_keys = hour_keys
        self.nh = hour_keys.size
        self.hour_rows = [Row(start=iso(int(h), tz)) for h in hour_keys.tolist()]
        hour_dates = [datetime.fromtimestamp(int(h), tz).date() for h in hour_keys.tolist()]
        if hour_dates:
            d0, d1 = hour_dates[0], hour_dates[-1]
            days = [d0 + timedelta(days=i) for i in range((d1 - d0).days + 1)]
        else:
            days = []
        self.day_rows = [Row(start=d.isoformat()) for d in days]
        self.hour_day = (np.array([(d - hour_dates[0]).days for d in hour_dates], np.int64) if hour_dates
                         else np.zeros(0, np.int64))
        self.nd = len(days)

    def fill(self, columns: dict) -> None:
        """Each column into the hour rows, and summed per day into the day rows (but visitors, which are
        distinct per day, not sums of hours)."""
        for name, col in columns.items():
            for row, n in zip(self.hour_rows, col.tolist()):
                setattr(row, name, int(n))
            if name.endswith("visitors"):
                continue
            by_day = np.bincount(self.hour_day, weights=col, minlength=self.nd).astype(np.int64) if self.nd else []
            for row, n in zip(self.day_rows, list(by_day)):
                setattr(row, name, int(n))


def _hourly_columns(data, hours_helper, hour_keys: np.ndarray) -> dict[str, np.ndarray]:
    """Per-hour hits, bytes, people's pages, polls, downloads and visits, bots' and the monitor's hits."""
    hk, kind, cls, hits, nbytes = data.hourly
    nh = hour_keys.size

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
    vidx = np.searchsorted(hour_keys, hours_helper.hour_keys(data.visits.start))
    columns["visits"] = np.bincount(vidx, minlength=nh).astype(np.int64)
    return columns


def _visitors(visitors, cal: _Calendar, columns: dict) -> dict[int, int]:
    """Distinct visitors per hour (into `columns`), per day (into the day rows) and over the period (returned,
    by class)."""
    vhk, vcl, vcls = visitors
    vh = np.searchsorted(cal.hour_keys, vhk)
    distinct_total = {}
    for c, prefix in _VISITOR_CLASSES:
        sel = vcls == c
        columns[prefix + "visitors"] = np.bincount(vh[sel], minlength=cal.nh).astype(np.int64)
        day_of = cal.hour_day[vh[sel]] if cal.nh else np.zeros(0, np.int64)
        clients = vcl[sel]
        if clients.size:
            order = np.lexsort((clients, day_of))
            dd, cc = day_of[order], clients[order]
            first_in_day = np.concatenate(([True], (dd[1:] != dd[:-1]) | (cc[1:] != cc[:-1])))
            per_day = np.bincount(dd[first_in_day], minlength=cal.nd)
        else:
            per_day = np.zeros(cal.nd, np.int64)
        for row, n in zip(cal.day_rows, per_day.tolist()):
            setattr(row, prefix + "visitors", int(n))
        distinct_total[c] = int(np.unique(clients).size)
    return distinct_total


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


def _dec(b: bytes) -> str:
    return b.decode("utf-8", "replace")


def _top_lists(data, top: int, site_hosts) -> dict[str, list[dict]]:
    """Top pages, downloads, referrer hosts and bots, and every status code."""
    ref_hosts = Counter()
    for ref, n in data.referrers.items():
        ref_hosts[_ref_host(ref, site_hosts)] += n
    status_hits = Counter()
    for s, n in zip(data.status[0].tolist(), data.status[2].tolist()):
        status_hits[int(s)] += int(n)
    return {
        "top_pages": [{"path": _dec(p), "views": n} for p, n in _top(data.pages, top)],
        "top_downloads": [
            {"path": _dec(p), "downloads": n, "bytes": b}
            for p, (n, b) in sorted(data.downloads.items(), key=lambda kv: (-kv[1][0], kv[0]))[:top]
        ],
        "referrers": [{"referrer": h, "pages": n} for h, n in _top(ref_hosts, top)],
        "status_codes": [{"status": s, "hits": n} for s, n in sorted(status_hits.items())],
        "bots": [{"agent": name, "hits": n} for name, n in _top(data.bots, top)],
    }
