"""The memoria técnica of each difusor at the end of a drill, written by `pregon difusor memoria` in a child
process, with what only the drill knows: a comments page (the accelerated clock, the faults injected into
that difusor) and the institute's availability report for its Disponibilidad table."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

from .. import durable

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


def write_all(plan, cfg, *, pdf: bool, pdf_requested: bool | None, note) -> dict:
    """Every difusor's memoria: {id: {dir, ok, files}}."""
    why = "" if pdf else (NO_PDF if pdf_requested is False else NO_WEASYPRINT)
    note(f"escribiendo la memoria técnica de cada difusor{why}…")
    time.sleep(1.2)  # the servers flush their access logs every second
    return {d.id: write(plan, cfg, d, pdf=pdf, note=note) for d in plan.difusores}


def write(plan, cfg, d, *, pdf: bool, note) -> dict:
    out = d.root / "memoria"
    argv = [sys.executable, "-m", "pregon.cli", "difusor", "memoria", "--config", str(d.toml), "--out", str(out),
            "--workers", "1", "--comments", str(comments(plan, d))]
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
    if fs:
        text += "\nFallas inyectadas en este difusor:\n\n" + "\n".join(f"- {x}" for x in fs) + "\n"
    p.write_text(text, "utf-8")
    return p
