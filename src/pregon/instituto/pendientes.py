"""Who is missing what before each date of the call: `pregon instituto difusores list --pendientes`.

The dates are instituto.toml [calendar]; when it names no drills (or no memoria date), the profile of
[profile] id gives them. Per date, what the operator has to chase:
- registration_until: the registration fields the call's forms ask (contacts, server, method details with
  the host key for push, the institute's extra fields), the logo and the carta compromiso;
- infrastructure_ready: for push, the pinned host key and SSH details, and whether a push ever succeeded;
  for everyone, whether the monitor ever reached its `enlace` (a frame difusor's framing page);
- each drill: which earlier drills the difusor missed (a past drill: whether it attended);
- list_published: blocked, or registration still incomplete (it would not be listed as complete);
- memoria_due: the date only; the registry does not record memorias received.

Pure: the records, the deliveries and observations as read, and the date to judge at go in; a JSON-ready
report comes out, and `to_text` prints it one line per difusor per missing thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from ..errors import InputError
from .registry import PUSH_METHODS, Difusor

ORDER = ("registration_until", "infrastructure_ready", "drill", "list_published", "memoria_due")
LABELS = {
    "registration_until": "registration closes",
    "infrastructure_ready": "infrastructure ready",
    "drill": "drill (simulacro)",
    "list_published": "list of difusores oficiales published",
    "memoria_due": "memorias técnicas due (not tracked here)",
}
# what each field is, for the operator
FIELDS = {
    "tecnico.nombre": "name of the technical contact", "tecnico.telefono": "phone of the technical contact",
    "tecnico.movil": "mobile phone of the technical contact",
    "legal.nombre": "name of the legal contact", "legal.telefono": "phone of the legal contact",
    "legal.movil": "mobile phone of the legal contact",
    "servidor.host": "server IP address or domain", "servidor.software": "server software",
    "servidor.hardware": "server hardware", "servidor.energia": "power supply (UPS, generator)",
    "servidor.red": "network links",
    "transfer.host": "SSH address to push to", "transfer.user": "SSH user for the push",
    "transfer.path": "inbox directory for the push", "transfer.host_key": "SSH host key to pin",
    "logo": "vector logo (SVG or PDF-compatible .ai)", "carta": "carta compromiso (commitment letter)",
    "entidad": "entidad federativa", "ip_registro": "IP address to register", "url_pruebas": "test site URL",
    "url_oficial": "official site URL", "diagrama": "service diagram (PDF, SVG or PNG)",
    "personal": "staff list with roles",
}
BASE_FORM = ("tecnico.nombre", "tecnico.telefono", "legal.nombre", "legal.telefono", "servidor.host",
             "servidor.software", "servidor.hardware", "servidor.energia", "servidor.red")
# what each institute's registration annex asks beyond the common fields (profile id without its year)
FORMS = {
    "ieem": ("tecnico.movil", "legal.movil"),
    "impepac": ("tecnico.movil", "legal.movil"),
    "iem": ("entidad", "ip_registro", "url_pruebas", "url_oficial"),
    "iepc-chis": ("diagrama", "personal"),
}


@dataclass(frozen=True)
class Deadline:
    key: str  # one of ORDER
    date: date
    source: str  # "calendar" or "profile <id>"


def form_fields(profile: str | None) -> tuple[str, ...]:
    """The extra registration fields of the call `profile` names (ieem-2021 -> ieem)."""
    if not profile:
        return ()
    head, _, year = profile.rpartition("-")
    return FORMS.get(head if year.isdigit() else profile, ())


def _value(d: Difusor, name: str):
    obj = d
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def registration_gaps(d: Difusor, profile: str | None = None) -> list[str]:
    """The registration fields still empty, in form order; frame difusores (method 2) host nothing, so their
    server details are not asked."""
    wanted = [f for f in BASE_FORM if not (d.transfer.method == "frame" and f.startswith("servidor."))]
    if d.transfer.method in PUSH_METHODS:
        wanted += ["transfer.user", "transfer.path", "transfer.host_key"]
    wanted += list(form_fields(profile))
    out = [f for f in wanted if not _value(d, f)]
    if d.transfer.method in PUSH_METHODS and not d.push_host:
        out.append("transfer.host")
    if not d.logo:
        out.append("logo")
    if not d.carta_recibida:
        out.append("carta")
    return out


def infrastructure_gaps(d: Difusor, deliveries, observations) -> list[tuple[str, str]]:
    """(field, what is wrong) for the infrastructure the call wants ready: SSH details for push, a push that
    went through, an `enlace` the monitor reached."""
    out = []
    if d.transfer.method in PUSH_METHODS:
        missing = [f for f in ("transfer.user", "transfer.path", "transfer.host_key") if not _value(d, f)]
        if not d.push_host:
            missing.insert(0, "transfer.host")
        if missing:
            out.append(("ssh", "SSH details missing: " + ", ".join(FIELDS[f] for f in missing)))
        else:
            mine = [x for x in deliveries if x.get("difusor") == d.id]
            if not any(x.get("result") == "ok" for x in mine):
                last = mine[-1] if mine else None
                why = f"; last attempt: {last.get('error') or last.get('result')}" if last else ""
                out.append(("push", f"no package delivered yet over {d.transfer.method}{why}"))
    mine = [o for o in observations if o.get("difusor") == d.id]  # a frame difusor: its framing page
    if not any(o.get("up") for o in mine):
        last = mine[-1] if mine else None
        why = f"; last: {last.get('status')} {last.get('error') or ''}".rstrip() if last else ""
        out.append(("monitor", f"the monitor has never reached {d.enlace}{why}"))
    return out


def drill_gaps(d: Difusor, drill: date, drills: list[date], at: date) -> list[tuple[str, str]]:
    """A past drill: whether it attended. An upcoming one: the earlier drills it missed."""
    attended = set(d.simulacros)
    if drill < at:
        return [] if drill.isoformat() in attended else [("simulacro", "did not attend")]
    missed = [p.isoformat() for p in drills if p < drill and p < at and p.isoformat() not in attended]
    if not missed:
        return []
    held = sum(1 for p in drills if p < drill and p < at)
    return [("simulacros", f"missed {len(missed)} of {held} earlier drill(s): {', '.join(missed)}")]


def list_gaps(d: Difusor, profile: str | None = None) -> list[tuple[str, str]]:
    if not d.active:
        b = d.bloqueo or {}
        return [("estado", f"blocked since {b.get('fecha', '?')}: {b.get('motivo', '')}".rstrip(": "))]
    gaps = registration_gaps(d, profile)
    return [("registro", "registration incomplete: " + ", ".join(gaps))] if gaps else []


def dates(calendar: dict, *, drills=(), memoria_due: date | None = None, profile: str | None = None) -> list[Deadline]:
    """The call's dates in order: [calendar] first, the profile's drills and memoria date as fallback."""
    src = f"profile {profile}" if profile else "profile"
    out = [Deadline(k, calendar[k], "calendar") for k in ("registration_until", "infrastructure_ready",
                                                          "list_published", "memoria_due") if k in calendar]
    if "memoria_due" not in calendar and memoria_due is not None:
        out.append(Deadline("memoria_due", memoria_due, src))
    if calendar.get("drills"):
        out += [Deadline("drill", x, "calendar") for x in calendar["drills"]]
    else:
        out += [Deadline("drill", x, src) for x in drills]
    return sorted(set(out), key=lambda x: (x.date, ORDER.index(x.key)))


def deadlines(cfg) -> list[Deadline]:
    """The dates for an instituto Config: [calendar], and [profile] id's drills as fallback."""
    drills, due = (), None
    if cfg.profile:
        from .. import perfiles

        p = perfiles.load(cfg.profile)
        drills, due = p.drills, p.memoria.due
    out = dates(cfg.calendar, drills=drills, memoria_due=due, profile=cfg.profile)
    if not out:
        raise InputError(f"{cfg.source or 'instituto.toml'}: no dates to judge against: set [calendar] "
                         "registration_until, infrastructure_ready, drills, list_published (or [profile] id for "
                         "the call's drill dates)")
    return out


def parse_at(text: str, tz: tzinfo) -> date:
    """--at: a date, or an ISO 8601 time (its date in the institute's zone)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        pass
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"--at {text!r}: expected a date YYYY-MM-DD (or an ISO 8601 time)") from None
    return (t.astimezone(tz) if t.tzinfo is not None else t).date()


def pending(difusores: list[Difusor], deadlines_: list[Deadline], at: date, *, profile: str | None = None,
            include_blocked: bool = False, deliveries=(), observations=()) -> dict:
    """The report: per date (in order), whether it is past, and one item per difusor per missing thing."""
    ds = sorted(difusores, key=lambda d: d.id)
    considered = [d for d in ds if include_blocked or d.active]
    drills = sorted(x.date for x in deadlines_ if x.key == "drill")
    out = []
    for dl in deadlines_:
        items = []
        if dl.key == "registration_until":
            for d in considered:
                items += [(d.id, f, "missing: " + FIELDS[f]) for f in registration_gaps(d, profile)]
        elif dl.key == "infrastructure_ready":
            for d in considered:
                items += [(d.id, f, text) for f, text in infrastructure_gaps(d, deliveries, observations)]
        elif dl.key == "drill":
            for d in considered:
                items += [(d.id, f, text) for f, text in drill_gaps(d, dl.date, drills, at)]
        elif dl.key == "list_published":
            for d in ds:
                items += [(d.id, f, text) for f, text in list_gaps(d, profile)]
        days = (dl.date - at).days
        out.append({"key": dl.key, "label": LABELS[dl.key], "date": dl.date.isoformat(), "source": dl.source,
                    "days": days, "state": "past" if days < 0 else "today" if days == 0 else "upcoming",
                    "items": [{"difusor": i, "field": f, "detail": t} for i, f, t in items]})
    return {"at": at.isoformat(), "profile": profile, "difusores": len(considered), "deadlines": out}


def _when(dl: dict) -> str:
    n = dl["days"]
    if n < 0:
        return f"PAST, {-n} day{'s' if n != -1 else ''} ago"
    if n == 0:
        return "TODAY"
    return f"in {n} day{'s' if n != 1 else ''}"


def to_text(report: dict) -> str:
    lines = [f"pending as of {report['at']}" + (f" (profile {report['profile']})" if report["profile"] else "")
             + f"; {report['difusores']} difusor(es)"]
    for dl in report["deadlines"]:
        who = sorted({i["difusor"] for i in dl["items"]})
        summary = (f"{len(who)} difusor(es), {len(dl['items'])} item(s)" if dl["items"] else
                   "date only" if dl["key"] == "memoria_due" else "nothing missing")
        lines.append(f"{dl['date']}  {dl['label']:<40} {_when(dl):<18} {summary}")
        for i in dl["items"]:
            lines.append(f"    {i['difusor']:<22} {i['field']:<18} {i['detail']}")
    return "\n".join(lines) + "\n"
