"""The drill-down tree of an election's pages: contest, its sublevels (entity, distrito, municipio), secciones,
with names and paths. It depends only on the catalog, so it is built once per corte engine Frame and every
corte of the night reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..database.writer import GEO
from ..election.catalog import Contienda, Eleccion
from . import paths
from .ballot import matrix, opciones

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
        self.catalog = frame.catalog
        self.col_index = {c: i for i, c in enumerate(el.columnas)}
        self.sec_keys, self.ct_keys = list(frame.keys["seccion"]), list(frame.keys["contienda"])
        self.expected = frame.expected
        first = self._index_casillas()
        self._ballots()
        ct_safe = [paths.safe(key) for key in self.ct_keys]
        contest_nodes = [Node("contienda", key, self._contest_name(ct), i, None, i,
                              paths.contienda(self.key, ct_safe[i]))
                         for i, (key, ct) in enumerate(zip(self.ct_keys, self.contests))]
        self.nodes_by_level: dict[str, list[Node]] = {"contienda": contest_nodes}
        self.sublevels = SUBLEVELS.get(el.ambito, ())
        self.sec_info = self._seccion_info(first)
        parents, parent_ids = self._sublevel_nodes(contest_nodes, ct_safe)
        self._seccion_nodes(parents, parent_ids, ct_safe)
        self.levels = ("contienda", *self.sublevels, "seccion")
        self.paths = {level: [n.path for n in nodes] for level, nodes in self.nodes_by_level.items()}

    def _index_casillas(self) -> np.ndarray:
        """The casillas of each sección (catalog order inside) and each sección's contest; returns the first
        casilla of each sección, whose geography the sección's is."""
        frame, nsec = self.frame, len(self.sec_keys)
        g_cas = frame.group["seccion"]
        self.cas_order = np.argsort(g_cas, kind="stable")
        gs = g_cas[self.cas_order]
        ids = np.arange(nsec)
        self.cas_start = np.searchsorted(gs, ids, side="left")
        self.cas_end = np.searchsorted(gs, ids, side="right")
        first = self.cas_order[self.cas_start] if nsec else np.zeros(0, dtype=np.int64)
        self.sec_contest = frame.group["contienda"][first] if nsec else np.zeros(0, dtype=np.int64)
        return first

    def _ballots(self) -> None:
        """The contests, the candidacies of each one's ballot and the columns they add up."""
        el, cat, k = self.el, self.catalog, len(self.el.columnas)
        self.contests: list[Contienda] = [el.contiendas[key] for key in self.ct_keys]
        self.ops = [opciones(cat, el, ct, self.col_index) for ct in self.contests]
        self.ct_cols = [[self.col_index[c] for c in ct.columnas if c in self.col_index] for ct in self.contests]
        self.matrices = [matrix(ops, k) for ops in self.ops]
        self.label_cache: dict = {}

    def _seccion_info(self, first: np.ndarray) -> list[tuple]:
        """(entidad, número, catalog Seccion or None) of each sección, from its first casilla."""
        casillas, secciones = self.catalog.casillas, self.catalog.secciones
        out = []
        for ci in first.tolist():
            c = casillas[ci]
            out.append((c.entidad, c.seccion, secciones.get((c.entidad, c.seccion))))
        return out

    def _sublevel_nodes(self, contest_nodes: list[Node], ct_safe: list[str]) -> tuple[list[Node], np.ndarray]:
        """The nodes between a contest and its secciones, level by level (group ids computed column-wise, in
        order of first appearance); returns the last level's nodes and each sección's node among them."""
        nsec, sec_info = len(self.sec_keys), self.sec_info
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
            nodes = [self._group_node(level, j, parents[int(parent_ids[r])], int(sec_ent[r]), int(numero[r]),
                                      ct_safe)
                     for j, r in enumerate(first_at[order].tolist())]
            self.members[level] = member
            self.nodes_by_level[level] = nodes
            parents, parent_ids = nodes, member
        return parents, parent_ids

    def _group_node(self, level: str, row: int, parent: Node, ent: int, num: int, ct_safe: list[str]) -> Node:
        """One node of a sublevel (an entity, distrito or municipio), attached to its parent."""
        entidad = self.catalog.entidades.get(ent)
        if level == "entidad":
            gkey, nombre = str(ent), (entidad.nombre if entidad else str(ent))
        else:
            gkey = f"{ent}-{num}"
            nombre = node_label(level, num, entidad.nombre_de(level, num) if entidad else str(num))
        node = Node(level, gkey, nombre, parent.contest, parent, row,
                    paths.nodo(self.key, ct_safe[parent.contest], level, gkey))
        parent.children.append(node)
        return node

    def _seccion_nodes(self, parents: list[Node], parent_ids: np.ndarray, ct_safe: list[str]) -> None:
        """The sección pages, the leaves, each under its node of the last level."""
        sec_nodes = []
        prefix = [f"{self.key}/{cs}/secciones/" for cs in ct_safe]
        for r, (key, pid, info) in enumerate(zip(self.sec_keys, parent_ids.tolist(), self.sec_info)):
            parent = parents[pid]
            node = Node("seccion", key, f"Sección {info[1]}", parent.contest, parent, r,
                        f"{prefix[parent.contest]}{key}.html", sec_row=r)
            parent.children.append(node)
            sec_nodes.append(node)
        self.nodes_by_level["seccion"] = sec_nodes

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
