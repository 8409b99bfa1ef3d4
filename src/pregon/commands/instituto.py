"""`pregon instituto …`: the institute's side: cuts on a schedule, the registry of difusores, the monitor."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from ..errors import CheckFailed, InputError
from ..times import optional_instant, parse_instant, utc_now

_config_option = click.option("--config", "config_path", default="instituto.toml", show_default=True,
                              type=click.Path(dir_okay=False, path_type=Path), help="the institute's instituto.toml")


def _load(path: Path):
    from ..instituto.config import load_config

    return load_config(path)


_at_option = click.option("--at", default=None, help="sign and record as of this instant (ISO 8601 with offset) "
                          "instead of the clock: drills on an accelerated clock")


def _at(text):
    return utc_now().replace(microsecond=0) if text is None else parse_instant(text, "--at")


def _echo_json(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True))


@click.group()
def instituto():
    """The institute: cuts on a schedule, distribution to difusores, registry, compliance monitor."""


# --- run ------------------------------------------------------------------------------------------------------


@instituto.command()
@_config_option
@click.option("--max-cuts", type=click.IntRange(min=1), default=None, help="stop after this many cuts")
@click.option("--speed", type=click.FloatRange(min=0.001), default=None,
              help="drill: an accelerated clock starting at [schedule] start, SPEED times real time")
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
def run(config_path, max_cuts, speed, as_json):
    """Cut, render, package, sign, publish and push every cadence of the publication window; or, with a
    [source] of drops, publish each corte the institute's own PREP system drops."""
    from ..instituto.config import require
    from ..instituto.scheduler import run_schedule
    from ..times import AcceleratedClock, SystemClock

    cfg = _load(config_path)
    require(cfg, *(("feed", "key", "start") if cfg.cortes.kind == "feed" else ("key",)))
    if speed and cfg.start is None:
        raise InputError(f"{config_path}: --speed needs [schedule] start (where the drill's clock starts)")
    clock = AcceleratedClock(cfg.start, speed) if speed else SystemClock()
    n = run_schedule(cfg, clock, max_cuts=max_cuts, log=lambda m: click.echo(f"pregon instituto: {m}", err=True))
    if as_json:
        _echo_json({"cuts": n, "journal": str(cfg.journal), "deliveries": str(cfg.deliveries)})
    else:
        click.echo(f"{n} cuts made; journal {cfg.journal}")


# --- difusores ------------------------------------------------------------------------------------------------


@instituto.group()
def difusores():
    """The registry of difusores oficiales: add, list, show, block, unblock, page."""


@difusores.command("add")
@_config_option
@click.option("--from", "from_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="a TOML file with the registration (fields as in `show --json`; logo and diagrama as paths "
                   "relative to it); options override it")
@click.option("--id", "ident", help="short id: lower-case letters, digits, '-' (e.g. el-diario)")
@click.option("--nombre", help="media name")
@click.option("--sitio", help="the media's website (https://…)")
@click.option("--enlace", help="the proposed link: URL of its PREP copy (the monitor polls it)")
@click.option("--tecnico-nombre")
@click.option("--tecnico-email")
@click.option("--tecnico-telefono")
@click.option("--tecnico-movil", help="mobile phone of the technical contact (IEEM, IMPEPAC)")
@click.option("--tecnico-extension", help="extension of the technical contact's phone (IEM)")
@click.option("--legal-nombre")
@click.option("--legal-email")
@click.option("--legal-telefono")
@click.option("--legal-movil", help="mobile phone of the legal contact (IEEM, IMPEPAC)")
@click.option("--legal-extension", help="extension of the legal contact's phone (IEM)")
@click.option("--servidor", help="server IP address or domain")
@click.option("--software", help="server software (e.g. Debian 12, nginx 1.22)")
@click.option("--hardware")
@click.option("--energia", help="power: UPS, generator…")
@click.option("--red", help="network: links, bandwidth, CDN…")
@click.option("--metodo", type=click.Choice(["sftp", "rsync", "pull", "frame"]),
              help="transfer method (frame: method 2, the difusor frames the official site)")
@click.option("--ssh-host", help="push address if not --servidor")
@click.option("--ssh-port", type=click.IntRange(1, 65535))
@click.option("--ssh-user", help="the SSH user the difusor created for the institute (the forms' FTP account; "
                                 "no password: the institute logs in with its key)")
@click.option("--ssh-path", help="the remote inbox directory")
@click.option("--host-key", help="the server's SSH host public key: a line 'ssh-ed25519 AAAA…' or a .pub file")
@click.option("--logo", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="vector logo: SVG, or Adobe Illustrator .ai saved PDF-compatible (converted to SVG)")
@click.option("--carta-fecha", help="commitment letter received on YYYY-MM-DD")
@click.option("--simulacro", multiple=True, help="a drill attended, YYYY-MM-DD (repeatable)")
@click.option("--entidad", help="entidad federativa of the difusor: name or INEGI code (IEM)")
@click.option("--ip-registro", help="the IP address (or network) the difusor registers (IEM)")
@click.option("--url-pruebas", help="URL of the difusor's test site (IEM)")
@click.option("--url-oficial", help="URL of the difusor's official site, as the IEM form asks")
@click.option("--diagrama", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="service diagram: PDF, SVG or PNG, at most 5 MiB (Chiapas)")
@click.option("--personal", multiple=True, metavar="'NOMBRE|CARGO|CONTACTO'",
              help="a member of the PREP team with role and e-mail or phone (repeatable; Chiapas)")
@click.option("--json", "as_json", is_flag=True)
def add(config_path, from_file, logo, diagrama, as_json, **opts):
    """Register a difusor (validated: URLs, e-mails, phones, SSH host key, logo, service diagram)."""
    from ..instituto.forms import difusor_from_form, read_form_file
    from ..instituto.registry import AI_MAX_BYTES, DIAGRAM_MAX_BYTES, Difusor, Registry, read_upload

    cfg = _load(config_path)
    data: dict = {}
    if from_file:
        data, file_logo, file_diagram = read_form_file(from_file)
        logo, diagrama = logo or file_logo, diagrama or file_diagram
    data = difusor_from_form(data, opts)
    for req in ("id", "nombre", "sitio", "enlace"):
        if req not in data:
            raise InputError(f"--{req} is required (or give it in --from)")
    d = Difusor.from_json(data, f"difusor {data['id']!r}")
    reg = Registry(cfg.registry)
    reg.add(d, read_upload(logo, AI_MAX_BYTES, "--logo") if logo else None,
            read_upload(diagrama, DIAGRAM_MAX_BYTES, "--diagrama") if diagrama else None)
    if as_json:
        _echo_json(d.to_json())
    else:
        click.echo(f"registered {d.id} ({d.nombre}): {d.transfer.method}, {d.enlace}")


@difusores.command("list")
@_config_option
@click.option("--all", "show_all", is_flag=True, help="include blocked difusores")
@click.option("--pendientes", is_flag=True,
              help="who is missing what before each date of the call ([calendar], the profile's drills)")
@click.option("--at", "at_text", default=None, metavar="DATE",
              help="with --pendientes: judge as of this date (YYYY-MM-DD, or an ISO time) instead of today")
@click.option("--json", "as_json", is_flag=True)
def list_(config_path, show_all, pendientes, at_text, as_json):
    """The registered difusores (active ones, or --all); with --pendientes, what each still owes the call."""
    from ..instituto.registry import Registry

    cfg = _load(config_path)
    if at_text is not None and not pendientes:
        raise InputError("--at goes with --pendientes")
    if pendientes:
        from ..durable import read_jsonl
        from ..instituto import pendientes as pend
        from ..instituto.availability import institute_zone

        tz = institute_zone(cfg)
        at = pend.parse_at(at_text, tz) if at_text is not None else utc_now().astimezone(tz).date()
        report = pend.pending(Registry(cfg.registry).all(), pend.deadlines(cfg), at,
                              profile=cfg.profile, include_blocked=show_all,
                              deliveries=read_jsonl(cfg.deliveries),
                              observations=read_jsonl(cfg.monitor.observations))
        if as_json:
            _echo_json(report)
        else:
            click.echo(pend.to_text(report), nl=False)
        return
    ds = [d for d in Registry(cfg.registry).all() if show_all or d.active]
    if as_json:
        _echo_json([{"id": d.id, "nombre": d.nombre, "estado": d.estado, "metodo": d.transfer.method,
                     "enlace": d.enlace} for d in ds])
        return
    for d in ds:
        click.echo(f"{d.id:<24} {d.estado:<8} {d.transfer.method:<6} {d.nombre}  {d.enlace}")


def _contact_line(c) -> str:
    phone = c.telefono + (f" ext. {c.extension}" if c.extension else "")
    parts = [f"{c.nombre} <{c.email}>".strip()] + ([f"tel. {phone}"] if phone else []) + \
        ([f"móvil {c.movil}"] if c.movil else [])
    return ", ".join(parts)


@difusores.command("show")
@click.argument("ident")
@_config_option
@click.option("--json", "as_json", is_flag=True)
def show(ident, config_path, as_json):
    """Everything registered about one difusor."""
    from ..instituto.registry import Registry, host_key_fingerprint

    cfg = _load(config_path)
    reg = Registry(cfg.registry)
    d = reg.get(ident)
    obj = d.to_json()
    if d.transfer.host_key:
        obj["transfer"]["host_key_fingerprint"] = host_key_fingerprint(d.transfer.host_key)
    if as_json:
        _echo_json(obj)
        return
    click.echo(f"{d.id}: {d.nombre} [{d.estado}]")
    click.echo(f"  sitio {d.sitio}\n  enlace {d.enlace}")
    if d.url_oficial or d.url_pruebas:
        click.echo(f"  sitio oficial {d.url_oficial or '-'}; sitio de pruebas {d.url_pruebas or '-'}")
    if d.entidad or d.ip_registro:
        click.echo(f"  entidad {d.entidad or '-'}; IP registrada {d.ip_registro or '-'}")
    click.echo(f"  técnico {_contact_line(d.tecnico)}")
    click.echo(f"  legal {_contact_line(d.legal)}")
    s = d.servidor
    click.echo(f"  servidor {s.host}; software {s.software or '-'}; hardware {s.hardware or '-'}; "
               f"energía {s.energia or '-'}; red {s.red or '-'}")
    t = d.transfer
    if t.method == "pull":
        click.echo("  transferencia: pull (consulta el directorio publicado)")
        click.echo("  cuenta FTP de los formatos: no aplica (el difusor descarga; no se guarda contraseña)")
    elif t.method == "frame":
        click.echo("  transferencia: ninguna; método 2 (enmarca el sitio oficial)")
        click.echo("  cuenta FTP de los formatos: no aplica (no se envía nada; no se guarda contraseña)")
    else:
        click.echo(f"  transferencia: {t.method} {t.user}@{d.push_host}:{t.port}{t.path} "
                   f"host key {obj['transfer'].get('host_key_fingerprint')}")
        click.echo(f"  cuenta FTP de los formatos: usuario SSH {t.user}, sin contraseña: el instituto entra con su "
                   "llave SSH y verifica la host key fijada (nunca se guarda una contraseña)")
    click.echo(f"  carta compromiso: {'sí, ' + (d.carta_fecha or '') if d.carta_recibida else 'no'}")
    click.echo(f"  simulacros: {', '.join(d.simulacros) or 'ninguno'}; logo: {'sí' if d.logo else 'no'}")
    diagram = reg.diagram_path(d)
    if diagram is not None:
        size = diagram.stat().st_size if diagram.is_file() else None
        click.echo(f"  diagrama del servicio: {diagram.name} "
                   f"({f'{size:,} bytes' if size is not None else 'falta el archivo'})")
    for p in d.personal:
        contact = ", ".join(x for x in (p.email, p.telefono) if x)
        click.echo(f"  personal: {p.nombre} ({p.cargo}) {contact}")
    if d.bloqueo:
        click.echo(f"  bloqueado {d.bloqueo.get('fecha')}: {d.bloqueo.get('motivo')} "
                   f"(aviso, paquete {d.bloqueo.get('notice_sequence')})")


def _report_notice(res, as_json, verb):
    out = {"difusor": res.difusor, "notice_sequence": res.notice.sequence, "package": res.notice.file,
           "deliveries": [x.to_json() for x in res.deliveries]}
    if as_json:
        _echo_json(out)
    else:
        click.echo(f"{verb} {res.difusor}; signed notice {res.notice.sequence} ({res.notice.notice_type}) "
                   f"in {res.notice.file}")
        for x in res.deliveries:
            click.echo(f"  delivery {x.result} after {x.attempts} attempt(s){': ' + x.error if x.error else ''}")
    if any(x.result != "ok" for x in res.deliveries):
        raise CheckFailed(f"the notice could not be delivered to {res.difusor}; it stays in the pull index and "
                          "`difusores block` is recorded; retry the push or call the difusor")


@difusores.command("block")
@click.argument("ident")
@_config_option
@click.option("--reason", required=True, help="why (recorded in the registry and the journal)")
@click.option("--no-push", is_flag=True, help="do not push the notice now (it is still in the pull index)")
@_at_option
@click.option("--json", "as_json", is_flag=True)
def block_cmd(ident, config_path, reason, no_push, at, as_json):
    """Stop distribution to a difusor, drop it from the public list, send it the signed notice."""
    from ..instituto.blocking import block

    cfg = _load(config_path)
    _report_notice(block(cfg, ident, reason, _at(at), push=not no_push), as_json, "blocked")


@difusores.command("unblock")
@click.argument("ident")
@_config_option
@click.option("--no-push", is_flag=True)
@_at_option
@click.option("--json", "as_json", is_flag=True)
def unblock_cmd(ident, config_path, no_push, at, as_json):
    """Reinstate a blocked difusor (a clear notice now; a full package at the next cut)."""
    from ..instituto.blocking import unblock

    cfg = _load(config_path)
    _report_notice(unblock(cfg, ident, _at(at), push=not no_push), as_json, "unblocked")


@difusores.command("page")
@_config_option
@click.option("--site", "site", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="a site directory to (re)write difusores/index.html into")
def page(config_path, site):
    """Write the public "Difusores oficiales" page (and logos) into a site directory."""
    from ..instituto.public_list import PAGE, write_public_list
    from ..instituto.registry import Registry

    cfg = _load(config_path)
    ids = write_public_list(site, Registry(cfg.registry))
    click.echo(f"wrote {site / PAGE}: {len(ids)} difusores oficiales")


# --- monitor ------------------------------------------------------------------------------------------------


@instituto.group(invoke_without_command=True)
@_config_option
@click.option("--once", is_flag=True, help="one round, then exit (1 when any difusor is out of compliance)")
@click.option("--rounds", type=click.IntRange(min=1), default=None, help="stop after N rounds")
@click.option("--json", "as_json", is_flag=True, help="print each round's observations as JSON lines")
@click.option("--now", "now_text", default=None,
              help="judge lag as of this instant (ISO 8601 with offset) instead of the clock: drills, replays")
@click.pass_context
def monitor(ctx, config_path, once, rounds, as_json, now_text):
    """Poll every difusor: up, corte shown and lag, content against the official hashes, headers, TLS."""
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path
    if ctx.invoked_subcommand is not None:
        return
    import asyncio

    from ..instituto import monitor_loop
    from ..instituto.monitor import Monitor
    from ..instituto.registry import Registry
    from ..instituto.store import iso
    from ..times import ManualClock

    cfg = _load(config_path)
    clock = ManualClock(parse_instant(now_text, "--now")) if now_text is not None else None
    mon = Monitor(cfg.monitor, Registry(cfg.registry), work=cfg.work, clock=clock, site_url=cfg.site_url,
                  log=lambda m: click.echo(f"pregon monitor: {m}", err=True))

    def dashboard_failed(exc: OSError) -> None:  # a full disk: the dashboard stays as it was; observing goes on
        click.echo(f"pregon monitor: cannot write the dashboard {cfg.monitor.dashboard}: "
                   f"{exc.strerror or exc}; retried next round", err=True)

    def one_round():
        return monitor_loop.observe_round(mon, cfg.monitor.dashboard, generated=lambda: iso(utc_now()),
                                          lag_limit=cfg.monitor.lag_limit_seconds, dashboard_failed=dashboard_failed)

    last = asyncio.run(monitor_loop.run_rounds(one_round, rounds=1 if once else rounds,
                                               interval=cfg.monitor.interval_seconds, on_round=_print_round(as_json)))
    if once and monitor_loop.out_of_compliance(last):
        raise CheckFailed("at least one difusor is out of compliance (see above and the dashboard)")


def _print_round(as_json: bool):
    def show(obs) -> None:
        for o in obs:
            if as_json:
                click.echo(json.dumps(o.to_json(), ensure_ascii=False, sort_keys=True))
            else:
                corte = o.corte_sequence if o.corte_sequence is not None else "-"
                lag = "-" if o.lag_s is None else f"{o.lag_s:.0f} s"
                click.echo(f"{o.difusor:<20} {o.status:<14} corte {corte:>4} lag {lag:>6}  {o.error or ''}")
    return show


@monitor.command("report")
@click.option("--config", "config_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="the institute's instituto.toml (also accepted before `report`)")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="same as --format json")
@click.option("--by", type=click.Choice(["day", "month"]), default=None,
              help="availability per day (with months) or per month, against --threshold")
@click.option("--threshold", type=click.FloatRange(0, 100), default=None,
              help="with --by: the availability the call asks, in % (default: the profile's, else 99.9)")
@click.option("--tz", "tz_name", default=None,
              help="with --by: zone of the day boundaries (default: the profile's, else [source] timezone)")
@click.option("--difusor", "only", multiple=True, help="only this difusor (repeatable): a file to hand it")
@click.option("--from", "start", metavar="TIME", help="observations from this time on (ISO 8601)")
@click.option("--to", "end", metavar="TIME", help="observations before this time (ISO 8601)")
@click.pass_context
def report(ctx, config_path, fmt, as_json, by, threshold, tz_name, only, start, end):
    """Availability, lag percentiles, tampering and downtime per difusor, from the observations; with --by,
    availability per day or month against the call's threshold (IEM: 99.9 %)."""
    from ..instituto import availability
    from ..instituto.monitor import summarize, to_csv, to_text
    from ..instituto.registry import Registry
    from ..durable import read_jsonl

    cfg = _load(config_path or ctx.obj["config_path"])
    if by is None and (threshold is not None or tz_name is not None):
        raise InputError("--threshold and --tz go with --by day|month")
    tz = availability.zone(tz_name) if tz_name is not None else availability.institute_zone(cfg)
    t0, t1 = optional_instant(start, "--from", tz), optional_instant(end, "--to", tz)
    if t0 and t1 and t1 <= t0:
        raise InputError("--to must be later than --from")
    obs = read_jsonl(cfg.monitor.observations)
    if not obs:
        raise InputError(f"{cfg.monitor.observations}: no observations yet; run `pregon instituto monitor --once`")
    registered = Registry(cfg.registry).all()
    known = {d.id for d in registered} | {o.get("difusor") for o in obs}
    unknown = [i for i in only if i not in known]
    if unknown:
        raise InputError(f"--difusor {unknown[0]!r}: neither registered nor observed")
    fmt = "json" if as_json else fmt
    if by is not None:
        if threshold is None:
            threshold = availability.institute_threshold(cfg)
        doc = availability.report(obs, tz=tz, by=by, start=t0, end=t1, only=tuple(only), threshold=threshold,
                                  difusores=[d.id for d in registered])
        if fmt == "json":
            _echo_json(doc)
        else:
            click.echo((availability.to_csv if fmt == "csv" else availability.to_text)(doc), nl=False)
        return
    kept = [o for o in obs if (not only or o.get("difusor") in only) and _in_period(o, t0, t1)]
    rows = summarize(kept, [d for d in registered if not only or d.id in only])
    if fmt == "json":
        _echo_json(rows)
    elif fmt == "csv":
        click.echo(to_csv(rows), nl=False)
    else:
        click.echo(to_text(rows), nl=False)


def _in_period(o: dict, start, end) -> bool:
    if start is None and end is None:
        return True
    try:
        t = datetime.fromisoformat(o.get("time"))
    except (TypeError, ValueError):
        return False
    if t.tzinfo is None:
        return False
    return (start is None or t >= start) and (end is None or t < end)


from . import instituto_init  # noqa: E402,F401  (init, recovery-exhausted)
from . import instituto_web  # noqa: E402,F401  (webconfig, difusores access|snippet)
