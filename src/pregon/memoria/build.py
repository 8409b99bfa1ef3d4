"""Put the memoria together: figures, journal, bundle, HTML, PDF and datos.json in one output directory.

    result = build(Options(config=Path("difusor.toml"), out=Path("memoria"), ...))

Output DIR: memoria.html, memoria.pdf (unless pdf=False), logs-<from>-<to>.tar.gz, SHA256SUMS, datos.json.
With `availability` (the institute's availability report), the cuts section carries the "Disponibilidad"
table per day and month against the call's threshold.
"""

from __future__ import annotations

import glob
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..durable import sha256_file
from ..errors import InputError
from . import bundle as bundle_mod
from . import data, render

SPANISH_DEFINITIONS = {
    "hit": "Hit: cada solicitud registrada en la bitácora (personas, robots y el monitor), con cualquier respuesta.",
    "page": "Página vista: un GET de un documento HTML (ruta que termina en /, .html, .htm o sin extensión) "
    "respondido 2xx o 304, hecho por una persona.",
    "json": "Consulta JSON: un GET de un archivo .json respondido 2xx o 304, sobre todo la actualización "
    "automática de json/main.json por la propia página; se cuenta aparte de las páginas.",
    "download": "Descarga: un GET de la base de datos o sus archivos (.zip, .csv, .txt, .sha256, .pdf…) "
    "respondido 2xx o 304; se cuenta aparte de las páginas.",
    "visitor": "Visitante: una combinación (IP, agente de usuario) en un día natural en {tz}, contada por sus "
    "solicitudes no respondidas 4xx, como cuenta GoAccess. El total del periodo cuenta cada (IP, agente) una vez.",
    "visit": "Visita: las solicitudes de un mismo (IP, agente) que empiezan en una página y siguen sin pausas "
    "mayores de {gap}; las consultas JSON mantienen viva una visita hasta {cap} después de su última página.",
    "permanence": "Tiempo de permanencia: la última solicitud contada de una visita menos su primera página.",
    "bot": "Robot: cliente cuyo agente de usuario corresponde a un rastreador, previsualizador, script o "
    "escáner, o está vacío. Se cuentan aparte y nunca son visitantes.",
    "monitor": "Monitor: el monitor de cumplimiento del instituto ({agents}); se cuenta aparte.",
    "ratio": "Razón respecto al tráfico habitual: una cifra por hora durante el PREP dividida entre la misma cifra "
    "por hora en el periodo habitual; para visitantes, la media de visitantes distintos por hora.",
}


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"


def spanish_definitions(params: dict) -> dict[str, str]:
    values = {"tz": params.get("tz", ""), "gap": _minutes(int(params.get("session_gap_s", 1800))),
              "cap": _minutes(int(params.get("poll_cap_s", 1800))),
              "agents": ", ".join(params.get("monitor_agents") or []) or "ninguno"}
    return {k: v.format(**values) for k, v in SPANISH_DEFINITIONS.items()}


@dataclass
class Options:
    config: Path
    out: Path
    logs: tuple[str, ...] = ()  # globs; empty: the config's [serve] access_log and its rotations
    start: datetime | None = None
    end: datetime | None = None
    baseline: tuple[datetime, datetime] | None = None
    comments: Path | None = None
    registro: Path | None = None
    date: datetime | None = None
    pdf: bool = True
    workers: int | None = None
    monitor_agents: tuple[str, ...] = ("pregon-monitor",)
    monitor_ips: tuple[str, ...] = ()
    availability: Path | None = None  # the institute's `monitor report --by day --format json`
    frame: bool = False  # a method-2 difusor: its page framed the official site; no receiver, no journal


@dataclass
class Result:
    out: Path
    files: list[str] = field(default_factory=list)
    headline: dict = field(default_factory=dict)
    cuts: int = 0
    incidents: int = 0


def expand_logs(patterns, cfg) -> list[Path]:
    """The access logs: each pattern a glob (a pattern that matches nothing is an error), or by default the
    config's [serve] access_log with its rotated siblings (access.log.1, access.log.2.gz, access.log-2024…)."""
    if patterns:
        out = []
        for pat in patterns:
            hits = sorted(glob.glob(pat))
            if not hits:
                raise InputError(f"--logs {pat}: no such file; give the access log(s) of the period, "
                                 "e.g. --logs '/var/log/nginx/access.log*'")
            out += [Path(h) for h in hits]
    else:
        log = cfg.serve.access_log
        if log is None:
            raise InputError(f"{cfg.source}: [serve] access_log is not set; give the logs with --logs GLOB")
        if not log.exists():
            raise InputError(f"{log}: no such file ([serve] access_log); give the logs with --logs GLOB")
        out = [log] + sorted(Path(p) for p in glob.glob(glob.escape(str(log)) + ".*") + glob.glob(
            glob.escape(str(log)) + "-*"))
    seen, unique = set(), []
    for p in out:
        if p.is_dir():
            raise InputError(f"{p}: is a directory; give the access log files inside it (e.g. {p}/access.log*)")
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def _period(opts: Options, cfg) -> tuple[datetime, datetime]:
    start = opts.start or cfg.window_start
    end = opts.end or cfg.window_end
    if start is None or end is None:
        raise InputError("the PREP period is unknown: give --from and --to, or set [window] start and end in "
                         f"{cfg.source}")
    if end <= start:
        raise InputError(f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    return start, end


def _stamp(t: datetime, tz) -> str:
    return t.astimezone(tz).strftime("%Y%m%dT%H%M")


def _overlaps(f: dict, start: datetime, end: datetime) -> bool:
    if not f.get("first") or not f.get("last"):
        return False
    return datetime.fromisoformat(f["first"]) < end and datetime.fromisoformat(f["last"]) >= start


def build(opts: Options, *, note=lambda m: None) -> Result:
    from ..analytics import analyze
    from ..durable import read_jsonl

    cfg, registro = data.load_settings(opts.config, opts.registro)
    start, end = _period(opts, cfg)
    if opts.baseline is not None and opts.baseline[1] <= opts.baseline[0]:
        raise InputError("the baseline period ends before it starts")
    logs = expand_logs(opts.logs, cfg)
    if not cfg.journal.exists() and not opts.frame:
        raise InputError(f"{cfg.journal}: no such file; the memoria needs the receiver's journal "
                         "([difusor] journal in the config; `pregon difusor run` writes it; a method-2 difusor, "
                         "which frames the official site, passes --frame)")
    comments = None
    if opts.comments is not None:
        try:
            comments = Path(opts.comments).read_text("utf-8")
        except FileNotFoundError:
            raise InputError(f"{opts.comments}: no such file (--comments takes a text or Markdown file)") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{opts.comments}: cannot read as UTF-8 text: {exc}") from None
    availability = load_availability(opts.availability, cfg.id) if opts.availability is not None else None
    if opts.pdf and not render.weasyprint_available():
        raise InputError("the PDF needs WeasyPrint: pip install 'pregon[pdf]' (and its system libraries, e.g. "
                         "apt install libpango-1.0-0 libpangoft2-1.0-0), or pass --no-pdf for HTML only")

    report = analyze(logs, start=start, end=end, baseline=opts.baseline, tz=cfg.tz.key,
                     monitor_agents=opts.monitor_agents, monitor_ips=opts.monitor_ips,
                     site_hosts=(cfg.serve.server_name,) if cfg.serve.server_name != "_" else (),
                     workers=opts.workers)
    report.definitions = spanish_definitions(report.parameters)
    entries = read_jsonl(cfg.journal) if cfg.journal.exists() else []
    cuts = data.published_cuts(entries, start, end, archive=cfg.archive)
    incidents = data.incidents_of(entries, start, end, cfg.tz)
    counts = data.journal_summary(entries, start, end)

    out = Path(opts.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot create the directory: {exc.strerror or exc}") from None

    # the logs of the period: every file with a request inside it, whole and unmodified
    by_path = {str(Path(f["path"])): f for f in report.files}
    in_period = [p for p in logs if _overlaps(by_path.get(str(p), {}), start, end)]
    if not in_period:
        raise InputError(f"no request in the access logs falls between {start.isoformat()} and {end.isoformat()}; "
                         "check --from/--to and --logs")
    name = f"logs-{_stamp(start, cfg.tz)}-{_stamp(end, cfg.tz)}"
    bundle_path = out / f"{name}.tar.gz"
    bundled = bundle_mod.write_bundle(in_period, bundle_path, dirname=name, mtime=int(end.timestamp()))
    bundle_sha = sha256_file(bundle_path)[1]
    bundle_mod.write_sums(out / "SHA256SUMS", [(bundle_path.name, bundle_sha)] + [(b.member, b.sha256) for b in bundled])
    log_rows = []
    for b in bundled:
        f = by_path.get(str(b.source), {})
        log_rows.append({"member": b.member, "size": b.size, "sha256": b.sha256, "lines": f.get("lines"),
                         "malformed": f.get("malformed"),
                         "first": datetime.fromisoformat(f["first"]) if f.get("first") else None,
                         "last": datetime.fromisoformat(f["last"]) if f.get("last") else None})
    bundled_sources = {str(b.source) for b in bundled}
    excluded = [p.name for p in logs if str(p) not in bundled_sources]

    names = {str(b.source): b.member for b in bundled}
    for src in logs:
        names.setdefault(str(src), src.name)
    for key in sorted(names, key=len, reverse=True):  # warnings name files: as in the bundle, not this machine
        report.warnings = [w.replace(key, names[key]) for w in report.warnings]

    date = opts.date or end
    ctx = render.context(cfg=cfg, registro=registro, start=start, end=end, report=report, cuts=cuts,
                         incidents=incidents, journal_counts=counts, bundle_name=bundle_path.name,
                         bundle_sha256=bundle_sha, logs=log_rows, excluded=excluded, comments=comments,
                         date=date, availability=availability, frame=opts.frame)
    html_text = render.render_html(ctx)
    (out / "memoria.html").write_text(html_text, "utf-8")
    files = ["memoria.html"]
    if opts.pdf:
        try:
            render.render_pdf(html_text, out / "memoria.pdf", title=f"Memoria técnica del PREP — {ctx['nombre']}",
                              date=date)
        except (ImportError, OSError) as exc:
            raise InputError(f"WeasyPrint could not write the PDF ({exc}); install its libraries or pass --no-pdf") \
                from None
        files.append("memoria.pdf")
    else:
        note("pregon difusor memoria: --no-pdf: wrote memoria.html only (no PDF)")

    datos = {
        "schema": data.SCHEMA,
        "difusor": {"id": cfg.id, "server_name": cfg.serve.server_name, "registro": registro},
        "period": {"start": start.isoformat(), "end": end.isoformat(), "tz": cfg.tz.key,
                   "date": date.isoformat()},
        "headline": ctx["headline"],
        "cuts": [c.to_dict() for c in cuts],
        "cuts_summary": ctx["cuts_summary"],
        "incidents": [i.to_dict() for i in incidents],
        "journal_events": counts,
        "frame": opts.frame,
        "logs": {"bundle": bundle_path.name, "sha256": bundle_sha,
                 "files": [{**r, "first": r["first"] and r["first"].isoformat(),
                            "last": r["last"] and r["last"].isoformat()} for r in log_rows],
                 "analysed_not_bundled": excluded},
        "availability": availability,
        "analytics": _portable(report.to_dict(), names),
        "comments": comments,
    }
    (out / "datos.json").write_text(json.dumps(datos, ensure_ascii=False, indent=1, default=str) + "\n", "utf-8")
    files += [bundle_path.name, "SHA256SUMS", "datos.json"]
    return Result(out=out, files=files, headline=ctx["headline"], cuts=len(cuts), incidents=len(incidents))


def load_availability(path: Path, ident: str) -> dict:
    """This difusor's part of the institute's availability report (JSON), checked; one line when unusable."""
    from ..instituto.availability import for_difusor

    try:
        doc = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(f"--availability {path}: no such file; ask the institute for its report "
                         "(`pregon instituto monitor report --by day --format json`)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"--availability {path}: not a readable JSON report: {exc}") from None
    return for_difusor(doc, ident, f"--availability {path}")


def _portable(d: dict, names: dict) -> dict:
    """The analytics figures with this machine's log paths replaced by their names in the bundle."""
    for f in d.get("files", []):
        f["path"] = names.get(str(Path(f["path"])), Path(f["path"]).name)
    for e in d.get("malformed_examples", []):
        e["file"] = names.get(str(Path(e["file"])), Path(e["file"]).name)
    return d
