"""A corte turned into page view-models: plain dicts that are at once a page's JSON twin and the context of
its HTML template, so both always show the same figures.

Work is done once per election and corte, column-wise (numpy), so that a national corte's 200,000 sección
pages each cost a few list look-ups: `EleccionModel` holds the tallies of every node (contest, entity,
distrito, sección) as arrays, the actas converted to Python lists, and an input digest per node (a sum of
per-acta hashes) that says, without rendering, whether a page's figures changed since an earlier corte.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from ..election import rules
from ..election.catalog import NO_REGISTRADOS, NULOS, Catalog, Contienda, Eleccion
from ..election.corte import Corte, EleccionCorte, Tally
from ..database.writer import GEO
from . import paths
from .fmt import Clock, resolve_tz, stamp_fields

MODEL_VERSION = 1
FORMATO = 1  # the JSON twins' format number (docs/site-json.md)

# Below a contest, how its secciones are grouped for navigation, by the election's ámbito. A distrito or
# municipio contest lists its secciones directly. The level under an entity contest follows the CSV
# database's geography column for that ámbito (database.writer.GEO), so pages and database agree.
SUBLEVELS = {
    "nacional": ("entidad", GEO["nacional"][2]),
    "entidad": (GEO["entidad"][2],),
    "distrito_local": (),
    "distrito_federal": (),
    "municipio": (),
    "junta": (),
}
LEVEL_NAMES = {
    "contienda": "contienda", "entidad": "entidad", "distrito_local": "distrito local",
    "distrito_federal": "distrito federal", "municipio": "municipio", "junta": "junta municipal",
    "seccion": "sección",
}
COLOR_CI = "#6b4f2a"
COLOR_CNR = "#8c8c8c"
COLOR_NULOS = "#555555"
COLOR_DEFAULT = "#777777"


# ---------------------------------------------------------------- the corte's identity


@dataclass(frozen=True)
class Stamp:
    secuencia: int
    instante: str  # ISO 8601 with offset
    fecha_hora: str  # DD/MM/YYYY HH:MM, local
    zona: str  # "hora del Centro"
    utc: str  # "UTC-6"
    zona_horaria: str  # "America/Mexico_City"
    final: bool

    @classmethod
    def of(cls, corte: Corte, tz, zone_name: str) -> "Stamp":
        f = stamp_fields(corte.instant, tz, zone_name)
        return cls(int(corte.sequence), f["instante"], f["fecha_hora"], f["zona"], f["utc"], zone_name,
                   bool(corte.final))

    def to_dict(self) -> dict:
        return {"secuencia": self.secuencia, "instante": self.instante, "fecha_hora": self.fecha_hora,
                "zona": self.zona, "utc": self.utc, "zona_horaria": self.zona_horaria, "final": self.final}

    @property
    def meta(self) -> str:
        """The machine-readable stamp of every HTML page: `<meta name="pregon-corte" content="…">`."""
        return f"{self.secuencia}|{self.instante}"


def avance(t: Tally) -> dict:
    return {
        "actas_esperadas": t.esperadas,
        "actas_registradas": t.registradas,
        "actas_capturadas": t.capturadas,
        "porcentaje_actas_capturadas": t.pct_capturadas,
        "actas_contabilizadas": t.contabilizadas,
        "porcentaje_actas_contabilizadas": t.pct_contabilizadas,
        "actas_no_contabilizadas": t.no_contabilizadas,
        "porcentaje_actas_inconsistencias": t.pct_inconsistencias,
        "actas_fuera_catalogo": t.fuera_catalogo,
        "lista_nominal_actas_contabilizadas": t.lista_nominal,
        "total_votos": t.total,
        "total_votos_c_cs": t.total_c_cs,
        "total_votos_s_cs": t.total_s_cs,
        "porcentaje_participacion_ciudadana": t.participacion,
    }


def pct(num: int, den: int) -> str:
    """rules.pct with 4 decimals, truncated (the same figures; a shorter path for hot loops)."""
    if den <= 0:
        return "0.0000"
    q = num * 1_000_000 // den
    return f"{q // 10000}.{q % 10000:04d}"


def _pct_many(num: np.ndarray, den: np.ndarray) -> list[str]:
    """pct() of many pairs: the integer part vectorised, the text per value."""
    num = np.asarray(num, dtype=np.int64)
    den = np.asarray(den, dtype=np.int64)
    q = np.where(den > 0, num * 1_000_000 // np.where(den > 0, den, 1), 0)
    return [f"{x // 10000}.{x % 10000:04d}" for x in q.tolist()]


# ---------------------------------------------------------------- group tallies as arrays


def group_sum(groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Exact sums of `values` rows per group id (int64, or uint64 wrapping for hashes)."""
    shape = (n_groups,) + values.shape[1:]
    out = np.zeros(shape, dtype=values.dtype)
    if groups.size == 0:
        return out
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    out[g[starts]] = np.add.reduceat(values[order], starts, axis=0)
    return out


class Groups:
    """Additive tallies of a set of groups (rows), as the corte engine's GroupTable holds them."""

    FIELDS = ("esperadas", "capturadas", "contabilizadas", "inconsistencias", "lista_nominal", "total_c_cs",
              "total_s_cs", "votos", "en_proceso")

    def __init__(self, columnas, final, **arrays):
        self.columnas, self.final = columnas, final
        for name in self.FIELDS:
            setattr(self, name, np.asarray(arrays[name], dtype=np.int64))

    @classmethod
    def from_table(cls, gt) -> "Groups":
        return cls(gt.columnas, gt.final, **{f: getattr(gt, f) for f in cls.FIELDS})

    def aggregate(self, member: np.ndarray, n: int) -> "Groups":
        """Sum rows into `n` groups; member[i] is row i's group."""
        return Groups(self.columnas, self.final,
                      **{f: group_sum(member, getattr(self, f), n) for f in self.FIELDS})

    def tally(self, i: int) -> Tally:
        return Tally(self.columnas, int(self.esperadas[i]), 0, int(self.capturadas[i]),
                     int(self.contabilizadas[i]), int(self.inconsistencias[i]), int(self.lista_nominal[i]),
                     int(self.total_c_cs[i]), int(self.total_s_cs[i]), tuple(self.votos[i].tolist()), self.final,
                     int(self.en_proceso[i]))


# ---------------------------------------------------------------- per-acta input hashes

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, element-wise on uint64 (wrapping arithmetic)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def _text_hash(values) -> np.ndarray:
    """A stable 64-bit value per string: its bytes, eight at a time, mixed (vectorised; UTF-8 when not ASCII)."""
    values = np.asarray(values, dtype=object)
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    try:
        raw = values.astype("S")
    except UnicodeEncodeError:
        raw = np.array([str(v).encode("utf-8") for v in values.tolist()], dtype="S")
    width = max(8, -(-raw.dtype.itemsize // 8) * 8)
    if raw.dtype.itemsize != width:
        raw = raw.astype(f"S{width}")
    words = raw.view(np.uint64).reshape(n, width // 8)
    with np.errstate(over="ignore"):
        h = np.full(n, np.uint64(width), dtype=np.uint64)
        for j in range(words.shape[1]):
            h = _mix(h ^ (words[:, j] + np.uint64(j + 1) * _GOLD))
    return h


def acta_hashes(a) -> np.ndarray:
    """One uint64 per acta covering every field a page shows; group sums of these are the input digests."""
    n = len(a)
    with np.errstate(over="ignore"):
        h = np.full(n, _GOLD, dtype=np.uint64)

        def fold(values, salt):
            nonlocal h
            v = np.asarray(values).astype(np.int64).view(np.uint64)
            h = _mix(h ^ _mix(v + np.uint64(salt) * _GOLD))

        fold(a.casilla_idx, 1)
        fold(a.tipo_acta, 2)
        for j in range(a.votes.shape[1] if a.votes.ndim == 2 else 0):
            fold(a.votes[:, j], 100 + j)
        fold(a.total, 3)
        fold(a.observacion, 4)
        fold(a.contabilizada, 5)
        fold(a.lista_nominal, 6)
        fold(a.acopio, 7)
        fold(a.captura, 8)
        fold(a.verificacion, 9)
        fold(_text_hash(a.sha).view(np.int64), 10)
        fold(_text_hash(a.sin_acta).view(np.int64), 11)
        fold(_text_hash(a.tipo_documento).view(np.int64), 12)
    return h


# ---------------------------------------------------------------- ballot options


@dataclass
class Opcion:
    """One row of the "por candidatura" view: a candidacy, or CNR / nulos."""

    clave: str
    nombre: str
    tipo: str  # partido | coalicion | comun | independiente | no_registrados | nulos
    partidos: tuple[str, ...]
    cols: list[int]  # indices into the election's columns
    color: str
    candidato: str = ""  # the person standing, when known


def _party_color(catalog: Catalog, siglas: str) -> str:
    p = catalog.partidos.get(siglas)
    return p.color if p is not None else COLOR_DEFAULT


def column_label(catalog: Catalog, col: str, contienda: Contienda | None = None) -> tuple[str, str, str]:
    """(full name, short label, color) of a vote column."""
    if col == NO_REGISTRADOS:
        return "Candidaturas no registradas", "CNR", COLOR_CNR
    if col == NULOS:
        return "Votos nulos", "Nulos", COLOR_NULOS
    if col.startswith("CAND_IND_"):
        n = col[len("CAND_IND_"):]
        if contienda is not None:
            for cand in contienda.candidaturas:
                if cand.tipo == "independiente" and cand.columnas == (col,):
                    return f"{cand.nombre} (independiente)", f"CI{n}", COLOR_CI
        return f"Candidatura independiente {n}", f"CI{n}", COLOR_CI
    if col.startswith("CC_"):
        members = col[3:].split("_")
        return "Candidatura común " + ", ".join(members), "CC " + "-".join(members), _party_color(catalog, members[0])
    if col.startswith("C_"):
        members = col[2:].split("_")
        return "Combinación " + ", ".join(members), "-".join(members), _party_color(catalog, members[0])
    p = catalog.partidos.get(col)
    return (p.nombre if p is not None else col), col, _party_color(catalog, col)


def opciones(catalog: Catalog, el: Eleccion, ct: Contienda, col_index: dict[str, int]) -> list[Opcion]:
    out = []
    for cand in ct.candidaturas:
        cols = [col_index[c] for c in cand.columnas if c in col_index]
        if cand.tipo == "independiente":
            color = COLOR_CI
        elif cand.partidos:
            color = _party_color(catalog, cand.partidos[0])
        else:
            color = COLOR_DEFAULT
        nombre = cand.nombre
        if cand.tipo == "partido":
            p = catalog.partidos.get(cand.clave)
            nombre = p.nombre if p is not None else cand.nombre
        out.append(Opcion(cand.clave, nombre, cand.tipo, tuple(cand.partidos), cols, color, cand.candidato))
    if NO_REGISTRADOS in col_index:
        out.append(Opcion(NO_REGISTRADOS, "Candidaturas no registradas", "no_registrados", (),
                          [col_index[NO_REGISTRADOS]], COLOR_CNR))
    if NULOS in col_index:
        out.append(Opcion(NULOS, "Votos nulos", "nulos", (), [col_index[NULOS]], COLOR_NULOS))
    return out


def _matrix(ops: list[Opcion], k: int) -> np.ndarray:
    m = np.zeros((k, len(ops)), dtype=np.int64)
    for j, op in enumerate(ops):
        m[op.cols, j] = 1
    return m


def opcion_rows(ops: list[Opcion], cand_votes: list[int], total: int) -> list[dict]:
    return [{"clave": op.clave, "nombre": op.nombre, "candidato": op.candidato, "tipo": op.tipo,
             "partidos": list(op.partidos), "votos": v, "porcentaje": pct(v, total), "color": op.color}
            for op, v in zip(ops, cand_votes)]


def leader(ops: list[Opcion], cand_votes: list[int], total: int) -> dict | None:
    """Who leads among candidacies (not CNR or nulos); None while nobody has a vote."""
    best, best_v, tie = None, 0, False
    for op, v in zip(ops, cand_votes):
        if op.tipo in ("no_registrados", "nulos"):
            continue
        if v > best_v:
            best, best_v, tie = op, v, False
        elif v == best_v and best is not None:
            tie = True
    if best is None:
        return None
    return {"clave": best.clave, "nombre": best.nombre, "votos": best_v, "porcentaje": pct(best_v, total),
            "color": best.color, "empate": tie}


def avance_corto(g: Groups, i: int) -> dict:
    esperadas, capturadas = int(g.esperadas[i]), int(g.capturadas[i])
    contab, ln = int(g.contabilizadas[i]), int(g.lista_nominal[i])
    c_cs, s_cs = int(g.total_c_cs[i]), int(g.total_s_cs[i])
    return {
        "actas_esperadas": esperadas, "actas_capturadas": capturadas,
        "porcentaje_actas_capturadas": pct(capturadas, esperadas),
        "actas_contabilizadas": contab, "porcentaje_actas_contabilizadas": pct(contab, esperadas),
        "total_votos": c_cs,
        "porcentaje_participacion_ciudadana": pct(c_cs if g.final else s_cs, ln),
    }


# ---------------------------------------------------------------- nodes


@dataclass(eq=False, slots=True)
class Node:
    level: str  # contienda | entidad | distrito_local | distrito_federal | municipio | seccion
    key: str
    nombre: str
    contest: int  # index into the election's contests
    parent: "Node | None"
    row: int  # row of this level's tallies (EleccionModel.groups[level])
    path: str
    children: list = field(default_factory=list)
    sec_row: int = -1  # secciones: row of the sección arrays


def node_label(level: str, numero: int, nombre: str) -> str:
    if level in ("distrito_local", "distrito_federal"):
        return f"Distrito {numero}" + (f": {nombre}" if nombre and nombre != str(numero) else "")
    if level == "municipio":
        return nombre if nombre and nombre != str(numero) else f"Municipio {numero}"
    if level == "junta":
        return "Junta municipal " + (nombre if nombre and nombre != str(numero) else str(numero))
    if level == "seccion":
        return f"Sección {numero}"
    return nombre


class Tree:
    """The part of an election's pages that depends only on the catalog: contests and ballots, the casillas of
    each sección, the drill-down tree with names and paths. The corte engine keeps one Frame per election all
    night, so this is built once per Frame (see `tree_for`) and every corte reuses it."""

    def __init__(self, frame, el: Eleccion):
        self.frame, self.el = frame, el
        self.key = paths.safe(el.clave)
        cat = self.catalog = frame.catalog
        self.col_index = {c: i for i, c in enumerate(el.columnas)}
        k = len(el.columnas)
        sec_keys, ct_keys = list(frame.keys["seccion"]), list(frame.keys["contienda"])
        self.sec_keys, self.ct_keys = sec_keys, ct_keys
        nsec = len(sec_keys)
        self.expected = frame.expected

        # casillas of each sección (catalog order inside), and the first one for its geography
        g_cas = frame.group["seccion"]
        self.cas_order = np.argsort(g_cas, kind="stable")
        gs = g_cas[self.cas_order]
        ids = np.arange(nsec)
        self.cas_start = np.searchsorted(gs, ids, side="left")
        self.cas_end = np.searchsorted(gs, ids, side="right")
        first = self.cas_order[self.cas_start] if nsec else np.zeros(0, dtype=np.int64)
        self.sec_contest = frame.group["contienda"][first] if nsec else np.zeros(0, dtype=np.int64)

        # contests and their ballots
        self.contests: list[Contienda] = [el.contiendas[key] for key in ct_keys]
        self.ops = [opciones(cat, el, ct, self.col_index) for ct in self.contests]
        self.ct_cols = [[self.col_index[c] for c in ct.columnas if c in self.col_index] for ct in self.contests]
        self.matrices = [_matrix(ops, k) for ops in self.ops]
        self.label_cache: dict = {}

        # the tree: contest -> sublevels -> secciones (group ids computed column-wise)
        ct_safe = [paths.safe(key) for key in ct_keys]
        contest_nodes = [Node("contienda", key, self._contest_name(ct), i, None, i,
                              paths.contienda(self.key, ct_safe[i]))
                         for i, (key, ct) in enumerate(zip(ct_keys, self.contests))]
        self.nodes_by_level: dict[str, list[Node]] = {"contienda": contest_nodes}
        self.sublevels = SUBLEVELS.get(el.ambito, ())
        casillas, secciones = cat.casillas, cat.secciones
        sec_info = []
        for ci in first.tolist():
            c = casillas[ci]
            sec_info.append((c.entidad, c.seccion, secciones.get((c.entidad, c.seccion))))
        self.sec_info = sec_info
        sec_ent = np.fromiter((x[0] for x in sec_info), dtype=np.int64, count=nsec)
        parent_ids = self.sec_contest.astype(np.int64)
        parents: list[Node] = contest_nodes
        self.members: dict[str, np.ndarray] = {}  # sublevel -> group of each sección
        for level in self.sublevels:
            if level == "entidad":
                numero = sec_ent
            else:
                numero = np.fromiter((getattr(x[2], level, 0) if x[2] is not None else 0 for x in sec_info),
                                     dtype=np.int64, count=nsec)
            key = (parent_ids << 40) | (sec_ent << 20) | numero
            uniq, first_at, inverse = np.unique(key, return_index=True, return_inverse=True)
            order = np.argsort(first_at, kind="stable")  # groups in order of first appearance
            rank = np.empty(len(uniq), dtype=np.int64)
            rank[order] = np.arange(len(uniq))
            member = rank[inverse.reshape(-1)]
            nodes = []
            for j, r in enumerate(first_at[order].tolist()):
                parent = parents[int(parent_ids[r])]
                ent, num = int(sec_ent[r]), int(numero[r])
                entidad = cat.entidades.get(ent)
                if level == "entidad":
                    gkey, nombre = str(ent), (entidad.nombre if entidad else str(ent))
                else:
                    gkey = f"{ent}-{num}"
                    nombre = node_label(level, num, entidad.nombre_de(level, num) if entidad else str(num))
                node = Node(level, gkey, nombre, parent.contest, parent, j,
                            paths.nodo(self.key, ct_safe[parent.contest], level, gkey))
                parent.children.append(node)
                nodes.append(node)
            self.members[level] = member
            self.nodes_by_level[level] = nodes
            parents, parent_ids = nodes, member
        sec_nodes = []
        prefix = [f"{self.key}/{cs}/secciones/" for cs in ct_safe]
        for r, (key, pid, info) in enumerate(zip(sec_keys, parent_ids.tolist(), sec_info)):
            parent = parents[pid]
            node = Node("seccion", key, f"Sección {info[1]}", parent.contest, parent, r,
                        f"{prefix[parent.contest]}{key}.html", sec_row=r)
            parent.children.append(node)
            sec_nodes.append(node)
        self.nodes_by_level["seccion"] = sec_nodes
        self.levels = ("contienda", *self.sublevels, "seccion")
        self.paths = {level: [n.path for n in nodes] for level, nodes in self.nodes_by_level.items()}

    def _contest_name(self, ct: Contienda) -> str:
        amb = self.el.ambito
        if amb == "nacional":
            return "Nacional"
        if amb in ("distrito_local", "distrito_federal", "municipio", "junta"):
            return node_label(amb, ct.numero, ct.nombre)
        return ct.nombre


_TREES: dict[int, tuple] = {}


def tree_for(frame, el: Eleccion) -> Tree:
    """The Tree of an election's Frame, built once (the cache holds the Frame, so its id stays unique)."""
    hit = _TREES.get(id(frame))
    if hit is not None and hit[0] is frame and hit[1].el is el:
        return hit[1]
    tree = Tree(frame, el)
    if len(_TREES) >= 16:
        _TREES.clear()
    _TREES[id(frame)] = (frame, tree)
    return tree


class EleccionModel:
    """Everything the pages of one election need at one corte: the static Tree, and this corte's tallies of
    every node as arrays, its actas in sección order, and an input digest per node."""

    def __init__(self, site: "SiteModel", ec: EleccionCorte):
        self.site = site
        self.ec = ec
        el = self.el = ec.eleccion
        t = self.tree = tree_for(ec.frame, el)
        self.key, self.catalog, self.col_index = t.key, t.catalog, t.col_index
        self.contests, self.ops, self.ct_cols, self.matrices = t.contests, t.ops, t.ct_cols, t.matrices
        self.nodes_by_level, self.sublevels, self.sec_info = t.nodes_by_level, t.sublevels, t.sec_info
        self.cas_order, self.cas_start, self.cas_end, self.expected = t.cas_order, t.cas_start, t.cas_end, t.expected
        self.final = bool(ec.final)

        self.sec = Groups.from_table(ec.table("seccion"))
        self.ct = Groups.from_table(ec.table("contienda"))
        self.groups: dict[str, Groups] = {"seccion": self.sec, "contienda": self.ct}
        for level in t.sublevels:
            self.groups[level] = self.sec.aggregate(t.members[level], len(t.nodes_by_level[level]))
        nsec = len(t.sec_keys)

        # actas: inside the catalog, grouped by sección then casilla
        a = ec.actas
        self.actas = a
        inside = np.flatnonzero(~a.fuera_catalogo)
        cidx = a.casilla_idx[inside]
        a_sec = ec.frame.group["seccion"][cidx] if inside.size else np.zeros(0, dtype=np.int64)
        order = np.lexsort((inside, cidx, a_sec)) if inside.size else np.zeros(0, dtype=np.int64)
        self.acta_rows = inside[order]
        a_sec_sorted = a_sec[order]
        ids = np.arange(nsec)
        self.acta_start = np.searchsorted(a_sec_sorted, ids, side="left")
        self.acta_end = np.searchsorted(a_sec_sorted, ids, side="right")
        self._acta_lists = None

        # input digests: per sección (count and wrapping sum of acta hashes), summed up the tree
        hashes = acta_hashes(a)[inside] if inside.size else np.zeros(0, dtype=np.uint64)
        sec_hash = group_sum(a_sec, hashes, nsec)
        sec_count = np.bincount(a_sec, minlength=nsec).astype(np.int64)
        sums = {"seccion": (sec_count, sec_hash),
                "contienda": (group_sum(t.sec_contest, sec_count, len(t.contests)),
                              group_sum(t.sec_contest, sec_hash, len(t.contests)))}
        for level in t.sublevels:
            n = len(t.nodes_by_level[level])
            sums[level] = (group_sum(t.members[level], sec_count, n), group_sum(t.members[level], sec_hash, n))
        flag = "F" if self.final else "P"
        self.digests = {level: [f"{flag}{c}:{h:016x}" for c, h in zip(cnt.tolist(), hs.tolist())]
                        for level, (cnt, hs) in sums.items()}

    def digest(self, node: Node) -> str:
        return self.digests[node.level][node.row]

    def all_nodes(self):
        for level in self.tree.levels:
            yield from self.nodes_by_level[level]

    # -- figures

    def cand_votes(self, contest: int, votos: list[int]) -> list[int]:
        return [sum(votos[j] for j in op.cols) for op in self.ops[contest]]

    def _labels(self, contest: int | None) -> list[tuple[int, str, str, str, str]]:
        """(index, column, name, short label, color) of the columns shown for a contest (None: all)."""
        cache = self.tree.label_cache
        hit = cache.get(contest)
        if hit is None:
            cols = range(len(self.el.columnas)) if contest is None else self.ct_cols[contest]
            ct = None if contest is None else self.contests[contest]
            hit = cache[contest] = [(j, self.el.columnas[j], *column_label(self.catalog, self.el.columnas[j], ct))
                                    for j in cols]
        return hit

    def por_partido(self, contest: int | None, votos: list[int], total: int) -> list[dict]:
        return [{"columna": col, "nombre": nombre, "corto": corto, "votos": votos[j],
                 "porcentaje": pct(votos[j], total), "color": color}
                for j, col, nombre, corto, color in self._labels(contest)]

    def child_rows(self, children: list[Node]) -> list[dict]:
        """Rows of a list of nodes (same groups object): name, link, who leads, avance; column-wise."""
        if not children:
            return []
        g = self.groups[children[0].level]
        idx = np.array([c.row for c in children], dtype=np.int64)
        votos = g.votos[idx]
        contests = np.array([c.contest for c in children], dtype=np.int64)
        total = g.total_c_cs[idx]
        esperadas, capturadas, contab = g.esperadas[idx], g.capturadas[idx], g.contabilizadas[idx]
        part_num = total if g.final else g.total_s_cs[idx]
        ln = g.lista_nominal[idx]
        p_capt, p_cont, p_part = _pct_many(capturadas, esperadas), _pct_many(contab, esperadas), _pct_many(part_num, ln)
        leaders: list = [None] * len(children)
        for ct in np.unique(contests).tolist():
            rows = np.flatnonzero(contests == ct)
            ops = self.ops[ct]
            lead_cols = [j for j, op in enumerate(ops) if op.tipo not in ("no_registrados", "nulos")]
            if not lead_cols:
                continue
            cand = (votos[rows] @ self.matrices[ct])[:, lead_cols]
            best = cand.argmax(axis=1)
            best_v = cand[np.arange(len(rows)), best]
            ties = (cand == best_v[:, None]).sum(axis=1) > 1
            p_best = _pct_many(best_v, total[rows])
            for k, r in enumerate(rows.tolist()):
                v = int(best_v[k])
                if v <= 0:
                    continue
                op = ops[lead_cols[int(best[k])]]
                leaders[r] = {"clave": op.clave, "nombre": op.nombre, "votos": v, "porcentaje": p_best[k],
                              "color": op.color, "empate": bool(ties[k])}
        out = []
        tw = paths.twin
        for i, c in enumerate(children):
            out.append({
                "clave": c.key, "nombre": c.nombre, "html": c.path, "json": tw(c.path), "encabeza": leaders[i],
                "avance": {
                    "actas_esperadas": int(esperadas[i]), "actas_capturadas": int(capturadas[i]),
                    "porcentaje_actas_capturadas": p_capt[i], "actas_contabilizadas": int(contab[i]),
                    "porcentaje_actas_contabilizadas": p_cont[i], "total_votos": int(total[i]),
                    "porcentaje_participacion_ciudadana": p_part[i],
                },
            })
        return out

    def prepare_actas(self, sec_rows=None) -> None:
        """Convert the actas the sección pages about to be rendered show (all when None) to Python lists.

        A full national render needs them all; an incremental one a few thousand, so only those are
        converted (call before forking workers, so they share the result)."""
        a = self.actas
        if sec_rows is None:
            need = self.acta_rows
        else:
            mask = np.zeros(len(self.acta_start), dtype=bool)
            mask[np.asarray(list(sec_rows), dtype=np.int64)] = True
            counts = (self.acta_end - self.acta_start)
            need = self.acta_rows[np.repeat(mask, counts)] if self.acta_rows.size else self.acta_rows
        pos = np.full(len(a), -1, dtype=np.int64)
        pos[need] = np.arange(need.size)
        clock = self.site.clock
        obs_text = [o.texto for o in rules.Observacion]
        codes = a.observacion[need]
        observ = [obs_text[o] for o in codes.tolist()]
        for j in np.flatnonzero(codes == rules.Observacion.SIN_ACTA).tolist():
            observ[j] = str(a.sin_acta[need[j]])
        self._acta_lists = {
            "pos": pos.tolist(),
            "votes": a.votes[need].tolist(), "total": a.total[need].tolist(),
            "contab": a.contabilizada[need].tolist(), "obs": observ,
            "sha": [str(x) for x in a.sha[need].tolist()],
            "acopio": clock.convert(a.acopio[need])[1], "captura": clock.convert(a.captura[need])[1],
            "verificacion": clock.convert(a.verificacion[need])[1], "tipo_acta": a.tipo_acta[need].tolist(),
            "casilla": a.casilla_idx[need].tolist(), "doc": [str(x) for x in a.tipo_documento[need].tolist()],
        }

    def _acta_data(self):
        if self._acta_lists is None:
            self.prepare_actas()
        return self._acta_lists

    # -- page models (without the corte stamp; render adds it)

    def breadcrumbs(self, node: Node | None) -> list[dict]:
        crumbs = [{"nombre": "Inicio", "html": paths.HOME},
                  {"nombre": self.el.nombre.title() if self.el.nombre.isupper() else self.el.nombre,
                   "html": paths.eleccion(self.key)}]
        chain = []
        while node is not None:
            chain.append(node)
            node = node.parent
        for n in reversed(chain):
            crumbs.append({"nombre": n.nombre, "html": n.path})
        return crumbs

    def eleccion_info(self) -> dict:
        return {"clave": self.el.clave, "nombre": self.el.nombre, "ambito": self.el.ambito,
                "html": paths.eleccion(self.key), "json": paths.twin(paths.eleccion(self.key))}

    def headline(self) -> tuple[Tally, list[dict], list[dict]]:
        """(tally, por candidatura aggregated over contests with contiendas_encabeza, por partido)."""
        t = self.ec.tally
        acc: dict[str, dict] = {}
        ct_votos = self.ct.votos
        many = len(self.ops) > 1
        for i, ops in enumerate(self.ops):
            votos = ct_votos[i].tolist()
            cv = self.cand_votes(i, votos)
            lead = leader(ops, cv, int(self.ct.total_c_cs[i]))
            for op, v in zip(ops, cv):
                key, nombre = op.clave, op.nombre
                if op.tipo == "independiente" and many:
                    # the independents of different contests share nothing but a column name
                    key, nombre = "CAND_IND", "Candidaturas independientes"
                row = acc.get(key)
                if row is None:
                    row = acc[key] = {"clave": key, "nombre": nombre, "candidato": "" if many else op.candidato,
                                      "tipo": op.tipo, "partidos": list(op.partidos), "votos": 0,
                                      "color": op.color, "contiendas": 0, "contiendas_encabeza": 0}
                row["votos"] += v
                row["contiendas"] += 1
                if lead is not None and lead["clave"] == op.clave and not lead["empate"]:
                    row["contiendas_encabeza"] += 1
        last = {"no_registrados": 1, "nulos": 2}
        cands = sorted(acc.values(), key=lambda r: last.get(r["tipo"], 0))  # stable: ballot order, then CNR, nulos
        for row in cands:
            row["porcentaje"] = rules.pct(row["votos"], t.total)
        partido = self.por_partido(None, list(t.votos), t.total)
        return t, cands, partido

    def eleccion_page(self) -> dict:
        t, cands, partido = self.headline()
        contests = self.nodes_by_level["contienda"]
        model = {
            "tipo": "eleccion",
            "eleccion": self.eleccion_info(),
            "avance": avance(t),
            "por_candidatura": cands,
            "por_partido": partido,
            "hijos": {"nivel": "contienda", "filas": self.child_rows(contests)},
            "migas": self.breadcrumbs(None),
            "titulo": self.el.nombre,
            "detalle": None,
        }
        if len(contests) == 1:
            only = contests[0]
            if only.children:
                model["detalle"] = {"nivel": only.children[0].level, "filas": self.child_rows(only.children)}
        return model

    def node_page(self, node: Node) -> dict:
        t = self.groups[node.level].tally(node.row)
        votos = list(t.votos)
        ct = self.contests[node.contest]
        model = {
            "tipo": node.level if node.level in ("contienda", "seccion", "entidad", "municipio") else "distrito",
            "nivel": node.level,
            "eleccion": self.eleccion_info(),
            "contienda": {"clave": ct.clave, "nombre": self.nodes_by_level["contienda"][node.contest].nombre,
                          "html": self.nodes_by_level["contienda"][node.contest].path},
            "nodo": {"clave": node.key, "nombre": node.nombre, "nivel": node.level},
            "avance": avance(t),
            "por_candidatura": opcion_rows(self.ops[node.contest], self.cand_votes(node.contest, votos), t.total),
            "por_partido": self.por_partido(node.contest, votos, t.total),
            "migas": self.breadcrumbs(node),
            "titulo": f"{node.nombre} · {self.el.nombre}",
        }
        if node.level == "seccion":
            model.update(self._seccion_detail(node))
        else:
            model["hijos"] = {"nivel": node.children[0].level if node.children else "seccion",
                              "filas": self.child_rows(node.children)}
        return model

    def _seccion_detail(self, node: Node) -> dict:
        r = node.sec_row
        ent, numero, s = self.sec_info[r]
        cat = self.catalog
        entidad = cat.entidades.get(ent)
        geo = {"entidad": {"id": ent, "nombre": entidad.nombre if entidad else str(ent)}, "numero": numero,
               "clave": node.key}
        if s is not None:
            for level in ("distrito_local", "distrito_federal", "municipio"):
                n = getattr(s, level)
                if n:
                    geo[level] = {"numero": n, "nombre": entidad.nombre_de(level, n) if entidad else str(n)}
        cols = self.ct_cols[node.contest]
        columnas = [{"columna": col, "nombre": nombre, "corto": corto}
                    for _j, col, nombre, corto, _c in self._labels(node.contest)]
        d = self._acta_data()
        by_casilla: dict[int, list[dict]] = {}
        vt = rules.vote_text
        pos = d["pos"]
        for row in self.acta_rows[self.acta_start[r]:self.acta_end[r]].tolist():
            i = pos[row]
            if i < 0:  # not prepared: convert everything (slow path, never taken by render)
                self.prepare_actas()
                return self._seccion_detail(node)
            ci = d["casilla"][i]
            row = d["votes"][i]
            casilla = cat.casillas[ci]
            contab = bool(d["contab"][i])
            by_casilla.setdefault(ci, []).append({
                "clave": f"{casilla.clave}{d['tipo_acta'][i]:02d}",
                "tipo_acta": d["tipo_acta"][i],
                "votos": [row[j] if row[j] >= 0 else vt(row[j]) for j in cols],
                "total_votos": d["total"][i],
                "contabilizada": contab,
                "observaciones": d["obs"][i],
                "acopio": d["acopio"][i], "captura": d["captura"][i], "verificacion": d["verificacion"][i],
                "sha256": d["sha"][i],
                "tipo_documento": d["doc"][i],
            })
        casillas = []
        expected = self.expected
        for ci in self.cas_order[self.cas_start[r]:self.cas_end[r]].tolist():
            actas = by_casilla.get(ci, [])
            if not expected[ci] and not actas:
                continue
            c = cat.casillas[ci]
            casillas.append({"clave": c.clave, "nombre": c.nombre, "tipo": c.tipo, "lista_nominal": c.lista_nominal,
                             "esperada": bool(expected[ci]), "actas": actas})
        return {"seccion": geo, "columnas": columnas, "casillas": casillas}


class SiteModel:
    """The whole site of one corte: its stamp, and one EleccionModel per election."""

    def __init__(self, corte: Corte):
        self.corte = corte
        self.catalog = corte.catalog
        zone_name = self.catalog.proceso.timezone
        self.tz = resolve_tz(zone_name, corte.instant)
        self.clock = Clock(self.tz)
        self.stamp = Stamp.of(corte, self.tz, zone_name)
        self.elecciones = [EleccionModel(self, ec) for ec in corte.elecciones.values()]
        keys = [e.key for e in self.elecciones]
        if len(set(keys)) != len(keys):
            raise ValueError(f"two elections share a path name: {keys}")

    def proceso(self) -> dict:
        p = self.catalog.proceso
        ents = [{"id": e.id, "nombre": e.nombre} for e in sorted(self.catalog.entidades.values(), key=lambda e: e.id)]
        return {"id": p.id, "nombre": p.nombre, "fecha": p.fecha.isoformat(), "instituto": p.instituto,
                "entidades": ents, "entidad": ents[0] if len(ents) == 1 else None}

    def nav(self) -> list[dict]:
        return [{"clave": e.el.clave, "nombre": e.el.nombre, "html": paths.eleccion(e.key)} for e in self.elecciones]

    def home_page(self, descargas: list[dict]) -> dict:
        """The home page's model, which is also json/main.json: identity and headline figures, small."""
        elecciones = []
        for e in self.elecciones:
            t, cands, _ = e.headline()
            ranked = sorted((c for c in cands if c["tipo"] not in ("no_registrados", "nulos")),
                            key=lambda c: -c["votos"])
            top = [{k: c[k] for k in ("clave", "nombre", "tipo", "votos", "porcentaje", "color",
                                      "contiendas_encabeza")} for c in ranked[:3]]
            elecciones.append({**e.eleccion_info(), "avance": avance(t), "encabezan": top,
                               "contiendas": len(e.contests)})
        return {
            "tipo": "inicio",
            "formato": FORMATO,
            "proceso": self.proceso(),
            "elecciones": elecciones,
            "descargas": {"html": paths.DESCARGAS, "sumas": paths.SUMS, "archivos": descargas},
            "titulo": "Resultados preliminares",
        }

    def descargas_page(self, descargas: list[dict]) -> dict:
        return {
            "tipo": "descargas",
            "archivos": descargas,
            "sumas": paths.SUMS,
            "migas": [{"nombre": "Inicio", "html": paths.HOME}, {"nombre": "Base de datos", "html": paths.DESCARGAS}],
            "titulo": "Base de datos",
        }


def catalog_digest(corte: Corte) -> str:
    """Whatever of the catalog a page prints: names, geography, casillas, ballots."""
    h = hashlib.sha256()
    cat = corte.catalog
    p = cat.proceso
    h.update(repr((p.id, p.nombre, str(p.fecha), p.timezone, p.instituto)).encode())
    for e in sorted(cat.entidades.values(), key=lambda e: e.id):
        h.update(repr(e).encode())
    for pa in cat.partidos.values():
        h.update(repr(pa).encode())
    secs = sorted(cat.secciones.values(), key=lambda s: (s.entidad, s.numero))
    h.update(np.array([(s.entidad, s.numero, s.distrito_local, s.distrito_federal, s.municipio)
                       for s in secs], dtype=np.int64).tobytes())
    h.update(np.array([(c.entidad, c.seccion, ord(c.tipo), c.numero, c.ext_contigua, c.lista_nominal)
                       for c in cat.casillas], dtype=np.int64).tobytes())
    for ec in corte.elecciones.values():
        el = ec.eleccion
        h.update(repr((el.clave, el.nombre, el.ambito, el.columnas)).encode())
        for key in sorted(el.contiendas):
            h.update(repr(el.contiendas[key]).encode())
    return h.hexdigest()[:32]
