"""One task's work: blocks of log lines become columns, columns become a TaskResult of partial aggregates.

Why columns: Python pays per object, so the inner loop is `LINE_RE.findall` (C) followed by a handful of
`map`/numpy operations over whole columns; every decision that depends on a string (timestamp, path kind,
bot or person) is made once per *distinct* string through a cache. The per-line Python work left is
creating the captured byte strings.
"""

from __future__ import annotations

from collections import Counter
from itertools import compress
from operator import itemgetter

import numpy as np

from . import classify
from .classify import BOT, DOWNLOAD, HUMAN, JSON, OTHER, PAGE
from .clients import TaskClients
from .hours import LocalHours
from .logparse import INVALID_TIME, LINE_RE, parse_time, split_lines_blocks
from .malformed import blank_lines, malformed_examples
from .parts import MAX_EXAMPLES, NO_LIMIT, UA_BITS, UA_MASK, Config, PeriodPart, TaskResult
from .visits import ACTION_EVENT, PAGE_EVENT, POLL_EVENT

_EVENT_OF_KIND = np.full(8, -1, np.int8)  # request kind -> visit event kind
_EVENT_OF_KIND[[PAGE, JSON, DOWNLOAD]] = [PAGE_EVENT, POLL_EVENT, ACTION_EVENT]

SUB_BLOCK = 1 << 20  # findall + columns on ~1 MiB at a time stays in cache
# LINE_RE's groups: client, time, method, path, status, size, referrer, agent
_COLUMNS = tuple(itemgetter(i) for i in (0, 1, 2, 3, 4, 5, 7))
_REFERRER = itemgetter(6)


class _PeriodCols:
    """One task's rows of one period, as lists of column arrays (one array per sub-block)."""

    __slots__ = ("cls", "downloads", "epoch", "ip", "kind", "pages", "referrers", "size", "status", "ua")

    def __init__(self):
        self.epoch, self.kind, self.cls, self.status, self.size, self.ip, self.ua = ([] for _ in range(7))
        self.pages, self.referrers, self.downloads = Counter(), Counter(), {}

    @property
    def columns(self):
        return self.epoch, self.kind, self.cls, self.status, self.size, self.ip, self.ua


class ChunkAnalyzer:
    """Turns blocks of log bytes into a TaskResult. One per worker process: its caches (timestamps, path
    kinds, agent classes) outlive tasks."""

    def __init__(self, config: Config):
        self.config = config
        self.hours = LocalHours(config.tz)
        self.times: dict[bytes, int] = {}
        self.kinds: dict[bytes, int] = {}
        self.agent_classes: dict[bytes, int] = {}
        self.monitor = config.monitor

    def _trim_caches(self):
        for cache in (self.times, self.kinds, self.agent_classes):
            if len(cache) > 2_000_000:
                cache.clear()

    def run(self, block: bytes) -> TaskResult:
        self._trim_caches()
        res = TaskResult()
        clients = TaskClients(self.agent_classes, self.monitor)
        cols = [_PeriodCols() for _ in self.config.periods]
        for sub in split_lines_blocks(block, SUB_BLOCK):
            lines = sub.count(b"\n") + (0 if sub.endswith(b"\n") else 1)
            line0 = res.lines
            res.lines += lines
            rows = LINE_RE.findall(sub)
            nvalid = self._add_rows(rows, res, clients, cols) if rows else 0
            if nvalid < lines:
                blank = blank_lines(sub)
                res.blank += blank
                if len(res.examples) < MAX_EXAMPLES and nvalid + blank < lines:
                    res.examples.extend(malformed_examples(sub, line0, MAX_EXAMPLES - len(res.examples)))
        res.ips = list(clients.ip_ids)
        res.agents = clients.agents
        res.periods = [self._finish(pc) for pc in cols]
        return res

    # --- a sub-block's rows, as columns ----------------------------------------------------------------------

    def _add_rows(self, rows: list, res: TaskResult, clients: TaskClients, cols: list) -> int:
        """Columns of one sub-block's matches, appended to each period they fall in; returns how many rows
        have a valid time."""
        # one list per column (twice as fast as zip(*rows)); referrers are read only for pages
        ips, tss, meths, paths, stats, sizes, uas = (list(map(g, rows)) for g in _COLUMNS)
        epoch = self._epochs(tss)
        status = _statuses(stats)
        size = _sizes(sizes)
        kind = self._kinds(paths, meths, status)
        ip, ua, cls = clients.identify(ips, uas)

        valid = epoch != INVALID_TIME
        nvalid = int(np.count_nonzero(valid))
        if nvalid:
            ev = epoch[valid]
            res.ep_min = min(res.ep_min, int(ev.min()))
            res.ep_max = max(res.ep_max, int(ev.max()))
        res.valid += nvalid
        for (start, end), pc in zip(self.config.periods, cols):
            m = _in_period(valid, epoch, start, end)
            if not m.any():
                continue
            for store, column in zip(pc.columns, (epoch, kind, cls, status, size, ip, ua)):
                store.append(column[m])
            _count_people(pc, m & (cls == HUMAN), kind, size, paths, rows)
        return nvalid

    def _epochs(self, tss: list) -> np.ndarray:
        times = self.times
        for t in set(tss).difference(times):
            times[t] = parse_time(t)
        return np.fromiter(map(times.__getitem__, tss), np.int64, len(tss))

    def _kinds(self, paths: list, meths: list, status: np.ndarray) -> np.ndarray:
        """Each request's kind (page, JSON, download…); OTHER unless a GET answered 2xx or 304."""
        n, kinds = len(paths), self.kinds
        for p in set(paths).difference(kinds):
            kinds[p] = classify.path_kind(p)
        kind = np.fromiter(map(kinds.__getitem__, paths), np.int64, n)
        ok = np.fromiter(map(b"GET".__eq__, meths), bool, n)
        ok &= ((status >= 200) & (status < 300)) | (status == 304)
        kind[~ok] = OTHER
        return kind

    # --- a period's columns, as partial aggregates -----------------------------------------------------------

    def _finish(self, pc: _PeriodCols) -> PeriodPart:
        part = PeriodPart(pages=pc.pages, referrers=pc.referrers, downloads=pc.downloads)
        if not pc.epoch:
            return part
        epoch = np.concatenate(pc.epoch)
        kind = np.concatenate(pc.kind)
        cls = np.concatenate(pc.cls)
        status = np.concatenate(pc.status)
        size = np.concatenate(pc.size)
        packed = (np.concatenate(pc.ip) << UA_BITS) | np.concatenate(pc.ua)
        part.rows = int(epoch.size)
        part.ep_min, part.ep_max = int(epoch.min()), int(epoch.max())
        hk = self.hours.hour_keys(epoch)

        codes, inv, hits = np.unique(hk * 64 + kind * 8 + cls, return_inverse=True, return_counts=True)
        nbytes = np.bincount(inv.reshape(-1), weights=size, minlength=codes.size).astype(np.int64)
        part.hourly = (codes, hits, nbytes)
        part.status = tuple(np.unique(status * 4 + cls, return_counts=True))
        part.visitors = _visitors(hk, packed, cls, status)

        e = (cls == HUMAN) & ((kind == PAGE) | (kind == JSON) | (kind == DOWNLOAD))
        part.events = (packed[e], epoch[e], _EVENT_OF_KIND[kind[e]])

        b = cls == BOT
        if b.any():
            bu = packed[b] & UA_MASK
            ids, counts = np.unique(bu, return_counts=True)
            part.bot_agents = (ids, counts)
        return part


def _statuses(stats: list) -> np.ndarray:
    digits = np.frombuffer(b"".join(stats), np.uint8).reshape(len(stats), 3).astype(np.int64) - 48
    return digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]  # 3 digits, by LINE_RE


def _sizes(sizes: list) -> np.ndarray:
    try:
        return np.fromiter(map(int, sizes), np.int64, len(sizes))
    except ValueError:  # Apache's %b writes "-" for an empty body; a cut line has none
        a = np.array(sizes, dtype="S20")
        return np.where((a == b"-") | (a == b""), b"0", a).astype(np.int64)


def _in_period(valid: np.ndarray, epoch: np.ndarray, start: int, end: int) -> np.ndarray:
    m = valid
    if start > NO_LIMIT[0]:
        m = m & (epoch >= start)
    if end < NO_LIMIT[1]:
        m = m & (epoch < end)
    return m


def _count_people(pc: _PeriodCols, human: np.ndarray, kind, size, paths: list, rows: list) -> None:
    """People's pages (with their referrers) and downloads (with their bytes), counted by path."""
    hp = human & (kind == PAGE)
    if hp.any():
        flags = hp.tolist()
        pc.pages.update(compress(paths, flags))
        pc.referrers.update(map(_REFERRER, compress(rows, flags)))
    for i in np.flatnonzero(human & (kind == DOWNLOAD)).tolist():
        d = pc.downloads.setdefault(paths[i], [0, 0])
        d[0] += 1
        d[1] += int(size[i])


def _visitors(hk: np.ndarray, packed: np.ndarray, cls: np.ndarray, status: np.ndarray) -> tuple:
    """The unique (hour, client, class) of a period; () when none. GoAccess's rule: a 4xx answer does not
    make a visitor (scanners, broken links)."""
    v = status // 100 != 4
    if not v.any():
        return ()
    vhk, vpk, vcls = hk[v], packed[v], cls[v]
    hku, hinv = np.unique(vhk, return_inverse=True)
    clu, cinv = np.unique(vpk, return_inverse=True)
    code = np.unique(hinv.reshape(-1).astype(np.int64) * clu.size + cinv.reshape(-1))
    ci = code % clu.size
    first = np.zeros(clu.size, np.int64)
    first[cinv.reshape(-1)] = vcls  # a client's class is a function of the client
    return (hku[code // clu.size], clu[ci], first[ci])
