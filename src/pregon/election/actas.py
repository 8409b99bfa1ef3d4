"""Actas: the tally sheets as the capture system hands them over, held column-wise for speed.

The feed is one CSV per election, `actas/<CLAVE>.csv`, appended to as actas are captured and verified
(FEED_BEFORE + the election's vote columns + FEED_AFTER; times ISO 8601 with offset). An `ActaSet` keeps
each field as one array so a national corte (500,000 actas) is a few vectorised passes, and the rules run
once per acta at load time: an acta's outcome does not depend on the cut instant, only whether it is in.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError, where
from . import rules, textcols
from .catalog import Catalog, Eleccion
from .timefmt import NO_TIME

FEED_BEFORE = ("ENTIDAD", "SECCION", "TIPO_CASILLA", "ID_CASILLA", "EXT_CONTIGUA", "TIPO_ACTA",
               "TOTAL_BOLETAS_SOBRANTES", "TOTAL_PERSONAS_VOTARON", "TOTAL_REP_PARTIDO_CI_VOTARON",
               "TOTAL_VOTOS_SACADOS")
FEED_AFTER = ("TOTAL_VOTOS_ASENTADO", "REPRESENTANTES_PP_CI", "SIN_ACTA", "MECANISMOS_TRASLADO", "SHA",
              "FECHA_HORA_ACOPIO", "FECHA_HORA_CAPTURA", "FECHA_HORA_VERIFICACION", "ORIGEN", "DIGITALIZACION",
              "TIPO_DOCUMENTO")
COUNTS = ("TOTAL_BOLETAS_SOBRANTES", "TOTAL_PERSONAS_VOTARON", "TOTAL_REP_PARTIDO_CI_VOTARON", "TOTAL_VOTOS_SACADOS")
# Optional last feed column: the outcome the capture system stated, for actas whose votes a replayed
# database withholds (rules.classify's `declarada`); a feed without it states none.
DECLARED = "OBSERVACION_DECLARADA"


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


# ---------------------------------------------------------------- the feed files


def feed_header(eleccion: Eleccion) -> list[str]:
    return [*FEED_BEFORE, *eleccion.columnas, *FEED_AFTER]


def load_feed(catalog: Catalog, eleccion: Eleccion, path: str | Path, *, until: int | None = None) -> ActaSet:
    """Read `actas/<CLAVE>.csv`. With `until` (epoch s), keep only the prefix verified by then."""
    path = Path(path)
    try:
        fh = open(path, encoding="utf-8", newline="")
    except FileNotFoundError:
        raise InputError(f"{path}: not found; the election directory needs one feed per election") from None
    expected = feed_header(eleccion)
    with fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
            if header is not None and header == expected + [DECLARED]:
                expected = header
            if header != expected:
                raise InputError(f"{where(path, 1)}: header does not match election {eleccion.clave}'s columns; "
                                 f"expected {','.join(expected[:12])},… as 'pregon simulate' writes")
            rows = list(reader)
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text; save it as UTF-8") from None
        except csv.Error as exc:
            raise InputError(f"{where(path, reader.line_num)}: {exc}") from None
    return parse_rows(catalog, eleccion, rows, source=path, until=until, declared=len(expected) > len(feed_header(eleccion)))


def parse_rows(catalog: Catalog, eleccion: Eleccion, rows: list[list[str]], *, source="<feed>", first_line: int = 2,
               until: int | None = None, declared: bool = False) -> ActaSet:
    """Feed rows (already split, header excluded) -> ActaSet. Pure: a follower can parse only new lines.

    The feed is appended in verification order, so a corte reads only its prefix. Fields are converted a
    whole column at a time (textcols); the first bad cell is reported with its line and field.
    """
    path = source
    expected = feed_header(eleccion) + ([DECLARED] if declared else [])
    width = len(expected)
    if rows and not rows[-1]:
        rows = rows[:-1]
    for i, row in enumerate(rows):
        if len(row) != width:
            raise InputError(f"{where(path, i + first_line)}: {len(row)} fields, expected {width}; the line is "
                             "incomplete or has extra separators")
    if not rows:
        return empty(eleccion)
    k = len(eleccion.columnas)
    nb = len(FEED_BEFORE)
    col = {name: j for j, name in enumerate(expected)}
    transposed = list(zip(*rows))

    def column(name):
        return transposed[col[name]]

    def check(bad, name):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            value = rows[i][col[name]] if name in col else ""
            raise InputError(f"{where(path, i + first_line, name)}: bad value {value!r}; write a whole number"
                             + (", '-', 'SIN DATO' or 'ILEGIBLE'" if name not in _ID_FIELDS else ""))

    verif, bad = textcols.iso_to_epochs(column("FECHA_HORA_VERIFICACION"))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{where(path, i + first_line, 'FECHA_HORA_VERIFICACION')}: {rows[i][col['FECHA_HORA_VERIFICACION']]!r}"
                         " is not an ISO 8601 time with offset")
    if until is not None:
        later = np.flatnonzero(verif > until)
        if later.size:
            keep = int(later[0])
            if keep == 0:
                return empty(eleccion)
            rows, verif = rows[:keep], verif[:keep]
            transposed = [c[:keep] for c in transposed]

    ids = {}
    for name in ("ENTIDAD", "SECCION", "ID_CASILLA", "EXT_CONTIGUA", "TIPO_ACTA", "REPRESENTANTES_PP_CI"):
        ids[name], bad = textcols.text_to_ints(column(name), texts=False)
        check(bad, name)
    numbers = np.empty((len(rows), k + 4), dtype=np.int64)
    for j in range(k + 4):
        numbers[:, j], bad = textcols.text_to_ints(transposed[nb - 4 + j])
        check(bad, expected[nb - 4 + j])
    asentado, bad = textcols.text_to_ints(column("TOTAL_VOTOS_ASENTADO"))
    check(bad, "TOTAL_VOTOS_ASENTADO")
    times = {}
    for name in ("FECHA_HORA_ACOPIO", "FECHA_HORA_CAPTURA"):
        times[name], bad = textcols.iso_to_epochs(column(name))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"{where(path, i + first_line, name)}: {rows[i][col[name]]!r} is not an ISO 8601 time with offset")
    sin_acta = np.array(column("SIN_ACTA"), dtype=object)
    odd = (sin_acta != "") & ~np.strings.startswith(sin_acta.astype(str), "SIN ACTA")
    if odd.any():
        i = int(np.flatnonzero(odd)[0])
        raise InputError(f"{where(path, i + first_line, 'SIN_ACTA')}: {sin_acta[i]!r} is not a 'SIN ACTA POR …' reason")

    declarada = np.full(len(rows), rules.NO_DECLARADA, dtype=np.int8)
    if declared:
        stated = column(DECLARED)
        for i, word in enumerate(stated):
            if word:
                code = rules.DECLARABLE.get(word)
                if code is None:
                    raise InputError(f"{where(path, i + first_line, DECLARED)}: {word!r} is not one of "
                                     f"{', '.join(rules.DECLARABLE)}")
                declarada[i] = code
    tipo = np.array(column("TIPO_CASILLA"), dtype="<U1")
    ci = catalog.locate(ids["ENTIDAD"], ids["SECCION"], tipo, ids["ID_CASILLA"], ids["EXT_CONTIGUA"])
    # TIPO_ACTA 0 is INE's mark of an acta fuera de catálogo, whatever its identification seems to match
    ci[ids["TIPO_ACTA"] == 0] = -1
    inside = ci >= 0
    arrays = catalog.casilla_arrays
    safe = np.where(inside, ci, 0)
    contest_of = catalog.contest_keys(eleccion)
    return from_columns(eleccion, {
        "entidad": ids["ENTIDAD"], "seccion": ids["SECCION"], "tipo_casilla": tipo, "id_casilla": ids["ID_CASILLA"],
        "ext_contigua": ids["EXT_CONTIGUA"], "tipo_acta": ids["TIPO_ACTA"],
        "ubicacion": np.where(inside, arrays["ubicacion"][safe], 1), "counts": numbers[:, :4],
        "votes": numbers[:, 4:], "total_asentado": asentado,
        "lista_nominal": np.where(inside, arrays["lista_nominal"][safe], 0),
        "boletas": np.where(inside & (arrays["boletas"][safe] > 0), arrays["boletas"][safe], rules.BOLETAS_ESPECIAL),
        "representantes": ids["REPRESENTANTES_PP_CI"], "sin_acta": sin_acta, "fuera_catalogo": ~inside,
        "contienda": np.where(inside, contest_of[safe], ""), "casilla_idx": ci,
        "mecanismo": np.array(column("MECANISMOS_TRASLADO"), dtype=object), "sha": np.array(column("SHA"), dtype=object),
        "acopio": times["FECHA_HORA_ACOPIO"], "captura": times["FECHA_HORA_CAPTURA"], "verificacion": verif,
        "origen": np.array(column("ORIGEN"), dtype=object),
        "digitalizacion": np.array(column("DIGITALIZACION"), dtype=object),
        "tipo_documento": np.array(column("TIPO_DOCUMENTO"), dtype=object), "declarada": declarada,
    }, len(rows))


_ID_FIELDS = ("ENTIDAD", "SECCION", "ID_CASILLA", "EXT_CONTIGUA", "TIPO_ACTA", "REPRESENTANTES_PP_CI")


def write_feed(actas: ActaSet, path: str | Path, tz) -> None:
    """Write an ActaSet as a feed file (the simulator's output, and a fixture writer for tests)."""
    path = Path(path)
    path.write_text(feed_text(actas, tz), encoding="utf-8")


def _csv_safe(column) -> np.ndarray:
    """A text column for the feed: cells holding a comma, quote or line break (a replayed database's own
    words) quoted as CSV does; the simulator's never need it, so its bytes do not change."""
    col = np.asarray(column, dtype=object)
    text = col.astype(str)
    odd = (np.strings.find(text, ",") >= 0) | (np.strings.find(text, '"') >= 0) | (np.strings.find(text, "\n") >= 0) \
        | (np.strings.find(text, "\r") >= 0)
    if not odd.any():
        return col
    out = col.copy()
    out[odd] = ['"' + c.replace('"', '""') + '"' for c in text[odd].tolist()]
    return out


def feed_text(actas, tz) -> str:
    """The feed file's text; no field pregon writes needs CSV quoting. `actas` is an ActaSet or anything with
    its feed fields (the simulator's Feed). OBSERVACION_DECLARADA is written only when some acta states one."""
    declarada = getattr(actas, "declarada", None)
    declared = declarada is not None and bool((np.asarray(declarada) != rules.NO_DECLARADA).any())
    header = ",".join(feed_header(actas.eleccion) + ([DECLARED] if declared else []))
    if len(actas) == 0:
        return header + "\n"
    it = textcols.ints_to_text
    iso = "iso"
    columns = [it(actas.entidad), it(actas.seccion), actas.tipo_casilla.astype(object), it(actas.id_casilla),
               it(actas.ext_contigua), it(actas.tipo_acta)]
    columns += [it(actas.counts[:, j]) for j in range(actas.counts.shape[1])]
    columns += [it(actas.votes[:, j]) for j in range(actas.votes.shape[1])]
    q = _csv_safe
    columns += [it(actas.total_asentado), it(actas.representantes), q(actas.sin_acta), q(actas.mecanismo),
                q(actas.sha), textcols.times_to_text(actas.acopio, tz, iso), textcols.times_to_text(actas.captura, tz, iso),
                textcols.times_to_text(actas.verificacion, tz, iso), q(actas.origen), q(actas.digitalizacion),
                q(actas.tipo_documento)]
    if declared:
        words = np.array([""] + [rules.DECLARED_TEXT.get(rules.Observacion(c), "") for c in range(len(rules.Observacion))],
                         dtype=object)
        columns.append(words[np.asarray(declarada, dtype=np.int64) + 1])
    return header + "\n" + "\n".join(textcols.join_rows(columns, ",")) + "\n"
