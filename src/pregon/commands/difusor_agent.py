"""`pregon difusor run|serve|status|journal|webconfig`: the receiver agent and its serving."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click

from ..errors import InputError
from ..serve.limits import ClientLimits
from ._output import runtime_dir as runtime, write_or_echo

_config_option = click.option("--config", "config_path", default="difusor.toml", show_default=True,
                              type=click.Path(dir_okay=False, path_type=Path), help="the difusor's difusor.toml")


def _load(path: Path):
    from ..difusor.config import load_config

    return load_config(path)


@click.command()
@_config_option
@click.option("--once", is_flag=True, help="take what is in the inbox now, update status, and exit")
def run(config_path, once):
    """Receive packages from the inbox, verify, publish atomically, journal; until SIGTERM."""
    from ..difusor.agent import run_agent

    cfg = _load(config_path)
    if not cfg.public_keys:
        raise InputError(f"{config_path}: [difusor] public_keys is empty; pin the institute's public key first")
    run_agent(cfg, once=once, log=lambda m: click.echo(m, err=True))


@click.command()
@_config_option
@click.option("--host", default=None, help="address to listen on (default: [serve] host)")
@click.option("--port", type=int, default=None, help="port (default: [serve] port)")
@click.option("--workers", type=int, default=0, show_default=True, help="processes; 0 = one per CPU")
@click.option("--access-log", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="combined-format access log (default: [serve] access_log)")
@click.option("--header-timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help=f"seconds for a request head to arrive once begun; slowloris is cut "
                   f"(default: [serve] header_timeout, else {ClientLimits.header_timeout:g})")
@click.option("--idle-timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help=f"seconds a keep-alive connection may wait for its next request "
                   f"(default: [serve] idle_timeout, else {ClientLimits.idle_timeout:g})")
@click.option("--send-timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help=f"seconds a client may read nothing of a pending response before it is cut "
                   f"(default: [serve] send_timeout, else {ClientLimits.send_timeout:g})")
@click.option("--max-per-client", type=click.IntRange(min=1), default=None,
              help=f"simultaneous connections per client address and worker; beyond: 503 "
                   f"(default: [serve] max_per_client, else {ClientLimits.max_per_client:g})")
def serve(config_path, host, port, workers, access_log, **limits):
    """Serve the published cut (`current`) with pregon's headers; zero setup."""
    from ..serve.embedded import serve as serve_

    cfg = _load(config_path)
    host = host or cfg.serve.host
    port = cfg.serve.port if port is None else port
    log = access_log or cfg.serve.access_log
    bounds = dataclasses.replace(cfg.serve.limits, **{k: v for k, v in limits.items() if v is not None})
    try:
        serve_(cfg.current, host, port, workers=workers, access_log=log, frame_ancestors=cfg.serve.frame_ancestors,
               limits=bounds,
               ready=lambda p: click.echo(f"pregon difusor: serving {cfg.current} on http://{host}:{p}/", err=True))
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


@click.command()
@_config_option
@click.option("--json", "as_json", is_flag=True, help="print status.json as is")
def status(config_path, as_json):
    """The published sequence and corte, last check, last error."""
    from ..difusor.status import format_status, read_status

    cfg = _load(config_path)
    st = read_status(cfg.status)
    if st is None:
        raise InputError(f"{cfg.status}: no status yet; is `pregon difusor run` running for this config?")
    click.echo(json.dumps(st, ensure_ascii=False, indent=1) if as_json else format_status(st))


@click.command()
@_config_option
@click.option("--json", "as_json", is_flag=True, help="JSON lines as stored")
@click.option("--tail", type=int, default=0, help="only the last N entries")
@click.option("--event", "events", multiple=True, help="only these events (repeatable)")
def journal(config_path, as_json, tail, events):
    """The difusor's journal: received, refused (with reason), activated, stale, clock, disk."""
    from ..difusor.journal import format_entry
    from ..durable import read_jsonl

    cfg = _load(config_path)
    entries = [e for e in read_jsonl(cfg.journal) if not events or e.get("event") in events]
    if tail:
        entries = entries[-tail:]
    for e in entries:
        click.echo(json.dumps(e, ensure_ascii=False) if as_json else format_entry(e))


@click.command()
@click.argument("server", type=click.Choice(["nginx", "apache", "caddy", "iis"]))
@_config_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="write here, not stdout")
@click.option("--listen", default=None, help="override the listen address, e.g. 127.0.0.1:8081")
@click.option("--standalone", is_flag=True,
              help="a complete main configuration with its own pid/logs under --runtime-dir (nginx, apache)")
@click.option("--runtime-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--iis-path", default="prep", show_default=True,
              help="iis: the virtual directory of the PREP copy in the site (its physical path: `current`); "
                   "'' for a site whose root is the copy")
def webconfig(server, config_path, out, listen, standalone, runtime_dir, iis_path):
    """Write a web server configuration that serves `current` with the right headers (IIS: a web.config)."""
    from ..serve.webconfig import make_runtime_dir, render

    cfg = _load(config_path)
    kw = {}
    if server == "iis":
        if standalone or listen:
            raise InputError("--standalone and --listen are for nginx and apache; IIS takes its bindings from the site")
        kw = {"path": iis_path}
    elif server != "caddy":
        kw = {"listen": listen, "standalone": standalone, **runtime(standalone, runtime_dir, make_runtime_dir)}
    write_or_echo(render(server, cfg, **kw), out)
