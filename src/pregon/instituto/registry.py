"""The registry of difusores: one `<id>.json` per difusor (and its logo `<id>.svg`) in one directory, each
written atomically. What the seeds ask at registration, validated on the way in:

- media name, website, proposed link (the URL of its PREP copy, which the monitor polls), technical and
  legal contacts (name, e-mail, phone), server IP/domain, software/hardware/power/network notes;
- transfer: method `sftp`, `rsync` (both over SSH, key auth only: no password is ever stored), `pull`, or
  `frame` (method 2: the difusor's page frames the official site; nothing is sent to it); for push, user,
  port, the remote directory (its inbox) and the pinned host key (an OpenSSH public key line);
- logo: an SVG, size-capped, refused if it carries scripts, event handlers, external references or DTDs;
- commitment letter received (yes/no, date), drills attended (dates);
- status: active or blocked (with date and reason).
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from .. import durable
from ..configschema import TABLE, B, I, L, S, check, nullable
from ..errors import InputError

ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
HOST_RE = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}"
                     r"[A-Za-z0-9])?)*|\d{1,3}(\.\d{1,3}){3}|\[?[0-9A-Fa-f:]+\]?")
METHODS = ("sftp", "rsync", "pull", "frame")  # frame: method 2, the difusor frames the official site
PUSH_METHODS = ("sftp", "rsync")
LOGO_MAX_BYTES = 100 * 1024
_SVG_NS = "{http://www.w3.org/2000/svg}"
_FORBIDDEN_TAGS = {"script", "foreignobject", "iframe", "embed", "object", "audio", "video", "handler", "listener"}
_REMOTE_PATH_RE = re.compile(r"[A-Za-z0-9._/~-]{1,255}")
_USER_RE = re.compile(r"[a-z_][a-z0-9_.-]{0,31}")


@dataclass
class Contact:
    nombre: str = ""
    email: str = ""
    telefono: str = ""


@dataclass
class Transfer:
    method: str = "pull"
    host: str = ""  # defaults to servidor.host
    port: int = 22
    user: str = ""
    path: str = ""  # remote inbox directory
    host_key: str = ""  # pinned OpenSSH public key line of the difusor's server: "ssh-ed25519 AAAA..."


@dataclass
class Server:
    host: str = ""
    software: str = ""
    hardware: str = ""
    energia: str = ""
    red: str = ""


@dataclass
class Difusor:
    id: str
    nombre: str
    sitio: str
    enlace: str  # the public URL of its PREP copy (a directory URL, ending in /)
    tecnico: Contact = field(default_factory=Contact)
    legal: Contact = field(default_factory=Contact)
    servidor: Server = field(default_factory=Server)
    transfer: Transfer = field(default_factory=Transfer)
    carta_recibida: bool = False
    carta_fecha: str | None = None
    simulacros: list[str] = field(default_factory=list)
    estado: str = "active"  # active | blocked
    bloqueo: dict | None = None  # {"fecha": iso, "motivo": str, "notice_sequence": n}
    logo: bool = False  # <id>.svg present beside the record

    @property
    def active(self) -> bool:
        return self.estado == "active"

    @property
    def push_host(self) -> str:
        return self.transfer.host or self.servidor.host

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict, where: str = "difusor") -> "Difusor":
        if not isinstance(d, dict):
            raise InputError(f"{where}: expected an object")
        transfer = d.get("transfer")
        if isinstance(transfer, dict):
            secret = next((k for k in transfer if k in ("password", "passwd", "contrasena", "contraseña")), None)
            if secret:
                raise InputError(f"{where}: transfer.{secret}: passwords are not accepted; "
                                 "register an SSH host key and push with the institute's key")
        check(d, ENTRY_SCHEMA, where)
        try:
            kw = dict(d)
            for name, sub in (("tecnico", Contact), ("legal", Contact), ("servidor", Server), ("transfer", Transfer)):
                v = kw.get(name) or {}
                if not isinstance(v, dict):
                    raise InputError(f"{where}: field {name!r} must be a table")
                bad = sorted(set(v) - set(sub.__dataclass_fields__))
                if bad:
                    if name == "transfer" and bad[0] in ("password", "passwd", "contrasena", "contraseña"):
                        raise InputError(f"{where}: transfer.{bad[0]}: passwords are not accepted; "
                                         "register an SSH host key and push with the institute's key")
                    raise InputError(f"{where}: unknown field {name}.{bad[0]}")
                kw[name] = sub(**v)
            return cls(**kw)
        except TypeError as exc:
            raise InputError(f"{where}: {exc}") from None


_CONTACT = {"nombre": S(), "email": S(), "telefono": S()}
ENTRY_SCHEMA = {  # a registry entry: <id>.json, or the TOML/JSON given to `difusores add --from`
    "id": S(nonempty=True), "nombre": S(), "sitio": S(), "enlace": S(), "tecnico": _CONTACT, "legal": _CONTACT,
    "servidor": {"host": S(), "software": S(), "hardware": S(), "energia": S(), "red": S()},
    "transfer": {"method": S(), "host": S(), "port": I(1, 65535), "user": S(), "path": S(), "host_key": S()},
    "carta_recibida": B, "carta_fecha": nullable(S()), "simulacros": L, "estado": S(),
    "bloqueo": nullable(TABLE), "logo": B,
}


def _url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise InputError(f"{what} {value!r}: expected an http:// or https:// URL with a host name")
    return value


def _email(value: str, what: str) -> None:
    if not EMAIL_RE.fullmatch(value):
        raise InputError(f"{what} {value!r}: not an e-mail address")


def parse_host_key(text: str, what: str = "host key"):
    """An OpenSSH public key line (`ssh-ed25519 AAAA… [comment]`) -> asyncssh key; InputError otherwise."""
    import asyncssh

    line = text.strip()
    if not line or "\n" in line:
        raise InputError(f"{what}: expected one OpenSSH public key line such as 'ssh-ed25519 AAAA…' "
                         "(the server's /etc/ssh/ssh_host_ed25519_key.pub)")
    if "PRIVATE KEY" in line:
        raise InputError(f"{what}: that is a private key; give the server's public host key")
    try:
        return asyncssh.import_public_key(line)
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise InputError(f"{what}: not an OpenSSH public key ({exc})") from None


def host_key_fingerprint(text: str) -> str:
    return parse_host_key(text).get_fingerprint("sha256")


def check_logo(data: bytes, what: str = "logo") -> str:
    """The SVG text if it is a safe, small SVG; InputError saying what is wrong otherwise."""
    if len(data) > LOGO_MAX_BYTES:
        raise InputError(f"{what}: {len(data)} bytes, over the limit of {LOGO_MAX_BYTES}; simplify the SVG")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{what}: not UTF-8 text; a vector logo (SVG) is required") from None
    low = text.lower()
    if "<!doctype" in low or "<!entity" in low:
        raise InputError(f"{what}: DTDs and entities are not allowed in the logo")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InputError(f"{what}: not well-formed XML ({exc})") from None
    if root.tag not in ("svg", _SVG_NS + "svg"):
        raise InputError(f"{what}: the root element is not <svg>")
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1].lower() if isinstance(el.tag, str) else ""
        if tag in _FORBIDDEN_TAGS:
            raise InputError(f"{what}: <{tag}> is not allowed in a logo (no scripts or embedded content)")
        for k, v in el.attrib.items():
            name = k.rsplit("}", 1)[-1].lower()
            val = v.strip().lower()
            if name.startswith("on"):
                raise InputError(f"{what}: event handler attribute {name!r} is not allowed")
            if name == "href" and not (val.startswith("#") or val.startswith("data:image/")):
                raise InputError(f"{what}: external reference {v!r} is not allowed (embed everything)")
            if "javascript:" in val or "url(http" in val.replace(" ", "").replace("'", "").replace('"', ""):
                raise InputError(f"{what}: attribute {name!r} refers to script or an external resource")
    if "<style" in low and ("@import" in low or "url(http" in low.replace(" ", "")):
        raise InputError(f"{what}: styles may not import external resources")
    return text


def validate(d: Difusor, where: str = "difusor") -> Difusor:
    if not ID_RE.fullmatch(d.id or ""):
        raise InputError(f"{where}: id {d.id!r}: use lower-case letters, digits and '-' (e.g. el-diario)")
    if not d.nombre.strip():
        raise InputError(f"{where}: nombre (media name) is required")
    _url(d.sitio, f"{where}: sitio")
    _url(d.enlace, f"{where}: enlace")
    if not d.enlace.endswith("/"):
        d.enlace += "/"
    for role in ("tecnico", "legal"):
        c = getattr(d, role)
        if not c.email:
            raise InputError(f"{where}: {role} contact e-mail is required")
        _email(c.email, f"{where}: {role} e-mail")
    if d.servidor.host and not HOST_RE.fullmatch(d.servidor.host):
        raise InputError(f"{where}: servidor {d.servidor.host!r}: expected an IP address or a domain name")
    t = d.transfer
    if t.method not in METHODS:
        raise InputError(f"{where}: transfer method {t.method!r}: expected one of {', '.join(METHODS)}")
    if t.method in PUSH_METHODS:
        if not d.push_host:
            raise InputError(f"{where}: {t.method} needs the server's address (servidor or transfer host)")
        if not HOST_RE.fullmatch(d.push_host):
            raise InputError(f"{where}: transfer host {d.push_host!r}: expected an IP address or a domain name")
        if not _USER_RE.fullmatch(t.user or ""):
            raise InputError(f"{where}: {t.method} needs the SSH user the difusor created (e.g. prep)")
        if not _REMOTE_PATH_RE.fullmatch(t.path or "") or ".." in t.path.split("/"):
            raise InputError(f"{where}: {t.method} needs the remote inbox directory (e.g. /var/lib/pregon/inbox)")
        if not t.host_key:
            raise InputError(f"{where}: {t.method} needs the server's SSH host key to pin "
                             "(its /etc/ssh/ssh_host_ed25519_key.pub)")
        parse_host_key(t.host_key, f"{where}: host key")
    if not isinstance(t.port, int) or isinstance(t.port, bool) or not 1 <= t.port <= 65535:
        raise InputError(f"{where}: port {t.port!r}: expected 1..65535")
    if d.carta_fecha:
        try:
            date.fromisoformat(d.carta_fecha)
        except ValueError:
            raise InputError(f"{where}: carta_fecha {d.carta_fecha!r}: expected YYYY-MM-DD") from None
    for s in d.simulacros:
        try:
            date.fromisoformat(s)
        except (ValueError, TypeError):
            raise InputError(f"{where}: simulacro {s!r}: expected YYYY-MM-DD") from None
    if d.estado not in ("active", "blocked"):
        raise InputError(f"{where}: estado {d.estado!r}: expected active or blocked")
    return d


class Registry:
    """The directory of difusor records."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _path(self, ident: str) -> Path:
        if not ID_RE.fullmatch(ident or ""):
            raise InputError(f"difusor id {ident!r}: use lower-case letters, digits and '-'")
        return self.root / f"{ident}.json"

    def logo_path(self, ident: str) -> Path:
        return self.root / f"{ident}.svg"

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.stem for p in self.root.glob("*.json") if not p.name.startswith("."))

    def get(self, ident: str) -> Difusor:
        p = self._path(ident)
        try:
            data = json.loads(p.read_text("utf-8"))
        except FileNotFoundError:
            raise InputError(f"difusor {ident!r} is not registered (see `pregon instituto difusores list`)") from None
        except (OSError, ValueError) as exc:
            raise InputError(f"{p}: unreadable record: {exc}") from None
        return Difusor.from_json(data, str(p))

    def all(self) -> list[Difusor]:
        return [self.get(i) for i in self.ids()]

    def active(self) -> list[Difusor]:
        return [d for d in self.all() if d.active]

    def save(self, d: Difusor) -> None:
        validate(d, f"difusor {d.id!r}")
        self.root.mkdir(parents=True, exist_ok=True)
        data = (json.dumps(d.to_json(), ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")
        durable.atomic_write(self._path(d.id), data)

    def add(self, d: Difusor, logo: bytes | None = None) -> Difusor:
        validate(d, f"difusor {d.id!r}")
        if self._path(d.id).exists():
            raise InputError(f"difusor {d.id!r} is already registered; `show` it, or choose another id")
        if logo is not None:
            text = check_logo(logo, f"difusor {d.id!r}: logo")
            self.root.mkdir(parents=True, exist_ok=True)
            durable.atomic_write(self.logo_path(d.id), text.encode("utf-8"))
            d.logo = True
        self.save(d)
        return d

    def logo(self, ident: str) -> str | None:
        try:
            return self.logo_path(ident).read_text("utf-8")
        except FileNotFoundError:
            return None

    def block(self, ident: str, reason: str, when: datetime) -> Difusor:
        d = self.get(ident)
        if not d.active:
            raise InputError(f"difusor {ident!r} is already blocked (since {d.bloqueo and d.bloqueo.get('fecha')})")
        d.estado = "blocked"
        d.bloqueo = {"fecha": when.isoformat(), "motivo": reason}
        self.save(d)
        return d

    def set_notice_sequence(self, ident: str, sequence: int) -> None:
        d = self.get(ident)
        d.bloqueo = {**(d.bloqueo or {}), "notice_sequence": sequence}
        self.save(d)

    def unblock(self, ident: str, when: datetime) -> Difusor:
        d = self.get(ident)
        if d.active:
            raise InputError(f"difusor {ident!r} is not blocked")
        d.estado = "active"
        d.bloqueo = None
        self.save(d)
        return d
