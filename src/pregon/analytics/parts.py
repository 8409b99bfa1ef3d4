"""What a task of the pass is given and what it gives back: small, picklable, and added up by `merge`.

A task returns figures that add up (hits and bytes per hour, kind and class; status counts; page, download
and referrer counters), sets that union (the (hour, client) pairs of visitors), and the page/poll events of
people, which `visits.sessionize` needs sorted per client across the whole log. Client identity (IP, user
agent) is local to a task, as small integers packed into one (`UA_BITS`) plus the task's tables of distinct
IPs and agents; the parent renumbers them globally.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .classify import Monitor

UA_BITS = 26  # a client is packed as ip_id << UA_BITS | agent_id
UA_MASK = (1 << UA_BITS) - 1
MAX_EXAMPLES = 10  # malformed lines shown in the report; each task finds up to this many, the first win
NO_LIMIT = (-(1 << 62), 1 << 62)  # the bounds of an open period


@dataclass(frozen=True)
class Config:
    """What every worker needs to know; small and picklable."""

    tz: str
    periods: tuple[tuple[int, int], ...]  # [start, end) in epoch seconds; the first is the PREP period
    monitor: Monitor


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
