"""The memoria técnica of each difusor at the end of a drill, written by `pregon difusor memoria` in a child
process, with what only the drill knows: a comments page (the accelerated clock, the faults injected into
that difusor, its visitors), the institute's availability report for its Disponibilidad table and, when the
drill had visitors, a baseline: an ordinary day of the portal a week before the night, as a synthetic access log
(analytics.synthlog) beside the real one, so the memoria's comparison with usual traffic has a period."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from .. import durable

BASELINE_DAYS = 7  # the ordinary day: the same hours a week before the night
BASELINE_LINES_PER_HOUR = 120  # a quiet portal: a few people an hour, the monitor hourly

NO_PDF = " (sin PDF: --no-pdf)"
NO_WEASYPRINT = " (sin PDF: WeasyPrint o Pango no están instalados; pip install -e '.[pdf]')"


def weasyprint_works() -> bool:
    """WeasyPrint installed and its system libraries (Pango) loadable: then the memorias get a PDF too."""
    if importlib.util.find_spec("weasyprint") is None:
        return False
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def write_all(plan, cfg, *, pdf: bool, pdf_requested: bool | None, note, end=None) -> dict:
    """Every difusor's memoria: {id: {dir, ok, files}}. `end` (the drill's clock when the night is over) ends
    their period, which otherwise is the difusor's whole window (hours past the night, kept open so the final
    cut goes live): figures per hour, and their comparison with the baseline, are then per hour of the night."""
    why = "" if pdf else (NO_PDF if pdf_requested is False else NO_WEASYPRINT)
    note(f"escribiendo la memoria técnica de cada difusor{why}…")
    time.sleep(1.2)  # the servers flush their access logs every second
    if end is not None:  # to the next whole minute, in the election's zone
        end = (end + timedelta(minutes=1)).astimezone(plan.tz).replace(second=0, microsecond=0)
    return {d.id: write(plan, cfg, d, pdf=pdf, note=note, end=end) for d in plan.difusores}


def write(plan, cfg, d, *, pdf: bool, note, end=None) -> dict:
    out = d.root / "memoria"
    argv = [sys.executable, "-m", "pregon.cli", "difusor", "memoria", "--config", str(d.toml), "--out", str(out),
            "--workers", "1", "--comments", str(comments(plan, d))]
    if end is not None:
        argv += ["--to", end.isoformat()]
    if plan.visitors_per_hour > 0:
        b_start, b_end = baseline(plan, d)
        argv += ["--baseline-from", b_start.isoformat(), "--baseline-to", b_end.isoformat()]
    if not pdf:
        argv.append("--no-pdf")
    if not d.hosts:
        argv.append("--frame")
    avail = availability(cfg, d, note)
    if avail is not None:
        argv += ["--availability", str(avail)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    files = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    if r.returncode != 0:
        note(f"  ✗ memoria de {d.id}: {(r.stderr or r.stdout).strip().splitlines()[-1:]}")
    return {"dir": str(out), "ok": r.returncode == 0, "files": files}


def availability(cfg, d, note) -> Path | None:
    """The institute's availability report for this difusor, as `monitor report --by day --format json`
    writes it, for its memoria's Disponibilidad table; None (and a note) when it cannot be made."""
    from ..errors import InputError
    from ..instituto import availability as avail

    try:
        doc = avail.report(durable.read_jsonl(cfg.monitor.observations), tz=avail.institute_zone(cfg), by="day",
                           only=(d.id,), threshold=avail.institute_threshold(cfg), difusores=(d.id,))
        p = d.root / "disponibilidad.json"
        p.write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n", "utf-8")
        return p
    except (InputError, OSError) as exc:
        note(f"  ✗ disponibilidad de {d.id}: {exc}")
        return None


def baseline(plan, d) -> tuple:
    """(start, end) of the ordinary day; its synthetic log is written beside the access log as a rotation
    (`access.log-YYYYMMDD`), which the memoria reads with the night's log. Deterministic per seed and difusor."""
    from ..analytics import synthlog

    hours = min(plan.hours, 24.0)
    start = (plan.start - timedelta(days=BASELINE_DAYS)).astimezone(plan.tz)
    path = d.root / f"access.log-{start:%Y%m%d}"
    synthlog.generate(path, int(BASELINE_LINES_PER_HOUR * hours) + 2, seed=plan.seed * 1000 + d.index, start=start,
                      hours=hours, offset_minutes=int(start.utcoffset().total_seconds() // 60), malformed_rate=0,
                      host=f"{d.id}.simulacro.local", monitor_interval=3600)
    return start, start + timedelta(hours=hours)


def comments(plan, d) -> Path:
    p = d.root / "comentarios.md"
    fs = [f.describe(d.id) for f in plan.faults if plan.difusor(f.difusor).id == d.id]
    what = (f"elección sintética {plan.preset}" if plan.source is None
            else f"repetición de la noche real de {plan.source}")
    text = (f"Simulacro de `pregon simulacro`: {what}, reloj acelerado "
            f"{plan.speed:g} veces. Las horas de esta memoria son las de la noche simulada y sus "
            f"duraciones están en segundos simulados: divídalas entre {plan.speed:g} para obtener "
            "segundos reales (un retraso de 360 s simulados son 1 s real a 360x). Por eso los retrasos "
            "«vs. corte» y «vs. instituto» incluyen el tiempo que el instituto tarda en producir cada corte, "
            "multiplicado por la velocidad, y casi todos superan el minuto simulado. Los visitantes de estas "
            f"bitácoras son el monitor del instituto y un generador de visitas ({plan.visitors_per_hour:g} sesiones "
            "por hora simulada: navegadores que siguen los enlaces del sitio, pestañas que consultan main.json, "
            "algunos rastreadores), cada sesión desde su propia dirección de loopback.\n")
    if plan.visitors_per_hour > 0:
        text += (f"\nEl periodo de comparación es un día ordinario sintético, {BASELINE_DAYS} días antes de la "
                 "noche y con sus mismas horas: una bitácora generada con el tráfico de un portal tranquilo "
                 f"(unas {BASELINE_LINES_PER_HOUR} solicitudes por hora), no una medición.\n")
    if fs:
        text += "\nFallas inyectadas en este difusor:\n\n" + "\n".join(f"- {x}" for x in fs) + "\n"
    p.write_text(text, "utf-8")
    return p
