"""The drill's child processes: a difusor receiver (`pregon difusor run`) or its embedded web server
(`pregon difusor serve`), each on the drill's accelerated clock so that journals, access logs and the
institute's records share one timeline.

    python -m pregon.simulacro.child run   --config difusor.toml --start ISO --speed X --origin UNIX
    python -m pregon.simulacro.child serve --config difusor.toml --port P --start … --speed … --origin …

The simulacro starts these in their own process group and stops them by pid (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import argparse
import sys


def _clock(args):
    from .clock import DrillClock

    return DrillClock.from_argv(args.start, args.speed, args.origin)


def _run(args) -> int:
    from ..difusor.agent import run_agent
    from ..difusor.config import load_config

    cfg = load_config(args.config)
    return run_agent(cfg, log=lambda m: print(m, file=sys.stderr, flush=True), clock=_clock(args), check_clock=False)


def _serve(args) -> int:
    from zoneinfo import ZoneInfo

    from ..difusor.config import load_config
    from ..serve import embedded

    cfg = load_config(args.config)
    clock = _clock(args)
    tz = ZoneInfo("America/Mexico_City")
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

    def now(self) -> str:  # the access log's timestamp on the drill's clock, local time of the election
        t = clock.now().astimezone(tz)
        off = int(t.utcoffset().total_seconds())
        sign = "+" if off >= 0 else "-"
        off = abs(off)
        return (f"{t.day:02d}/{months[t.month - 1]}/{t.year}:{t.hour:02d}:{t.minute:02d}:{t.second:02d} "
                f"{sign}{off // 3600:02d}{off % 3600 // 60:02d}")

    embedded.AccessLog.now = now  # this process only: the drill's timeline in the log the memoria reads
    embedded.serve(cfg.current, "127.0.0.1", args.port, workers=1, access_log=cfg.serve.access_log,
                   frame_ancestors=cfg.serve.frame_ancestors,
                   ready=lambda p: print(f"serving {cfg.current} on http://127.0.0.1:{p}/", file=sys.stderr, flush=True))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pregon.simulacro.child")
    ap.add_argument("role", choices=["run", "serve"])
    ap.add_argument("--config", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--start", required=True)
    ap.add_argument("--speed", required=True)
    ap.add_argument("--origin", required=True)
    args = ap.parse_args(argv)
    return _run(args) if args.role == "run" else _serve(args)


if __name__ == "__main__":
    sys.exit(main())
