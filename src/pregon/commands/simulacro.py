"""`pregon simulacro`: a whole election night rehearsed on this machine (docs/simulacro.md)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import CheckFailed, InputError


@click.command()
@click.option("--perfil", "profile", default=None,
              help="drill under an institute's call (pregon.perfiles: ieem-2021, impepac-2021, iem-2021, "
                   "iepc-dgo-2022, iepc-chis-2024): its elections and date, cadence, transport and web server; "
                   "ends with the call's compliance checklist")
@click.option("--preset", type=click.Choice(["morelos", "edomex", "nacional"]), default="morelos", show_default=True,
              help="size of the synthetic election")
@click.option("--source", "source_kind", type=click.Choice(["feed", "database", "site"]), default="feed",
              show_default=True,
              help="where the institute's cortes come from: pregon's feed, or drops of its own PREP system (each "
                   "corte's database zips, or a finished site), which the drill produces itself")
@click.option("--difusores", "n", type=click.IntRange(1, 50), default=3, show_default=True,
              help="difusores taking part; methods take turns: SFTP push, rsync push, pull")
@click.option("--methods", default="sftp,rsync,pull", show_default=True,
              help="distribution methods difusores take in turns (pull needs neither sshd nor rsync)")
@click.option("--election", "election_dir", type=click.Path(file_okay=False, path_type=Path),
              help="drill over this election directory instead of a synthetic one: a replay of real databases "
                   "(pregon simulate replay), its night from its own timeline")
@click.option("--hours", type=click.FloatRange(0.25, 24 * 14), default=None,
              help="simulated hours of the night from 20:00 (the final cut at the end) [default: 12, or the whole "
                   "night of --election]")
@click.option("--speed", type=click.FloatRange(min=0), default=0.0,
              help="times faster than real time [default: HOURS x 3600 / 120, so the night takes two minutes]")
@click.option("--port", type=click.IntRange(1024, 65535 - 50), default=8000, show_default=True,
              help="the institute's site on 127.0.0.1:PORT, difusor i on PORT+i")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("out/simulacro"),
              show_default=True, help="work directory (reset on every drill)")
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True, help="seed of the synthetic election")
@click.option("--scale", type=click.FloatRange(0, 1, min_open=True), default=1.0, show_default=True,
              help="shrink the election (e.g. 0.1); a --perfil drill defaults to about 6,000 actas per corte")
@click.option("--fault", "fault_specs", multiple=True, metavar="SPEC",
              help="down:I:A-B (difusor I down from simulated minute A to B), tamper:I:N (the N-th package to "
                   "difusor I corrupted on the wire), slow:I:S (S real seconds before each delivery to I); "
                   "repeatable")
@click.option("--full-every", type=click.IntRange(1, 10_000), default=8, show_default=True, help="a full package every K cuts")
@click.option("--linger/--no-linger", default=True, show_default=True,
              help="after the night, keep the sites browsable until Ctrl-C")
@click.option("--pdf/--no-pdf", default=None, help="memorias in PDF too [default: when WeasyPrint is installed]")
@click.option("--visitantes", "visitors", type=click.FloatRange(min=0), default=12.0, show_default=True,
              help="visitor sessions per simulated hour against each difusor (browsers following the site's links, "
                   "main.json polling, some crawlers), so the memorias have visitors; 0: none")
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON at the end")
@click.pass_context
def simulacro(ctx, profile, preset, election_dir, source_kind, n, methods, hours, speed, port, out, seed, scale, fault_specs, full_every, linger,
              pdf, visitors, as_json):
    """A drill: synthetic election, institute, N difusores (SFTP, rsync, pull), monitor, faults, memorias.

    Prints each corte (simulated time, actas contabilizadas, each difusor's lag in REAL seconds), the faults
    as they fire and how they were handled, and a summary. Ctrl-C stops it cleanly at any moment.
    """
    import json

    from ..simulacro.faults import parse_all
    from ..simulacro.plan import Plan, check
    from ..simulacro.run import Simulacro
    from ..simulacro import live

    if not 0 < scale <= 1:
        raise InputError(f"--scale {scale:g}: between 0 (exclusive) and 1")
    if speed < 0:
        raise InputError("--speed must be positive")
    if full_every < 1:
        raise InputError("--full-every must be at least 1")
    from ..simulacro.plan import METHODS

    chosen = tuple(m.strip() for m in methods.split(",") if m.strip())
    bad = [m for m in chosen if m not in METHODS]
    if bad or not chosen:
        raise InputError(f"--methods: {bad[0] if bad else 'empty'!r} is not one of {', '.join(METHODS)} "
                         "(e.g. --methods sftp,pull)")
    faults = parse_all(fault_specs, n)
    if profile is not None:
        from .. import perfiles

        if election_dir is not None:
            raise InputError("--perfil and --election: choose one (a profile drills its own synthetic election)")
        rules = perfiles.load(profile)
        if ctx.get_parameter_source("scale") is click.core.ParameterSource.DEFAULT:
            from ..simulacro.plan import drill_scale

            scale = drill_scale(rules)
        if ctx.get_parameter_source("methods") is click.core.ParameterSource.DEFAULT:
            chosen = rules.transport.methods
        else:
            outside = [m for m in chosen if m not in rules.transport.methods]
            if outside:
                raise InputError(f"--methods {outside[0]}: the call of {rules.institute} distributes by "
                                 f"{', '.join(rules.transport.methods)}")
    final_cut = True
    if election_dir is not None:
        from ..simulacro.plan import timeline

        tl = timeline(election_dir)
        night = (tl["end"] - tl["start"]).total_seconds() / 3600
        if night <= 0:
            raise InputError(f"--election {election_dir}: its night ends before it starts (a corte before 20:00)")
        if hours is None or hours >= night:
            hours, final_cut = night, tl["final"]  # to the databases' own corte, as final as they were
        preset = "replay"
    if hours is None:
        hours = 12.0 if profile is None else 24.0 * 14  # a profile's drill: its whole window unless --hours
    if hours <= 0:
        raise InputError("--hours must be positive")
    plan = Plan(out=out, preset=preset, seed=seed, scale=scale, hours=hours, speed=speed, n=n, port=port,
                full_every=full_every, faults=faults, source=election_dir, final_cut=final_cut, source_kind=source_kind,
                methods=chosen, profile=profile, visitors_per_hour=visitors)
    check(plan)
    screen = live.Screen() if live.Screen.wanted() else None  # a TTY: the status table redrawn in place
    summary = Simulacro(plan, echo=lambda line: click.echo(line), linger=linger, pdf=pdf, screen=screen).run()
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=1))
    if summary and not summary["interrupted"] and not all(d["current"] for d in summary["difusores"]):
        raise CheckFailed("at least one difusor did not end on the last corte (see the summary)")
    failed = [c["rule"] for c in (summary or {}).get("checklist") or [] if not c["ok"]]
    if failed and not summary["interrupted"]:
        raise CheckFailed(f"{len(failed)} rule(s) of the call not met: {failed[0]} (see the checklist)")
