"""Actas: the tally sheets as the capture system hands them over, held column-wise for speed.

The feed is one CSV per election, `actas/<CLAVE>.csv`, appended to as actas are captured and verified
(FEED_BEFORE + the election's vote columns + FEED_AFTER; times ISO 8601 with offset). An `ActaSet` keeps
each field as one array so a national corte (500,000 actas) is a few vectorised passes, and the rules run
once per acta at load time: an acta's outcome does not depend on the cut instant, only whether it is in.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from ..errors import InputError, where
from . import rules
from .catalog import Catalog, Eleccion, casilla_key
from .timefmt import NO_TIME

FEED_BEFORE = ("ENTIDAD", "SECCION", "TIPO_CASILLA", "ID_CASILLA", "EXT_CONTIGUA", "TIPO_ACTA",
               "TOTAL_BOLETAS_SOBRANTES", "TOTAL_PERSONAS_VOTARON", "TOTAL_REP_PARTIDO_CI_VOTARON",
               "TOTAL_VOTOS_SACADOS")
FEED_AFTER = ("TOTAL_VOTOS_ASENTADO", "REPRESENTANTES_PP_CI", "SIN_ACTA", "MECANISMOS_TRASLADO", "SHA",
              "FECHA_HORA_ACOPIO", "FECHA_HORA_CAPTURA", "FECHA_HORA_VERIFICACION", "ORIGEN", "DIGITALIZACION",
              "TIPO_DOCUMENTO")
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

    @property
    def nulos_index(self) -> int | None:
        if self.excede_con_nulos or "NULOS" not in self.eleccion.columnas:
            return None
        return self.eleccion.columnas.index("NULOS")

    def __post_init__(self):
        self.total = rules.total_calculado(self.votes)
        self.observacion = rules.classify(
            self.votes, self.lista_nominal, self.representantes, self.tipo_casilla == "S", self.boletas,
            self.sin_acta != "", self.fuera_catalogo, self.nulos_index,
        )
        self.contabilizada = rules.CONTABILIZADA_CODES[self.observacion]
        self.inconsistente = rules.INCONSISTENCIA_CODES[self.observacion]

    def __len__(self) -> int:
        return int(self.entidad.shape[0])

    def take(self, index: np.ndarray) -> "ActaSet":
        """The actas at `index` (a boolean mask or integer positions), rules outcome carried along."""
        fields = {name: getattr(self, name)[index] for name in _ARRAY_FIELDS}
        fields["extra"] = {k: v[index] for k, v in self.extra.items()}
        return ActaSet(eleccion=self.eleccion, excede_con_nulos=self.excede_con_nulos, **fields)

    def observacion_texto(self, i: int) -> str:
        if self.observacion[i] == rules.Observacion.SIN_ACTA:
            return str(self.sin_acta[i])
        return rules.Observacion(int(self.observacion[i])).texto


_ARRAY_FIELDS = [n for n in ActaSet.__dataclass_fields__ if n not in ("eleccion", "extra", "excede_con_nulos")]


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
    )


def concat(sets: list[ActaSet]) -> ActaSet:
    first = sets[0]
    fields = {name: np.concatenate([getattr(s, name) for s in sets]) for name in _ARRAY_FIELDS}
    fields["extra"] = {k: np.concatenate([s.extra[k] for s in sets]) for k in first.extra}
    return ActaSet(eleccion=first.eleccion, excede_con_nulos=first.excede_con_nulos, **fields)


# ---------------------------------------------------------------- the feed files


def feed_header(eleccion: Eleccion) -> list[str]:
    return [*FEED_BEFORE, *eleccion.columnas, *FEED_AFTER]


def parse_time(text: str) -> int:
    """ISO 8601 with offset -> epoch seconds; blank -> NO_TIME."""
    if not text:
        return NO_TIME
    t = datetime.fromisoformat(text)
    if t.tzinfo is None:
        raise ValueError("time without UTC offset")
    return int(t.timestamp())


def load_feed(catalog: Catalog, eleccion: Eleccion, path: str | Path, *, until: int | None = None) -> ActaSet:
    """Read `actas/<CLAVE>.csv`. With `until` (epoch s), stop at the first acta verified after it.

    The feed is appended in verification order, so a corte reads only its prefix.
    """
    path = Path(path)
    try:
        fh = open(path, encoding="utf-8", newline="")
    except FileNotFoundError:
        raise InputError(f"{path}: not found; the election directory needs one feed per election") from None
    expected = feed_header(eleccion)
    index = catalog.casilla_index
    secciones = catalog.secciones
    k = len(eleccion.columnas)
    nb = len(FEED_BEFORE)
    code = rules.TEXT_TO_CODE
    cols: dict[str, list] = {name: [] for name in (
        "entidad", "seccion", "tipo_casilla", "id_casilla", "ext_contigua", "tipo_acta", "ubicacion", "counts",
        "votes", "total_asentado", "lista_nominal", "boletas", "representantes", "sin_acta", "fuera_catalogo",
        "contienda", "casilla_idx", "mecanismo", "sha", "acopio", "captura", "verificacion", "origen",
        "digitalizacion", "tipo_documento")}
    times: dict[str, int] = {}

    def when(text: str, line: int, name: str) -> int:
        value = times.get(text)
        if value is None:
            try:
                value = times[text] = parse_time(text)
            except ValueError:
                raise InputError(f"{where(path, line, name)}: {text!r} is not an ISO 8601 time with offset") from None
        return value

    with fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header != expected:
            raise InputError(f"{where(path, 1)}: header does not match election {eleccion.clave}'s columns; "
                             f"expected {','.join(expected[:12])},… as 'pregon simulate' writes")
        for row in reader:
            line = reader.line_num
            if len(row) != len(expected):
                raise InputError(f"{where(path, line)}: {len(row)} fields, expected {len(expected)}; the line "
                                 "is incomplete or has extra separators")
            verif = when(row[nb + k + 7], line, "FECHA_HORA_VERIFICACION")
            if until is not None and verif > until:
                break
            try:
                ent, sec, idc, ext, tacta = (int(row[0]), int(row[1]), int(row[3]), int(row[4]), int(row[5]))
                nums = [int(v) if v.isdigit() else code[v] for v in row[6:nb + k]]
                total_asentado = int(row[nb + k]) if row[nb + k].isdigit() else code[row[nb + k]]
                reps = int(row[nb + k + 1])
            except (ValueError, KeyError) as exc:
                raise InputError(f"{where(path, line)}: bad number ({exc}); vote fields take a whole number, "
                                 "'-', 'SIN DATO' or 'ILEGIBLE'") from None
            tipo = row[2]
            ci = index.get(casilla_key(ent, sec, tipo, idc, ext), -1)
            if ci >= 0:
                casilla = catalog.casillas[ci]
                contest = eleccion.contienda_clave(ent, secciones[(ent, sec)])
                ln, bol, ubic = casilla.lista_nominal, casilla.boletas or rules.BOLETAS_ESPECIAL, casilla.ubicacion
            else:
                contest, ln, bol, ubic = "", 0, rules.BOLETAS_ESPECIAL, 1
            sin_acta = row[nb + k + 2]
            if sin_acta and sin_acta not in rules.SIN_ACTA_REASONS and not sin_acta.startswith("SIN ACTA"):
                raise InputError(f"{where(path, line, 'SIN_ACTA')}: {sin_acta!r} is not a 'SIN ACTA POR …' reason")
            c = cols
            c["entidad"].append(ent); c["seccion"].append(sec); c["tipo_casilla"].append(tipo)
            c["id_casilla"].append(idc); c["ext_contigua"].append(ext); c["tipo_acta"].append(tacta)
            c["ubicacion"].append(ubic); c["counts"].append(nums[:4]); c["votes"].append(nums[4:])
            c["total_asentado"].append(total_asentado); c["lista_nominal"].append(ln); c["boletas"].append(bol)
            c["representantes"].append(reps); c["sin_acta"].append(sin_acta); c["fuera_catalogo"].append(ci < 0)
            c["contienda"].append(contest); c["casilla_idx"].append(ci); c["mecanismo"].append(row[nb + k + 3])
            c["sha"].append(row[nb + k + 4])
            c["acopio"].append(when(row[nb + k + 5], line, "FECHA_HORA_ACOPIO"))
            c["captura"].append(when(row[nb + k + 6], line, "FECHA_HORA_CAPTURA"))
            c["verificacion"].append(verif); c["origen"].append(row[nb + k + 8])
            c["digitalizacion"].append(row[nb + k + 9]); c["tipo_documento"].append(row[nb + k + 10])
    n = len(cols["entidad"])
    if n == 0:
        return empty(eleccion)
    return from_columns(eleccion, cols, n)


def write_feed(actas: ActaSet, path: str | Path, tz) -> None:
    """Write an ActaSet as a feed file (the simulator's output, and a fixture writer for tests)."""
    from .timefmt import iso

    el = actas.eleccion
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(feed_header(el))
        vt = rules.vote_text
        for i in range(len(actas)):
            w.writerow([
                int(actas.entidad[i]), int(actas.seccion[i]), actas.tipo_casilla[i], int(actas.id_casilla[i]),
                int(actas.ext_contigua[i]), int(actas.tipo_acta[i]), *map(vt, actas.counts[i].tolist()),
                *map(vt, actas.votes[i].tolist()), vt(int(actas.total_asentado[i])), int(actas.representantes[i]),
                actas.sin_acta[i], actas.mecanismo[i], actas.sha[i], iso(int(actas.acopio[i]), tz),
                iso(int(actas.captura[i]), tz), iso(int(actas.verificacion[i]), tz), actas.origen[i],
                actas.digitalizacion[i], actas.tipo_documento[i],
            ])
