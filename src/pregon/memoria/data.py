"""What the memoria técnica says, gathered as plain data: registration, period, cuts, incidents, figures.

    cfg, registro = load_settings(Path("difusor.toml"), registro_file=None)
    entries = read_jsonl(cfg.journal)
    cuts = published_cuts(entries, start, end, archive=cfg.archive)
    incidents = incidents_of(entries, start, end)

Every time here is an aware datetime; the rendering layer turns them into es-MX text in the configured zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..configfile import read_toml
from ..errors import InputError

SCHEMA = "pregon.memoria/1"

# [registro]: the difusor's registration data, in the order the memoria shows it (key -> label)
REGISTRO_FIELDS = {
    "nombre": "Medio de comunicación",
    "razon_social": "Razón social",
    "sitio": "Sitio web",
    "enlace": "Enlace propuesto al PREP",
    "contacto_tecnico": "Contacto técnico",
    "contacto_legal": "Contacto legal",
    "ip": "Dirección IP del servidor",
    "software": "Software del servidor",
    "hardware": "Hardware del servidor",
    "energia": "Energía (respaldo eléctrico)",
    "red": "Red y enlace a internet",
}
CONTACT_KEYS = ("nombre", "cargo", "correo", "telefono")

# a published cut is late when it went live more than this after the institute published it (Durango)
MAX_LAG_S = 60


# --- configuration -------------------------------------------------------------------------------------------


def load_settings(path: Path, registro_file: Path | None = None):
    """(difusor Config, registro dict) from difusor.toml.

    The optional `[registro]` table is the memoria's to check (the receiver ignores it). `registro_file`, when
    given, is a TOML file with a `[registro]` table (or the same keys at top level) and wins over the one in
    difusor.toml.
    """
    from ..difusor.config import config_from_dict

    path = Path(path)
    data = read_toml(path, "write a difusor.toml; see docs/difusor-operations.md")
    registro = data.pop("registro", {})
    where = f"{path} [registro]"
    if registro_file is not None:
        other = read_toml(Path(registro_file), "give the TOML file with the difusor's [registro] table")
        registro = other.get("registro", other)
        where = f"{registro_file} [registro]" if "registro" in other else str(registro_file)
    cfg = config_from_dict(data, base=path.parent, source=path)
    return cfg, check_registro(registro, where)


def check_registro(table, where: str) -> dict:
    """The [registro] table with its values as text (contacts as dicts of text); unknown keys refused."""
    if not isinstance(table, dict):
        raise InputError(f"{where}: expected a table of registration data")
    out = {}
    for key, value in table.items():
        if key not in REGISTRO_FIELDS:
            raise InputError(f"{where}: unknown key {key!r} (known: {', '.join(REGISTRO_FIELDS)})")
        if key.startswith("contacto_") and isinstance(value, dict):
            extra = sorted(set(value) - set(CONTACT_KEYS))
            if extra:
                raise InputError(f"{where} {key}: unknown key {extra[0]!r} (known: {', '.join(CONTACT_KEYS)})")
            out[key] = {k: str(value[k]) for k in CONTACT_KEYS if k in value}
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            out[key] = str(value)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[key] = ", ".join(value)
        else:
            raise InputError(f"{where} {key}: expected text")
    return {k: out[k] for k in REGISTRO_FIELDS if k in out}


# --- the journal ---------------------------------------------------------------------------------------------


def _t(text) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def timed_entries(entries) -> list[tuple[datetime, dict]]:
    """Journal entries with a readable time, in time order (stable for equal times)."""
    out = []
    for e in entries:
        t = _t(e.get("time"))
        if t is not None and isinstance(e.get("event"), str):
            out.append((t, e))
    out.sort(key=lambda te: te[0])
    return out


@dataclass
class Cut:
    sequence: int  # package sequence
    corte_sequence: int | None
    corte_instant: datetime | None
    package: str | None
    release: str | None
    arrival: datetime | None  # received (archived) by this difusor
    activation: datetime  # went live (`current` swapped to it)
    created: datetime | None = None  # the institute signed the package (manifest `created`), when readable
    published_until: datetime | None = None  # next activation, or the end of the period
    lag_corte_s: float | None = None  # activation - corte instant
    lag_institute_s: float | None = None  # activation - created
    transfer_s: float | None = None  # activation - arrival

    @property
    def late(self) -> bool:
        return self.lag_institute_s is not None and self.lag_institute_s > MAX_LAG_S

    @property
    def published_s(self) -> float | None:
        if self.published_until is None:
            return None
        return (self.published_until - self.activation).total_seconds()

    def to_dict(self) -> dict:
        iso = lambda t: None if t is None else t.isoformat()
        return {
            "sequence": self.sequence, "corte_sequence": self.corte_sequence, "corte_instant": iso(self.corte_instant),
            "package": self.package, "release": self.release, "arrival": iso(self.arrival),
            "activation": iso(self.activation), "created": iso(self.created),
            "published_until": iso(self.published_until), "published_s": _r(self.published_s),
            "lag_corte_s": _r(self.lag_corte_s), "lag_institute_s": _r(self.lag_institute_s),
            "transfer_s": _r(self.transfer_s), "late": self.late,
        }


def _r(x):
    return None if x is None else round(float(x), 3)


def _created_from_archive(archive: Path | None, name: str | None) -> datetime | None:
    """The manifest's `created` of an archived package (None when unreadable; the memoria never fails on it)."""
    if archive is None or not name:
        return None
    p = Path(archive) / name
    if not p.is_file():
        return None
    try:
        from ..package.verify import read_unverified

        m, _mb, _sig = read_unverified(p)
    except Exception:  # noqa: BLE001 - a damaged archive entry only loses this one figure
        return None
    return m.created


def published_cuts(entries, start: datetime, end: datetime, *, archive: Path | None = None) -> list[Cut]:
    """Cuts that went live during [start, end): from `activated` entries, and `staged` ones that went live later
    through a `published` entry (e.g. a cut received before the window opened)."""
    timed = timed_entries(entries)
    received: dict[str, tuple[datetime, dict]] = {}
    staged: dict[str, tuple[datetime, dict]] = {}  # release -> the staged entry
    lives: list[tuple[datetime, dict]] = []  # (activation time, the activated/staged entry)
    switches: list[datetime] = []  # every swap of `current`, to close the previous cut's time on line
    for t, e in timed:
        ev = e["event"]
        if ev == "received" and e.get("package"):
            received[e["package"]] = (t, e)
        elif ev in ("activated", "staged") and e.get("kind") != "notice" and e.get("release"):
            e = {**e, "_received": received.get(e.get("package"))}
            if ev == "activated":
                lives.append((t, e))
                switches.append(t)
            else:
                staged[e["release"]] = (t, e)
        elif ev == "published" and e.get("release"):
            switches.append(t)
            st = staged.pop(e["release"], None)
            if st is not None:
                lives.append((t, st[1]))
        elif ev == "notice":
            switches.append(t)
    lives.sort(key=lambda le: le[0])
    switches.sort()
    cuts = []
    for t, e in lives:
        if not start <= t < end:
            continue
        corte = e.get("corte") or {}
        rec = e.get("_received")
        arrival = rec[0] if rec else None
        archive_name = rec[1].get("archive") if rec else None
        created = _created_from_archive(archive, archive_name)
        instant = _t(corte.get("instant"))
        later = [s for s in switches if s > t]
        until = min(later[0], end) if later else end
        cuts.append(Cut(
            sequence=int(e.get("sequence", 0)), corte_sequence=corte.get("sequence"), corte_instant=instant,
            package=e.get("package"), release=e.get("release"), arrival=arrival, activation=t, created=created,
            published_until=until,
            lag_corte_s=(t - instant).total_seconds() if instant else None,
            lag_institute_s=(t - created).total_seconds() if created else None,
            transfer_s=(t - arrival).total_seconds() if arrival else None,
        ))
    return cuts


# --- incidents -----------------------------------------------------------------------------------------------

_TITLES = {
    "refused": "Paquete rechazado",
    "error": "Error al procesar un paquete",
    "ignored": "Paquete recibido después de la ventana",
    "stale": "Corte publicado vencido",
    "clock-unsynchronised": "Reloj del sistema sin sincronizar (NTP)",
    "disk": "Disco lleno",
    "disk-low": "Poco espacio en disco",
    "hook-failed": "Falló la acción posterior a la activación",
    "recovered": "Recuperación tras una interrupción",
    "notice": "Aviso del instituto",
    "stopped": "Receptor detenido",
    "inbox-incident": "No se pudo leer el buzón",
    "archive-incident": "No se pudo archivar un paquete",
    "pull-incident": "Falló la descarga desde el instituto",
    "release-incident": "Falta la versión publicada",
    "status-incident": "No se pudo escribir el estado",
}
_UNTIL_NEXT_CUT = ("refused", "error", "ignored", "stale", "hook-failed", "recovered")
_REPLACING = ("withdrawal", "not-official", "suspension")


@dataclass
class Incident:
    time: datetime
    event: str
    level: str
    title: str
    detail: str
    impact: str  # what it meant for publication, in Spanish
    duration_s: float | None = None  # how long the public saw an older/stale cut, or the condition lasted
    resolved: datetime | None = None
    data: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "time": self.time.isoformat(), "event": self.event, "level": self.level, "title": self.title,
            "detail": self.detail, "impact": self.impact, "duration_s": _r(self.duration_s),
            "resolved": None if self.resolved is None else self.resolved.isoformat(), "data": self.data,
        }


def _detail(e: dict, tz=None) -> str:
    if e["event"] == "refused":
        return f"{e.get('package') or '?'}: [{e.get('reason') or '?'}] {e.get('detail') or ''}".strip()
    if e["event"] == "notice":
        n = e.get("notice") or {}
        return f"{n.get('type', '?')}: {n.get('message', '')}".strip()
    if e["event"] == "hook-failed":
        return f"{e.get('command', '')} → código {e.get('code', '?')} {e.get('detail') or e.get('stderr') or ''}".strip()
    parts = []
    if e.get("package"):
        parts.append(str(e["package"]))
    if e["event"] == "stale":
        from .fmt import when

        expired = _t(e.get("expired"))
        text = when(expired, tz) if (expired and tz) else (e.get("expired") or "?")
        return f"Paquete {e.get('sequence', '?')}: su manifiesto vencía a las {text} sin que llegara un corte nuevo"
    if e.get("detail"):
        parts.append(str(e["detail"]))
    return ": ".join(parts) or "-"


def is_incident(e: dict) -> bool:
    ev = e["event"]
    if ev in ("started",) or ev.endswith("-resolved"):
        return False
    if ev in _TITLES:
        return True
    return e.get("level") in ("warning", "error")


def incidents_of(entries, start: datetime, end: datetime, tz=None) -> list[Incident]:
    """Every incident journaled during [start, end), with its impact on publication."""
    from .fmt import duration

    timed = timed_entries(entries)
    activations = [t for t, e in timed if e["event"] in ("activated", "published")]
    out = []
    for i, (t, e) in enumerate(timed):
        if not (start <= t < end) or not is_incident(e):
            continue
        ev = e["event"]
        later = [a for a in activations if a > t]
        nxt = later[0] if later and later[0] < end else None
        resolved = None
        duration_s = None
        if ev in _UNTIL_NEXT_CUT:
            if nxt is not None:
                duration_s = (nxt - t).total_seconds()
                what = "vencido" if ev == "stale" else "anterior"
                impact = f"Se mantuvo publicado el corte {what} durante {duration(duration_s)}, hasta la siguiente activación."
            else:
                duration_s = (end - t).total_seconds()
                impact = "Se mantuvo publicado el corte anterior; no hubo otra activación en el periodo."
            if ev == "ignored":
                impact = "Ninguno: la ventana de publicación había terminado; el último corte siguió publicado."
                duration_s = None
            elif ev == "hook-failed":
                impact = ("El corte sí se activó; la purga de caché o acción posterior falló. " + impact
                          if nxt else "El corte sí se activó; la purga de caché o acción posterior falló.")
        elif ev == "notice":
            n = e.get("notice") or {}
            if n.get("type") in _REPLACING:
                duration_s = ((nxt or end) - t).total_seconds()
                impact = f"El aviso sustituyó al sitio durante {duration(duration_s)}."
            else:
                impact = "Aviso informativo; el corte siguió publicado."
        elif ev == "stopped":
            restart = next((u for u, f in timed[i + 1:] if f["event"] == "started"), None)
            resolved = restart
            duration_s = (min(restart or end, end) - t).total_seconds()
            impact = (f"El sitio siguió sirviendo el último corte; la recepción estuvo detenida {duration(duration_s)}."
                      if restart else "La recepción no se reanudó en el periodo; el sitio siguió sirviendo el último corte.")
        else:
            key = ev.removesuffix("-incident")
            fix = next((u for u, f in timed[i + 1:] if f["event"] == f"{key}-resolved"), None)
            resolved = fix
            if fix is not None:
                duration_s = (min(fix, end) - t).total_seconds()
                impact = f"Condición resuelta tras {duration(duration_s)}; el último corte válido siguió publicado."
            else:
                duration_s = (end - t).total_seconds()
                impact = "Sin resolución registrada en la bitácora; el último corte válido siguió publicado."
            if ev == "clock-unsynchronised":
                impact = ("Las horas registradas pueden estar desfasadas; la publicación no se detuvo. "
                          "Sin resolución registrada en la bitácora.")
        data = {k: v for k, v in e.items() if k not in ("time", "event", "level")}
        out.append(Incident(time=t, event=ev, level=str(e.get("level", "info")), title=_TITLES.get(ev, ev),
                            detail=_detail(e, tz), impact=impact, duration_s=duration_s, resolved=resolved, data=data))
    return out


def journal_summary(entries, start: datetime, end: datetime) -> dict:
    """Counts of journal events in the period, by event name (sorted)."""
    counts: dict[str, int] = {}
    for t, e in timed_entries(entries):
        if start <= t < end:
            counts[e["event"]] = counts.get(e["event"], 0) + 1
    return dict(sorted(counts.items()))
