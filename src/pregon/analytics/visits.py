"""Visits: a person's pages grouped while they keep coming, and how long they stayed.

Rules (docs/analytics.md states them for readers of the memoria):

- A visit is the requests of one client (IP, user agent) that start at a page and continue while no gap
  between consecutive counted requests (pages, downloads, JSON polls) exceeds `gap` (30 min). Midnight does
  not split a visit: the PREP runs through the night.
- JSON polls (the page's own `main.json` refresh, every 30-60 s while a tab is open) count, but only up to
  `cap` (30 min) after the visit's latest page or download: a tab left open all night is not a person
  reading all night. Polls and downloads with no page before them in the visit (a tab opened before the
  analysed period, a direct link to the database) belong to no visit.
- Time of permanence is the last counted request minus the first page.

`sessionize` applies these rules to millions of events with numpy (sort once, then a few vectorised
passes); `tests/analytics/test_visits.py` checks it against the rules written as a plain loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SESSION_GAP = 30 * 60
POLL_CAP = 30 * 60

# Time-of-permanence buckets: [low, high) seconds.
BUCKETS = (
    ("0-10 s", 0, 10),
    ("10-30 s", 10, 30),
    ("30-60 s", 30, 60),
    ("1-3 min", 60, 180),
    ("3-10 min", 180, 600),
    ("10-30 min", 600, 1800),
    ("30 min+", 1800, None),
)

_BIG = 1 << 35  # above any epoch second we will meet (year 3058)


@dataclass
class Visits:
    """One entry per visit, as parallel arrays."""

    client: np.ndarray
    start: np.ndarray
    end: np.ndarray
    pages: np.ndarray

    @property
    def duration(self) -> np.ndarray:
        return self.end - self.start

    def __len__(self) -> int:
        return int(self.start.size)


def _empty() -> Visits:
    z = np.zeros(0, np.int64)
    return Visits(z, z.copy(), z.copy(), z.copy())


# Event kinds for sessionize, in their order within one second.
PAGE_EVENT, ACTION_EVENT, POLL_EVENT = 0, 1, 2


def sessionize(client, epoch, kind, *, gap: int = SESSION_GAP, cap: int = POLL_CAP) -> Visits:
    """Group events into visits (rules in the module docstring). `kind` per event: PAGE_EVENT, ACTION_EVENT
    (a download: the person is there, but it is not a page and does not start a visit) or POLL_EVENT."""
    client = np.asarray(client, np.int64)
    epoch = np.asarray(epoch, np.int64)
    kind = np.asarray(kind, np.int8)
    if client.size == 0:
        return _empty()
    # Sort by client, then time; within a second pages first, so a poll in its page's second counts.
    order = np.lexsort((kind, epoch, client))
    c, t, k = client[order], epoch[order], kind[order]
    p = k == PAGE_EVENT

    # Dense client index g, then the latest page or download so far within the client (0 = none yet), with
    # one running maximum over g*BIG + (t+1): a client's values all exceed every earlier client's.
    g = np.cumsum(np.concatenate(([True], c[1:] != c[:-1]))) - 1
    base = g * _BIG
    t0 = t.min()
    poll = k == POLL_EVENT
    latest = np.maximum.accumulate(base + np.where(poll, 0, t - t0 + 1)) - base
    anchor = latest - 1 + t0
    keep = ~poll | ((latest > 0) & (t - anchor <= cap))
    c, t, p, g = c[keep], t[keep], p[keep], g[keep]
    if c.size == 0:
        return _empty()

    # Segments: a new client, or a gap over `gap` between counted requests.
    brk = np.concatenate(([True], (g[1:] != g[:-1]) | (t[1:] - t[:-1] > gap)))
    seg = np.cumsum(brk) - 1
    starts = np.flatnonzero(brk)
    # Polls and downloads before the segment's first page are not part of any visit.
    pc = np.cumsum(p)
    before = (pc - p)[starts]
    inside = pc - before[seg] > 0
    c, t, p, seg = c[inside], t[inside], p[inside], seg[inside]
    if c.size == 0:
        return _empty()
    first = np.flatnonzero(np.concatenate(([True], seg[1:] != seg[:-1])))
    last = np.concatenate((first[1:] - 1, [seg.size - 1]))
    pages = np.add.reduceat(p.astype(np.int64), first)
    return Visits(client=c[first], start=t[first], end=t[last], pages=pages)


def permanence(durations: np.ndarray, pages: np.ndarray) -> dict:
    """Mean (all visits, and visits of more than one page), median and buckets of the time of permanence."""
    d = np.asarray(durations, np.int64)
    multi = d[np.asarray(pages) > 1]
    buckets = []
    for label, low, high in BUCKETS:
        sel = d >= low if high is None else (d >= low) & (d < high)
        buckets.append({"label": label, "from_s": low, "to_s": high, "visits": int(np.count_nonzero(sel))})
    return {
        "visits": int(d.size),
        "single_page_visits": int(d.size - multi.size),
        "mean_s": round(float(d.mean()), 1) if d.size else None,
        "mean_multi_page_s": round(float(multi.mean()), 1) if multi.size else None,
        "median_s": float(np.median(d)) if d.size else None,
        "total_s": int(d.sum()),
        "buckets": buckets,
    }
