"""A difusor's registration as the institute's forms give it (the options of `difusores add`, or a TOML file of
the same fields), made into the registry's record: the mapping of each form field to its place, in one
place; the registry validates the result."""

from __future__ import annotations

import tomllib
from pathlib import Path

from ..errors import InputError

# form field -> where it goes in the record (`show --json`'s shape)
FIELDS = {
    "ident": ("id",), "nombre": ("nombre",), "sitio": ("sitio",), "enlace": ("enlace",),
    **{f"{role}_{key}": (role, key) for role in ("tecnico", "legal")
       for key in ("nombre", "email", "telefono", "movil", "extension")},
    "servidor": ("servidor", "host"), "software": ("servidor", "software"), "hardware": ("servidor", "hardware"),
    "energia": ("servidor", "energia"), "red": ("servidor", "red"),
    "metodo": ("transfer", "method"), "ssh_host": ("transfer", "host"), "ssh_port": ("transfer", "port"),
    "ssh_user": ("transfer", "user"), "ssh_path": ("transfer", "path"),
}
TAIL_FIELDS = {"entidad": ("entidad",), "ip_registro": ("ip_registro",), "url_pruebas": ("url_pruebas",),
               "url_oficial": ("url_oficial",)}


def _put(data: dict, path: tuple[str, ...], value) -> None:
    if value is None or value == () or value == "":
        return
    d = data
    for k in path[:-1]:
        d = d.setdefault(k, {})
    d[path[-1]] = value


def _host_key(value: str) -> str:
    """The host key line itself, or the contents of the .pub file it names."""
    p = Path(value)
    if not p.is_file():
        return value
    try:
        return p.read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--host-key {p}: cannot read the public key file: {exc}") from None


def difusor_from_form(data: dict, form: dict) -> dict:
    """`data` (a --from file's fields, or empty) with every field the form gives put in its place."""
    for name, path in FIELDS.items():
        _put(data, path, form[name])
    if form["host_key"]:
        _put(data, ("transfer", "host_key"), _host_key(form["host_key"]))
    if form["carta_fecha"]:
        _put(data, ("carta_recibida",), True)
        _put(data, ("carta_fecha",), form["carta_fecha"])
    if form["simulacro"]:
        _put(data, ("simulacros",), sorted(set(form["simulacro"])))
    for name, path in TAIL_FIELDS.items():
        _put(data, path, form[name])
    if form["personal"]:
        from .registry import parse_staff

        data["personal"] = [parse_staff(x) for x in form["personal"]]
    return data


def _upload(data: dict, key: str, base: Path) -> Path | None:
    """`logo`/`diagrama` in a --from file: a path to the file (relative to that file); a flag as `show --json`
    prints it is ignored (what counts is the file stored beside the record)."""
    value = data.pop(key, None)
    if isinstance(value, str) and value.strip():
        return base / value
    if value is None or isinstance(value, bool) or value == "":
        return None
    raise InputError(f"--from: {key}: expected the path of the {key} file, got {value!r}")


def read_form_file(path: Path) -> tuple[dict, Path | None, Path | None]:
    """A registration in TOML: (its fields, its logo's path, its service diagram's path)."""
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    base = Path(path).parent
    return data, _upload(data, "logo", base), _upload(data, "diagrama", base)
