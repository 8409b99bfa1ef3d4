"""`catalog.toml`: the process, entities, parties and elections (with coalitions and independents), read and
written.

The file describes a ballot by rules, as an institute designs one; an election whose ballot the rules cannot
say has its contests in boletas/<CLAVE>.csv instead (ballots_csv). Every reading error names the file and
the table or field, in words the IT unit that wrote it can act on.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from datetime import date
from pathlib import Path

from ..election.catalog import (AMBITOS, Catalog, Eleccion, Entidad, Partido, Proceso, build_eleccion, contest_key,
                                contests_for)
from ..errors import InputError
from . import ballots_csv
from .tomltext import string as _q
from .tomltext import strings as _qlist

# ---------------------------------------------------------------- reading


def read(toml_path: Path) -> dict:
    """The parsed TOML; InputError for a missing file, bad syntax or bad encoding."""
    try:
        return tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{toml_path}: not found; point --election at a directory made by "
                         "'pregon simulate election' or holding catalog.toml, secciones.csv and casillas.csv") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{toml_path}: not valid TOML ({exc}); fix the syntax at that position") from None
    except UnicodeDecodeError:
        raise InputError(f"{toml_path}: not UTF-8 text; save it as UTF-8") from None


def proceso(raw: dict, toml_path: Path) -> Proceso:
    proceso_raw = _table(raw, "proceso", toml_path)
    try:
        return Proceso(
            id=_str(proceso_raw, "id", toml_path, "proceso"),
            nombre=_str(proceso_raw, "nombre", toml_path, "proceso"),
            fecha=_date(proceso_raw, "fecha", toml_path),
            timezone=str(proceso_raw.get("timezone", "America/Mexico_City")),
            instituto=str(proceso_raw.get("instituto", "")),
            instituto_nombre=str(proceso_raw.get("instituto_nombre", "")),
            color=_color(proceso_raw.get("color", ""), toml_path),
            emblema_svg=_emblem(proceso_raw.get("emblema", ""), toml_path, "[proceso] emblema"),
        )
    except KeyError as exc:
        raise InputError(f"{toml_path}: [proceso] lacks {exc}; add it") from None


_HEX = re.compile(r"#[0-9a-fA-F]{6}")
EMBLEM_MAX = 100_000
EMBLEM_FILE = "emblema.svg"  # what `save` writes beside catalog.toml
PARTY_EMBLEMS = "emblemas"  # and the parties' artwork, one <SIGLAS>.svg each


def party_emblem_file(siglas: str) -> str:
    return f"{PARTY_EMBLEMS}/{siglas}.svg"


def _color(value, toml_path: Path) -> str:
    if value in ("", None):
        return ""
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise InputError(f"{toml_path}: [proceso] color {value!r}: give the institute's colour as #rrggbb, "
                         "e.g. \"#6a1b4d\"")
    return value.lower()


def _emblem(value, toml_path: Path, field: str) -> str:
    """The emblem's SVG text, checked: an SVG document, small, with nothing active in it (it is served as an
    image, where scripts never run, but a file that carries them is not what an institute meant to publish)."""
    if not value:
        return ""
    path = (toml_path.parent / str(value))
    where = f"{toml_path}: {field} {str(value)!r}"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{where}: cannot read {path} ({exc.strerror}); "
                         "give an SVG file beside catalog.toml") from None
    if len(data) > EMBLEM_MAX:
        raise InputError(f"{where}: {len(data):,} bytes; an emblem must be under {EMBLEM_MAX:,} bytes "
                         "(simplify the SVG)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{where}: not UTF-8 text; give an SVG file") from None
    low = text.lower()
    if "<svg" not in low:
        raise InputError(f"{where}: not an SVG document (no <svg> element)")
    if re.search(r"<script|javascript:|<foreignobject|\son[a-z]+\s*=|<!entity", low):
        raise InputError(f"{where}: contains scripts, event handlers or entities; give a plain SVG drawing")
    return text


def entidades(raw: dict, toml_path: Path) -> dict[int, Entidad]:
    out = {}
    for i, e in enumerate(raw.get("entidad", []), start=1):
        ctx = f"[[entidad]] #{i}"
        ent = Entidad(
            id=_int(e, "id", toml_path, ctx),
            nombre=_str(e, "nombre", toml_path, ctx),
            distritos_locales=tuple(e.get("distritos_locales", ())),
            distritos_federales=tuple(e.get("distritos_federales", ())),
            municipios=tuple(e.get("municipios", ())),
            siglas=str(e.get("siglas", "")),
            juntas=tuple(e.get("juntas", ())),
        )
        out[ent.id] = ent
    if not out:
        raise InputError(f"{toml_path}: no [[entidad]] table; declare at least one entity")
    return out


def partidos(raw: dict, toml_path: Path) -> dict[str, Partido]:
    out = {}
    for i, p in enumerate(raw.get("partido", []), start=1):
        ctx = f"[[partido]] #{i}"
        siglas = _str(p, "siglas", toml_path, ctx)
        if not siglas.replace("_", "").isalnum() or siglas.upper() != siglas:
            raise InputError(f"{toml_path}: {ctx}: field 'siglas' {siglas!r} must be upper-case letters/digits")
        out[siglas] = Partido(siglas, _str(p, "nombre", toml_path, ctx), str(p.get("color", "#777777")),
                              _emblem(p.get("emblema", ""), toml_path, f"{ctx} ({siglas}) emblema"))
    return out


def elecciones(raw: dict, toml_path: Path, catalog: Catalog, directory: Path) -> dict[str, Eleccion]:
    """The [[eleccion]] tables, over the catalog's entities and parties (boletas/ beside catalog.toml)."""
    out = {}
    for i, el in enumerate(raw.get("eleccion", []), start=1):
        out[el.get("clave", f"#{i}")] = _eleccion(el, i, toml_path, catalog, directory)
    if not out:
        raise InputError(f"{toml_path}: no [[eleccion]] table; declare at least one election")
    return out


def _eleccion(el: dict, i: int, path: Path, catalog: Catalog, directory: Path) -> Eleccion:
    ctx = f"[[eleccion]] #{i}"
    clave = _str(el, "clave", path, ctx)
    ambito = _str(el, "ambito", path, ctx)
    if ambito not in AMBITOS:
        raise InputError(f"{path}: {ctx}: field 'ambito' is {ambito!r}; use one of {', '.join(AMBITOS)}")
    ballots = directory / "boletas" / f"{clave}.csv"
    if ballots.exists():
        return _eleccion_with_ballots(el, ctx, path, clave, ambito, ballots)
    parties = list(el.get("partidos", catalog.partidos))
    for p in parties:
        if p not in catalog.partidos:
            raise InputError(f"{path}: {ctx}: party {p!r} is not declared in a [[partido]] table")
    contests = contests_for(ambito, catalog.entidades)
    keys = {contest_key(ambito, e, n) for e, n, _ in contests}
    coaliciones = _coaliciones(el, ctx, path, parties, keys)
    independientes = _independientes(el, ctx, path, keys)
    especial = el.get("tipo_acta_especial", el.get("tipo_acta", 1))
    orden = el.get("columnas")
    try:
        built = build_eleccion(
            clave, _str(el, "nombre", path, ctx), ambito, _int(el, "tipo_acta", path, ctx),
            None if especial in (0, False) else int(especial), parties, contests, coaliciones, independientes,
            [str(c) for c in orden] if orden is not None else None,
        )
    except ValueError as exc:
        raise InputError(f"{path}: {ctx}: field 'columnas': {exc}") from None
    return _with_options(built, el, ctx, path)


def _coaliciones(el: dict, ctx: str, path: Path, parties: list[str], keys: set[str]) -> list[dict]:
    """[[eleccion.coalicion]]: two or more of the election's parties, everywhere or in listed contests."""
    out = []
    for j, c in enumerate(el.get("coalicion", []), start=1):
        cctx = f"{ctx} coalicion #{j}"
        members = list(c.get("partidos", ()))
        if len(members) < 2 or any(m not in parties for m in members):
            raise InputError(f"{path}: {cctx}: field 'partidos' needs two or more of this election's parties")
        scope = c.get("contiendas")
        if scope is not None:
            scope = [str(s) for s in scope]
            bad = [s for s in scope if s not in keys]
            if bad:
                raise InputError(f"{path}: {cctx}: unknown contienda {bad[0]!r}; use keys like "
                                 f"{sorted(keys)[0]!r}")
        out.append({"nombre": str(c.get("nombre", "_".join(members))), "partidos": members, "contiendas": scope})
    return out


def _independientes(el: dict, ctx: str, path: Path, keys: set[str]) -> list[dict]:
    """[[eleccion.independiente]]: a candidate in one contest."""
    out = []
    for j, c in enumerate(el.get("independiente", []), start=1):
        key = str(c.get("contienda", ""))
        if key not in keys:
            raise InputError(f"{path}: {ctx} independiente #{j}: field 'contienda' {key!r} is not a contest "
                             f"of this election")
        out.append({"contienda": key, "nombre": _str(c, "nombre", path, f"{ctx} independiente #{j}")})
    return out


def _eleccion_with_ballots(el: dict, ctx: str, path: Path, clave: str, ambito: str, ballots: Path) -> Eleccion:
    """An election whose contests are listed in boletas/<CLAVE>.csv (ballots_csv)."""
    columnas = el.get("columnas")
    if not isinstance(columnas, list) or not columnas or not all(isinstance(c, str) and c for c in columnas):
        raise InputError(f"{path}: {ctx}: field 'columnas' must list the vote columns when {ballots} is used")
    especial = el.get("tipo_acta_especial", el.get("tipo_acta", 1))
    built = Eleccion(clave, _str(el, "nombre", path, ctx), ambito, _int(el, "tipo_acta", path, ctx),
                     None if especial in (0, False) else int(especial), tuple(columnas),
                     ballots_csv.load(ballots, clave, tuple(columnas)))
    return _with_options(built, el, ctx, path)


def _with_options(built: Eleccion, el: dict, ctx: str, path: Path) -> Eleccion:
    actas_especial = el.get("actas_especial", 1)
    if not isinstance(actas_especial, int) or isinstance(actas_especial, bool) or not 1 <= actas_especial <= 2:
        raise InputError(f"{path}: {ctx}: field 'actas_especial' must be 1 or 2 (actas per casilla especial)")
    con_nulos = el.get("excede_con_nulos", False)
    if not isinstance(con_nulos, bool):
        raise InputError(f"{path}: {ctx}: field 'excede_con_nulos' must be true or false")
    esperadas = el.get("actas_esperadas")
    if esperadas is not None and (not isinstance(esperadas, int) or isinstance(esperadas, bool) or esperadas < 0):
        raise InputError(f"{path}: {ctx}: field 'actas_esperadas' must be a non-negative integer")
    return replace(built, actas_especial=actas_especial, actas_esperadas=esperadas, excede_con_nulos=con_nulos)


def _table(raw, key, path) -> dict:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise InputError(f"{path}: missing table [{key}]; add it")
    return value


def _str(d: dict, key: str, path, ctx: str) -> str:
    value = d.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{path}: {ctx}: field {key!r} must be a non-empty string")
    return value


def _int(d: dict, key: str, path, ctx: str) -> int:
    value = d.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError(f"{path}: {ctx}: field {key!r} must be a non-negative integer")
    return value


def _date(d: dict, key: str, path) -> date:
    value = d.get(key)
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{path}: [proceso]: field {key!r} must be a date like 2024-06-02") from None


# ---------------------------------------------------------------- writing


def _coalitions_and_independents(el: Eleccion) -> tuple[dict, list]:
    coalitions: dict[tuple, list[str]] = {}
    independents = []
    for key, ct in el.contiendas.items():
        for cand in ct.candidaturas:
            if cand.tipo == "coalicion":
                coalitions.setdefault((cand.partidos, cand.nombre), []).append(key)
            elif cand.tipo == "independiente":
                independents.append((key, cand.nombre))
    return coalitions, independents


def derivable(catalog: Catalog, el: Eleccion) -> bool:
    """Whether catalog.toml's rules rebuild this election's contests exactly (else boletas/ lists them)."""
    coalitions, independents = _coalitions_and_independents(el)
    parties = [c for c in el.columnas if c in catalog.partidos]
    try:
        built = build_eleccion(
            el.clave, el.nombre, el.ambito, el.tipo_acta, el.tipo_acta_especial, parties,
            contests_for(el.ambito, catalog.entidades),
            [{"nombre": n, "partidos": list(m), "contiendas": None if len(keys) == len(el.contiendas) else keys}
             for (m, n), keys in coalitions.items()],
            [{"contienda": k, "nombre": n} for k, n in independents], list(el.columnas))
    except (ValueError, KeyError):
        return False

    def shape(contiendas):  # the order of columns follows the election's `columnas`, which toml keeps
        return {k: (c.entidad, c.numero, c.nombre, frozenset(c.columnas),
                    tuple((d.clave, d.nombre, d.tipo, frozenset(d.columnas), d.partidos, d.candidato)
                          for d in c.candidaturas)) for k, c in contiendas.items()}
    return shape(built.contiendas) == shape(el.contiendas)


def dump_toml(catalog: Catalog, source: dict | None = None, listed: set[str] = frozenset()) -> str:
    """catalog.toml text. Coalitions and independents are recovered from the built contests; an election in
    `listed` has its contests in boletas/<CLAVE>.csv instead."""
    lines = _proceso_lines(catalog.proceso)
    for e in sorted(catalog.entidades.values(), key=lambda e: e.id):
        lines += _entidad_lines(e)
    for pa in catalog.partidos.values():
        lines += ["[[partido]]", f"siglas = {_q(pa.siglas)}", f"nombre = {_q(pa.nombre)}", f"color = {_q(pa.color)}"]
        lines += [f"emblema = {_q(party_emblem_file(pa.siglas))}"] if pa.emblema_svg else []
        lines += [""]
    for el in catalog.elecciones.values():
        lines += _eleccion_lines(catalog, el, el.clave in listed)
    return "\n".join(lines)


def _proceso_lines(p: Proceso) -> list[str]:
    lines = ["[proceso]", f"id = {_q(p.id)}", f"nombre = {_q(p.nombre)}", f"fecha = {p.fecha.isoformat()}",
            f"timezone = {_q(p.timezone)}", f"instituto = {_q(p.instituto)}"]
    lines += [f"instituto_nombre = {_q(p.instituto_nombre)}"] if p.instituto_nombre else []
    lines += [f"color = {_q(p.color)}"] if p.color else []
    lines += [f"emblema = {_q(EMBLEM_FILE)}"] if p.emblema_svg else []
    return lines + [""]


def _entidad_lines(e: Entidad) -> list[str]:
    lines = ["[[entidad]]", f"id = {e.id}", f"nombre = {_q(e.nombre)}"]
    if e.siglas:
        lines.append(f"siglas = {_q(e.siglas)}")
    for key in ("distritos_locales", "distritos_federales", "municipios", "juntas"):
        vals = getattr(e, key)
        if vals:
            lines.append(f"{key} = {_qlist(vals)}")
    lines.append("")
    return lines


def _eleccion_lines(catalog: Catalog, el: Eleccion, listed: bool) -> list[str]:
    """An [[eleccion]] table, then its coalitions and independents (or the note that boletas/ lists them)."""
    parties = [c for c in el.columnas if c in catalog.partidos]
    lines = ["[[eleccion]]", f"clave = {_q(el.clave)}", f"nombre = {_q(el.nombre)}", f"ambito = {_q(el.ambito)}",
             f"tipo_acta = {el.tipo_acta}", f"tipo_acta_especial = {el.tipo_acta_especial or 0}",
             f"partidos = {_qlist(parties)}", f"columnas = {_qlist(el.columnas)}"]
    if el.actas_especial != 1:
        lines.append(f"actas_especial = {el.actas_especial}")
    if el.actas_esperadas is not None:
        lines.append(f"actas_esperadas = {el.actas_esperadas}")
    if el.excede_con_nulos:
        lines.append("excede_con_nulos = true")
    lines.append("")
    if listed:
        return lines + [f"# the contests and their ballots: boletas/{el.clave}.csv", ""]
    coalitions, independents = _coalitions_and_independents(el)
    for (members, nombre), keys in coalitions.items():
        lines += ["[[eleccion.coalicion]]", f"nombre = {_q(nombre)}", f"partidos = {_qlist(members)}"]
        if len(keys) != len(el.contiendas):
            lines.append(f"contiendas = {_qlist(keys)}")
        lines.append("")
    for key, nombre in independents:
        lines += ["[[eleccion.independiente]]", f"contienda = {_q(key)}", f"nombre = {_q(nombre)}", ""]
    return lines
