"""The pass over the logs: blocks of lines become columns, columns become partial aggregates, partials merge.

Why columns: Python pays per object, so the inner loop is `LINE_RE.findall` (C) followed by a handful of
`map`/numpy operations over whole columns; every decision that depends on a string (timestamp, path kind,
bot or person) is made once per *distinct* string through a cache. The per-line Python work left is
creating the captured byte strings.

Why partials: a plain file is split at line boundaries into tasks that worker processes analyse
independently (compressed files are decompressed by the parent and shipped as blocks). A task returns
figures that add up (hits and bytes per hour, kind and class; status counts; page, download and referrer
counters), sets that union (the (hour, client) pairs of visitors), and the page/poll events of people, which
`visits.sessionize` needs sorted per client across the whole log. Client identity (IP, user agent) is local
to a task, as small integers plus the task's tables of distinct IPs and agents; the parent renumbers them
globally.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import Counter, deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress
from operator import itemgetter

import numpy as np

from ..errors import InputError
from . import classify
from .classify import BOT, DOWNLOAD, HUMAN, JSON, MONITOR, OTHER, PAGE, Monitor
from .logparse import (
    INVALID_TIME,
    LINE_RE,
    byte_ranges,
    compressed_blocks,
    opener,
    parse_line,
    parse_time,
    read_range,
    split_lines_blocks,
)
from .visits import ACTION_EVENT, PAGE_EVENT, POLL_CAP, POLL_EVENT, SESSION_GAP

_EVENT_OF_KIND = np.full(8, -1, np.int8)  # request kind -> visit event kind
_EVENT_OF_KIND[[PAGE, JSON, DOWNLOAD]] = [PAGE_EVENT, POLL_EVENT, ACTION_EVENT]

UA_BITS = 26  # a client is packed as ip_id << UA_BITS | agent_id
UA_MASK = (1 << UA_BITS) - 1
SUB_BLOCK = 1 << 20  # findall + columns on ~1 MiB at a time stays in cache
MAX_EXAMPLES = 10  # malformed lines shown in the report; each task finds up to this many, the first win
NO_LIMIT = (-(1 << 62), 1 << 62)
# LINE_RE's groups: client, time, method, path, status, size, referrer, agent
_COLUMNS = tuple(itemgetter(i) for i in (0, 1, 2, 3, 4, 5, 7))
_REFERRER = itemgetter(6)


@dataclass(frozen=True)
class Config:
    """What every worker needs to know; small and picklable."""

    tz: str
    periods: tuple[tuple[int, int], ...]  # [start, end) in epoch seconds; the first is the PREP period
    monitor: Monitor


class LocalHours:
    """Instant of the start of the local wall-clock hour containing each instant, for one time zone.

    UTC offsets are looked up once per quarter hour of log (zones change offset on a quarter hour), so a
    DST change is honoured and the repeated hour of a fall-back is two buckets with different offsets.
    """

    def __init__(self, tz_name: str):
        from zoneinfo import ZoneInfo

        self.tz = ZoneInfo(tz_name)
        self._cache: dict[int, int] = {}

    def _offset(self, quarter: int) -> int:
        off = self._cache.get(quarter)
        if off is None:
            off = int(datetime.fromtimestamp(quarter * 900, self.tz).utcoffset().total_seconds())
            self._cache[quarter] = off
        return off

    def offsets(self, epoch: np.ndarray) -> np.ndarray:
        if epoch.size == 0:
            return np.zeros(0, np.int64)
        q = epoch // 900
        lo, hi = int(q.min()), int(q.max())
        if hi - lo <= 4096:
            table = np.fromiter((self._offset(x) for x in range(lo, hi + 1)), np.int64, hi - lo + 1)
            return table[q - lo]
        uq, inv = np.unique(q, return_inverse=True)
        table = np.fromiter((self._offset(int(x)) for x in uq), np.int64, uq.size)
        return table[inv.reshape(-1)]

    def hour_keys(self, epoch: np.ndarray) -> np.ndarray:
        off = self.offsets(epoch)
        return (epoch + off) // 3600 * 3600 - off


@dataclass
class PeriodPart:
    """One task's figures for one period."""

    rows: int = 0
    ep_min: int = 1 << 62
    ep_max: int = -(1 << 62)
    hourly: tuple = ()  # (codes = hour_key*64 + kind*8 + class, hits, bytes)
    status: tuple = ()  # (codes = status*4 + class, hits)
    visitors: tuple = ()  # (hour_key, packed client, class), unique
    events: tuple = ()  # (packed client, epoch, visits.*_EVENT) of people's pages, downloads and polls
    pages: Counter = field(default_factory=Counter)
    referrers: Counter = field(default_factory=Counter)
    downloads: dict = field(default_factory=dict)  # path -> [count, bytes]
    bot_agents: tuple = ()  # (agent id, hits)


@dataclass
class TaskResult:
    lines: int = 0
    blank: int = 0
    valid: int = 0
    ep_min: int = 1 << 62
    ep_max: int = -(1 << 62)
    examples: list = field(default_factory=list)  # (line index within task, text)
    ips: list = field(default_factory=list)
    agents: list = field(default_factory=list)
    periods: list = field(default_factory=list)


class _PeriodCols:
    """One task's rows of one period, as lists of column arrays (one array per sub-block)."""

    __slots__ = ("cls", "downloads", "epoch", "ip", "kind", "pages", "referrers", "size", "status", "ua")

    def __init__(self):
        self.epoch, self.kind, self.cls, self.status, self.size, self.ip, self.ua = ([] for _ in range(7))
        self.pages, self.referrers, self.downloads = Counter(), Counter(), {}

    @property
    def columns(self):
        return self.epoch, self.kind, self.cls, self.status, self.size, self.ip, self.ua


class _Clients:
    """A task's numbering of IPs and user agents, and each client's class (person, bot, monitor)."""

    def __init__(self, agent_classes: dict, monitor: Monitor):
        self.agent_classes = agent_classes  # the worker's cache, across tasks
        self.monitor = monitor
        self.ip_ids: dict[bytes, int] = {}
        # "-", empty and absent agents (cut lines, common format) are one identity, as in GoAccess's key
        self.ua_ids: dict[bytes, int] = {b"": 0, b"-": 0}
        self.agents = [b"-"]
        self.ua_cls = bytearray([classify.agent_class("-", monitor)])
        self.ip_mon = bytearray()

    def identify(self, ips: list, uas: list):
        """(ip id, agent id, class) arrays for a column of IPs and one of agents."""
        ua_ids, agents, ua_cls, ip_ids, monitor = self.ua_ids, self.agents, self.ua_cls, self.ip_ids, self.monitor
        check_ips = bool(monitor.networks)
        for u in set(uas).difference(ua_ids):
            ua_ids[u] = len(agents)
            agents.append(u)
            c = self.agent_classes.get(u)
            if c is None:
                c = self.agent_classes[u] = classify.agent_class(u.decode("utf-8", "replace"), monitor)
            ua_cls.append(c)
        for ip in set(ips).difference(ip_ids):
            ip_ids[ip] = len(ip_ids)
            if check_ips:
                self.ip_mon.append(monitor.ip_matches(ip.decode("ascii", "replace")))
        n = len(ips)
        ua = np.fromiter(map(ua_ids.__getitem__, uas), np.int64, n)
        ip = np.fromiter(map(ip_ids.__getitem__, ips), np.int64, n)
        cls = np.frombuffer(ua_cls, np.uint8).astype(np.int64)[ua]
        if check_ips:
            cls[np.frombuffer(self.ip_mon, np.uint8)[ip] == 1] = MONITOR
        return ip, ua, cls


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
        clients = _Clients(self.agent_classes, self.monitor)
        cols = [_PeriodCols() for _ in self.config.periods]
        for sub in split_lines_blocks(block, SUB_BLOCK):
            lines = sub.count(b"\n") + (0 if sub.endswith(b"\n") else 1)
            line0 = res.lines
            res.lines += lines
            rows = LINE_RE.findall(sub)
            nvalid = self._add_rows(rows, res, clients, cols) if rows else 0
            if nvalid < lines:
                blank = _blank_lines(sub)
                res.blank += blank
                if len(res.examples) < MAX_EXAMPLES and nvalid + blank < lines:
                    res.examples.extend(_malformed_examples(sub, line0, MAX_EXAMPLES - len(res.examples)))
        res.ips = list(clients.ip_ids)
        res.agents = clients.agents
        res.periods = [self._finish(pc) for pc in cols]
        return res

    def _add_rows(self, rows: list, res: TaskResult, clients: _Clients, cols: list) -> int:
        """Columns of one sub-block's matches, appended to each period they fall in; returns how many rows
        have a valid time."""
        n = len(rows)
        # one list per column (twice as fast as zip(*rows)); referrers are read only for pages
        ips, tss, meths, paths, stats, sizes, uas = (list(map(g, rows)) for g in _COLUMNS)
        times, kinds = self.times, self.kinds
        for t in set(tss).difference(times):
            times[t] = parse_time(t)
        epoch = np.fromiter(map(times.__getitem__, tss), np.int64, n)
        digits = np.frombuffer(b"".join(stats), np.uint8).reshape(n, 3).astype(np.int64) - 48
        status = digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]  # 3 digits, by LINE_RE
        try:
            size = np.fromiter(map(int, sizes), np.int64, n)
        except ValueError:  # Apache's %b writes "-" for an empty body; a cut line has none
            a = np.array(sizes, dtype="S20")
            size = np.where((a == b"-") | (a == b""), b"0", a).astype(np.int64)
        for p in set(paths).difference(kinds):
            kinds[p] = classify.path_kind(p)
        kind = np.fromiter(map(kinds.__getitem__, paths), np.int64, n)
        ok = np.fromiter(map(b"GET".__eq__, meths), bool, n)
        ok &= ((status >= 200) & (status < 300)) | (status == 304)
        kind[~ok] = OTHER
        ip, ua, cls = clients.identify(ips, uas)

        valid = epoch != INVALID_TIME
        nvalid = int(np.count_nonzero(valid))
        if nvalid:
            ev = epoch[valid]
            res.ep_min = min(res.ep_min, int(ev.min()))
            res.ep_max = max(res.ep_max, int(ev.max()))
        res.valid += nvalid
        for (start, end), pc in zip(self.config.periods, cols):
            m = valid
            if start > NO_LIMIT[0]:
                m = m & (epoch >= start)
            if end < NO_LIMIT[1]:
                m = m & (epoch < end)
            if not m.any():
                continue
            for store, column in zip(pc.columns, (epoch, kind, cls, status, size, ip, ua)):
                store.append(column[m])
            human = m & (cls == HUMAN)
            hp = human & (kind == PAGE)
            if hp.any():
                flags = hp.tolist()
                pc.pages.update(compress(paths, flags))
                pc.referrers.update(map(_REFERRER, compress(rows, flags)))
            for i in np.flatnonzero(human & (kind == DOWNLOAD)).tolist():
                d = pc.downloads.setdefault(paths[i], [0, 0])
                d[0] += 1
                d[1] += int(size[i])
        return nvalid

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

        # Visitors: GoAccess's rule, a 4xx answer does not make a visitor (scanners, broken links).
        v = status // 100 != 4
        if v.any():
            vhk, vpk, vcls = hk[v], packed[v], cls[v]
            hku, hinv = np.unique(vhk, return_inverse=True)
            clu, cinv = np.unique(vpk, return_inverse=True)
            code = np.unique(hinv.reshape(-1).astype(np.int64) * clu.size + cinv.reshape(-1))
            ci = code % clu.size
            first = np.zeros(clu.size, np.int64)
            first[cinv.reshape(-1)] = vcls  # a client's class is a function of the client
            part.visitors = (hku[code // clu.size], clu[ci], first[ci])

        e = (cls == HUMAN) & ((kind == PAGE) | (kind == JSON) | (kind == DOWNLOAD))
        part.events = (packed[e], epoch[e], _EVENT_OF_KIND[kind[e]])

        b = cls == BOT
        if b.any():
            bu = packed[b] & UA_MASK
            ids, counts = np.unique(bu, return_counts=True)
            part.bot_agents = (ids, counts)
        return part


def _blank_lines(block: bytes) -> int:
    nl = np.frombuffer(block, np.uint8) == 10
    if nl.size == 0:
        return 0
    return int(nl[0]) + int(np.count_nonzero(nl[1:] & nl[:-1]))


def _malformed_examples(block: bytes, line0: int, limit: int) -> list[tuple[int, bytes]]:
    """The first malformed lines of a block, found without testing every line in Python: cut the block in
    16 pieces, `findall` each (together the cost of one pass), and look line by line only inside a piece
    whose count of good lines falls short."""
    out = []
    for piece in split_lines_blocks(block, max(len(block) // 16, 1)):
        lines = piece.count(b"\n") + (0 if piece.endswith(b"\n") else 1)
        good = sum(parse_time(r[1]) != INVALID_TIME for r in LINE_RE.findall(piece))
        if good + _blank_lines(piece) < lines:
            for i, line in enumerate(piece.split(b"\n")):
                if line and parse_line(line) is None:
                    out.append((line0 + i, line[:300]))
                    if len(out) >= limit:
                        return out
        line0 += lines
    return out


# --- driving the pass ---------------------------------------------------------------------------------------

_worker: ChunkAnalyzer | None = None


def _init_worker(config: Config) -> None:
    global _worker
    _worker = ChunkAnalyzer(config)


def _task_block(task) -> bytes:
    """A task's bytes: a range of a plain file (read by the worker), or a block already decompressed."""
    return read_range(*task[1:]) if task[0] == "range" else task[1]


def _run_task(task) -> TaskResult:
    return _worker.run(_task_block(task))


@dataclass
class FileInfo:
    path: str
    compressed: bool
    bytes: int
    lines: int = 0
    blank: int = 0
    malformed: int = 0
    first: int | None = None
    last: int | None = None
    warning: str | None = None


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _tasks(files, openers, infos, task_bytes):
    """(file index, task) in log order; a damaged compressed file records its warning and stops early."""
    for fi, (path, open_fn) in enumerate(zip(files, openers)):
        if open_fn is None:
            for start, end in byte_ranges(path, infos[fi].bytes, task_bytes):
                yield fi, ("range", str(path), start, end)
        else:
            for block, error in compressed_blocks(path, open_fn, task_bytes):
                if block:
                    yield fi, ("bytes", block)
                if error:
                    infos[fi].warning = f"stopped reading: {error}"


def _start_method() -> str:
    """fork when it is safe (no other thread could hold a lock in the child), else forkserver/spawn, which
    re-import the caller's __main__ and so need its `if __name__ == "__main__":` guard."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def run_pass(files, config: Config, *, workers: int | None = None, task_bytes: int = 16 << 20):
    """(file infos, generator of (file index, TaskResult) in log order). Worker processes are used when
    the input is big enough to pay for starting them; small logs are analysed in this process."""
    openers = [opener(p) for p in files]
    infos = [FileInfo(str(p), fn is not None, p.stat().st_size) for p, fn in zip(files, openers)]
    workers = default_workers() if workers is None else max(1, workers)
    total = sum(i.bytes * (8 if i.compressed else 1) for i in infos)
    tasks = _tasks(files, openers, infos, task_bytes)
    if workers == 1 or total < 2 * task_bytes:
        analyzer = ChunkAnalyzer(config)
        return infos, ((fi, analyzer.run(_task_block(task))) for fi, task in tasks)

    def gen_pool():
        ctx = multiprocessing.get_context(_start_method())
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(config,)) as ex:
            pending = deque()
            for fi, task in tasks:
                pending.append((fi, ex.submit(_run_task, task)))
                while len(pending) > 2 * workers:
                    fi0, fut = pending.popleft()
                    yield fi0, fut.result()
            while pending:
                fi0, fut = pending.popleft()
                yield fi0, fut.result()

    return infos, gen_pool()


# --- merging -------------------------------------------------------------------------------------------------


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
        from .visits import sessionize

        out = []
        for (start, end), acc in zip(self.periods, self.accs):
            codes, hits, nbytes = _cat(acc.hourly, 0), _cat(acc.hourly, 1), _cat(acc.hourly, 2)
            u, inv = np.unique(codes, return_inverse=True)
            inv = inv.reshape(-1)
            h = np.bincount(inv, weights=hits, minlength=u.size).astype(np.int64)
            b = np.bincount(inv, weights=nbytes, minlength=u.size).astype(np.int64)
            sc, sh = _cat(acc.status, 0), _cat(acc.status, 1)
            su, sinv = np.unique(sc, return_inverse=True)
            shits = np.bincount(sinv.reshape(-1), weights=sh, minlength=su.size).astype(np.int64)
            vhk, vcl, vcls = _cat(acc.visitors, 0), _cat(acc.visitors, 1), _cat(acc.visitors, 2)
            if vhk.size:
                # unique (hour, client) pairs across tasks
                order = np.lexsort((vcl, vhk))
                vhk, vcl, vcls = vhk[order], vcl[order], vcls[order]
                keep = np.concatenate(([True], (vhk[1:] != vhk[:-1]) | (vcl[1:] != vcl[:-1])))
                vhk, vcl, vcls = vhk[keep], vcl[keep], vcls[keep]
            ev_c, ev_t, ev_k = _cat(acc.events, 0), _cat(acc.events, 1), _cat(acc.events, 2, np.int8)
            acc.events = []
            visits = sessionize(ev_c, ev_t, ev_k, gap=self.gap, cap=self.cap)
            bots = Counter()
            if acc.bot_agents:
                ids, counts = _cat(acc.bot_agents, 0), _cat(acc.bot_agents, 1)
                per_agent = np.bincount(ids, weights=counts).astype(np.int64)
                for i in np.flatnonzero(per_agent).tolist():
                    name = classify.bot_name(self.agents[i].decode("utf-8", "replace")) or "(other)"
                    bots[name] += int(per_agent[i])
            out.append(
                PeriodData(
                    start=None if start <= NO_LIMIT[0] else start,
                    end=None if end >= NO_LIMIT[1] else end,
                    rows=acc.rows,
                    ep_min=acc.ep_min if acc.rows else None,
                    ep_max=acc.ep_max if acc.rows else None,
                    hourly=(u // 64, (u // 8) % 8, u % 8, h, b),
                    status=(su // 4, su % 4, shits),
                    visitors=(vhk, vcl, vcls),
                    visits=visits,
                    pages=acc.pages,
                    referrers=acc.referrers,
                    downloads=acc.downloads,
                    bots=bots,
                )
            )
        return out


# --- the public entry point ------------------------------------------------------------------------------------


def _printable(line: bytes) -> str:
    """A malformed line as text that cannot mess up a terminal (TLS handshakes land in access logs)."""
    text = line.decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _epoch(value, name: str) -> int:
    if not isinstance(value, datetime):
        raise InputError(f"{name}: expected a datetime with its UTC offset, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(f"{name}: {value.isoformat()} has no UTC offset; give one, e.g. 2024-06-02T20:00:00-06:00")
    return int(value.timestamp())


def _bounds(start, end, what: str) -> tuple[int, int]:
    s = NO_LIMIT[0] if start is None else _epoch(start, f"{what} start")
    e = NO_LIMIT[1] if end is None else _epoch(end, f"{what} end")
    if s >= e:
        raise InputError(f"{what}: start {start.isoformat()} is not before end {end.isoformat()}; swap them")
    return s, e


def analyze(
    paths,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    baseline: tuple[datetime, datetime] | None = None,
    tz: str = "America/Mexico_City",
    monitor_agents=("pregon-monitor",),
    monitor_ips=(),
    site_hosts=(),
    session_gap: int = SESSION_GAP,
    poll_cap: int = POLL_CAP,
    top: int = 20,
    workers: int | None = None,
    task_bytes: int = 16 << 20,
):
    """Analyse access logs (plain or compressed, rotated sets in any order) and return a `Report`.

    `start`/`end` bound the PREP period (aware datetimes; open when None); `baseline` is a (start, end) of
    usual traffic to compare against. Raises InputError for unusable arguments or unreadable files; a
    malformed line is counted, never an error.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from .logparse import check_readable, order_logs
    from .report import SCHEMA, Report, build_period, compare, definitions

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files = order_logs(paths)
    if not files:
        raise InputError("no access log given; pass one or more LOG files (plain or .gz)")
    for p in files:
        check_readable(p)
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"time zone {tz!r}: unknown; give an IANA name such as America/Mexico_City") from None
    if session_gap <= 0 or poll_cap < 0:
        raise InputError("session gap must be positive and poll cap not negative (seconds)")
    periods = [_bounds(start, end, "period")]
    if baseline is not None:
        if len(baseline) != 2 or None in baseline:
            raise InputError("baseline: give both its start and its end")
        periods.append(_bounds(baseline[0], baseline[1], "baseline"))
    monitor = Monitor.build(monitor_agents, monitor_ips)
    config = Config(tz=tz, periods=tuple(periods), monitor=monitor)

    infos, results = run_pass(files, config, workers=workers, task_bytes=task_bytes)
    merger = Merger(periods, session_gap, poll_cap)
    examples = []
    totals = Counter()
    for fi, res in results:
        info = infos[fi]
        for idx, text in res.examples:
            if len(examples) < MAX_EXAMPLES:
                examples.append({"file": info.path, "line": info.lines + idx + 1, "text": _printable(text)})
        info.lines += res.lines
        info.blank += res.blank
        info.malformed += res.lines - res.blank - res.valid
        if res.valid:
            info.first = res.ep_min if info.first is None else min(info.first, res.ep_min)
            info.last = res.ep_max if info.last is None else max(info.last, res.ep_max)
        totals["valid"] += res.valid
        for i, part in enumerate(res.periods):
            totals[i] += part.rows
        merger.add(res)
    data = merger.finish()

    hours = LocalHours(tz)
    site_hosts = tuple(h.lower() for h in site_hosts)
    period = build_period(data[0], hours, top=top, site_hosts=site_hosts)
    base = build_period(data[1], hours, top=top, site_hosts=site_hosts) if baseline is not None else None
    files_out = [
        {
            "path": i.path,
            "compressed": i.compressed,
            "bytes": i.bytes,
            "lines": i.lines,
            "blank": i.blank,
            "malformed": i.malformed,
            "first": None if i.first is None else datetime.fromtimestamp(i.first, zone).isoformat(),
            "last": None if i.last is None else datetime.fromtimestamp(i.last, zone).isoformat(),
            "warning": i.warning,
        }
        for i in infos
    ]
    total_lines = sum(i.lines for i in infos)
    blank = sum(i.blank for i in infos)
    return Report(
        schema=SCHEMA,
        definitions=definitions(tz, session_gap, poll_cap, monitor.agents, monitor_ips),
        parameters={
            "tz": tz,
            "start": None if start is None else start.isoformat(),
            "end": None if end is None else end.isoformat(),
            "baseline_start": None if baseline is None else baseline[0].isoformat(),
            "baseline_end": None if baseline is None else baseline[1].isoformat(),
            "session_gap_s": session_gap,
            "poll_cap_s": poll_cap,
            "monitor_agents": list(monitor.agents),
            "monitor_ips": [str(n) for n in monitor.networks],
            "site_hosts": list(site_hosts),
        },
        files=files_out,
        lines={
            "total": total_lines,
            "blank": blank,
            "parsed": totals["valid"],
            "malformed": total_lines - blank - totals["valid"],
            "in_period": totals[0],
            "in_baseline": totals[1] if baseline is not None else None,
        },
        malformed_examples=examples,
        period=period,
        baseline=base,
        comparison=compare(period, base) if base is not None else None,
        warnings=[f"{i.path}: {i.warning}" for i in infos if i.warning],
    )
