"""The catalog: geography, casillas, parties, elections and contests, and which actas are expected.

Loaded from plain files an institute's IT unit can read and diff: `catalog.toml` (the process, entities,
parties, elections, coalitions, independents), `secciones.csv` and `casillas.csv`. Every loading error names
the file, line and field.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from itertools import combinations
from pathlib import Path

import numpy as np

from ..errors import InputError, where

AMBITOS = ("nacional", "entidad", "distrito_federal", "distrito_local", "municipio", "junta")
# básica, contigua, extraordinaria, especial, mesa del voto en el extranjero, voto en prisión preventiva
TIPOS_CASILLA = ("B", "C", "E", "S", "M", "V")
NO_REGISTRADOS = "NO_REGISTRADOS"
NULOS = "NULOS"


@dataclass(frozen=True)
class Partido:
    siglas: str
    nombre: str
    color: str = "#777777"


@dataclass(frozen=True)
class Candidatura:
    """One option on a contest's ballot and the vote columns that add up to it ("por candidatura")."""

    clave: str
    nombre: str
    tipo: str  # partido | coalicion | comun (candidatura común) | independiente
    columnas: tuple[str, ...]
    partidos: tuple[str, ...] = ()
    candidato: str = ""  # the person standing, when the catalog or the candidaturas file names them


@dataclass(frozen=True)
class Contienda:
    """A race: the whole country, an entity, a distrito or a municipio, with its own ballot."""

    eleccion: str
    clave: str  # "0" nacional, "17" entidad, "17-3" distrito or municipio
    entidad: int
    numero: int
    nombre: str
    columnas: tuple[str, ...]  # the columns that run here; the rest of the election's are "-"
    candidaturas: tuple[Candidatura, ...]


@dataclass(frozen=True)
class Eleccion:
    clave: str  # GUB, DIP_LOC, AYUN, PRES, SEN, DIP_FED
    nombre: str  # as the CSV database heads it, e.g. "DIPUTACIONES LOCALES"
    ambito: str
    tipo_acta: int
    tipo_acta_especial: int | None  # None: casillas especiales produce no acta for this election
    columnas: tuple[str, ...]  # every vote column in database order
    contiendas: dict[str, Contienda]
    actas_especial: int = 1  # actas a casilla especial produces (INE diputaciones: MR and RP, 2)
    actas_esperadas: int | None = None  # the catálogo de actas' size, when the catalog lists fewer casillas
    excede_con_nulos: bool = False  # the institute's excede-lista test counts NULOS (rules.classify)

    def contienda_clave(self, entidad: int, seccion: "Seccion") -> str:
        if self.ambito == "nacional":
            return "0"
        if self.ambito == "entidad":
            return str(entidad)
        numero = {
            "distrito_local": seccion.distrito_local,
            "distrito_federal": seccion.distrito_federal,
            "municipio": seccion.municipio,
        }[self.ambito]
        return f"{entidad}-{numero}"


# The short names institutes use in file names, by INE entity id (23 -> QROO as in the 2019 database).
SIGLAS_INE = {
    1: "AGS", 2: "BC", 3: "BCS", 4: "CAMP", 5: "COAH", 6: "COL", 7: "CHIS", 8: "CHIH", 9: "CDMX", 10: "DGO",
    11: "GTO", 12: "GRO", 13: "HGO", 14: "JAL", 15: "MEX", 16: "MICH", 17: "MOR", 18: "NAY", 19: "NL", 20: "OAX",
    21: "PUE", 22: "QRO", 23: "QROO", 24: "SLP", 25: "SIN", 26: "SON", 27: "TAB", 28: "TAMPS", 29: "TLAX",
    30: "VER", 31: "YUC", 32: "ZAC",
}


@dataclass(frozen=True)
class Entidad:
    id: int
    nombre: str
    distritos_locales: tuple[str, ...]  # names, index = number - 1
    distritos_federales: tuple[str, ...]
    municipios: tuple[str, ...]
    siglas: str = ""  # the short name in file names (QROO, MOR, MEX)
    juntas: tuple[str, ...] = ()  # juntas municipales (Campeche), index = number - 1

    def nombre_de(self, ambito: str, numero: int) -> str:
        names = {
            "distrito_local": self.distritos_locales,
            "distrito_federal": self.distritos_federales,
            "municipio": self.municipios,
            "junta": self.juntas,
        }.get(ambito)
        if names is None:
            return self.nombre
        return names[numero - 1] if 0 < numero <= len(names) else f"{numero}"


@dataclass(frozen=True)
class Seccion:
    entidad: int
    numero: int
    distrito_local: int
    distrito_federal: int
    municipio: int
    junta: int = 0  # the junta municipal it votes in, where the entity elects them (Campeche)


@dataclass(frozen=True, order=True)
class Casilla:
    entidad: int
    seccion: int
    tipo: str
    numero: int
    ext_contigua: int
    ubicacion: int = 1  # 1 urbana, 2 no urbana
    lista_nominal: int = 0
    boletas: int = 0  # casillas especiales: ballots approved

    @property
    def clave(self) -> str:
        """CLAVE_CASILLA: entity(2) + sección(4) + tipo + number(2) + ext_contigua(2)."""
        return f"{self.entidad:02d}{self.seccion:04d}{self.tipo}{self.numero:02d}{self.ext_contigua:02d}"

    @property
    def especial(self) -> bool:
        return self.tipo == "S"

    @property
    def nombre(self) -> str:
        """The name people use: B1, C3, E1, E1C2, S1."""
        base = "B" if self.tipo == "B" else f"{self.tipo}{self.numero}"
        return f"{base}C{self.ext_contigua}" if self.ext_contigua else base


def casilla_key(entidad: int, seccion: int, tipo: str, numero: int, ext: int) -> tuple:
    return (entidad, seccion, tipo, numero, ext)


@dataclass(frozen=True)
class Proceso:
    id: str  # e.g. MOR-2024
    nombre: str
    fecha: date  # election day
    timezone: str = "America/Mexico_City"
    instituto: str = ""


_TIPO_CODE = {t: i for i, t in enumerate(TIPOS_CASILLA)}


def casilla_code(entidad, seccion, tipo, numero, ext):
    """One int64 per casilla identification, ordered like the catalog (works on scalars and arrays)."""
    if isinstance(tipo, np.ndarray):
        t = np.zeros(tipo.shape, dtype=np.int64)
        for name, code in _TIPO_CODE.items():
            t[tipo == name] = code
        t[~np.isin(tipo, TIPOS_CASILLA)] = 9
    else:
        t = _TIPO_CODE.get(tipo, 9)
    return (((np.int64(entidad) * 100_000 + seccion) * 10 + t) * 1000 + numero) * 1000 + ext


@dataclass
class Catalog:
    proceso: Proceso
    entidades: dict[int, Entidad]
    partidos: dict[str, Partido]
    secciones: dict[tuple[int, int], Seccion]
    casillas: list[Casilla]
    elecciones: dict[str, Eleccion] = field(default_factory=dict)

    @cached_property
    def casilla_index(self) -> dict[tuple, int]:
        return {casilla_key(c.entidad, c.seccion, c.tipo, c.numero, c.ext_contigua): i for i, c in enumerate(self.casillas)}

    @cached_property
    def casilla_arrays(self) -> dict[str, np.ndarray]:
        """Per-casilla fields as arrays, index = position in `casillas`."""
        cs = self.casillas
        arrays = {name: np.fromiter((getattr(c, name) for c in cs), dtype=np.int64, count=len(cs))
                  for name in ("entidad", "seccion", "numero", "ext_contigua", "ubicacion", "lista_nominal", "boletas")}
        arrays["tipo"] = np.array([c.tipo for c in cs], dtype="<U1")
        arrays["code"] = casilla_code(arrays["entidad"], arrays["seccion"], arrays["tipo"], arrays["numero"],
                                      arrays["ext_contigua"])
        return arrays

    def locate(self, entidad, seccion, tipo, numero, ext) -> np.ndarray:
        """Catalog index of each identification, -1 where it matches no casilla (fuera de catálogo)."""
        codes = self.casilla_arrays["code"]
        order = self.__dict__.get("_code_order")
        if order is None:
            order = self.__dict__["_code_order"] = np.argsort(codes, kind="stable")
        wanted = casilla_code(np.asarray(entidad), np.asarray(seccion), np.asarray(tipo), np.asarray(numero),
                              np.asarray(ext))
        sorted_codes = codes[order]
        pos = np.clip(np.searchsorted(sorted_codes, wanted), 0, max(len(codes) - 1, 0))
        found = sorted_codes[pos] == wanted if len(codes) else np.zeros(wanted.shape, dtype=bool)
        return np.where(found, order[pos] if len(codes) else -1, -1)

    def level_keys(self, level: str) -> list[str]:
        """Each casilla's group key at a geographic level (sección, distrito, municipio, casilla)."""
        cache = self.__dict__.setdefault("_level_keys", {})
        if level not in cache:
            if level == "casilla":
                cache[level] = [c.clave for c in self.casillas]
            elif level == "seccion":
                cache[level] = [f"{c.entidad}-{c.seccion}" for c in self.casillas]
            else:
                by_sec = {k: f"{s.entidad}-{getattr(s, level)}" for k, s in self.secciones.items()}
                cache[level] = [by_sec[(c.entidad, c.seccion)] for c in self.casillas]
        return cache[level]

    def contest_keys(self, eleccion: "Eleccion") -> np.ndarray:
        """Each casilla's contest key in an election, as an object array."""
        cache = self.__dict__.setdefault("_contest_keys", {})
        if eleccion.clave not in cache:
            if eleccion.ambito == "nacional":
                keys = ["0"] * len(self.casillas)
            elif eleccion.ambito == "entidad":
                keys = [str(c.entidad) for c in self.casillas]
            else:
                keys = self.level_keys(eleccion.ambito)
            cache[eleccion.clave] = np.array(keys, dtype=object)
        return cache[eleccion.clave]

    def expected(self, eleccion: Eleccion) -> list[int]:
        """Indices of the casillas expected to produce an acta of this election (the catálogo de actas): those
        inside one of its contests (an election may cover part of the territory: juntas municipales, or the
        voto en el extranjero of one race), especiales only when the election gives them an acta."""
        keys = self.contest_keys(eleccion)
        inside = set(eleccion.contiendas)
        return [i for i, c in enumerate(self.casillas)
                if keys[i] in inside and (eleccion.tipo_acta_especial is not None or not c.especial)]

    def tipo_acta(self, eleccion: Eleccion, casilla: Casilla) -> int | None:
        return eleccion.tipo_acta_especial if casilla.especial else eleccion.tipo_acta


# ---------------------------------------------------------------- building ballots


def coalition_columns(partidos: tuple[str, ...]) -> list[str]:
    """Every combination column of a coalition, largest first, in party order (C_PAN_PRD_PES, C_PAN_PRD, …)."""
    cols = []
    for size in range(len(partidos), 1, -1):
        cols.extend("C_" + "_".join(combo) for combo in combinations(partidos, size))
    return cols


def build_eleccion(
    clave: str, nombre: str, ambito: str, tipo_acta: int, tipo_acta_especial: int | None,
    partidos: list[str], contests: list[tuple[int, int, str]],
    coaliciones: list[dict], independientes: list[dict], orden: list[str] | None = None,
) -> Eleccion:
    """Assemble an election's columns and its contests' ballots.

    `contests` is (entidad, numero, nombre); `coaliciones` are {nombre, partidos, contiendas (keys or None for
    all)}; `independientes` are {contienda, nombre}.
    """
    keys = [_contest_key(ambito, e, n) for e, n, _ in contests]
    coal_cols: list[str] = []
    for coal in coaliciones:
        for col in coalition_columns(tuple(coal["partidos"])):
            if col not in coal_cols:
                coal_cols.append(col)
    ci_per_contest: dict[str, list[str]] = {k: [] for k in keys}
    for ind in independientes:
        ci_per_contest[ind["contienda"]].append(ind["nombre"])
    max_ci = max((len(v) for v in ci_per_contest.values()), default=0)
    ci_cols = [f"CAND_IND_{i}" for i in range(1, max_ci + 1)]
    columnas = tuple(partidos) + tuple(coal_cols) + tuple(ci_cols) + (NO_REGISTRADOS, NULOS)
    if orden is not None:
        if sorted(orden) != sorted(columnas):
            extra = sorted(set(orden) - set(columnas)) or sorted(set(columnas) - set(orden))
            raise ValueError(f"columnas does not match the parties, coalitions and independents (check {extra[0]!r})")
        columnas = tuple(orden)

    contiendas = {}
    for (entidad, numero, nombre_c), key in zip(contests, keys):
        running = [c for c in coaliciones if c.get("contiendas") is None or key in c["contiendas"]]
        in_coalition = {p for c in running for p in c["partidos"]}
        cands: list[Candidatura] = []
        cols = list(partidos)
        for coal in running:
            combo = coalition_columns(tuple(coal["partidos"]))
            cols.extend(combo)
            cands.append(Candidatura(
                clave="_".join(coal["partidos"]), nombre=coal["nombre"], tipo="coalicion",
                columnas=tuple(coal["partidos"]) + tuple(combo), partidos=tuple(coal["partidos"]),
            ))
        for p in partidos:
            if p not in in_coalition:
                cands.append(Candidatura(clave=p, nombre=p, tipo="partido", columnas=(p,), partidos=(p,)))
        for i, name in enumerate(ci_per_contest[key], start=1):
            col = f"CAND_IND_{i}"
            cols.append(col)
            cands.append(Candidatura(clave=col, nombre=name, tipo="independiente", columnas=(col,)))
        cols += [NO_REGISTRADOS, NULOS]
        order = {c: i for i, c in enumerate(columnas)}
        contiendas[key] = Contienda(
            eleccion=clave, clave=key, entidad=entidad, numero=numero, nombre=nombre_c,
            columnas=tuple(sorted(set(cols), key=order.__getitem__)), candidaturas=tuple(cands),
        )
    return Eleccion(clave, nombre, ambito, tipo_acta, tipo_acta_especial, columnas, contiendas)


def _contest_key(ambito: str, entidad: int, numero: int) -> str:
    if ambito == "nacional":
        return "0"
    if ambito == "entidad":
        return str(entidad)
    return f"{entidad}-{numero}"


def contests_for(ambito: str, entidades: dict[int, Entidad]) -> list[tuple[int, int, str]]:
    """Every contest an election of this ámbito holds over the given entities."""
    if ambito == "nacional":
        return [(0, 0, "NACIONAL")]
    out = []
    for ent in sorted(entidades.values(), key=lambda e: e.id):
        if ambito == "entidad":
            out.append((ent.id, 0, ent.nombre))
            continue
        names = {"distrito_local": ent.distritos_locales, "distrito_federal": ent.distritos_federales,
                 "municipio": ent.municipios, "junta": ent.juntas}[ambito]
        out.extend((ent.id, i, name) for i, name in enumerate(names, start=1))
    return out


# ---------------------------------------------------------------- loading


def load(directory: str | Path) -> Catalog:
    """Load `catalog.toml`, `secciones.csv` and `casillas.csv` from a directory."""
    directory = Path(directory)
    toml_path = directory / "catalog.toml"
    try:
        raw = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{toml_path}: not found; point --election at a directory made by "
                         "'pregon simulate election' or holding catalog.toml, secciones.csv and casillas.csv") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{toml_path}: not valid TOML ({exc}); fix the syntax at that position") from None
    except UnicodeDecodeError:
        raise InputError(f"{toml_path}: not UTF-8 text; save it as UTF-8") from None

    proceso_raw = _table(raw, "proceso", toml_path)
    try:
        proceso = Proceso(
            id=_str(proceso_raw, "id", toml_path, "proceso"),
            nombre=_str(proceso_raw, "nombre", toml_path, "proceso"),
            fecha=_date(proceso_raw, "fecha", toml_path),
            timezone=str(proceso_raw.get("timezone", "America/Mexico_City")),
            instituto=str(proceso_raw.get("instituto", "")),
        )
    except KeyError as exc:
        raise InputError(f"{toml_path}: [proceso] lacks {exc}; add it") from None

    entidades = {}
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
        entidades[ent.id] = ent
    if not entidades:
        raise InputError(f"{toml_path}: no [[entidad]] table; declare at least one entity")

    partidos = {}
    for i, p in enumerate(raw.get("partido", []), start=1):
        ctx = f"[[partido]] #{i}"
        siglas = _str(p, "siglas", toml_path, ctx)
        if not siglas.replace("_", "").isalnum() or siglas.upper() != siglas:
            raise InputError(f"{toml_path}: {ctx}: field 'siglas' {siglas!r} must be upper-case letters/digits")
        partidos[siglas] = Partido(siglas, _str(p, "nombre", toml_path, ctx), str(p.get("color", "#777777")))

    secciones = _load_secciones(directory / "secciones.csv", entidades)
    casillas = _load_casillas(directory / "casillas.csv", secciones)
    catalog = Catalog(proceso, entidades, partidos, secciones, casillas)

    for i, el in enumerate(raw.get("eleccion", []), start=1):
        catalog.elecciones[el.get("clave", f"#{i}")] = _load_eleccion(el, i, toml_path, catalog, directory)
    if not catalog.elecciones:
        raise InputError(f"{toml_path}: no [[eleccion]] table; declare at least one election")
    return catalog


def _load_eleccion(el: dict, i: int, path: Path, catalog: Catalog, directory: Path) -> Eleccion:
    ctx = f"[[eleccion]] #{i}"
    clave = _str(el, "clave", path, ctx)
    ambito = _str(el, "ambito", path, ctx)
    if ambito not in AMBITOS:
        raise InputError(f"{path}: {ctx}: field 'ambito' is {ambito!r}; use one of {', '.join(AMBITOS)}")
    ballots = directory / "boletas" / f"{clave}.csv"
    if ballots.exists():
        return _eleccion_with_ballots(el, ctx, path, clave, ambito, ballots)
    partidos = list(el.get("partidos", catalog.partidos))
    for p in partidos:
        if p not in catalog.partidos:
            raise InputError(f"{path}: {ctx}: party {p!r} is not declared in a [[partido]] table")
    contests = contests_for(ambito, catalog.entidades)
    keys = {_contest_key(ambito, e, n) for e, n, _ in contests}
    coaliciones = []
    for j, c in enumerate(el.get("coalicion", []), start=1):
        cctx = f"{ctx} coalicion #{j}"
        members = list(c.get("partidos", ()))
        if len(members) < 2 or any(m not in partidos for m in members):
            raise InputError(f"{path}: {cctx}: field 'partidos' needs two or more of this election's parties")
        scope = c.get("contiendas")
        if scope is not None:
            scope = [str(s) for s in scope]
            bad = [s for s in scope if s not in keys]
            if bad:
                raise InputError(f"{path}: {cctx}: unknown contienda {bad[0]!r}; use keys like "
                                 f"{sorted(keys)[0]!r}")
        coaliciones.append({"nombre": str(c.get("nombre", "_".join(members))), "partidos": members,
                            "contiendas": scope})
    independientes = []
    for j, c in enumerate(el.get("independiente", []), start=1):
        key = str(c.get("contienda", ""))
        if key not in keys:
            raise InputError(f"{path}: {ctx} independiente #{j}: field 'contienda' {key!r} is not a contest "
                             f"of this election")
        independientes.append({"contienda": key, "nombre": _str(c, "nombre", path, f"{ctx} independiente #{j}")})
    especial = el.get("tipo_acta_especial", el.get("tipo_acta", 1))
    orden = el.get("columnas")
    try:
        built = build_eleccion(
            clave, _str(el, "nombre", path, ctx), ambito, _int(el, "tipo_acta", path, ctx),
            None if especial in (0, False) else int(especial), partidos, contests, coaliciones, independientes,
            [str(c) for c in orden] if orden is not None else None,
        )
    except ValueError as exc:
        raise InputError(f"{path}: {ctx}: field 'columnas': {exc}") from None
    return _with_options(built, el, ctx, path)


def _eleccion_with_ballots(el: dict, ctx: str, path: Path, clave: str, ambito: str, ballots: Path) -> Eleccion:
    """An election whose contests are listed in boletas/<CLAVE>.csv (election/ballots.py)."""
    from . import ballots as ballots_mod

    columnas = el.get("columnas")
    if not isinstance(columnas, list) or not columnas or not all(isinstance(c, str) and c for c in columnas):
        raise InputError(f"{path}: {ctx}: field 'columnas' must list the vote columns when {ballots} is used")
    especial = el.get("tipo_acta_especial", el.get("tipo_acta", 1))
    built = Eleccion(clave, _str(el, "nombre", path, ctx), ambito, _int(el, "tipo_acta", path, ctx),
                     None if especial in (0, False) else int(especial), tuple(columnas),
                     ballots_mod.load(ballots, clave, tuple(columnas)))
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


def _load_secciones(path: Path, entidades: dict[int, Entidad]) -> dict[tuple[int, int], Seccion]:
    out = {}
    names = ("ENTIDAD", "SECCION", "DISTRITO_LOCAL", "DISTRITO_FEDERAL", "MUNICIPIO")
    for line, row in _csv_rows(path, names):
        vals = [_cell_int(path, line, row, k) for k in names]
        if "JUNTA" in row:  # optional column: the junta municipal, where the entity elects them
            vals.append(_cell_int(path, line, row, "JUNTA"))
        if vals[0] not in entidades:
            raise InputError(f"{where(path, line, 'ENTIDAD')}: entity {vals[0]} is not in catalog.toml")
        sec = Seccion(*vals)
        if (sec.entidad, sec.numero) in out:
            raise InputError(f"{where(path, line, 'SECCION')}: sección {sec.numero} appears twice; remove one row")
        out[(sec.entidad, sec.numero)] = sec
    return out


def _load_casillas(path: Path, secciones: dict) -> list[Casilla]:
    cols = ("ENTIDAD", "SECCION", "TIPO", "NUMERO", "EXT_CONTIGUA", "UBICACION", "LISTA_NOMINAL", "BOLETAS")
    out, seen = [], set()
    for line, row in _csv_rows(path, cols):
        tipo = row["TIPO"].strip()
        if tipo not in TIPOS_CASILLA:
            raise InputError(f"{where(path, line, 'TIPO')}: {tipo!r} is not a casilla type; use B, C, E, S or M")
        c = Casilla(
            _cell_int(path, line, row, "ENTIDAD"), _cell_int(path, line, row, "SECCION"), tipo,
            _cell_int(path, line, row, "NUMERO"), _cell_int(path, line, row, "EXT_CONTIGUA"),
            _cell_int(path, line, row, "UBICACION"), _cell_int(path, line, row, "LISTA_NOMINAL"),
            _cell_int(path, line, row, "BOLETAS"),
        )
        if (c.entidad, c.seccion) not in secciones:
            raise InputError(f"{where(path, line, 'SECCION')}: sección {c.seccion} is not in secciones.csv")
        key = casilla_key(c.entidad, c.seccion, c.tipo, c.numero, c.ext_contigua)
        if key in seen:
            raise InputError(f"{where(path, line)}: casilla {c.clave} appears twice; remove one row")
        seen.add(key)
        out.append(c)
    out.sort()
    return out


def _csv_rows(path: Path, required: tuple[str, ...]):
    try:
        fh = open(path, encoding="utf-8", newline="")
    except FileNotFoundError:
        raise InputError(f"{path}: not found; the catalog needs it beside catalog.toml") from None
    with fh:
        reader = csv.DictReader(fh)
        try:
            header = reader.fieldnames or []
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text; save it as UTF-8") from None
        missing = [c for c in required if c not in header]
        if missing:
            raise InputError(f"{where(path, 1)}: missing column {missing[0]!r}; the header must have "
                             f"{','.join(required)}")
        try:
            for row in reader:
                yield reader.line_num, row
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text after line {reader.line_num}; save it as UTF-8") from None


def _cell_int(path, line, row, key) -> int:
    value = (row.get(key) or "").strip()
    if not value.isdigit():
        raise InputError(f"{where(path, line, key)}: {value!r} is not a non-negative whole number")
    return int(value)


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


# ---------------------------------------------------------------- saving


def save(catalog: Catalog, directory: str | Path) -> None:
    """Write the catalog as the three files `load` reads (deterministic bytes)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    listed = {k for k, el in catalog.elecciones.items() if not _derivable(catalog, el)}
    (directory / "catalog.toml").write_text(dump_toml(catalog, listed=listed), encoding="utf-8")
    if listed:
        from . import ballots as ballots_mod

        (directory / "boletas").mkdir(exist_ok=True)
        for clave in sorted(listed):
            (directory / "boletas" / f"{clave}.csv").write_text(
                ballots_mod.dump(catalog.elecciones[clave].contiendas), encoding="utf-8")
    juntas = any(s.junta for s in catalog.secciones.values())
    with open(directory / "secciones.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["ENTIDAD", "SECCION", "DISTRITO_LOCAL", "DISTRITO_FEDERAL", "MUNICIPIO"] + ["JUNTA"] * juntas)
        for s in sorted(catalog.secciones.values(), key=lambda s: (s.entidad, s.numero)):
            w.writerow([s.entidad, s.numero, s.distrito_local, s.distrito_federal, s.municipio] + [s.junta] * juntas)
    with open(directory / "casillas.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["ENTIDAD", "SECCION", "TIPO", "NUMERO", "EXT_CONTIGUA", "UBICACION", "LISTA_NOMINAL", "BOLETAS"])
        for c in catalog.casillas:
            w.writerow([c.entidad, c.seccion, c.tipo, c.numero, c.ext_contigua, c.ubicacion, c.lista_nominal,
                        c.boletas])


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _qlist(items) -> str:
    return "[" + ", ".join(_q(str(i)) for i in items) + "]"


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


def _derivable(catalog: Catalog, el: Eleccion) -> bool:
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
    p = catalog.proceso
    lines = ["[proceso]", f"id = {_q(p.id)}", f"nombre = {_q(p.nombre)}", f"fecha = {p.fecha.isoformat()}",
             f"timezone = {_q(p.timezone)}", f"instituto = {_q(p.instituto)}", ""]
    for e in sorted(catalog.entidades.values(), key=lambda e: e.id):
        lines += ["[[entidad]]", f"id = {e.id}", f"nombre = {_q(e.nombre)}"]
        if e.siglas:
            lines.append(f"siglas = {_q(e.siglas)}")
        for key in ("distritos_locales", "distritos_federales", "municipios", "juntas"):
            vals = getattr(e, key)
            if vals:
                lines.append(f"{key} = {_qlist(vals)}")
        lines.append("")
    for pa in catalog.partidos.values():
        lines += ["[[partido]]", f"siglas = {_q(pa.siglas)}", f"nombre = {_q(pa.nombre)}", f"color = {_q(pa.color)}", ""]
    for el in catalog.elecciones.values():
        parties = [c for c in el.columnas if c in catalog.partidos]
        lines += ["[[eleccion]]", f"clave = {_q(el.clave)}", f"nombre = {_q(el.nombre)}", f"ambito = {_q(el.ambito)}",
                  f"tipo_acta = {el.tipo_acta}", f"tipo_acta_especial = {el.tipo_acta_especial or 0}",
                  f"partidos = {_qlist(parties)}", f"columnas = {_qlist(el.columnas)}"]
        if el.actas_especial != 1:
            lines.append(f"actas_especial = {el.actas_especial}")
        if el.actas_esperadas is not None:
            lines.append(f"actas_esperadas = {el.actas_esperadas}")
        if el.excede_con_nulos:
            lines.append("excede_con_nulos = true")
        lines.append("")
        if el.clave in listed:
            lines += [f"# the contests and their ballots: boletas/{el.clave}.csv", ""]
            continue
        coalitions, independents = _coalitions_and_independents(el)
        for (members, nombre), keys in coalitions.items():
            lines += ["[[eleccion.coalicion]]", f"nombre = {_q(nombre)}", f"partidos = {_qlist(members)}"]
            if len(keys) != len(el.contiendas):
                lines.append(f"contiendas = {_qlist(keys)}")
            lines.append("")
        for key, nombre in independents:
            lines += ["[[eleccion.independiente]]", f"contienda = {_q(key)}", f"nombre = {_q(nombre)}", ""]
    return "\n".join(lines)
