"""Availability per difusor, per day and per month, from the monitor's observations (IEM asks 99.9 %).

An observation counts as available when the difusor's `json/main.json` (a method-2 difusor: its framing
page) answered 200 (`up`), as in `monitor.summarize`; a blocked difusor's observations do not count (it is no
longer a difusor oficial), nor does a `frame-unchecked` one that asked the difusor nothing. Days and months are the institute's, in its time zone, so a night that crosses
midnight UTC is not split in two. Pure functions over the observation dicts of observations.jsonl; the
report is the JSON of `pregon instituto monitor report --by day --format json`, which the difusor's memoria
técnica takes (`pregon difusor memoria --availability`).
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import InputError

SCHEMA = "pregon.availability/1"
DEFAULT_THRESHOLD = 99.9
BY = ("day", "month")
NOT_COUNTED = ("notice-shown", "notice-missing", "frame-allowed")  # a blocked difusor's checks (frame-allowed:
# a blocked method-2 difusor the official site still lets frame it)
_DAY_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
_MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def institute_zone(cfg) -> ZoneInfo:
    """The institute's zone: its profile's, else [source] timezone (America/Mexico_City by default)."""
    if getattr(cfg, "profile", None):
        from .. import perfiles

        return perfiles.load(cfg.profile).tz
    return ZoneInfo(cfg.cortes.timezone)


def institute_threshold(cfg) -> float:
    """The availability the call asks: its profile's [duties] availability_pct, else 99.9 %."""
    if getattr(cfg, "profile", None):
        from .. import perfiles

        pct = perfiles.load(cfg.profile).duties.availability_pct
        if pct is not None:
            return float(pct)
    return DEFAULT_THRESHOLD


def zone(name: str, what: str = "--tz") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"{what} {name!r}: not a time zone (e.g. America/Mexico_City)") from None


def counted(o: dict) -> bool:
    """Whether an observation judges the difusor's availability."""
    status = o.get("status")
    return status not in NOT_COUNTED and not (status == "frame-unchecked" and not o.get("up"))


def _time(o: dict) -> datetime | None:
    try:
        t = datetime.fromisoformat(o["time"])
    except (KeyError, TypeError, ValueError):
        return None
    return t if t.tzinfo is not None else None


def _figures(n: int, up: int, threshold: float) -> dict:
    return {"observations": n, "up": up, "down": n - up,
            "availability_pct": round(100.0 * up / n, 3) if n else None,
            # exact: 999 of 1000 meets 99.9 %, whatever binary floating point makes of 99.9
            "meets": (Decimal(up) * 100 >= Decimal(str(threshold)) * n) if n else None}


def report(observations, *, tz: tzinfo, threshold: float = DEFAULT_THRESHOLD, by: str = "day",
           start: datetime | None = None, end: datetime | None = None, difusores=(), only=()) -> dict:
    """Per difusor (sorted): total, per month and (by day) per day: observations, up, down, %, meets.
    `difusores` are ids listed even without observations; `only`, when given, keeps those ids alone;
    [start, end) bounds the observations."""
    if by not in BY:
        raise InputError(f"--by {by!r}: expected one of {', '.join(BY)}")
    counts: dict[str, dict] = {}
    for o in observations:
        ident = o.get("difusor")
        t = _time(o)
        if not isinstance(ident, str) or t is None or not counted(o):
            continue
        if (only and ident not in only) or (start and t < start) or (end and t >= end):
            continue
        local = t.astimezone(tz)
        c = counts.setdefault(ident, {"first": t, "last": t, "days": {}, "months": {}})
        c["first"], c["last"] = min(c["first"], t), max(c["last"], t)
        up = 1 if o.get("up") else 0
        for key, period in (("days", local.strftime("%Y-%m-%d")), ("months", local.strftime("%Y-%m"))):
            n, u = c[key].get(period, (0, 0))
            c[key][period] = (n + 1, u + up)
    ids = sorted(set(counts) | {i for i in difusores if not only or i in only})
    rows = []
    for ident in ids:
        c = counts.get(ident, {"first": None, "last": None, "days": {}, "months": {}})
        n = sum(v[0] for v in c["months"].values())
        u = sum(v[1] for v in c["months"].values())
        entry = {"difusor": ident, "first": c["first"] and c["first"].isoformat(),
                 "last": c["last"] and c["last"].isoformat(), "total": _figures(n, u, threshold),
                 "months": [{"period": p, **_figures(*c["months"][p], threshold)} for p in sorted(c["months"])]}
        if by == "day":
            entry["days"] = [{"period": p, **_figures(*c["days"][p], threshold)} for p in sorted(c["days"])]
        rows.append(entry)
    return {"schema": SCHEMA, "by": by, "tz": getattr(tz, "key", str(tz)), "threshold_pct": float(threshold),
            "from": start and start.isoformat(), "to": end and end.isoformat(), "difusores": rows}


def rows(doc: dict) -> list[dict]:
    """Flat rows of the report's granularity, each difusor closed by its total."""
    key = "days" if doc["by"] == "day" else "months"
    out = []
    for e in doc["difusores"]:
        out += [{"difusor": e["difusor"], **r} for r in e.get(key, [])]
        out.append({"difusor": e["difusor"], "period": "total", **e["total"]})
    return out


CSV_FIELDS = ("difusor", "period", "observations", "up", "down", "availability_pct", "threshold_pct", "meets")


def to_csv(doc: dict) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for r in rows(doc):
        r = {**r, "threshold_pct": doc["threshold_pct"]}
        w.writerow(["" if r.get(k) is None else ("yes" if r[k] is True else "no" if r[k] is False else r[k])
                    for k in CSV_FIELDS])
    return buf.getvalue()


def to_text(doc: dict) -> str:
    lines = [f"availability by {doc['by']} ({doc['tz']}), threshold {doc['threshold_pct']:g} %",
             f"{'difusor':<20} {'period':<10} {'obs':>7} {'up':>7} {'down':>6} {'avail%':>8}  meets"]
    for r in rows(doc):
        pct = "-" if r["availability_pct"] is None else f"{r['availability_pct']:.3f}"
        meets = "-" if r["meets"] is None else "yes" if r["meets"] else "NO"
        lines.append(f"{r['difusor']:<20} {r['period']:<10} {r['observations']:>7} {r['up']:>7} {r['down']:>6} "
                     f"{pct:>8}  {meets}")
    return "\n".join(lines) + "\n"


def for_difusor(doc, ident: str, where: str) -> dict:
    """One difusor's part of a report read from a file (the memoria's input), checked enough to render:
    {tz, threshold_pct, by, from, to, difusor, first, last, total, months, days}."""
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise InputError(f"{where}: not an availability report ({SCHEMA}); write it with "
                         "`pregon instituto monitor report --by day --format json`")
    entries = doc.get("difusores")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InputError(f"{where}: 'difusores' must be a list of objects")
    mine = [e for e in entries if e.get("difusor") == ident]
    if not mine:
        have = ", ".join(sorted(str(e.get("difusor")) for e in entries)) or "none"
        raise InputError(f"{where}: no availability for difusor {ident!r} (the report has: {have}); check "
                         "[difusor] id or ask the institute for yours")
    e = mine[0]
    thr = doc.get("threshold_pct")
    if isinstance(thr, bool) or not isinstance(thr, (int, float)) or not 0 <= thr <= 100:
        raise InputError(f"{where}: threshold_pct: expected a number between 0 and 100, got {thr!r}")

    def figures(r, what, period=None):
        if not isinstance(r, dict):
            raise InputError(f"{where}: {what}: expected an object")
        n, u = r.get("observations"), r.get("up")
        if not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in (n, u)) or u > n:
            raise InputError(f"{where}: {what}: observations and up must be counts, up <= observations")
        p = r.get("period")
        if period is not None and not (isinstance(p, str) and period[0].fullmatch(p)):
            raise InputError(f"{where}: {what}: period {p!r}: expected {period[1]}")
        return {"period": p if period is not None else "total", **_figures(n, u, thr)}

    periods = {}
    for key, pattern in (("days", (_DAY_RE, "YYYY-MM-DD")), ("months", (_MONTH_RE, "YYYY-MM"))):
        value = e.get(key, [])
        if not isinstance(value, list):
            raise InputError(f"{where}: difusor {ident!r} {key}: expected a list")
        periods[key] = [figures(r, f"difusor {ident!r} {key} #{i}", pattern) for i, r in enumerate(value, start=1)]
    return {"tz": str(doc.get("tz") or ""), "threshold_pct": float(thr), "by": doc.get("by"),
            "from": doc.get("from"), "to": doc.get("to"), "difusor": ident, "first": e.get("first"),
            "last": e.get("last"), "total": figures(e.get("total"), f"difusor {ident!r} total"), **periods}
