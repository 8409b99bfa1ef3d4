"""The catalog: geography, casillas, parties, elections and contests, and which actas are expected.

The model only, and how an election's ballots are built from its parties, coalitions and independents. The
files it is read from and written to (catalog.toml, secciones.csv, casillas.csv, boletas/) are
pregon.electionio's concern, so this stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from itertools import combinations

import numpy as np

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
    emblema_svg: str = ""  # the party's artwork (SVG text) from the catalog; none: its colour and letters


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
        if self.ambito in ("nacional", "entidad"):
            return contest_key(self.ambito, entidad, 0)
        numero = {
            "distrito_local": seccion.distrito_local,
            "distrito_federal": seccion.distrito_federal,
            "municipio": seccion.municipio,
        }[self.ambito]
        return contest_key(self.ambito, entidad, numero)


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
    # the institute's identity on the site (optional): full name, primary colour (#rrggbb), emblem (SVG text)
    instituto_nombre: str = ""
    color: str = ""
    emblema_svg: str = ""


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
    keys = [contest_key(ambito, e, n) for e, n, _ in contests]
    ci_per_contest: dict[str, list[str]] = {k: [] for k in keys}
    for ind in independientes:
        ci_per_contest[ind["contienda"]].append(ind["nombre"])
    columnas = _election_columns(partidos, coaliciones, ci_per_contest, orden)
    contiendas = {key: _contienda(clave, key, entidad, numero, nombre_c, partidos, coaliciones,
                                  ci_per_contest[key], columnas)
                  for (entidad, numero, nombre_c), key in zip(contests, keys)}
    return Eleccion(clave, nombre, ambito, tipo_acta, tipo_acta_especial, columnas, contiendas)


def _election_columns(partidos: list[str], coaliciones: list[dict], ci_per_contest: dict[str, list[str]],
                      orden: list[str] | None) -> tuple[str, ...]:
    """Every vote column of the election: parties, coalition combinations, independents, no registrados and
    nulos; in `orden` when given (it must hold exactly those)."""
    coal_cols: list[str] = []
    for coal in coaliciones:
        for col in coalition_columns(tuple(coal["partidos"])):
            if col not in coal_cols:
                coal_cols.append(col)
    max_ci = max((len(v) for v in ci_per_contest.values()), default=0)
    ci_cols = [f"CAND_IND_{i}" for i in range(1, max_ci + 1)]
    columnas = tuple(partidos) + tuple(coal_cols) + tuple(ci_cols) + (NO_REGISTRADOS, NULOS)
    if orden is not None:
        if sorted(orden) != sorted(columnas):
            extra = sorted(set(orden) - set(columnas)) or sorted(set(columnas) - set(orden))
            raise ValueError(f"columnas does not match the parties, coalitions and independents (check {extra[0]!r})")
        columnas = tuple(orden)
    return columnas


def _contienda(clave: str, key: str, entidad: int, numero: int, nombre: str, partidos: list[str],
               coaliciones: list[dict], independientes: list[str], columnas: tuple[str, ...]) -> Contienda:
    """One contest's ballot: the coalitions running there, the parties outside them, its independents."""
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
    for i, name in enumerate(independientes, start=1):
        col = f"CAND_IND_{i}"
        cols.append(col)
        cands.append(Candidatura(clave=col, nombre=name, tipo="independiente", columnas=(col,)))
    cols += [NO_REGISTRADOS, NULOS]
    order = {c: i for i, c in enumerate(columnas)}
    return Contienda(eleccion=clave, clave=key, entidad=entidad, numero=numero, nombre=nombre,
                     columnas=tuple(sorted(set(cols), key=order.__getitem__)), candidaturas=tuple(cands))


def contest_key(ambito: str, entidad: int, numero: int) -> str:
    """A contest's key: "0" nacional, "17" an entity, "17-3" a distrito, municipio or junta."""
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
