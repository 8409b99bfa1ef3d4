"""Who made each request: a task numbers its distinct IPs and user agents and knows each client's class.

A class (person, bot, monitor) is decided once per distinct user agent (through the worker's cache, which
outlives tasks) and once per distinct IP when the monitor is known by address.
"""

from __future__ import annotations

import numpy as np

from . import classify
from .classify import MONITOR, Monitor


class TaskClients:
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
        ua_ids, ip_ids, monitor = self.ua_ids, self.ip_ids, self.monitor
        check_ips = bool(monitor.networks)
        self._number_agents(set(uas).difference(ua_ids))
        self._number_ips(set(ips).difference(ip_ids), check_ips)
        n = len(ips)
        ua = np.fromiter(map(ua_ids.__getitem__, uas), np.int64, n)
        ip = np.fromiter(map(ip_ids.__getitem__, ips), np.int64, n)
        cls = np.frombuffer(self.ua_cls, np.uint8).astype(np.int64)[ua]
        if check_ips:
            cls[np.frombuffer(self.ip_mon, np.uint8)[ip] == 1] = MONITOR
        return ip, ua, cls

    def _number_agents(self, new) -> None:
        ua_ids, agents, ua_cls, monitor = self.ua_ids, self.agents, self.ua_cls, self.monitor
        for u in new:
            ua_ids[u] = len(agents)
            agents.append(u)
            c = self.agent_classes.get(u)
            if c is None:
                c = self.agent_classes[u] = classify.agent_class(u.decode("utf-8", "replace"), monitor)
            ua_cls.append(c)

    def _number_ips(self, new, check_ips: bool) -> None:
        ip_ids = self.ip_ids
        for ip in new:
            ip_ids[ip] = len(ip_ids)
            if check_ips:
                self.ip_mon.append(self.monitor.ip_matches(ip.decode("ascii", "replace")))
