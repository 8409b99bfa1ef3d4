"""Actas: the tally sheets as the capture system hands them over, held column-wise for speed.

An `ActaSet` keeps each field of one election's actas as one array so a national corte (500,000 actas) is a
few vectorised passes, and the rules run once per acta when the set is built: an acta's outcome does not
depend on the cut instant, only whether it is in. The feed file they come from, `actas/<CLAVE>.csv`, is
read and written by pregon.electionio.feed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import rules
from .catalog import Eleccion
from .timefmt import NO_TIME

# The acta's four counts, in feed order (vote codes, as the votes are)
COUNTS = ("TOTAL_BOLETAS_SOBRANTES", "TOTAL_PERSONAS_VOTARON", "TOTAL_REP_PARTIDO_CI_VOTARON", "TOTAL_VOTOS_SACADOS")


@dataclass
class ActaSet:
    """Every acta of one election, column-wise. Row order is the order of arrival."""

    eleccion: Eleccion
    entidad: np.ndarray
    seccion: np.ndarray
    tipo_casilla: np.ndarray  # '<U1'
    id_casilla: np.ndarray
    ext_contigua: np.ndarray
    tipo_acta: np.ndarray
    ubicacion: np.ndarray
    counts: np.ndarray  # (n, 4) COUNTS, vote codes
    votes: np.ndarray  # (n, k) eleccion.columnas, vote codes
    total_asentado: np.ndarray
    lista_nominal: np.ndarray
    boletas: np.ndarray
    representantes: np.ndarray
    sin_acta: np.ndarray  # object: "" or the reason text
    fuera_catalogo: np.ndarray  # bool
    contienda: np.ndarray  # object: contest key ("" when fuera de catálogo)
    casilla_idx: np.ndarray  # index into catalog.casillas, -1 when fuera
    mecanismo: np.ndarray
    sha: np.ndarray
    acopio: np.ndarray  # int64 epoch seconds, NO_TIME when blank
    captura: np.ndarray
    verificacion: np.ndarray
    origen: np.ndarray
    digitalizacion: np.ndarray
    tipo_documento: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)  # layout columns carried through (COTEJADA)
    excede_con_nulos: bool = False  # see rules.classify: whether NULOS enter the excede-lista test
    declarada: np.ndarray | None = None  # int8 Observacion codes the capture system stated (rules.classify)

    @property
    def nulos_index(self) -> int | None:
        if self.excede_con_nulos or self.eleccion.excede_con_nulos or "NULOS" not in self.eleccion.columnas:
            return None
        return self.eleccion.columnas.index("NULOS")

    def __post_init__(self):
        if "total" in self.__dict__:  # carried over by take(); the rules already ran on these actas
            return
        if self.declarada is None:
            self.declarada = np.full(len(self.entidad), rules.NO_DECLARADA, dtype=np.int8)
        self.total = rules.total_calculado(self.votes)
        self.observacion = rules.classify(
            self.votes, self.lista_nominal, self.representantes, self.tipo_casilla == "S", self.boletas,
            self.sin_acta != "", self.fuera_catalogo, self.nulos_index, self.declarada,
        )
        self.contabilizada = rules.CONTABILIZADA_CODES[self.observacion]
        self.inconsistente = rules.INCONSISTENCIA_CODES[self.observacion]

    def __len__(self) -> int:
        return int(self.entidad.shape[0])

    def take(self, index: np.ndarray) -> "ActaSet":
        """The actas at `index` (a boolean mask or integer positions), rules outcome carried along."""
        fields = {name: getattr(self, name)[index] for name in _ARRAY_FIELDS}
        fields["extra"] = {k: v[index] for k, v in self.extra.items()}
        out = ActaSet.__new__(ActaSet)
        out.__dict__.update(fields, eleccion=self.eleccion, excede_con_nulos=self.excede_con_nulos,
                            declarada=self.declarada[index])
        for name in ("total", "observacion", "contabilizada", "inconsistente"):
            out.__dict__[name] = getattr(self, name)[index]
        return out

    def observacion_texto(self, i: int) -> str:
        if self.observacion[i] == rules.Observacion.SIN_ACTA:
            return str(self.sin_acta[i])
        return rules.Observacion(int(self.observacion[i])).texto

    def observaciones(self) -> np.ndarray:
        """OBSERVACIONES of every acta, as objects (the capture system's reason for sin acta)."""
        texts = np.array([o.texto for o in rules.Observacion], dtype=object)[self.observacion]
        sin = self.observacion == rules.Observacion.SIN_ACTA
        texts[sin] = self.sin_acta[sin]
        return texts


_ARRAY_FIELDS = [n for n in ActaSet.__dataclass_fields__
                 if n not in ("eleccion", "extra", "excede_con_nulos", "declarada")]


def empty(eleccion: Eleccion) -> ActaSet:
    return from_columns(eleccion, {}, 0)


def from_columns(eleccion: Eleccion, cols: dict, n: int, *, excede_con_nulos: bool = False) -> ActaSet:
    """Build an ActaSet from python lists/arrays, defaulting what is absent (used by loaders and tests)."""
    k = len(eleccion.columnas)

    def arr(name, dtype, default):
        if name in cols:
            return np.asarray(cols[name], dtype=dtype)
        return np.full(n, default, dtype=dtype)

    votes = np.asarray(cols["votes"], dtype=np.int64).reshape(n, k) if "votes" in cols else np.zeros((n, k), np.int64)
    counts = np.asarray(cols["counts"], dtype=np.int64).reshape(n, 4) if "counts" in cols else np.zeros((n, 4), np.int64)
    return ActaSet(
        eleccion=eleccion,
        entidad=arr("entidad", np.int64, 0), seccion=arr("seccion", np.int64, 0),
        tipo_casilla=arr("tipo_casilla", "<U1", "B"), id_casilla=arr("id_casilla", np.int64, 1),
        ext_contigua=arr("ext_contigua", np.int64, 0), tipo_acta=arr("tipo_acta", np.int64, eleccion.tipo_acta),
        ubicacion=arr("ubicacion", np.int64, 1), counts=counts, votes=votes,
        total_asentado=arr("total_asentado", np.int64, 0), lista_nominal=arr("lista_nominal", np.int64, 0),
        boletas=arr("boletas", np.int64, rules.BOLETAS_ESPECIAL), representantes=arr("representantes", np.int64, 0),
        sin_acta=arr("sin_acta", object, ""), fuera_catalogo=arr("fuera_catalogo", bool, False),
        contienda=arr("contienda", object, ""), casilla_idx=arr("casilla_idx", np.int64, -1),
        mecanismo=arr("mecanismo", object, ""), sha=arr("sha", object, ""),
        acopio=arr("acopio", np.int64, NO_TIME), captura=arr("captura", np.int64, NO_TIME),
        verificacion=arr("verificacion", np.int64, NO_TIME), origen=arr("origen", object, ""),
        digitalizacion=arr("digitalizacion", object, ""), tipo_documento=arr("tipo_documento", object, ""),
        extra={k: np.asarray(v, dtype=object) for k, v in cols.get("extra", {}).items()},
        excede_con_nulos=excede_con_nulos,
        declarada=arr("declarada", np.int8, rules.NO_DECLARADA),
    )


def concat(sets: list[ActaSet]) -> ActaSet:
    first = sets[0]
    fields = {name: np.concatenate([getattr(s, name) for s in sets]) for name in _ARRAY_FIELDS}
    fields["extra"] = {k: np.concatenate([s.extra[k] for s in sets]) for k in first.extra}
    return ActaSet(eleccion=first.eleccion, excede_con_nulos=first.excede_con_nulos,
                   declarada=np.concatenate([s.declarada for s in sets]), **fields)
