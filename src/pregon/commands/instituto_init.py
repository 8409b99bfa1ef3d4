"""`pregon instituto init --perfil P DIR` and `pregon instituto recovery-exhausted`: the call's rules."""

from __future__ import annotations

from pathlib import Path

import click

from .instituto import _at, _at_option, _config_option, _echo_json, _load, instituto


@instituto.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--perfil", "profile", required=True, help="the institute's call (pregon.perfiles: ieem-2021, …)")
@click.option("--feed", default="eleccion", show_default=True,
              help="the election directory the capture system appends actas to (relative to DIRECTORY)")
@click.option("--force", is_flag=True, help="rewrite instituto.toml of an existing directory (keys are kept)")
@click.option("--json", "as_json", is_flag=True)
def init(directory, profile, feed, force, as_json):
    """Write an institute's directory for its call: instituto.toml, signing (and SSH) keys, registry, work."""
    from .. import perfiles
    from ..instituto.setup import init as init_

    p = perfiles.load(profile)
    written = init_(p, directory, feed=feed, force=force)
    if as_json:
        _echo_json({"profile": p.id, "written": [str(w) for w in written]})
        return
    click.echo(f"{p.institute}: {p.call}")
    for w in written:
        click.echo(f"  wrote {w}")
    click.echo(f"next: register difusores (pregon instituto difusores add --config {directory / 'instituto.toml'} "
               "…), then `pregon instituto run`; docs/institutos.md lists what the call asks of you.")


@instituto.command("recovery-exhausted")
@_config_option
@click.option("--by", default="", help="who declares it (recorded in the journal)")
@_at_option
@click.option("--json", "as_json", is_flag=True)
def recovery_exhausted(config_path, by, at, as_json):
    """Declare the recovery of missing actas exhausted: with [schedule] end_when_captured (IEPC Durango), the
    último corte comes at the next cut that has 100 % of the actas esperadas captured."""
    from ..instituto.ending import declare

    cfg = _load(config_path)
    record = declare(cfg.work, _at(at), by=by)
    if as_json:
        _echo_json(record)
    else:
        click.echo(f"recovery of missing actas declared exhausted as of {record['declared']}"
                   + ("" if cfg.end_when_captured else "; note: [schedule] end_when_captured is not set, so the "
                      "schedule still runs to its end"))
