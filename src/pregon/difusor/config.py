"""difusor.toml: where the receiver keeps things, whom it trusts, when it publishes, what it runs after.

```toml
[difusor]
id = "el-diario"                 # this difusor's id (notices addressed to others are ignored)
root = "/var/lib/pregon"         # base of every path below that is relative or omitted
election = "MOR-2024"            # optional: refuse packages for any other election from the first one on
public_keys = ["keys/instituto.pub"]   # minisign public key files (relative to the config) or base64 lines
# inbox = "inbox"  archive = "archive"  releases = "releases"  state = "state"
# journal = "journal.jsonl"  status = "status.json"  current = "current" (the symlink the web server serves)   (all under root by default)
require_marker = false           # true: act on X.tar.gz only once X.tar.gz.minisig or X.tar.gz.ready arrives
quiet_seconds = 2                # without a marker: take an upload written in place once untouched this long (renamed: at once)
poll_interval = 1.0              # seconds, the bounded wait of the watcher (no busy loop)
min_free_mb = 256                # below this on the releases/archive disk: journal disk-low, do not stage
syslog = true                    # also send each journal entry to syslog (journald picks it up)
recycle = true                   # stage a delta by patching the release before the live one (what changed only);
                                 #   false: every release is built from nothing (docs/difusor-operations.md)

[window]
start = "2024-06-02T20:00"       # local time in tz; before it the public path shows a placeholder
end = "2024-06-03T23:59"         # after it the last cut stays published; later packages are archived only
keep_until = "2024-06-16T23:59"  # optional: the call's "last results kept until"; after it the site gives way
official_url = "https://prep.example.mx/"   # to a page pointing at the institute's official site (this URL)
tz = "America/Mexico_City"

[pull]                           # optional: poll the institute instead of (or besides) push
url = "https://prep.example.mx/publicado/index.json"
interval = 30                    # seconds between conditional GETs of the index
timeout = 30                     # seconds per request
max_mb = 2048                    # size cap of one package

[hooks]
on_activate = "curl -fsS -X PURGE https://cdn.example/json/main.json"   # optional, run by /bin/sh after each swap

[serve]
host = "0.0.0.0"
port = 8080
server_name = "prep.example.mx"
access_log = "access.log"
frame_ancestors = "'self' https://www.example.mx"
tls_certificate = ""             # set both to make webconfig emit an HTTPS server
tls_certificate_key = ""
rate_limit = 0                   # requests per second per client IP; 0 disables
header_timeout = 10              # `pregon difusor serve` against hostile clients: seconds for a request head,
idle_timeout = 15                #   for a keep-alive connection's next request, for a client reading nothing
send_timeout = 60                #   of its pending response; and connections per client address and worker
max_per_client = 64
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..configfile import read_toml
from ..configschema import TABLE, B, I, L, N, S, T, check
from ..errors import InputError
from ..package.keys import PublicKey, load_public_key, parse_public_key
from ..serve.limits import ClientLimits
from ..times import optional_instant

SCHEMA = {
    "difusor": {"id": S(nonempty=True), "root": S(nonempty=True), "election": S(nonempty=True),
                "public_keys": L, "inbox": S(nonempty=True), "archive": S(nonempty=True),
                "releases": S(nonempty=True), "state": S(nonempty=True), "journal": S(nonempty=True),
                "status": S(nonempty=True), "current": S(nonempty=True), "require_marker": B,
                "poll_interval": N(0.05, 60), "min_free_mb": I(0, 1 << 20), "syslog": B,
                "quiet_seconds": N(0, 3600), "recycle": B},
    "window": {"start": T, "end": T, "tz": S(nonempty=True), "keep_until": T, "official_url": S(nonempty=True)},
    "hooks": {"on_activate": S()},
    "serve": {"host": S(nonempty=True), "port": I(1, 65535), "server_name": S(nonempty=True), "access_log": S(),
              "frame_ancestors": S(nonempty=True), "tls_certificate": S(), "tls_certificate_key": S(),
              "rate_limit": I(0, 1_000_000), "header_timeout": N(0.1, 3600), "idle_timeout": N(0.1, 86400),
              "send_timeout": N(0.1, 86400), "max_per_client": I(1, 1_000_000)},
    "pull": {"url": S(nonempty=True), "interval": N(1, 3600), "timeout": N(0.1, 3600), "max_mb": I(1, 1 << 20)},
    "registro": TABLE,  # the difusor's registration data: the memoria técnica checks its keys
}


@dataclass
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    server_name: str = "_"
    access_log: Path | None = None
    frame_ancestors: str = "'self'"
    tls_certificate: str = ""
    tls_certificate_key: str = ""
    rate_limit: int = 0
    limits: ClientLimits = field(default_factory=ClientLimits)  # the embedded server's bounds against hostile clients


@dataclass
class Config:
    root: Path
    id: str = "difusor"
    election: str | None = None
    public_keys: list[PublicKey] = field(default_factory=list)
    inbox: Path | None = None
    archive: Path | None = None
    releases: Path | None = None
    state: Path | None = None
    journal: Path | None = None
    status: Path | None = None
    current: Path | None = None
    require_marker: bool = False
    quiet_seconds: float = 2.0  # without a marker, an upload is taken once unchanged this long (inbox.py)
    poll_interval: float = 1.0
    min_free_mb: int = 256
    syslog: bool = False
    recycle: bool = True  # stage a delta by patching an older release (pipeline._recycle)
    window_start: datetime | None = None
    window_end: datetime | None = None
    keep_until: datetime | None = None  # after it, the closing page (official_url) replaces the last results
    official_url: str | None = None  # the institute's official site, named by the closing page
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/Mexico_City"))
    on_activate: str | None = None
    serve: ServeConfig = field(default_factory=ServeConfig)
    source: Path | None = None
    pull: object | None = None  # pull.PullConfig when [pull] is configured

    def __post_init__(self):
        self.root = Path(self.root)
        for name, default in (("inbox", "inbox"), ("archive", "archive"), ("releases", "releases"),
                              ("state", "state"), ("journal", "journal.jsonl"), ("status", "status.json"),
                              ("current", "current")):
            value = getattr(self, name)
            value = Path(default) if value is None else Path(value)
            setattr(self, name, value if value.is_absolute() else self.root / value)


def load_config(path: str | Path) -> Config:
    """Read and check difusor.toml; InputError names the key that is wrong."""
    path = Path(path)
    data = read_toml(path, "write a difusor.toml; see docs/difusor-operations.md")
    # absolute from here on: a web server's config generated from these paths must not depend on its cwd
    return config_from_dict(data, base=Path(os.path.abspath(path)).parent, source=path)


def config_from_dict(data: dict, *, base: Path, source: Path | None = None) -> Config:
    where = str(source or "difusor.toml")
    check(data, SCHEMA, where)
    d = data.get("difusor", {})
    w = data.get("window", {})
    h = data.get("hooks", {})
    s = data.get("serve", {})
    pl = data.get("pull", {})
    pull = None
    if pl:
        from .pull import PullConfig, check_url

        if "url" not in pl:
            raise InputError(f"{where} [pull]: url is required (the institute's index.json)")
        try:
            check_url(str(pl["url"]))
        except ValueError as exc:
            raise InputError(f"{where} [pull] {exc}") from None
        pull = PullConfig(url=pl["url"], interval=float(pl.get("interval", 30)),
                          timeout=float(pl.get("timeout", 30)), max_bytes=int(pl.get("max_mb", 2048)) << 20)

    def rel(p):
        p = Path(p)
        return p if p.is_absolute() else base / p

    root = rel(d.get("root", "."))
    keys = []
    for i, entry in enumerate(d.get("public_keys", [])):
        candidate = rel(entry)
        if candidate.exists():
            keys.append(load_public_key(candidate))
        else:
            try:
                keys.append(parse_public_key(entry, f"{where} [difusor] public_keys[{i}]"))
            except InputError:
                raise InputError(f"{where} [difusor] public_keys[{i}]: {entry!r} is neither a key file nor a "
                                 "base64 minisign public key") from None
    try:
        tz = ZoneInfo(w.get("tz", "America/Mexico_City"))
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"{where} [window] tz: unknown time zone {w.get('tz')!r}") from None
    start = optional_instant(w.get("start"), f"{where} [window] start", tz)
    end = optional_instant(w.get("end"), f"{where} [window] end", tz)
    if start and end and end <= start:
        raise InputError(f"{where} [window]: end must be later than start")
    keep = optional_instant(w.get("keep_until"), f"{where} [window] keep_until", tz)
    if keep is not None and ((end is not None and keep < end) or (start is not None and keep <= start)):
        raise InputError(f"{where} [window] keep_until: must come after the start and not before end")
    official = w.get("official_url")
    if official is not None and not official.startswith(("https://", "http://")):
        raise InputError(f"{where} [window] official_url: {official!r} is not an http(s) URL")
    serve = ServeConfig(
        host=str(s.get("host", "127.0.0.1")), port=int(s.get("port", 8080)),
        server_name=str(s.get("server_name", "_")),
        access_log=rel(s["access_log"]) if s.get("access_log") else None,
        frame_ancestors=str(s.get("frame_ancestors", "'self'")),
        tls_certificate=str(s.get("tls_certificate", "")), tls_certificate_key=str(s.get("tls_certificate_key", "")),
        rate_limit=int(s.get("rate_limit", 0)),
        limits=ClientLimits(**{k: s[k] for k in ("header_timeout", "idle_timeout", "send_timeout", "max_per_client")
                                     if k in s}),
    )
    if bool(serve.tls_certificate) != bool(serve.tls_certificate_key):
        raise InputError(f"{where} [serve]: set both tls_certificate and tls_certificate_key, or neither")
    cfg = Config(
        root=root, id=str(d.get("id", "difusor")), election=d.get("election"), public_keys=keys,
        inbox=_opt(d, "inbox", rel), archive=_opt(d, "archive", rel), releases=_opt(d, "releases", rel),
        state=_opt(d, "state", rel), journal=_opt(d, "journal", rel), status=_opt(d, "status", rel),
        current=_opt(d, "current", rel), require_marker=d.get("require_marker", False),
        poll_interval=float(d.get("poll_interval", 1.0)), min_free_mb=d.get("min_free_mb", 256),
        syslog=d.get("syslog", True), window_start=start, window_end=end, tz=tz, keep_until=keep,
        official_url=official,
        on_activate=h.get("on_activate") or None, serve=serve, source=source, pull=pull,
        quiet_seconds=float(d.get("quiet_seconds", 2.0)), recycle=d.get("recycle", True),
    )
    return cfg


def _opt(d, key, rel):
    return rel(d[key]) if key in d else None


def utc(t: datetime) -> datetime:
    return t.astimezone(timezone.utc)
