"""Partials add up: each task's figures, with its clients renumbered globally, merged into one PeriodData per
period; the people's events of the whole log become visits here, because a visit may span tasks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from . import classify
from .parts import NO_LIMIT, UA_BITS, UA_MASK, PeriodPart, TaskResult
from .visits import sessionize


@dataclass
class PeriodData:
    """A period's figures over the whole log, clients numbered globally; report.py turns it into a Report."""

    start: int | None
    end: int | None
    rows: int
    ep_min: int | None
    ep_max: int | None
    hourly: tuple  # (hour_key, kind, class, hits, bytes)
    status: tuple  # (status, class, hits)
    visitors: tuple  # (hour_key, client, class), unique
    visits: object  # visits.Visits
    pages: Counter
    referrers: Counter
    downloads: dict
    bots: Counter  # bot name -> hits


class _PeriodAcc:
    def __init__(self):
        self.rows = 0
        self.ep_min, self.ep_max = 1 << 62, -(1 << 62)
        self.hourly, self.status, self.visitors, self.events, self.bot_agents = [], [], [], [], []
        self.pages, self.referrers, self.downloads = Counter(), Counter(), {}

    def add(self, part: PeriodPart, remap, uamap) -> None:
        if not part.rows:
            return
        self.rows += part.rows
        self.ep_min = min(self.ep_min, part.ep_min)
        self.ep_max = max(self.ep_max, part.ep_max)
        self.hourly.append(part.hourly)
        self.status.append(part.status)
        if part.visitors:
            hk, pk, cls = part.visitors
            self.visitors.append((hk, remap(pk), cls))
        pk, ep, pg = part.events
        if pk.size:
            self.events.append((remap(pk), ep, pg))
        self.pages.update(part.pages)
        self.referrers.update(part.referrers)
        for path, (n, b) in part.downloads.items():
            d = self.downloads.setdefault(path, [0, 0])
            d[0] += n
            d[1] += b
        if part.bot_agents:
            self.bot_agents.append((uamap[part.bot_agents[0]], part.bot_agents[1]))


def _cat(parts, i, dtype=np.int64):
    arrays = [p[i] for p in parts]
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype)


def _sum_by_code(codes: np.ndarray, *weights: np.ndarray) -> tuple:
    """(distinct codes, then each weight summed per code)."""
    u, inv = np.unique(codes, return_inverse=True)
    inv = inv.reshape(-1)
    return (u, *(np.bincount(inv, weights=w, minlength=u.size).astype(np.int64) for w in weights))


def _unique_visitors(acc: _PeriodAcc) -> tuple:
    """(hour_key, client, class), each (hour, client) pair once across tasks."""
    vhk, vcl, vcls = _cat(acc.visitors, 0), _cat(acc.visitors, 1), _cat(acc.visitors, 2)
    if vhk.size:
        order = np.lexsort((vcl, vhk))
        vhk, vcl, vcls = vhk[order], vcl[order], vcls[order]
        keep = np.concatenate(([True], (vhk[1:] != vhk[:-1]) | (vcl[1:] != vcl[:-1])))
        vhk, vcl, vcls = vhk[keep], vcl[keep], vcls[keep]
    return vhk, vcl, vcls


class Merger:
    """Adds TaskResults together, renumbering each task's IPs and agents into global ids."""

    def __init__(self, periods, gap: int, cap: int):
        self.periods = periods
        self.gap, self.cap = gap, cap
        self.ip_ids: dict[bytes, int] = {}
        self.ua_ids: dict[bytes, int] = {}
        self.agents: list[bytes] = []
        self.accs = [_PeriodAcc() for _ in periods]

    def add(self, res: TaskResult) -> None:
        ip_ids, ua_ids, agents = self.ip_ids, self.ua_ids, self.agents
        ipmap = np.fromiter((ip_ids.setdefault(x, len(ip_ids)) for x in res.ips), np.int64, len(res.ips))
        uamap = np.empty(len(res.agents), np.int64)
        for i, a in enumerate(res.agents):
            g = ua_ids.get(a)
            if g is None:
                g = ua_ids[a] = len(agents)
                agents.append(a)
            uamap[i] = g
        if len(agents) > UA_MASK:  # pragma: no cover - 67 million distinct user agents
            raise OverflowError("more distinct user agents than pregon can number")

        def remap(packed):
            return (ipmap[packed >> UA_BITS] << UA_BITS) | uamap[packed & UA_MASK]

        for acc, part in zip(self.accs, res.periods):
            acc.add(part, remap, uamap)

    def finish(self) -> list[PeriodData]:
        return [self._period(start, end, acc) for (start, end), acc in zip(self.periods, self.accs)]

    def _period(self, start: int, end: int, acc: _PeriodAcc) -> PeriodData:
        u, h, b = _sum_by_code(_cat(acc.hourly, 0), _cat(acc.hourly, 1), _cat(acc.hourly, 2))
        su, shits = _sum_by_code(_cat(acc.status, 0), _cat(acc.status, 1))
        ev_c, ev_t, ev_k = _cat(acc.events, 0), _cat(acc.events, 1), _cat(acc.events, 2, np.int8)
        acc.events = []
        return PeriodData(
            start=None if start <= NO_LIMIT[0] else start,
            end=None if end >= NO_LIMIT[1] else end,
            rows=acc.rows,
            ep_min=acc.ep_min if acc.rows else None,
            ep_max=acc.ep_max if acc.rows else None,
            hourly=(u // 64, (u // 8) % 8, u % 8, h, b),
            status=(su // 4, su % 4, shits),
            visitors=_unique_visitors(acc),
            visits=sessionize(ev_c, ev_t, ev_k, gap=self.gap, cap=self.cap),
            pages=acc.pages,
            referrers=acc.referrers,
            downloads=acc.downloads,
            bots=self._bots(acc),
        )

    def _bots(self, acc: _PeriodAcc) -> Counter:
        """Bot hits by bot name (agents that name no known bot are "(other)")."""
        bots = Counter()
        if acc.bot_agents:
            ids, counts = _cat(acc.bot_agents, 0), _cat(acc.bot_agents, 1)
            per_agent = np.bincount(ids, weights=counts).astype(np.int64)
            for i in np.flatnonzero(per_agent).tolist():
                name = classify.bot_name(self.agents[i].decode("utf-8", "replace")) or "(other)"
                bots[name] += int(per_agent[i])
        return bots
