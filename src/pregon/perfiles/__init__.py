"""Each institute's rules for its difusores oficiales, as data: one TOML file per call (`<id>.toml` here).

A profile says what the call says and nothing more: its elections, the publication window and how it ends,
the cadence and lag, the transport, the web server, the difusor's duties, the memoria técnica and the drills.
`pregon instituto init --perfil`, `pregon difusor init --perfil` and `pregon simulacro --perfil` read it. A call
that states no date for something (a registration deadline) has no key for it: the operator sets it in
instituto.toml [calendar].

    p = load("iepc-dgo-2022")
    p.window.end_rule            # "hours_or_captured"
    p.window.last_cut()          # 2022-06-06T20:00-05:00: 24 h after the start, unless captured first
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

from ..configschema import LD, LI, B, D, I, L, N, S, T, check
from ..errors import InputError

END_RULES = ("at", "at_least", "hours_or_captured")
METHODS = ("sftp", "rsync", "pull", "frame")
SERVERS = ("apache", "nginx", "iis", "any")

SCHEMA = {
    "profile": {"id": S(nonempty=True), "institute": S(nonempty=True), "name": S(nonempty=True),
                "call": S(nonempty=True), "entidad": I(1, 32), "timezone": S(nonempty=True),
                "proceso_id": S(nonempty=True), "proceso": S(nonempty=True), "simulation": S(nonempty=True),
                "elections": L},
    "window": {"start": T, "end": T, "end_rule": S(choices=END_RULES), "end_hours": N(1, 24 * 30),
               "keep_until": T},
    "cadence": {"minutes": N(1, 240), "per_package": B, "lag_limit_seconds": N(1, 3600)},
    "transport": {"methods": L, "ports": LI, "single_source_ip": B, "bandwidth_mb_s": N(0.1, 100_000)},
    "web": {"servers": L, "main_json_rule": B, "cdn": S(choices=("advised", "purge")),
            "high_availability": S(choices=("preferred", "required"))},
    "duties": {"https": B, "ntp": B, "syslog": B, "ddos": B, "exclusive_server": B, "auto_apply": B,
               "keep_packages": B, "statistics": L, "availability_pct": N(50, 100), "content_seconds": N(1, 600)},
    "memoria": {"logs_from": D, "logs_to": D, "contents": L, "due": D},
    "drills": {"dates": LD, "hours": S(nonempty=True)},
    "blocking": {"actions": L},
}


@dataclass(frozen=True)
class Window:
    start: datetime  # aware, in the profile's zone
    end_rule: str
    end: datetime | None = None  # "at", "at_least": the last corte
    end_hours: float | None = None  # "hours_or_captured": the last corte this long after the start at the latest
    keep_until: datetime | None = None  # the last results stay published until then

    def last_cut(self) -> datetime:
        """When the last corte is taken at the latest (an early end by capture can only come before)."""
        if self.end_rule == "hours_or_captured":
            return self.start + timedelta(hours=self.end_hours)
        return self.end

    def published_until(self) -> datetime:
        """Until when the difusor keeps the last results public."""
        return self.keep_until or self.last_cut()


@dataclass(frozen=True)
class Cadence:
    minutes: float
    per_package: bool = False
    lag_limit_seconds: float | None = None


@dataclass(frozen=True)
class Transport:
    methods: tuple[str, ...]
    ports: tuple[int, ...] = (22,)
    single_source_ip: bool = False
    bandwidth_mb_s: float | None = None


@dataclass(frozen=True)
class Web:
    servers: tuple[str, ...]
    main_json_rule: bool = True
    cdn: str | None = None
    high_availability: str | None = None


@dataclass(frozen=True)
class Duties:
    https: bool = False
    ntp: bool = False
    syslog: bool = False
    ddos: bool = False
    exclusive_server: bool = False
    auto_apply: bool = False
    keep_packages: bool = False
    statistics: tuple[str, ...] = ()
    availability_pct: float | None = None
    content_seconds: float | None = None


@dataclass(frozen=True)
class Memoria:
    logs_from: date | None = None
    logs_to: date | None = None
    contents: tuple[str, ...] = ()
    due: date | None = None

    @property
    def required(self) -> bool:
        return bool(self.contents)


@dataclass(frozen=True)
class Profile:
    id: str
    institute: str
    name: str
    call: str
    entidad: int
    timezone: str
    proceso_id: str
    proceso: str
    simulation: str
    elections: tuple[str, ...]
    window: Window
    cadence: Cadence
    transport: Transport
    web: Web
    duties: Duties = field(default_factory=Duties)
    memoria: Memoria = field(default_factory=Memoria)
    drills: tuple[date, ...] = ()
    drill_hours: str | None = None
    blocking: tuple[str, ...] = ()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def names() -> list[str]:
    """The profiles shipped with pregon."""
    return sorted(p.name[:-5] for p in resources.files(__package__).iterdir() if p.name.endswith(".toml"))


def load(name: str) -> Profile:
    """A shipped profile by id; one line naming the known ones otherwise."""
    if name not in names():
        raise InputError(f"--perfil {name!r}: no such profile; use one of {', '.join(names())}")
    where = f"perfiles/{name}.toml"
    return from_dict(tomllib.loads(resources.files(__package__).joinpath(f"{name}.toml").read_text("utf-8")), where)


def from_dict(data: dict, where: str) -> Profile:
    check(data, SCHEMA, where)
    for table in ("profile", "window", "cadence", "transport", "web"):
        if table not in data:
            raise InputError(f"{where}: [{table}] is required")
    p = data["profile"]
    missing = [k for k in SCHEMA["profile"] if k not in p]
    if missing:
        raise InputError(f"{where} [profile]: {missing[0]} is required")
    tz = _zone(p["timezone"], f"{where} [profile] timezone")
    w = data["window"]
    for key in ("start", "end_rule"):
        if key not in w:
            raise InputError(f"{where} [window]: {key} is required")
    need = "end_hours" if w["end_rule"] == "hours_or_captured" else "end"
    if need not in w:
        raise InputError(f"{where} [window]: end_rule = {w['end_rule']!r} needs {need}")
    window = Window(start=_local(w["start"], tz), end_rule=w["end_rule"],
                    end=_local(w["end"], tz) if "end" in w else None, end_hours=w.get("end_hours"),
                    keep_until=_local(w["keep_until"], tz) if "keep_until" in w else None)
    if window.last_cut() <= window.start:
        raise InputError(f"{where} [window]: the end must be after the start")
    if window.keep_until is not None and window.keep_until < window.last_cut():
        raise InputError(f"{where} [window] keep_until: before the last corte")
    c, t, web = data["cadence"], data["transport"], data["web"]
    if "minutes" not in c:
        raise InputError(f"{where} [cadence]: minutes is required")
    for name, values, known in (("[transport] methods", t.get("methods", []), METHODS),
                                ("[web] servers", web.get("servers", []), SERVERS)):
        bad = [v for v in values if v not in known]
        if bad or not values:
            raise InputError(f"{where} {name}: {bad[0] if bad else 'empty'!r}: use some of {', '.join(known)}")
    drills = data.get("drills", {})
    return Profile(
        **{k: p[k] for k in ("id", "institute", "name", "call", "entidad", "timezone", "proceso_id", "proceso",
                             "simulation")},
        elections=tuple(p["elections"]), window=window,
        cadence=Cadence(**c), transport=_of(Transport, t), web=_of(Web, web),
        duties=_of(Duties, data.get("duties", {})), memoria=_of(Memoria, data.get("memoria", {})),
        drills=tuple(drills.get("dates", ())), drill_hours=drills.get("hours"),
        blocking=tuple(data.get("blocking", {}).get("actions", ())))


def _of(cls, table: dict):
    """A dataclass from a checked table, lists as tuples."""
    names_ = {f.name for f in fields(cls)}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in table.items() if k in names_})


def _zone(name: str, where: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        raise InputError(f"{where}: {name!r} is not a time zone") from None


def _local(t, tz: ZoneInfo) -> datetime:
    """A TOML local date-time read in the profile's zone (one with an offset is kept as given)."""
    if isinstance(t, str):
        t = datetime.fromisoformat(t)
    return t if t.tzinfo is not None else t.replace(tzinfo=tz)
