"""`actas/<CLAVE>.csv`: the actas feed of one election, as the capture system appends it, read and written.

FEED_BEFORE + the election's vote columns + FEED_AFTER, times ISO 8601 with offset, one row per acta in
verification order (so a corte reads only a prefix). Fields are converted a whole column at a time
(election.textcols) into an election.actas.ActaSet; the first bad cell is reported with its line and field.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..election import rules, textcols
from ..election.actas import COUNTS, ActaSet, empty, from_columns
from ..election.catalog import Catalog, Eleccion
from ..errors import InputError, where

FEED_BEFORE = ("ENTIDAD", "SECCION", "TIPO_CASILLA", "ID_CASILLA", "EXT_CONTIGUA", "TIPO_ACTA", *COUNTS)
FEED_AFTER = ("TOTAL_VOTOS_ASENTADO", "REPRESENTANTES_PP_CI", "SIN_ACTA", "MECANISMOS_TRASLADO", "SHA",
              "FECHA_HORA_ACOPIO", "FECHA_HORA_CAPTURA", "FECHA_HORA_VERIFICACION", "ORIGEN", "DIGITALIZACION",
              "TIPO_DOCUMENTO")
# Optional last feed column: the outcome the capture system stated, for actas whose votes a replayed
# database withholds (rules.classify's `declarada`); a feed without it states none.
DECLARED = "OBSERVACION_DECLARADA"
_ID_FIELDS = ("ENTIDAD", "SECCION", "ID_CASILLA", "EXT_CONTIGUA", "TIPO_ACTA", "REPRESENTANTES_PP_CI")


def feed_header(eleccion: Eleccion) -> list[str]:
    return [*FEED_BEFORE, *eleccion.columnas, *FEED_AFTER]


# ---------------------------------------------------------------- reading


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


class _Cells:
    """A feed's rows held column-wise, with the report of a column's first bad cell (line and field)."""

    def __init__(self, rows: list[list[str]], expected: list[str], source, first_line: int):
        self.rows, self.source, self.first_line = rows, source, first_line
        self.col = {name: j for j, name in enumerate(expected)}
        self.transposed = list(zip(*rows))

    def column(self, name: str):
        return self.transposed[self.col[name]]

    def keep(self, n: int) -> None:
        """Only the first n rows from now on."""
        self.rows = self.rows[:n]
        self.transposed = [c[:n] for c in self.transposed]

    def first_bad(self, bad: np.ndarray, name: str, message) -> None:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"{where(self.source, i + self.first_line, name)}: {message(i)}")

    def ints(self, cells, name: str, *, texts: bool = True) -> np.ndarray:
        values, bad = textcols.text_to_ints(cells, texts=texts)

        def message(i):
            value = self.rows[i][self.col[name]] if name in self.col else ""
            return (f"bad value {value!r}; write a whole number"
                    + (", '-', 'SIN DATO' or 'ILEGIBLE'" if name not in _ID_FIELDS else ""))
        self.first_bad(bad, name, message)
        return values

    def epochs(self, name: str) -> np.ndarray:
        values, bad = textcols.iso_to_epochs(self.column(name))
        self.first_bad(bad, name, lambda i: f"{self.rows[i][self.col[name]]!r} is not an ISO 8601 time with offset")
        return values


def parse_rows(catalog: Catalog, eleccion: Eleccion, rows: list[list[str]], *, source="<feed>", first_line: int = 2,
               until: int | None = None, declared: bool = False) -> ActaSet:
    """Feed rows (already split, header excluded) -> ActaSet. Pure: a follower can parse only new lines.

    The feed is appended in verification order, so a corte reads only its prefix. Fields are converted a
    whole column at a time (textcols); the first bad cell is reported with its line and field.
    """
    expected = feed_header(eleccion) + ([DECLARED] if declared else [])
    rows = _complete_rows(rows, len(expected), source, first_line)
    if not rows:
        return empty(eleccion)
    cells = _Cells(rows, expected, source, first_line)
    verif = cells.epochs("FECHA_HORA_VERIFICACION")
    if until is not None:
        later = np.flatnonzero(verif > until)
        if later.size:
            keep = int(later[0])
            if keep == 0:
                return empty(eleccion)
            cells.keep(keep)
            verif = verif[:keep]
    fields = _identification_and_counts(cells, expected, len(eleccion.columnas))
    fields.update(_capture_fields(cells), verificacion=verif)
    fields["declarada"] = _declarada(cells) if declared else np.full(len(cells.rows), rules.NO_DECLARADA, np.int8)
    fields.update(_catalog_fields(catalog, eleccion, fields))
    return from_columns(eleccion, fields, len(cells.rows))


def _complete_rows(rows: list[list[str]], width: int, source, first_line: int) -> list[list[str]]:
    """The rows without a trailing empty one; InputError at the first with the wrong number of fields."""
    if rows and not rows[-1]:
        rows = rows[:-1]
    for i, row in enumerate(rows):
        if len(row) != width:
            raise InputError(f"{where(source, i + first_line)}: {len(row)} fields, expected {width}; the line is "
                             "incomplete or has extra separators")
    return rows


def _identification_and_counts(cells: _Cells, expected: list[str], k: int) -> dict:
    """The casilla identification, the acta's four counts, its k votes and the total it states."""
    ids = {name: cells.ints(cells.column(name), name, texts=False) for name in _ID_FIELDS}
    nb = len(FEED_BEFORE)
    numbers = np.empty((len(cells.rows), k + 4), dtype=np.int64)
    for j in range(k + 4):
        numbers[:, j] = cells.ints(cells.transposed[nb - 4 + j], expected[nb - 4 + j])
    asentado = cells.ints(cells.column("TOTAL_VOTOS_ASENTADO"), "TOTAL_VOTOS_ASENTADO")
    return {
        "entidad": ids["ENTIDAD"], "seccion": ids["SECCION"],
        "tipo_casilla": np.array(cells.column("TIPO_CASILLA"), dtype="<U1"), "id_casilla": ids["ID_CASILLA"],
        "ext_contigua": ids["EXT_CONTIGUA"], "tipo_acta": ids["TIPO_ACTA"], "counts": numbers[:, :4],
        "votes": numbers[:, 4:], "total_asentado": asentado, "representantes": ids["REPRESENTANTES_PP_CI"],
    }


def _capture_fields(cells: _Cells) -> dict:
    """Acopio and captura times, the sin-acta reason and the capture system's text fields."""
    acopio = cells.epochs("FECHA_HORA_ACOPIO")
    captura = cells.epochs("FECHA_HORA_CAPTURA")
    sin_acta = np.array(cells.column("SIN_ACTA"), dtype=object)
    odd = (sin_acta != "") & ~np.strings.startswith(sin_acta.astype(str), "SIN ACTA")
    cells.first_bad(odd, "SIN_ACTA", lambda i: f"{sin_acta[i]!r} is not a 'SIN ACTA POR …' reason")
    text = {name: np.array(cells.column(column), dtype=object) for name, column in (
        ("mecanismo", "MECANISMOS_TRASLADO"), ("sha", "SHA"), ("origen", "ORIGEN"),
        ("digitalizacion", "DIGITALIZACION"), ("tipo_documento", "TIPO_DOCUMENTO"))}
    return {"acopio": acopio, "captura": captura, "sin_acta": sin_acta, **text}


def _declarada(cells: _Cells) -> np.ndarray:
    """OBSERVACION_DECLARADA as rules' codes; an empty cell states nothing."""
    declarada = np.full(len(cells.rows), rules.NO_DECLARADA, dtype=np.int8)
    for i, word in enumerate(cells.column(DECLARED)):
        if word:
            code = rules.DECLARABLE.get(word)
            if code is None:
                raise InputError(f"{where(cells.source, i + cells.first_line, DECLARED)}: {word!r} is not one of "
                                 f"{', '.join(rules.DECLARABLE)}")
            declarada[i] = code
    return declarada


def _catalog_fields(catalog: Catalog, eleccion: Eleccion, fields: dict) -> dict:
    """What the catalog says of each acta's casilla: whether it is in it, its contest, lista and ballots."""
    ci = catalog.locate(fields["entidad"], fields["seccion"], fields["tipo_casilla"], fields["id_casilla"],
                        fields["ext_contigua"])
    # TIPO_ACTA 0 is INE's mark of an acta fuera de catálogo, whatever its identification seems to match
    ci[fields["tipo_acta"] == 0] = -1
    inside = ci >= 0
    arrays = catalog.casilla_arrays
    safe = np.where(inside, ci, 0)
    contest_of = catalog.contest_keys(eleccion)
    return {
        "ubicacion": np.where(inside, arrays["ubicacion"][safe], 1),
        "lista_nominal": np.where(inside, arrays["lista_nominal"][safe], 0),
        "boletas": np.where(inside & (arrays["boletas"][safe] > 0), arrays["boletas"][safe], rules.BOLETAS_ESPECIAL),
        "fuera_catalogo": ~inside, "contienda": np.where(inside, contest_of[safe], ""), "casilla_idx": ci,
    }


# ---------------------------------------------------------------- writing


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
