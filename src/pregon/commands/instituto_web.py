"""`pregon instituto webconfig nginx|apache`, `pregon instituto difusores access|snippet`: the institute's own web
server, each pull difusor's credential URL, and the snippet a method-2 (frame) difusor pastes.

Attached to the `instituto` and `difusores` groups of commands/instituto.py, which imports this module last.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from ._output import runtime_dir as runtime, write_or_echo
from .instituto import _config_option, _echo_json, _load, difusores, instituto


@instituto.command("webconfig")
@click.argument("server", type=click.Choice(["nginx", "apache"]))
@_config_option
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="write here, not stdout")
@click.option("--listen", default=None, help="listen address, e.g. 443 or 127.0.0.1:8080 (default 80, or 443 with TLS)")
@click.option("--server-name", default=None, help="server name (default: the host of [instituto] site_url)")
@click.option("--access-log", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--monitor-allow", multiple=True, metavar="CIDR",
              help="a network that may read /monitor/ besides the loopback (repeatable)")
@click.option("--tls-certificate", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--tls-key", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--standalone", is_flag=True,
              help="a complete main configuration with its own pid/logs under --runtime-dir (tests, trials)")
@click.option("--runtime-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
def webconfig(server, config_path, out, listen, server_name, access_log, monitor_allow, tls_certificate, tls_key,
              standalone, runtime_dir):
    """The institute's web server: official site (frame-ancestors from the registry), pull directory behind
    per-difusor credentials, monitor dashboard. Regenerate and reload after registering or blocking a frame
    difusor."""
    from ..instituto.webconfig import make_runtime_dir, render

    cfg = _load(config_path)
    kw = {"listen": listen, "server_name": server_name, "access_log": str(access_log) if access_log else None,
          "monitor_allow": monitor_allow, "tls_certificate": tls_certificate, "tls_key": tls_key,
          "standalone": standalone, **runtime(standalone, runtime_dir, make_runtime_dir)}
    write_or_echo(render(server, cfg, **kw), out)


@difusores.command("access")
@click.argument("ident", required=False)
@_config_option
@click.option("--all", "every", is_flag=True, help="every pull difusor")
@click.option("--rotate", is_flag=True, help="replace the credential (it leaked): the old URL stops working now")
@click.option("--base-url", default=None, help="where the institute serves /d/ (default: [instituto] site_url)")
@click.option("--json", "as_json", is_flag=True)
def access(ident, config_path, every, rotate, base_url, as_json):
    """A pull difusor's own index URL (its difusor.toml [pull] url), issued on first need; blocking revokes it,
    unblocking restores it."""
    from ..instituto.access import Access, pull_url
    from ..instituto.registry import Registry
    from ..instituto.webconfig import origin, site_url

    cfg = _load(config_path)
    if bool(ident) == bool(every):
        raise InputError("give one difusor id, or --all")
    if rotate and every:
        raise InputError("--rotate takes one difusor id, not --all")
    if base_url:
        origin(base_url, "--base-url")
        base = base_url
    else:
        base = site_url(cfg)
    reg = Registry(cfg.registry)
    ds = [d for d in reg.all() if d.transfer.method == "pull"] if every else [reg.get(ident)]
    if not every and ds[0].transfer.method != "pull":
        raise InputError(f"difusor {ident!r} is registered with method {ds[0].transfer.method}; only pull "
                         "difusores poll the institute with a credential")
    acc = Access(cfg.work)
    rows = []
    for d in ds:
        token = acc.rotate(d.id, active=d.active) if rotate else acc.ensure(d.id, active=d.active)
        rows.append({"difusor": d.id, "url": pull_url(base, token), "live": d.active})
    if as_json:
        _echo_json(rows if every else rows[0])
        return
    for r in rows:
        click.echo(r["url"] if not every else f"{r['difusor']}\t{r['url']}")
        if not r["live"]:
            click.echo(f"{r['difusor']}: blocked: this credential gets the index and the notices, no packages, "
                       "until `difusores unblock`", err=True)


@difusores.command("snippet")
@click.argument("ident")
@_config_option
@click.option("--title", default=None, help="the iframe's title (default: names the institute's PREP)")
@click.option("--page", default="", help="a page of the official site to frame instead of its home, e.g. "
              "embed/index.html (the figures without the site's chrome)")
def snippet(ident, config_path, title, page):
    """The HTML a method-2 difusor pastes on its enlace page: an iframe of the official site."""
    from ..instituto.registry import Registry
    from ..instituto.webconfig import frame_src, site_url, snippet as make_snippet

    cfg = _load(config_path)
    d = Registry(cfg.registry).get(ident)
    if d.transfer.method != "frame":
        raise InputError(f"difusor {ident!r} is registered with method {d.transfer.method}; the snippet is for "
                         "method 2 (frame) difusores")
    if not d.active:
        raise InputError(f"difusor {ident!r} is blocked; the official site no longer lets it frame the results")
    click.echo(make_snippet(frame_src(site_url(cfg), page), institute=cfg.name, title=title), nl=False)
