"""The drill's child processes: a difusor receiver (`pregon difusor run`) or its embedded web server
(`pregon difusor serve`), each on the drill's accelerated clock so that journals, access logs and the
institute's records share one timeline.

    python -m pregon.simulacro.child run   --config difusor.toml --start ISO --speed X --origin UNIX
    python -m pregon.simulacro.child serve --config difusor.toml --port P --start … --speed … --origin …
    python -m pregon.simulacro.child logclock --config difusor.toml --start … --speed … --origin …
    python -m pregon.simulacro.child visitors --target ID=URL … --seed N --per-hour R --hours H --stats FILE …

`logclock` is Apache's piped access log (`CustomLog "|…" combined`) when a drill runs the real Apache: each
line Apache writes gets the drill's time in place of the wall clock's, and goes to [serve] access_log.

The simulacro starts these in their own process group and stops them by pid (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import argparse
import sys


def _clock(args):
    from ..times import AcceleratedClock

    return AcceleratedClock.from_argv(args.start, args.speed, args.origin)


def _run(args) -> int:
    from ..difusor.agent import run_agent
    from ..difusor.config import load_config

    cfg = load_config(args.config)
    return run_agent(cfg, log=lambda m: print(m, file=sys.stderr, flush=True), clock=_clock(args), check_clock=False)


def _serve(args) -> int:
    from ..difusor.config import load_config
    from ..serve import embedded

    cfg = load_config(args.config)
    clock = _clock(args)
    # this process only: the access log the memoria reads on the drill's timeline, in the election's zone
    embedded.AccessLog.now = lambda self: _stamp(clock, cfg.tz)
    embedded.serve(cfg.current, "127.0.0.1", args.port, workers=1, access_log=cfg.serve.access_log,
                   frame_ancestors=cfg.serve.frame_ancestors,
                   ready=lambda p: print(f"serving {cfg.current} on http://127.0.0.1:{p}/", file=sys.stderr, flush=True))
    return 0


def _stamp(clock, tz) -> str:
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    t = clock.now().astimezone(tz)
    off = int(t.utcoffset().total_seconds())
    sign, off = ("+" if off >= 0 else "-"), abs(off)
    return (f"{t.day:02d}/{months[t.month - 1]}/{t.year}:{t.hour:02d}:{t.minute:02d}:{t.second:02d} "
            f"{sign}{off // 3600:02d}{off % 3600 // 60:02d}")


def _logclock(args) -> int:
    """Apache's piped log: stamp each line with the drill's clock, append it to the difusor's access log."""
    import re

    from ..difusor.config import load_config

    cfg = load_config(args.config)
    clock = _clock(args)
    stamp = re.compile(rb"\[[^\]]*\]")
    with open(cfg.serve.access_log, "ab", buffering=0) as out:
        for line in sys.stdin.buffer:
            out.write(stamp.sub(lambda m: b"[" + _stamp(clock, cfg.tz).encode() + b"]", line, count=1))
    return 0


def _visitors(args) -> int:
    from . import visitors

    return visitors.main(args, _clock(args))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pregon.simulacro.child")
    ap.add_argument("role", choices=["run", "serve", "logclock", "visitors"])
    ap.add_argument("--config")
    ap.add_argument("--target", action="append", default=[], help="visitors: ID=URL of a difusor's site")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-hour", type=float, default=0.0)
    ap.add_argument("--hours", type=float, default=0.0)
    ap.add_argument("--stats")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--start", required=True)
    ap.add_argument("--speed", required=True)
    ap.add_argument("--origin", required=True)
    args = ap.parse_args(argv)
    if args.role != "visitors" and not args.config:
        ap.error(f"{args.role} needs --config")
    return {"run": _run, "serve": _serve, "logclock": _logclock, "visitors": _visitors}[args.role](args)


if __name__ == "__main__":
    sys.exit(main())
