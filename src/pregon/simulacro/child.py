"""The drill's child processes: a difusor receiver (`pregon difusor run`) or its embedded web server
(`pregon difusor serve`), each on the drill's accelerated clock so that journals, access logs and the
institute's records share one timeline.

    python -m pregon.simulacro.child run   --config difusor.toml --start ISO --speed X --origin UNIX
    python -m pregon.simulacro.child serve --config difusor.toml --port P --start … --speed … --origin …
    python -m pregon.simulacro.child logclock --config difusor.toml --start … --speed … --origin …
    python -m pregon.simulacro.child nginx --config difusor.toml --fifo F --start … -- nginx -p … -c …
    python -m pregon.simulacro.child visitors --target ID=URL … --seed N --per-hour R --hours H --stats FILE …

`logclock` is Apache's piped access log (`CustomLog "|…" combined`) when a drill runs the real Apache: each
line Apache writes gets the drill's time in place of the wall clock's, and goes to [serve] access_log.
`nginx` runs the real nginx as its child with the access log on a FIFO it reads: nginx writes the request's
Unix time (`[$msec]`, unbuffered) and each line goes to [serve] access_log with the drill's time of that
instant, so the memoria of an nginx difusor sees its visitors on the night's timeline.

The simulacro starts these in their own process group and stops them by pid (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import argparse
import re
import sys

_MSEC = re.compile(rb"^([^\[\n]*)\[(\d{9,11}(?:\.\d{1,6})?)\]")  # the line's first bracket, a Unix time


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


def _stamp(clock, tz, wall: float | None = None) -> str:
    months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    t = (clock.now() if wall is None else clock.at(wall)).astimezone(tz)
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


NGINX_LINE = ('$remote_addr - $remote_user [$msec] "$request" $status $body_bytes_sent "$http_referer" '
              '"$http_user_agent"')  # the combined format, with the request's Unix time where the time goes


def restamp(line: bytes, clock, tz) -> bytes:
    """A line in NGINX_LINE with its `[seconds.millis]` made the drill's combined-format time."""
    def sub(m):
        return m.group(1) + b"[" + _stamp(clock, tz, float(m.group(2))).encode() + b"]"
    return _MSEC.sub(sub, line, count=1)


def _nginx(args) -> int:
    """nginx in the foreground, its access log relayed from a FIFO until it exits (the drill's SIGTERM reaches
    both, being one process group: nginx shuts down, this drains what it wrote, then exits with its status)."""
    import os
    import select
    import signal
    import stat
    import subprocess
    from pathlib import Path

    from ..difusor.config import load_config

    cfg = load_config(args.config)
    clock = _clock(args)
    fifo = Path(args.fifo)
    if fifo.is_symlink() or (fifo.exists() and not stat.S_ISFIFO(fifo.stat().st_mode)):
        fifo.unlink()
    if not fifo.exists():
        os.mkfifo(fifo, 0o600)
    fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # a reader and a writer: nginx's open never blocks, no EOF
    signal.signal(signal.SIGTERM, lambda *_: None)  # nginx gets it too; stay to drain its last lines
    proc = subprocess.Popen(args.command, stdin=subprocess.DEVNULL)
    pending = b""
    with open(cfg.serve.access_log, "ab", buffering=0) as out:
        while True:
            ready, _, _ = select.select([fd], [], [], 0.5)
            done = proc.poll() is not None
            while ready or done:
                try:
                    chunk = os.read(fd, 1 << 16)
                except BlockingIOError:
                    chunk = b""
                if not chunk:
                    break
                lines = (pending + chunk).split(b"\n")
                pending = lines.pop()
                out.write(b"".join(restamp(x, clock, cfg.tz) + b"\n" for x in lines))
            if done:
                break
    os.close(fd)
    return proc.returncode


def _visitors(args) -> int:
    from . import visitors

    return visitors.main(args, _clock(args))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pregon.simulacro.child")
    ap.add_argument("role", choices=["run", "serve", "logclock", "nginx", "visitors"])
    ap.add_argument("--fifo", help="nginx: the FIFO its access log is written to")
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
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[argv.index("--") + 1:] if "--" in argv else []
    args = ap.parse_args(argv[:len(argv) - len(command) - (1 if command else 0)])
    args.command = command
    if args.role == "nginx" and not (command and args.fifo):
        ap.error("nginx needs --fifo and the server's command after --")
    if args.role != "visitors" and not args.config:
        ap.error(f"{args.role} needs --config")
    roles = {"run": _run, "serve": _serve, "logclock": _logclock, "nginx": _nginx, "visitors": _visitors}
    return roles[args.role](args)


if __name__ == "__main__":
    sys.exit(main())
