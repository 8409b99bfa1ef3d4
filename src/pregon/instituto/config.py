"""instituto.toml: where the feed is, where cuts, packages and the published directory go, the cadence,
the keys, the registry of difusores, and how distribution and the monitor behave.

```toml
[instituto]
name = "IMPEPAC"                      # issuer recorded in every manifest
feed = "eleccion"                     # election directory: catalog.toml, casillas.csv, actas/<EL>.csv (appended to)
work = "work"                         # sites/<seq>/, packages/, journal.jsonl, state.json, deliveries.jsonl
registry = "difusores"                # one <id>.json (+ <id>.svg) per difusor
pull_dir = "publicado"                # packages/ + index.json(.minisig): served by the official web server / CDN
key = "keys/pregon.key"               # minisign secret key (pregon package keygen)
ssh_key = "keys/id_ed25519"           # OpenSSH private key the institute pushes with (key auth only)
election = ""                         # optional: overrides proceso.id of the site

[profile]
id = "impepac-2021"                   # optional: the call's rules (pregon/perfiles/), for init and drills

[schedule]
start = "2024-06-02T20:00:00-06:00"   # first cut (ISO 8601 with offset)
end = "2024-06-03T20:00:00-06:00"     # last cut at or before this instant (the final cut)
final_cut = true                      # the cut at `end` is the último corte (participation with especiales)
end_when_captured = false             # Durango: the last corte comes earlier, as soon as every election has
                                      # 100 % of its actas esperadas captured and the institute has declared
                                      # recovery exhausted (`pregon instituto recovery-exhausted`)
cadence_minutes = 15                  # 15 (IMPEPAC, Durango) or 20 (IEEM, IEM)
full_every = 8                        # a full package at the start and every K cuts, deltas between
delta_format = 2                      # 2: a delta's manifest lists only the changes (docs/protocol.md 3.5);
                                      # 1 while a difusor runs a verifier that knows only pregon-package/1
cut_retries = 3                       # a failed cut is retried this many times (journaled), then journaled failed
cut_retry_seconds = 20
ttl_hours = 48                        # package expiry after the corte instant

[source]                              # where the cortes come from (docs/instituto-operations.md)
kind = "feed"                         # feed: pregon's election feed above | database | site: drops of the
                                      # PREP system the institute already runs
dir = "entregas"                      # database / site: the directory it drops each corte into
ready = "rename"                      # rename: a drop is complete when it appears under its name (names
                                      # starting with '.' or ending .part/.tmp/.partial/.filepart are in
                                      # progress) | marker: when <drop><marker> appears beside it
marker = ".listo"
instant = "json"                      # site: json (instant_file → instant_field) | name | database
instant_file = "json/main.json"
instant_field = "corte.fecha"         # dotted path to an ISO 8601 time (or DD/MM/YYYY HH:MM[:SS], in timezone)
instant_pattern = "%Y%m%d_%H%M"       # instant = "name": strptime pattern found in the drop's name
timezone = "America/Mexico_City"      # for a local time without offset
main = "json/main.json"               # site: the file the monitor reads to tell which corte a difusor shows
poll_seconds = 2

[calendar]                            # the call's dates (`pregon instituto difusores list --pendientes`)
registration_until = 2024-05-01       # registration closes
infrastructure_ready = 2024-05-10     # difusores' infrastructure ready
list_published = 2024-05-20          # the list of difusores oficiales is published
drills = [2024-05-12, 2024-05-19, 2024-05-26]
memoria_due = 2024-06-16             # memorias técnicas handed in

[push]
timeout_seconds = 60                  # per attempt, per difusor
retries = 3                           # attempts after the first
backoff_seconds = 2.0                 # doubled each retry
concurrency = 64                      # difusores pushed at once

[monitor]
interval_seconds = 30
lag_limit_seconds = 60
sample_pages = 4
timeout_seconds = 10
dashboard = "work/monitor/index.html"
observations = "work/monitor/observations.jsonl"
alert_command = ""                    # optional; run by /bin/sh with PREGON_ALERT_* in the environment
```
Relative paths are relative to the directory of instituto.toml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..configfile import read_toml
from ..times import parse_instant
from ..configschema import LD, B, D, I, N, S, T, check
from ..errors import InputError

SOURCE_KINDS = ("feed", "database", "site")
_NAMES = dict(name=S(nonempty=True), feed=S(nonempty=True), work=S(nonempty=True), registry=S(nonempty=True),
              pull_dir=S(nonempty=True), key=S(nonempty=True), ssh_key=S(nonempty=True), election=S(),
              site_url=S(nonempty=True))
SCHEMA = {
    "instituto": _NAMES,
    "profile": {"id": S(nonempty=True)},
    "schedule": {"start": T, "end": T, "final_cut": B, "cadence_minutes": N(0.001, 24 * 60), "full_every": I(1, 10_000),
                 "delta_format": I(1, 2),
                 "cut_retries": I(0, 100), "cut_retry_seconds": N(0, 86_400), "ttl_hours": N(0.01, 24 * 365),
                 "end_when_captured": B},
    "calendar": {"registration_until": D, "infrastructure_ready": D, "list_published": D, "drills": LD,
                 "memoria_due": D},
    "source": {"kind": S(choices=SOURCE_KINDS), "dir": S(nonempty=True), "ready": S(choices=("rename", "marker")),
               "marker": S(nonempty=True), "instant": S(choices=("json", "name", "database")),
               "instant_file": S(nonempty=True), "instant_field": S(nonempty=True),
               "instant_pattern": S(nonempty=True), "timezone": S(nonempty=True), "main": S(nonempty=True),
               "poll_seconds": N(0.01, 3600)},
    "push": {"timeout_seconds": N(0.1, 86_400), "retries": I(0, 20), "backoff_seconds": N(0, 3600),
             "concurrency": I(1, 1024)},
    "monitor": {"interval_seconds": N(0.01, 86_400), "lag_limit_seconds": N(0, 86_400), "sample_pages": I(0, 100),
                "timeout_seconds": N(0.1, 3600), "dashboard": S(nonempty=True), "observations": S(nonempty=True),
                "alert_command": S()},
}


@dataclass
class PushConfig:
    timeout_seconds: float = 60.0
    retries: int = 3
    backoff_seconds: float = 2.0
    concurrency: int = 64


@dataclass
class SourceConfig:
    """Where cortes come from: pregon's feed, or drops of the institute's own PREP system."""

    kind: str = "feed"
    dir: Path | None = None
    ready: str = "rename"  # rename | marker
    marker: str = ".listo"
    instant: str = "json"  # site: json | name | database
    instant_file: str = "json/main.json"
    instant_field: str = "corte.fecha"
    instant_pattern: str = "%Y%m%d_%H%M"
    timezone: str = "America/Mexico_City"
    main: str = "json/main.json"
    poll_seconds: float = 2.0


@dataclass
class MonitorConfig:
    interval_seconds: float = 30.0
    lag_limit_seconds: float = 60.0
    sample_pages: int = 4
    timeout_seconds: float = 10.0
    dashboard: Path | None = None
    observations: Path | None = None
    alert_command: str | None = None
    main: str = "json/main.json"  # the file that tells which corte a difusor shows ([source] main)


@dataclass
class Config:
    base: Path
    name: str = "unspecified"
    feed: Path | None = None
    work: Path = Path("work")
    registry: Path = Path("difusores")
    pull_dir: Path | None = None
    key: Path | None = None
    ssh_key: Path | None = None
    election: str | None = None
    site_url: str | None = None  # the official site's public URL: frame snippets and check, pull credential URLs
    start: datetime | None = None
    end: datetime | None = None
    final_cut: bool = True  # whether the cut at `end` is the último corte
    end_when_captured: bool = False  # Durango: the último corte as soon as 100 % captured + recovery exhausted
    profile: str | None = None  # [profile] id: the call whose rules this institute follows (pregon.perfiles)
    calendar: dict = field(default_factory=dict)  # [calendar]: the call's dates, datetime.date each
    cadence: timedelta = timedelta(minutes=15)
    full_every: int = 8
    delta_format: int = 2  # package/build.py DELTA_FORMATS
    cut_retries: int = 3
    cut_retry_seconds: float = 20.0
    ttl: timedelta = timedelta(hours=48)
    push: PushConfig = field(default_factory=PushConfig)
    monitor: MonitorConfig = field(default_factory=MonitorConfig)
    source: Path | None = None  # the instituto.toml this came from
    cortes: SourceConfig = field(default_factory=SourceConfig)

    def __post_init__(self):
        self.base = Path(self.base)
        for name in ("feed", "work", "registry", "pull_dir", "key", "ssh_key"):
            v = getattr(self, name)
            if v is not None:
                setattr(self, name, self._abs(v))
        if self.monitor.dashboard is None:
            self.monitor.dashboard = self.work / "monitor" / "index.html"
        if self.monitor.observations is None:
            self.monitor.observations = self.work / "monitor" / "observations.jsonl"
        if self.cortes.dir is not None:
            self.cortes.dir = self._abs(self.cortes.dir)
        self.monitor.dashboard = self._abs(self.monitor.dashboard)
        self.monitor.observations = self._abs(self.monitor.observations)

    def _abs(self, p) -> Path:
        p = Path(p)
        return p if p.is_absolute() else self.base / p

    # where the working files live
    @property
    def sites(self) -> Path:
        return self.work / "sites"

    @property
    def packages(self) -> Path:
        return self.work / "packages"

    @property
    def journal(self) -> Path:
        return self.work / "journal.jsonl"

    @property
    def state_file(self) -> Path:
        return self.work / "state.json"

    @property
    def deliveries(self) -> Path:
        return self.work / "deliveries.jsonl"

    @property
    def published(self) -> Path:
        """One line per package made public: sequence, corte, the instant it was published (for lag)."""
        return self.work / "published.jsonl"


def _num(table: dict, key: str, default, where: str, *, kind=float, minimum=0, maximum=None):
    v = table.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (kind is int and not isinstance(v, int)):
        raise InputError(f"{where} {key}: expected {'an integer' if kind is int else 'a number'}, got {v!r}")
    if v < minimum or (maximum is not None and v > maximum):
        rng = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise InputError(f"{where} {key}: {v} is out of range ({rng})")
    return kind(v)


def load_config(path: str | Path) -> Config:
    path = Path(path)
    data = read_toml(path, "see docs/instituto-operations.md for instituto.toml")
    return config_from_dict(data, base=path.resolve().parent, source=path)


def config_from_dict(data: dict, *, base: Path, source: Path | None = None) -> Config:
    where = str(source or "instituto.toml")
    check(data, SCHEMA, where)
    i, s, p, m = (data.get(k, {}) for k in ("instituto", "schedule", "push", "monitor"))
    cortes = _source(data.get("source", {}), f"{where} [source]")
    final_cut = s.get("final_cut", True)
    start = parse_instant(s["start"], f"{where} [schedule] start") if "start" in s else None
    end = parse_instant(s["end"], f"{where} [schedule] end") if "end" in s else None
    if start and end and end <= start:
        raise InputError(f"{where} [schedule]: end must be later than start")
    ws = f"{where} [schedule]"
    wp = f"{where} [push]"
    wm = f"{where} [monitor]"
    push = PushConfig(
        timeout_seconds=_num(p, "timeout_seconds", 60.0, wp, minimum=0.1),
        retries=_num(p, "retries", 3, wp, kind=int, maximum=20),
        backoff_seconds=_num(p, "backoff_seconds", 2.0, wp),
        concurrency=_num(p, "concurrency", 64, wp, kind=int, minimum=1, maximum=1024))
    alert = m.get("alert_command") or None
    mon = MonitorConfig(
        interval_seconds=_num(m, "interval_seconds", 30.0, wm, minimum=0.01),
        lag_limit_seconds=_num(m, "lag_limit_seconds", 60.0, wm),
        sample_pages=_num(m, "sample_pages", 4, wm, kind=int, maximum=100),
        timeout_seconds=_num(m, "timeout_seconds", 10.0, wm, minimum=0.1),
        dashboard=m.get("dashboard"), observations=m.get("observations"), alert_command=alert,
        main=cortes.main if cortes.kind == "site" else "json/main.json")
    return Config(
        base=base, name=i.get("name", "unspecified"), feed=i.get("feed"), work=i.get("work", "work"),
        registry=i.get("registry", "difusores"), pull_dir=i.get("pull_dir"), key=i.get("key"),
        ssh_key=i.get("ssh_key"), election=i.get("election") or None, start=start, end=end, final_cut=final_cut,
        site_url=i.get("site_url"),
        cadence=timedelta(minutes=_num(s, "cadence_minutes", 15, ws, minimum=0.001, maximum=24 * 60)),
        full_every=_num(s, "full_every", 8, ws, kind=int, minimum=1),
        delta_format=_num(s, "delta_format", 2, ws, kind=int, minimum=1, maximum=2),
        cut_retries=_num(s, "cut_retries", 3, ws, kind=int, maximum=100),
        cut_retry_seconds=_num(s, "cut_retry_seconds", 20.0, ws),
        ttl=timedelta(hours=_num(s, "ttl_hours", 48, ws, minimum=0.01)),
        push=push, monitor=mon, source=source, cortes=cortes,
        end_when_captured=s.get("end_when_captured", False), profile=data.get("profile", {}).get("id"),
        calendar=_calendar(data.get("calendar", {}), f"{where} [calendar]"))


def _calendar(t: dict, where: str) -> dict:
    """[calendar] with every date a datetime.date (TOML dates, or "YYYY-MM-DD" strings)."""
    from datetime import date

    def one(v, key):
        if isinstance(v, date) and not isinstance(v, datetime):
            return v
        try:
            return date.fromisoformat(str(v))
        except ValueError:
            raise InputError(f"{where} {key}: {v!r} is not a date (YYYY-MM-DD)") from None

    return {k: [one(x, k) for x in v] if isinstance(v, list) else one(v, k) for k, v in t.items()}


def _source(t: dict, where: str) -> SourceConfig:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    src = SourceConfig(**t)
    if src.kind != "feed" and src.dir is None:
        raise InputError(f"{where}: kind = {src.kind!r} needs dir, the directory the PREP system drops cortes into")
    if src.kind == "database":
        src.instant = "database"
    try:
        ZoneInfo(src.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"{where} timezone: {src.timezone!r} is not a time zone (e.g. America/Mexico_City)") from None
    for key in ("instant_file", "main"):
        rel = getattr(src, key)
        if rel.startswith("/") or ".." in rel.split("/"):
            raise InputError(f"{where} {key}: {rel!r} must be a path inside the site")
    return src


def require(cfg: Config, *names: str) -> None:
    """InputError naming the first setting a command needs that the config lacks."""
    for n in names:
        if getattr(cfg, n) is None:
            sec = "schedule" if n in ("start", "end") else "instituto"
            raise InputError(f"{cfg.source or 'instituto.toml'}: [{sec}] {n} is required for this command")
