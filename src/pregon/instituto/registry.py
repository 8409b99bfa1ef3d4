"""The registry of difusores: one `<id>.json` per difusor (its logo `<id>.svg` and service diagram
`<id>.diagrama.<pdf|svg|png>` beside it) in one directory, each written atomically. What the calls'
registration forms (Anexos) ask, validated on the way in:

- media name, website, proposed link (the URL of its PREP copy, which the monitor polls), technical and
  legal contacts (name, e-mail, phone, mobile, extension), server IP/domain, software/hardware/power/network;
- IEM: entidad, the IP address the difusor registers, its test-site URL and its official-site URL;
  Chiapas: the service diagram (PDF/SVG/PNG, size-capped) and the staff list with roles;
- transfer: method `sftp`, `rsync` (both over SSH), `pull`, or `frame` (method 2: the difusor's page frames
  the official site; nothing is sent to it); for push, user, port, the remote directory (its inbox) and the
  pinned host key (an OpenSSH public key line). The forms' FTP-style account (user and password) is
  answered with the SSH user and keys: the institute logs in with its own key and pins the difusor's host
  key, so no password is ever stored, and a record or `--from` file carrying one is refused;
- logo: an SVG, or an Adobe Illustrator .ai saved PDF-compatible (converted to SVG with poppler's
  pdftocairo), size-capped, refused if it carries scripts, event handlers, external references or DTDs;
- commitment letter received (yes/no, date), drills attended (dates);
- status: active or blocked (with date and reason).

Every field added after the first release has a default, so older records still read.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from .. import durable
from ..configschema import TABLE, B, I, L, Many, S, check, nullable
from ..errors import InputError

ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
HOST_RE = re.compile(r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}"
                     r"[A-Za-z0-9])?)*|\d{1,3}(\.\d{1,3}){3}|\[?[0-9A-Fa-f:]+\]?")
METHODS = ("sftp", "rsync", "pull", "frame")  # frame: method 2, the difusor frames the official site
PUSH_METHODS = ("sftp", "rsync")
LOGO_MAX_BYTES = 100 * 1024
AI_MAX_BYTES = 20 * 1024 * 1024  # an Illustrator file embeds far more than the artwork; its SVG is capped above
DIAGRAM_MAX_BYTES = 5 * 1024 * 1024
DIAGRAM_KINDS = ("pdf", "svg", "png")
_PASSWORD_KEYS = ("password", "passwd", "pass", "contrasena", "contraseña")
_PHONE_RE = re.compile(r"\+?[0-9 ().-]+")
_EXTENSION_RE = re.compile(r"[0-9]{1,8}")
# the 32 entidades federativas in INEGI order (code = index + 1), as the forms name them
ENTIDADES = ("Aguascalientes", "Baja California", "Baja California Sur", "Campeche", "Coahuila", "Colima",
             "Chiapas", "Chihuahua", "Ciudad de México", "Durango", "Guanajuato", "Guerrero", "Hidalgo", "Jalisco",
             "México", "Michoacán", "Morelos", "Nayarit", "Nuevo León", "Oaxaca", "Puebla", "Querétaro",
             "Quintana Roo", "San Luis Potosí", "Sinaloa", "Sonora", "Tabasco", "Tamaulipas", "Tlaxcala",
             "Veracruz", "Yucatán", "Zacatecas")
_ENTIDAD_ALIASES = {"estado de mexico": "México", "edomex": "México", "cdmx": "Ciudad de México",
                    "distrito federal": "Ciudad de México", "michoacan de ocampo": "Michoacán",
                    "coahuila de zaragoza": "Coahuila", "veracruz de ignacio de la llave": "Veracruz"}
_SVG_NS = "{http://www.w3.org/2000/svg}"
_FORBIDDEN_TAGS = {"script", "foreignobject", "iframe", "embed", "object", "audio", "video", "handler", "listener"}
_REMOTE_PATH_RE = re.compile(r"[A-Za-z0-9._/~-]{1,255}")
_USER_RE = re.compile(r"[a-z_][a-z0-9_.-]{0,31}")


@dataclass
class Contact:
    nombre: str = ""
    email: str = ""
    telefono: str = ""
    movil: str = ""  # mobile phone (IEEM, IMPEPAC)
    extension: str = ""  # extension of `telefono` (IEM)


@dataclass
class Staff:
    """One person of the difusor's PREP team (Chiapas asks for the list with roles)."""

    nombre: str = ""
    cargo: str = ""
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
    entidad: str = ""  # entidad federativa of the difusor (IEM), one of ENTIDADES
    ip_registro: str = ""  # the IP address (or network) the difusor registers (IEM)
    url_pruebas: str = ""  # its test site (IEM)
    url_oficial: str = ""  # its official site, as the IEM form asks (the monitor polls `enlace`)
    diagrama: str = ""  # file name of the service diagram beside the record (Chiapas), "" when none
    personal: list[Staff] = field(default_factory=list)  # staff with roles (Chiapas)

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
        for table in ("transfer", "tecnico", "legal", "servidor"):
            sub = d.get(table)
            secret = next((k for k in sub if str(k).lower() in _PASSWORD_KEYS), None) if isinstance(sub, dict) else None
            if secret:
                raise InputError(f"{where}: {table}.{secret}: passwords are not accepted; the FTP-style account of "
                                 "the form is the SSH user: register its host key, the institute pushes with its key")
        secret = next((k for k in d if str(k).lower() in _PASSWORD_KEYS), None)
        if secret:
            raise InputError(f"{where}: {secret}: passwords are not accepted; the FTP-style account of the form is "
                             "the SSH user: register its host key, the institute pushes with its key")
        check(d, ENTRY_SCHEMA, where)
        try:
            kw = dict(d)
            for name, sub in (("tecnico", Contact), ("legal", Contact), ("servidor", Server), ("transfer", Transfer)):
                v = kw.get(name) or {}
                if not isinstance(v, dict):
                    raise InputError(f"{where}: field {name!r} must be a table")
                bad = sorted(set(v) - set(sub.__dataclass_fields__))
                if bad:
                    raise InputError(f"{where}: unknown field {name}.{bad[0]}")
                kw[name] = sub(**v)
            kw["personal"] = [Staff(**x) for x in (kw.get("personal") or [])]
            return cls(**kw)
        except TypeError as exc:
            raise InputError(f"{where}: {exc}") from None


_CONTACT = {"nombre": S(), "email": S(), "telefono": S(), "movil": S(), "extension": S()}
ENTRY_SCHEMA = {  # a registry entry: <id>.json, or the TOML/JSON given to `difusores add --from`
    "id": S(nonempty=True), "nombre": S(), "sitio": S(), "enlace": S(), "tecnico": _CONTACT, "legal": _CONTACT,
    "servidor": {"host": S(), "software": S(), "hardware": S(), "energia": S(), "red": S()},
    "transfer": {"method": S(), "host": S(), "port": I(1, 65535), "user": S(), "path": S(), "host_key": S()},
    "carta_recibida": B, "carta_fecha": nullable(S()), "simulacros": L, "estado": S(),
    "bloqueo": nullable(TABLE), "logo": B,
    "entidad": S(), "ip_registro": S(), "url_pruebas": S(), "url_oficial": S(), "diagrama": S(),
    "personal": Many({"nombre": S(), "cargo": S(), "email": S(), "telefono": S()}),
}


def _url(value: str, what: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise InputError(f"{what} {value!r}: expected an http:// or https:// URL with a host name")
    return value


def _email(value: str, what: str) -> None:
    if not EMAIL_RE.fullmatch(value):
        raise InputError(f"{what} {value!r}: not an e-mail address")


def _phone(value: str, what: str) -> None:
    digits = sum(c.isdigit() for c in value)
    if not _PHONE_RE.fullmatch(value) or not 7 <= digits <= 15:
        raise InputError(f"{what} {value!r}: not a phone number; write digits with optional +, spaces, dashes or "
                         "parentheses (10 digits in Mexico, e.g. 443 123 4567)")


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c)).strip()


def entidad_name(value: str, what: str = "entidad") -> str:
    """The entidad's name as ENTIDADES spells it, from its name (accents and case aside) or INEGI code 1..32."""
    v = value.strip()
    if v.isdigit() and 1 <= int(v) <= len(ENTIDADES):
        return ENTIDADES[int(v) - 1]
    folded = _fold(v)
    for name in ENTIDADES:
        if _fold(name) == folded:
            return name
    if folded in _ENTIDAD_ALIASES:
        return _ENTIDAD_ALIASES[folded]
    raise InputError(f"{what} {value!r}: not an entidad federativa; give its name (e.g. Michoacán) or its "
                     "INEGI code 1..32")


def _ip(value: str, what: str) -> None:
    try:
        if "/" in value:
            ipaddress.ip_network(value, strict=True)
        else:
            ipaddress.ip_address(value)
    except ValueError:
        raise InputError(f"{what} {value!r}: expected an IP address (e.g. 203.0.113.7) or a network "
                         "(e.g. 203.0.113.0/28)") from None


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


def check_logo(data: bytes, what: str = "logo", limit: int | None = None) -> str:
    """The SVG text if it is a safe, small SVG (at most `limit` bytes, LOGO_MAX_BYTES by default); InputError
    saying what is wrong otherwise."""
    limit = LOGO_MAX_BYTES if limit is None else limit
    if len(data) > limit:
        raise InputError(f"{what}: {len(data)} bytes, over the limit of {limit}; simplify the SVG")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{what}: not UTF-8 text, so not an SVG; a vector logo (SVG, or a PDF-compatible .ai) "
                         "is required") from None
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


def logo_svg(data: bytes, what: str = "logo") -> str:
    """The logo as safe SVG text: an SVG as given, or an Adobe Illustrator .ai saved PDF-compatible (its first
    page converted with poppler's pdftocairo); the result passes check_logo either way."""
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"%PDF-"):
        if len(data) > AI_MAX_BYTES:
            raise InputError(f"{what}: {len(data)} bytes, over the limit of {AI_MAX_BYTES} for a .ai/PDF logo; "
                             "export the logo as SVG")
        return check_logo(pdf_to_svg(data, what), f"{what} (converted from .ai/PDF to SVG)")
    if head.startswith(b"%!PS") or head.startswith(b"\xc5\xd0\xd3\xc6"):
        raise InputError(f"{what}: a PostScript-only Illustrator/EPS file cannot be converted; export the logo as "
                         "SVG, or save the .ai with 'Create PDF Compatible File' checked")
    return check_logo(data, what)


def pdf_to_svg(data: bytes, what: str = "logo") -> bytes:
    """The first page of a PDF (a PDF-compatible .ai) as SVG bytes, by poppler's `pdftocairo -svg`."""
    tool = shutil.which("pdftocairo")
    if tool is None:
        raise InputError(f"{what}: converting a .ai/PDF logo needs poppler's pdftocairo (apt install poppler-utils); "
                         "or export the logo as SVG")
    with tempfile.TemporaryDirectory(prefix="pregon-logo-") as tmp:
        src, out = Path(tmp) / "logo.pdf", Path(tmp) / "logo.svg"
        src.write_bytes(data)
        try:
            r = subprocess.run([tool, "-svg", "-f", "1", "-l", "1", str(src), str(out)], capture_output=True,
                               timeout=60, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise InputError(f"{what}: pdftocairo took over 60 s to convert it; export the logo as SVG") from None
        if r.returncode != 0 or not out.is_file():
            why = (r.stderr.decode("utf-8", "replace").strip().splitlines() or [f"exit code {r.returncode}"])[0]
            raise InputError(f"{what}: not a readable PDF-compatible .ai ({why}); export the logo as SVG")
        return out.read_bytes()


_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia)\b")


def check_diagram(data: bytes, what: str = "diagrama") -> str:
    """The kind ("pdf", "svg" or "png") of a service diagram judged by its content; InputError otherwise."""
    if not data:
        raise InputError(f"{what}: the file is empty; give the service diagram as PDF, SVG or PNG")
    if len(data) > DIAGRAM_MAX_BYTES:
        raise InputError(f"{what}: {len(data)} bytes, over the limit of {DIAGRAM_MAX_BYTES}; reduce the diagram")
    if data.startswith(b"%PDF-"):
        if _PDF_ACTIVE.search(data):
            raise InputError(f"{what}: the PDF carries scripts, actions or embedded files; print it to a plain PDF")
        if b"%%EOF" not in data[-1024:]:
            raise InputError(f"{what}: the PDF is truncated (no %%EOF at its end)")
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        if data[12:16] != b"IHDR" or b"IEND" not in data[-16:]:
            raise InputError(f"{what}: a damaged or truncated PNG")
        return "png"
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        check_logo(data, what, limit=DIAGRAM_MAX_BYTES)  # the same safety checks as a logo
        return "svg"
    raise InputError(f"{what}: not a PDF, SVG or PNG file; export the service diagram in one of those")


def read_upload(path: Path, limit: int, what: str) -> bytes:
    """A file given on the command line, refused before reading when it is over `limit` bytes."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(f"{what} {path}: {size} bytes, over the limit of {limit}")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot read: {exc.strerror or exc}") from None


def parse_staff(text: str, what: str = "--personal") -> dict:
    """`NOMBRE|CARGO|CONTACTO[|CONTACTO]` (a contact with @ is the e-mail, else the phone) -> a staff table."""
    parts = [p.strip() for p in text.split("|")]
    if len(parts) < 3 or len(parts) > 4:
        raise InputError(f"{what} {text!r}: expected 'NOMBRE|CARGO|CORREO O TELÉFONO[|TELÉFONO O CORREO]'")
    out = {"nombre": parts[0], "cargo": parts[1]}
    for c in parts[2:]:
        key = "email" if "@" in c else "telefono"
        if key in out:
            raise InputError(f"{what} {text!r}: two {'e-mails' if key == 'email' else 'phones'}; give one of each")
        out[key] = c
    return out


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
        if c.movil:
            _phone(c.movil, f"{where}: {role}.movil")
        if c.extension and not _EXTENSION_RE.fullmatch(c.extension):
            raise InputError(f"{where}: {role}.extension {c.extension!r}: expected 1 to 8 digits (e.g. 2105)")
        if c.extension and not c.telefono:
            raise InputError(f"{where}: {role}.extension: an extension needs the {role} contact's telefono")
    if d.entidad:
        d.entidad = entidad_name(d.entidad, f"{where}: entidad")
    if d.ip_registro:
        _ip(d.ip_registro, f"{where}: ip_registro")
    if d.url_pruebas:
        _url(d.url_pruebas, f"{where}: url_pruebas")
    if d.url_oficial:
        _url(d.url_oficial, f"{where}: url_oficial")
    if d.diagrama and not re.fullmatch(re.escape(d.id) + r"\.diagrama\.(pdf|svg|png)", d.diagrama):
        raise InputError(f"{where}: diagrama {d.diagrama!r}: expected {d.id}.diagrama.pdf|svg|png (the file beside "
                         "the record; give the diagram with --diagrama FILE)")
    for i, p in enumerate(d.personal, start=1):
        w = f"{where}: personal #{i}"
        if not p.nombre.strip():
            raise InputError(f"{w}: nombre is required")
        if not p.cargo.strip():
            raise InputError(f"{w} ({p.nombre}): cargo (the person's role) is required")
        if not p.email and not p.telefono:
            raise InputError(f"{w} ({p.nombre}): give an e-mail or a phone")
        if p.email:
            _email(p.email, f"{w} e-mail")
        if p.telefono:
            _phone(p.telefono, f"{w} telefono")
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

    def diagram_path(self, d: Difusor) -> Path | None:
        """The service diagram stored beside the record, if it has one."""
        return self.root / d.diagrama if d.diagrama else None

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

    def add(self, d: Difusor, logo: bytes | None = None, diagram: bytes | None = None) -> Difusor:
        """Register `d` with its logo (SVG or PDF-compatible .ai) and service diagram (PDF/SVG/PNG); every
        check runs before anything is written."""
        d.logo, d.diagrama = False, ""  # only what is stored here counts, never a flag from a --from file
        validate(d, f"difusor {d.id!r}")
        if self._path(d.id).exists():
            raise InputError(f"difusor {d.id!r} is already registered; `show` it, or choose another id")
        text = logo_svg(logo, f"difusor {d.id!r}: logo") if logo is not None else None
        kind = check_diagram(diagram, f"difusor {d.id!r}: diagrama") if diagram is not None else None
        self.root.mkdir(parents=True, exist_ok=True)
        if text is not None:
            durable.atomic_write(self.logo_path(d.id), text.encode("utf-8"))
            d.logo = True
        if kind is not None:
            d.diagrama = f"{d.id}.diagrama.{kind}"
            durable.atomic_write(self.root / d.diagrama, diagram)
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
