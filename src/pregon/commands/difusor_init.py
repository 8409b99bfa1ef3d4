"""`pregon difusor init --perfil P DIR`: a difusor's server set up for its institute's call."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import CheckFailed


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--perfil", "profile", required=True, help="the institute's call (pregon.perfiles: ieem-2021, …)")
@click.option("--id", "ident", required=True, help="the id the institute registered for you (e.g. el-diario)")
@click.option("--clave-publica", "public_key", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="the institute's public key (instituto.pub), after checking its fingerprint")
@click.option("--sitio-oficial", "official_url", help="the institute's official PREP site (https://…)")
@click.option("--server", type=click.Choice(["apache", "nginx", "iis"]), default=None,
              help="the web server to configure [default: the first the call names]")
@click.option("--server-name", default="_", help="your PREP host name (e.g. prep.eldiario.mx)")
@click.option("--instituto-ip", "institute_ips", multiple=True,
              help="an address the institute pushes from (repeatable): SSH/rsync are let in only from these")
@click.option("--admin-ip", "admin_ips", multiple=True,
              help="your own administrators' addresses (repeatable): also let in to SSH")
@click.option("--pull-url", help="your pull URL, if the call distributes by pull")
@click.option("--force", is_flag=True, help="rewrite the files of an existing directory")
@click.option("--json", "as_json", is_flag=True)
def init(directory, profile, ident, public_key, official_url, server, server_name, institute_ips, admin_ips,
         pull_url, force, as_json):
    """Write difusor.toml, the web-server configuration and firewall rules for the call; check NTP and syslog."""
    from .. import perfiles
    from ..difusor.setup import host_checks
    from ..difusor.setup import init as init_

    p = perfiles.load(profile)
    written = init_(p, directory, ident=ident, public_key=str(public_key.resolve()) if public_key else None,
                    official_url=official_url, server=server, institute_ips=list(institute_ips),
                    admin_ips=list(admin_ips), server_name=server_name, pull_url=pull_url, force=force)
    checks = host_checks()
    if as_json:
        click.echo(json.dumps({"profile": p.id, "written": [str(w) for w in written],
                               "checks": [c.__dict__ for c in checks]}, ensure_ascii=False, indent=1))
    else:
        click.echo(f"{p.institute}: {p.call}")
        for w in written:
            click.echo(f"  wrote {w}")
        for c in checks:
            mark = {True: "✔", False: "✗", None: "?"}[c.ok]
            click.echo(f"  {mark} {c.what}: {c.detail}")
        if not public_key:
            click.echo("next: pin the institute's key ([difusor] public_keys), checking its fingerprint first")
    if any(c.ok is False for c in checks):
        raise CheckFailed("the host does not meet the call: " + "; ".join(c.detail for c in checks if c.ok is False))
