"""The long-running agent behind `pregon difusor run`: watch the inbox, run the pipeline, tick.

One agent per difusor root (flock on ROOT/.agent.lock). SIGTERM/SIGINT stop it between steps; SIGKILL at any
point is safe by the pipeline's design (see pipeline.py), which the crash test exercises.
"""

from __future__ import annotations

import fcntl
import os
import signal
import time

from ..errors import InputError
from . import layout
from .inbox import Watcher
from .pipeline import Receiver

TICK_SECONDS = 1.0


def _test_pause():
    """PREGON_DIFUSOR_TEST_PAUSE=<seconds>: sleep at every pipeline step, so a crash test can land a SIGKILL
    inside each window. Never set in production."""
    delay = float(os.environ.get("PREGON_DIFUSOR_TEST_PAUSE", "0") or 0)
    if delay <= 0:
        return None
    return lambda point: time.sleep(delay)


def run_agent(cfg, *, once: bool = False, max_seconds: float | None = None, log=print, clock=None,
              check_clock: bool = True) -> int:
    """`clock` (a callable returning an aware datetime) replaces the system clock for the receiver and its
    journal: the simulacro runs receivers on the drill's accelerated clock."""
    layout.ensure_dirs(cfg)
    lock_fd = os.open(cfg.root / ".agent.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(lock_fd)
        raise InputError(f"another `pregon difusor run` is already running for {cfg.root}") from None
    stop = {"flag": False}

    def _stop(signum, frame):
        stop["flag"] = True

    old = {s: signal.signal(s, _stop) for s in (signal.SIGTERM, signal.SIGINT)}
    receiver = Receiver(cfg, fault=_test_pause(), clock=clock, check_clock=check_clock,
                        echo=lambda text: log(f"pregon difusor: {text}"))
    watcher = None
    try:
        receiver.start()
        watcher = Watcher(cfg.inbox, cfg.poll_interval)
        log(f"pregon difusor: watching {cfg.inbox} ({watcher.mode}); serving {cfg.current}")
        puller = None
        if cfg.pull is not None:
            from .pull import Puller

            puller = Puller(cfg, cfg.pull, keys_for=lambda: receiver.trusted_keys())
            log(f"pregon difusor: pulling {cfg.pull.url} every {cfg.pull.interval:g} s")
        next_pull = time.monotonic()
        receiver.scan_inbox()
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        next_tick = time.monotonic() + TICK_SECONDS
        if once and puller is not None:
            receiver.pull_once(puller)
        while not once and not stop["flag"]:
            if deadline is not None and time.monotonic() >= deadline:
                break
            timeout = max(0.0, min(next_tick, next_pull if puller else next_tick) - time.monotonic())
            triggered = watcher.wait(timeout)
            if stop["flag"]:
                break
            try:
                if triggered or watcher.mode == "poll":
                    receiver.scan_inbox(watcher.take_renamed())
                if puller is not None and time.monotonic() >= next_pull:
                    next_pull = time.monotonic() + cfg.pull.interval
                    receiver.pull_once(puller)
                if time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + TICK_SECONDS
                    receiver.scan_inbox(watcher.take_renamed())  # also catches events inotify coalesced or missed
                    receiver.tick()
            except OSError as exc:  # a disk that refuses what no step above expected: report, go on
                receiver.disk_trouble("the agent's loop", exc)
        receiver.tick()
        receiver.journal.write("stopped")
    finally:
        if watcher is not None:
            watcher.close()
        for s, h in old.items():
            signal.signal(s, h)
        os.close(lock_fd)
    return 0
