"""Put the memoria together: figures, journal, bundle, HTML, PDF and datos.json in one output directory.

    result = build(Options(config=Path("difusor.toml"), out=Path("memoria"), ...))

Output DIR: memoria.html, memoria.pdf (unless pdf=False), logs-<from>-<to>.tar.gz, SHA256SUMS, datos.json.
With `availability` (the institute's availability report), the cuts section carries the "Disponibilidad"
table per day and month against the call's threshold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..durable import sha256_file
from ..errors import InputError
from . import bundle as bundle_mod
from . import data, render
from .definitions import spanish_definitions
from .logs import bundle_names, expand_logs, in_period, portable, portable_warnings


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


def build(opts: Options, *, note=lambda m: None) -> Result:
    cfg, registro = data.load_settings(opts.config, opts.registro)
    start, end = _period(opts, cfg)
    logs, comments, availability = _inputs(opts, cfg)
    report = _analyze(opts, cfg, logs, start, end)
    cuts, incidents, counts = _journal(cfg, start, end)
    out = _out_dir(opts.out)
    logs_bundle = _bundle(logs, report, cfg, start, end, out)
    report.warnings = portable_warnings(report.warnings, logs_bundle.names)

    date = opts.date or end
    ctx = render.context(cfg=cfg, registro=registro, start=start, end=end, report=report, cuts=cuts,
                         incidents=incidents, journal_counts=counts, bundle_name=logs_bundle.path.name,
                         bundle_sha256=logs_bundle.sha256, logs=logs_bundle.rows, excluded=logs_bundle.excluded,
                         comments=comments, date=date, availability=availability, frame=opts.frame)
    files = _documents(ctx, out, pdf=opts.pdf, date=date, note=note)
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
        "logs": logs_bundle.to_dict(),
        "availability": availability,
        "analytics": portable(report.to_dict(), logs_bundle.names),
        "comments": comments,
    }
    (out / "datos.json").write_text(json.dumps(datos, ensure_ascii=False, indent=1, default=str) + "\n", "utf-8")
    files += [logs_bundle.path.name, "SHA256SUMS", "datos.json"]
    return Result(out=out, files=files, headline=ctx["headline"], cuts=len(cuts), incidents=len(incidents))


# --- the steps of build() ------------------------------------------------------------------------------------


def _period(opts: Options, cfg) -> tuple[datetime, datetime]:
    start = opts.start or cfg.window_start
    end = opts.end or cfg.window_end
    if start is None or end is None:
        raise InputError("the PREP period is unknown: give --from and --to, or set [window] start and end in "
                         f"{cfg.source}")
    if end <= start:
        raise InputError(f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    return start, end


def _inputs(opts: Options, cfg) -> tuple[list[Path], str | None, dict | None]:
    """(logs, comments, availability), every input checked before the (long) analysis starts."""
    if opts.baseline is not None and opts.baseline[1] <= opts.baseline[0]:
        raise InputError("the baseline period ends before it starts")
    logs = expand_logs(opts.logs, cfg)
    if not cfg.journal.exists() and not opts.frame:
        raise InputError(f"{cfg.journal}: no such file; the memoria needs the receiver's journal "
                         "([difusor] journal in the config; `pregon difusor run` writes it; a method-2 difusor, "
                         "which frames the official site, passes --frame)")
    comments = _read_comments(opts.comments) if opts.comments is not None else None
    availability = load_availability(opts.availability, cfg.id) if opts.availability is not None else None
    if opts.pdf and not render.weasyprint_available():
        raise InputError("the PDF needs WeasyPrint: pip install 'pregon[pdf]' (and its system libraries, e.g. "
                         "apt install libpango-1.0-0 libpangoft2-1.0-0), or pass --no-pdf for HTML only")
    return logs, comments, availability


def _read_comments(path: Path) -> str:
    try:
        return Path(path).read_text("utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file (--comments takes a text or Markdown file)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read as UTF-8 text: {exc}") from None


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


def _analyze(opts: Options, cfg, logs: list[Path], start: datetime, end: datetime):
    """The analytics Report of the period (and baseline), its definitions in Spanish."""
    from ..analytics import analyze

    report = analyze(logs, start=start, end=end, baseline=opts.baseline, tz=cfg.tz.key,
                     monitor_agents=opts.monitor_agents, monitor_ips=opts.monitor_ips,
                     site_hosts=(cfg.serve.server_name,) if cfg.serve.server_name != "_" else (),
                     workers=opts.workers)
    report.definitions = spanish_definitions(report.parameters)
    return report


def _journal(cfg, start: datetime, end: datetime):
    """(published cuts, incidents, counts of events) of the period, from the receiver's journal (none for a
    method-2 difusor, which has no journal)."""
    from ..durable import read_jsonl

    entries = read_jsonl(cfg.journal) if cfg.journal.exists() else []
    cuts = data.published_cuts(entries, start, end, archive=cfg.archive)
    incidents = data.incidents_of(entries, start, end, cfg.tz)
    counts = data.journal_summary(entries, start, end)
    return cuts, incidents, counts


def _out_dir(path) -> Path:
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot create the directory: {exc.strerror or exc}") from None
    return out


def _stamp(t: datetime, tz) -> str:
    return t.astimezone(tz).strftime("%Y%m%dT%H%M")


@dataclass
class _LogsBundle:
    """The bundle written: where, its SHA-256, a row per log in it, the logs analysed but left out (no
    request in the period), and every log's name as the memoria gives it."""

    path: Path
    sha256: str
    rows: list[dict]
    excluded: list[str]
    names: dict[str, str]

    def to_dict(self) -> dict:
        return {"bundle": self.path.name, "sha256": self.sha256,
                "files": [{**r, "first": r["first"] and r["first"].isoformat(),
                           "last": r["last"] and r["last"].isoformat()} for r in self.rows],
                "analysed_not_bundled": self.excluded}


def _bundle(logs: list[Path], report, cfg, start: datetime, end: datetime, out: Path) -> _LogsBundle:
    """The logs of the period (every file with a request inside it, whole and unmodified) bundled, with
    SHA256SUMS."""
    by_path = {str(Path(f["path"])): f for f in report.files}
    period_logs = in_period(logs, by_path, start, end)
    if not period_logs:
        raise InputError(f"no request in the access logs falls between {start.isoformat()} and {end.isoformat()}; "
                         "check --from/--to and --logs")
    name = f"logs-{_stamp(start, cfg.tz)}-{_stamp(end, cfg.tz)}"
    bundle_path = out / f"{name}.tar.gz"
    bundled = bundle_mod.write_bundle(period_logs, bundle_path, dirname=name, mtime=int(end.timestamp()))
    bundle_sha = sha256_file(bundle_path)[1]
    bundle_mod.write_sums(out / "SHA256SUMS", [(bundle_path.name, bundle_sha)] + [(b.member, b.sha256) for b in bundled])
    rows = []
    for b in bundled:
        f = by_path.get(str(b.source), {})
        rows.append({"member": b.member, "size": b.size, "sha256": b.sha256, "lines": f.get("lines"),
                     "malformed": f.get("malformed"),
                     "first": datetime.fromisoformat(f["first"]) if f.get("first") else None,
                     "last": datetime.fromisoformat(f["last"]) if f.get("last") else None})
    bundled_sources = {str(b.source) for b in bundled}
    excluded = [p.name for p in logs if str(p) not in bundled_sources]
    return _LogsBundle(bundle_path, bundle_sha, rows, excluded, bundle_names(logs, bundled))


def _documents(ctx: dict, out: Path, *, pdf: bool, date: datetime, note) -> list[str]:
    """memoria.html, and memoria.pdf unless `pdf` is off; the names written."""
    html_text = render.render_html(ctx)
    (out / "memoria.html").write_text(html_text, "utf-8")
    files = ["memoria.html"]
    if pdf:
        try:
            render.render_pdf(html_text, out / "memoria.pdf", title=f"Memoria técnica del PREP — {ctx['nombre']}",
                              date=date)
        except (ImportError, OSError) as exc:
            raise InputError(f"WeasyPrint could not write the PDF ({exc}); install its libraries or pass --no-pdf") \
                from None
        files.append("memoria.pdf")
    else:
        note("pregon difusor memoria: --no-pdf: wrote memoria.html only (no PDF)")
    return files
