"""What the drill tells its operator before the night (what runs, where, on which clock, which faults are
planned) and after it (the sites left browsable until Ctrl-C)."""

from __future__ import annotations

import time


def duration(hours: float) -> str:
    """12 -> '12 h'; 9.7833 -> '9 h 47 min' (a replay's night ends at its database's corte)."""
    minutes = round(hours * 60)
    h, m = divmod(minutes, 60)
    return f"{h} h" + (f" {m} min" if m else "")


def site_lines(plan, *, methods: bool) -> list[str]:
    """Where the institute's PREP system drops its cortes, the official site, the monitor and each difusor."""
    lines = []
    if plan.source_kind != "feed":
        what = "bases de datos" if plan.source_kind == "database" else "un sitio terminado"
        lines.append(f"  fuente             el sistema PREP del instituto deja {what} por corte en {plan.drops}")
    lines.append(f"  sitio oficial      {plan.official_url}")
    lines.append(f"  monitor            {plan.dashboard_url}")
    lines += [f"  {d.id:<18} {d.url}" + (f"   ({d.method})" if methods else "") for d in plan.difusores]
    return lines


def header(plan, note) -> None:
    p = plan
    fin = p.end.strftime("%H:%M") + ("" if p.end.date() == p.start.date() else " del día siguiente")
    what = (f"{p.preset} (semilla {p.seed}, escala {p.scale:g})" if p.source is None
            else f"la elección {p.source} (repetición de una noche real)")
    note(f"pregon simulacro: {what}, {len(p.difusores)} "
         f"difusores; noche de {p.start.strftime('%H:%M')} a {fin} ({duration(p.hours)} simuladas, "
         f"{p.cuts} cortes cada {p.cadence_minutes:g} min)")
    note(f"reloj a {p.speed:g}x: un corte cada {p.slot_seconds:.2f} s reales; la noche dura "
         f"~{p.hours * 3600 / p.speed:.0f} s")
    for line in site_lines(p, methods=True):
        note(line)
    note(f"  archivos           {p.out}  (instituto/instituto.toml, difusores/*/difusor.toml)")
    for f in p.faults:
        note(f"  falla programada   {f.describe(p.difusor(f.difusor).id)}")
    note("retraso = segundos REALES entre la publicación del corte por el instituto y su activación "
         "en cada difusor.  Ctrl-C detiene el simulacro limpiamente.")


def wait_for_ctrl_c(plan, note) -> None:
    note("")
    note("Los sitios siguen disponibles (último corte):")
    for line in site_lines(plan, methods=False):
        note(line)
    note("Ctrl-C para terminar.")
    try:
        for _ in range(10 ** 9):
            time.sleep(0.5)
    except KeyboardInterrupt:
        note("")
