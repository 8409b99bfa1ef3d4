"""The corte: the results of every contest and level from the actas verified up to an instant.

`CorteEngine` holds a night's actas once; each `engine.corte(instant)` takes the prefix verified by then
and aggregates it with integer reductions (numpy int64, sorted-group `reduceat`), so the institute can cut
every 15 minutes at national size without reloading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

import numpy as np

from . import rules
from .actas import ActaSet
from .catalog import Catalog, Candidatura, Contienda, Eleccion

LEVELS = ("contienda", "distrito_local", "distrito_federal", "municipio", "seccion", "casilla")

HEADER_FIELDS = (
    "ACTAS_ESPERADAS", "ACTAS_REGISTRADAS", "ACTAS_FUERA_CATALOGO", "ACTAS_CAPTURADAS",
    "PORCENTAJE_ACTAS_CAPTURADAS", "ACTAS_CONTABILIZADAS", "PORCENTAJE_ACTAS_CONTABILIZADAS",
    "PORCENTAJE_ACTAS_INCONSISTENCIAS", "ACTAS_NO_CONTABILIZADAS", "LISTA_NOMINAL_ACTAS_CONTABILIZADAS",
    "TOTAL_VOTOS_C_CS", "TOTAL_VOTOS_S_CS", "PORCENTAJE_PARTICIPACION_CIUDADANA",
)


@dataclass(frozen=True)
class Tally:
    """The figures of one group of actas (an election, a contest, a sección, a casilla)."""

    columnas: tuple[str, ...]
    esperadas: int
    fuera_catalogo: int
    capturadas: int
    contabilizadas: int
    inconsistencias: int
    lista_nominal: int
    total_c_cs: int
    total_s_cs: int
    votos: tuple[int, ...]  # per column, counted actas only, texts as 0
    final: bool = False
    en_proceso: int = 0  # captured, neither counted nor given a reason (rules.Observacion.EN_PROCESO)

    @property
    def registradas(self) -> int:
        return self.capturadas + self.fuera_catalogo

    @property
    def no_contabilizadas(self) -> int:
        """Captured (in catalog), not counted, for a stated reason; fuera de catálogo actas are reported apart,
        and an acta still in a correction flow (en proceso) is neither counted nor "no contabilizada"."""
        return self.capturadas - self.contabilizadas - self.en_proceso

    @property
    def pct_capturadas(self) -> str:
        return rules.pct(self.capturadas, self.esperadas)

    @property
    def pct_contabilizadas(self) -> str:
        return rules.pct(self.contabilizadas, self.esperadas)

    @property
    def pct_inconsistencias(self) -> str:
        return rules.pct(self.inconsistencias, self.esperadas)

    @property
    def total(self) -> int:
        """The votes shown as the total: with especiales (they are real votes)."""
        return self.total_c_cs

    @property
    def participacion(self) -> str:
        """Votes over the lista nominal of counted actas; especiales enter only in the last corte."""
        return rules.pct(self.total_c_cs if self.final else self.total_s_cs, self.lista_nominal)

    def header_values(self) -> list[str]:
        return [
            str(self.esperadas), str(self.registradas), str(self.fuera_catalogo), str(self.capturadas),
            self.pct_capturadas, str(self.contabilizadas), self.pct_contabilizadas, self.pct_inconsistencias,
            str(self.no_contabilizadas), str(self.lista_nominal), str(self.total_c_cs), str(self.total_s_cs),
            self.participacion,
        ]

    def por_partido(self) -> list[tuple[str, int, str]]:
        """(column, votes, % of total) for every column as the database lists them."""
        return [(c, v, rules.pct(v, self.total)) for c, v in zip(self.columnas, self.votos)]

    def por_candidatura(self, contienda: Contienda) -> list[tuple[Candidatura, int, str]]:
        """Votes per candidacy: a coalition gets its parties' columns and every combination column."""
        index = {c: i for i, c in enumerate(self.columnas)}
        out = []
        for cand in contienda.candidaturas:
            v = sum(self.votos[index[c]] for c in cand.columnas)
            out.append((cand, v, rules.pct(v, self.total)))
        return out

    def votos_de(self, columna: str) -> int:
        return self.votos[self.columnas.index(columna)]

    def to_dict(self) -> dict:
        return {
            "actas_esperadas": self.esperadas, "actas_registradas": self.registradas,
            "actas_fuera_catalogo": self.fuera_catalogo, "actas_capturadas": self.capturadas,
            "porcentaje_actas_capturadas": self.pct_capturadas, "actas_contabilizadas": self.contabilizadas,
            "porcentaje_actas_contabilizadas": self.pct_contabilizadas,
            "porcentaje_actas_inconsistencias": self.pct_inconsistencias,
            "actas_no_contabilizadas": self.no_contabilizadas,
            "lista_nominal_actas_contabilizadas": self.lista_nominal, "total_votos_c_cs": self.total_c_cs,
            "total_votos_s_cs": self.total_s_cs, "porcentaje_participacion_ciudadana": self.participacion,
            "votos": dict(zip(self.columnas, self.votos)),
        }


class GroupTable:
    """Tallies of every group of one level, as arrays; `tally(key)` materialises one on demand."""

    def __init__(self, columnas, keys, esperadas, fuera, capturadas, contabilizadas, inconsistencias,
                 lista_nominal, total_c_cs, total_s_cs, votos, final, en_proceso):
        self.en_proceso = en_proceso
        self.columnas = columnas
        self.keys = keys
        self.index = {k: i for i, k in enumerate(keys)}
        self.esperadas, self.fuera, self.capturadas = esperadas, fuera, capturadas
        self.contabilizadas, self.inconsistencias, self.lista_nominal = contabilizadas, inconsistencias, lista_nominal
        self.total_c_cs, self.total_s_cs, self.votos, self.final = total_c_cs, total_s_cs, votos, final

    def __len__(self):
        return len(self.keys)

    def __contains__(self, key):
        return key in self.index

    def tally(self, key) -> Tally:
        i = self.index[key]
        return Tally(
            self.columnas, int(self.esperadas[i]), int(self.fuera[i]), int(self.capturadas[i]),
            int(self.contabilizadas[i]), int(self.inconsistencias[i]), int(self.lista_nominal[i]),
            int(self.total_c_cs[i]), int(self.total_s_cs[i]), tuple(self.votos[i].tolist()), self.final,
            int(self.en_proceso[i]),
        )

    def items(self):
        for key in self.keys:
            yield key, self.tally(key)


class Frame:
    """Per-election group ids of the catalog's casillas, computed once and shared by every corte."""

    def __init__(self, catalog: Catalog, eleccion: Eleccion):
        self.catalog, self.eleccion = catalog, eleccion
        # actas expected of each casilla: one, or for a casilla especial as many as the election gives it
        # (INE's diputaciones: mayoría relativa and representación proporcional), or none
        weights = np.zeros(len(catalog.casillas), dtype=np.int64)
        idx = np.asarray(catalog.expected(eleccion), dtype=np.int64)
        if idx.size:
            tipo = catalog.casilla_arrays["tipo"][idx]
            weights[idx] = np.where(tipo == "S", eleccion.actas_especial, 1)
        self.actas_por_casilla = weights
        expected = weights > 0
        self.expected = expected
        self.keys: dict[str, list] = {}
        self.group: dict[str, np.ndarray] = {}
        # An election may cover part of the territory (juntas municipales; the voto en el extranjero of one
        # race): a casilla outside all its contests belongs to no group of any level (a group past the last).
        member = None
        for lvl in LEVELS:
            per_casilla = list(catalog.contest_keys(eleccion)) if lvl == "contienda" else catalog.level_keys(lvl)
            if lvl == "contienda":
                present = set(per_casilla)
                uniq = [k for k in eleccion.contiendas if k in present]
                inside = set(uniq)
                member = [k in inside for k in per_casilla]
            else:
                uniq = list(dict.fromkeys(k for k, m in zip(per_casilla, member) if m))  # catalog order
            pos = {k: i for i, k in enumerate(uniq)}
            self.keys[lvl] = uniq
            outside = len(uniq)
            self.group[lvl] = np.fromiter((pos[k] if m else outside for k, m in zip(per_casilla, member)),
                                          dtype=np.int64, count=len(per_casilla))
        self.esperadas = {lvl: np.bincount(g, weights=weights, minlength=len(self.keys[lvl]) + 1)
                          [:len(self.keys[lvl])].astype(np.int64) for lvl, g in self.group.items()}


@dataclass
class EleccionCorte:
    eleccion: Eleccion
    frame: Frame
    actas: ActaSet  # the actas verified by the instant, in arrival order
    final: bool
    esperadas_override: int | None = None  # a database read back knows only its header's figure

    @cached_property
    def tally(self) -> Tally:
        a = self.actas
        counted = a.contabilizada
        esperadas = self.esperadas_override
        if esperadas is None:
            esperadas = self.eleccion.actas_esperadas or int(self.frame.actas_por_casilla.sum())
        especial = a.tipo_casilla == "S"
        fuera = a.fuera_catalogo
        return Tally(
            self.eleccion.columnas, esperadas, int(fuera.sum()), int((~fuera).sum()), int(counted.sum()),
            int(a.inconsistente.sum()), int(a.lista_nominal[counted].sum()), int(a.total[counted].sum()),
            int(a.total[counted & ~especial].sum()), tuple(a.votes[counted].clip(min=0).sum(axis=0).tolist()),
            self.final, int((a.observacion[~fuera] == rules.Observacion.EN_PROCESO).sum()),
        )

    def table(self, level: str) -> GroupTable:
        """Every group of a level (see LEVELS), including groups with no acta yet."""
        cache = self.__dict__.setdefault("_tables", {})
        if level not in cache:
            cache[level] = self._table(level)
        return cache[level]

    def _table(self, level: str) -> GroupTable:
        a, f = self.actas, self.frame
        keys = f.keys[level]
        n_groups = len(keys)
        inside = ~a.fuera_catalogo
        g = f.group[level][a.casilla_idx[inside]]
        counted = a.contabilizada[inside]
        especial = a.tipo_casilla[inside] == "S"
        total = a.total[inside]
        lista = a.lista_nominal[inside]
        zeros = np.zeros(n_groups, dtype=np.int64)

        def count(mask):
            return np.bincount(g[mask], minlength=n_groups + 1)[:n_groups].astype(np.int64)

        # One sort of the counted actas by group serves every sum of this level.
        gc = g[counted]
        order = np.argsort(gc, kind="stable")
        gs = gc[order]
        starts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]]) if gs.size else np.zeros(0, dtype=np.int64)

        def summed(values):
            out = np.zeros((n_groups + 1,) + values.shape[1:], dtype=np.int64)
            if gs.size:
                out[gs[starts]] = np.add.reduceat(values[counted][order].astype(np.int64), starts, axis=0)
            return out[:n_groups]

        votes = summed(a.votes[inside].clip(min=0))
        return GroupTable(
            self.eleccion.columnas, keys, f.esperadas[level], zeros, count(np.ones_like(counted)), count(counted),
            count(a.inconsistente[inside]), summed(lista), summed(total),
            summed(np.where(especial, 0, total)), votes, self.final,
            count(a.observacion[inside] == rules.Observacion.EN_PROCESO),
        )

    def contienda(self, key: str) -> Contienda:
        return self.eleccion.contiendas[key]


@dataclass
class Corte:
    """One cut: an instant, a sequence number, and each election's results."""

    catalog: Catalog
    instant: datetime
    sequence: int
    final: bool
    elecciones: dict[str, EleccionCorte]

    def __post_init__(self):
        if self.instant.tzinfo is None:
            raise ValueError("a corte instant must be timezone-aware")


class CorteEngine:
    """A night's actas, loaded once, cut at any instant."""

    def __init__(self, catalog: Catalog, actas: dict[str, ActaSet]):
        self.catalog = catalog
        self.actas = actas
        self.frames = {k: Frame(catalog, catalog.elecciones[k]) for k in actas}
        # Arrival order is verification order in the feed, but sort defensively for other readers.
        self._order = {}
        for k, a in actas.items():
            t = a.verificacion
            if np.all(t[:-1] <= t[1:]):
                self._order[k] = None
            else:
                self._order[k] = np.argsort(t, kind="stable")
                self.actas[k] = a.take(self._order[k])

    def corte(self, instant: datetime, sequence: int = 0, final: bool = False) -> Corte:
        cut = int(instant.timestamp())
        out = {}
        for k, a in self.actas.items():
            n = int(np.searchsorted(a.verificacion, cut, side="right"))
            included = a if n == len(a) else a.take(slice(0, n))
            out[k] = EleccionCorte(self.catalog.elecciones[k], self.frames[k], included, final)
        return Corte(self.catalog, instant, sequence, final, out)
