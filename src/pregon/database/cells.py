"""The cells of a database's acta table as pregon's values: whole numbers and vote codes, each row's status
(captured, not captured yet, fuera de catálogo) and stated outcome, times; every cell that cannot be read is
an error naming its file, line, column and value.
"""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np

from ..election import rules
from ..election.catalog import TIPOS_CASILLA
from ..election.timefmt import NO_TIME
from ..errors import InputError
from . import text as textmod
from .reader import Database
from .vocabulary import normalize, vocabulary

_MARKER_CODE = {"no_aplica": rules.NO_APLICA, "sin_dato": rules.SIN_DATO, "ilegible": rules.ILEGIBLE,
                "sin_acta": rules.BLANCO}
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                 "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%Y/%m/%d %H:%M", "%d-%m-%Y %H:%M:%S")


class Cells:
    """Role-addressed, unwrapped text columns of a database, and integer parsing with located errors."""

    def __init__(self, db: Database, columns):
        self.db, self.columns, self.n = db, columns, len(db.rows)
        self._text: dict[str, np.ndarray] = {}

    def text(self, role: str) -> np.ndarray:
        if role not in self._text:
            j = self.db.layout.roles.get(role)
            self._text[role] = textmod.unwrap_column(self.columns[j]) if j is not None else np.full(self.n, "", dtype="<U1")
        return self._text[role]

    def present(self, role: str) -> np.ndarray:
        """Rows whose cell in this role holds something other than empty or '-'."""
        t = self.text(role)
        return (t != "") & (t != "-")

    def ints(self, role: str, strict: np.ndarray, default: int = 0) -> np.ndarray:
        """Whole numbers; a cell that is not one is an error in a strict row, `default` in the others."""
        t = self.text(role)
        digits = np.strings.isdigit(t.astype(str)) & (np.strings.str_len(t.astype(str)) < 16)
        out = np.full(self.n, default, dtype=np.int64)
        out[digits] = t[digits].astype(np.int64)
        bad = ~digits & strict
        if bad.any() and role in self.db.layout.roles:
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"{self.db.where(i, self.db.layout.roles[role])}: {t[i]!r} is not a whole number "
                             "(an acta in the catálogo must be identified; an unidentified one is FUERA DE CATÁLOGO)")
        return out


def status(db: Database, cells: Cells) -> dict[str, np.ndarray]:
    """Each row's OBSERVACIONES meaning, CONTABILIZADA value, and whether it is fuera or not captured yet."""
    voc = vocabulary()
    n = len(db.rows)
    obs_raw = cells.text("observaciones")
    uniq, inv = np.unique(obs_raw, return_inverse=True) if n else (np.zeros(0, str), np.zeros(0, np.int64))
    meanings = []
    for k, text in enumerate(uniq.tolist()):
        m = voc.observacion(text)
        if m is None:
            i = int(np.flatnonzero(inv == k)[0])
            raise InputError(f"{db.where(i, db.layout.roles['observaciones'])}: unknown observation {text!r}; if the "
                             "institute's LEEME defines it, add it to [[observacion]] in vocabulary.toml")
        meanings.append(m)
    meaning = np.array(meanings, dtype=object)[inv] if n else np.zeros(0, dtype=object)
    canonical = np.array([_canonical_obs(t) for t in uniq.tolist()], dtype=object)[inv] if n else meaning
    has_cont = "contabilizada" in db.layout.roles
    cont_raw = cells.text("contabilizada")
    cont = np.full(n, "si", dtype=object)
    if has_cont:
        cu, ci = np.unique(cont_raw, return_inverse=True)
        kinds = []
        for k, value in enumerate(cu.tolist()):
            kind = voc.contabilizada.get(value)
            if kind is None:
                i = int(np.flatnonzero(ci == k)[0])
                raise InputError(f"{db.where(i, db.layout.roles['contabilizada'])}: CONTABILIZADA {value!r} is not "
                                 "1, 0, 2 or empty")
            kinds.append(kind)
        cont = np.array(kinds, dtype=object)[ci]
    fuera = (meaning == "fuera_catalogo") | (cont == "fuera")
    pending = ~fuera & (cont == "sin_valor") & (meaning == "ninguna") if has_cont else np.zeros(n, dtype=bool)
    return {"meaning": meaning, "observaciones": canonical, "contabilizada": cont,
            "contabilizada_raw": cont_raw.astype(object), "fuera": np.asarray(fuera, dtype=bool),
            "pending": np.asarray(pending, dtype=bool)}


def _canonical_obs(text: str) -> str:
    """OBSERVACIONES as pregon writes it: upper case, no accents (QRoo's own words are already so)."""
    return re.sub(r"^[A-Z]{1,3}(?:-[A-Z]{1,3})?\s*:\s*", "", normalize(text))


def leading_int(text: str) -> int:
    """TIPO_ACTA as a number: '3', '03' -> 3; Sonora's '3EMR', '4E' -> 3, 4; '-' or '' -> 0."""
    m = re.search(r"\d+", text)
    return int(m.group(0)) if m else 0


def tipo_casilla(db: Database, cells: Cells, strict: np.ndarray) -> np.ndarray:
    t = np.char.upper(cells.text("tipo_casilla").astype(str))
    bad = strict & ~np.isin(t, TIPOS_CASILLA)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{db.where(i, db.layout.roles['tipo_casilla'])}: {t[i]!r} is not a casilla type "
                         f"({', '.join(TIPOS_CASILLA)})")
    return np.where(np.isin(t, TIPOS_CASILLA), t, "B").astype("<U1")


def codes(db: Database, columns, j: int) -> np.ndarray:
    """One count or vote column as pregon's int64 codes; an unknown word is an error naming its cell."""
    voc = vocabulary()
    raw = textmod.unwrap_column(columns[j])
    digits = np.strings.isdigit(raw) & (np.strings.str_len(raw) < 16)
    out = np.zeros(len(raw), dtype=np.int64)
    out[digits] = raw[digits].astype(np.int64)
    rest = np.flatnonzero(~digits)
    if rest.size:
        uniq, inv = np.unique(raw[rest], return_inverse=True)
        codes = []
        for k, word in enumerate(uniq.tolist()):
            if word == "":
                codes.append(rules.BLANCO)
                continue
            kind = voc.marker(word)
            if kind is not None:
                codes.append(_MARKER_CODE[kind])
                continue
            try:
                value = textmod.figure_value(word)
            except ValueError:
                value = None
            if value is not None and value[1] == 0:
                codes.append(value[0])
                continue
            i = int(rest[int(np.flatnonzero(inv == k)[0])])
            raise InputError(f"{db.where(i, j)}: {word!r} is not a number or a known mark ('-', 'SIN DATO', "
                             "'ILEGIBLE', empty); if the institute's LEEME defines it, add it to [markers] in "
                             "vocabulary.toml")
        out[rest] = np.array(codes, dtype=np.int64)[inv]
    return out


def votes(db: Database, columns) -> tuple[np.ndarray, np.ndarray]:
    """(n, k) vote codes, and the rows where a vote cell says 'Sin acta'."""
    n, voc = len(db.rows), vocabulary()
    k = len(db.layout.votes)
    votes = np.zeros((n, k), dtype=np.int64)
    sin_acta = np.zeros(n, dtype=bool)
    for c, j in enumerate(db.layout.votes):
        votes[:, c] = codes(db, columns, j)
        if n and any(voc.marker(w) == "sin_acta" for w in set(columns[j])):
            sin_acta |= np.array([voc.marker(textmod.unwrap(w)) == "sin_acta" for w in columns[j]], dtype=bool)
    return votes, sin_acta


def resolve_blanks(votes: np.ndarray, contest: np.ndarray, captured: np.ndarray) -> dict[str, np.ndarray]:
    """Empty vote cells: '-' where the column runs in no captured acta of the contest, blank elsewhere.
    Returns, per contest, which columns run there."""
    n, k = votes.shape
    if n == 0:
        return {}
    keys, inv = np.unique(contest.astype(str), return_inverse=True)
    value = (votes != rules.BLANCO) & (votes != rules.NO_APLICA) & captured[:, None]
    runs = np.zeros((len(keys), k), dtype=bool)
    for j in range(k):
        runs[:, j] = np.bincount(inv[value[:, j]], minlength=len(keys)) > 0
    off = (votes == rules.BLANCO) & ~runs[inv]
    votes[off] = rules.NO_APLICA
    return {key: runs[i] for i, key in enumerate(keys.tolist()) if key}


def times(db: Database, cells: Cells, role: str, tz) -> np.ndarray:
    """Local date-times (in the corte line's offset) as epoch seconds; empty or '-' -> NO_TIME. The two
    shapes every real file uses are converted column-wise; any other goes through strptime."""
    t = cells.text(role)
    n = len(t)
    out = np.full(n, NO_TIME, dtype=np.int64)
    if n == 0:
        return out
    uniq, inv = np.unique(t, return_inverse=True)
    values = np.full(len(uniq), NO_TIME, dtype=np.int64)
    todo = np.ones(len(uniq), dtype=bool)
    todo[(uniq == "") | (uniq == "-")] = False
    offset = int(tz.utcoffset(None).total_seconds())
    u = uniq.astype(str)
    iso = todo & (np.strings.str_len(u) == 19) & (np.strings.slice(u, 4, 5) == "-") & (np.strings.slice(u, 10, 11) == " ")
    dmy = todo & (np.strings.str_len(u) == 19) & (np.strings.slice(u, 2, 3) == "/") & (np.strings.slice(u, 5, 6) == "/")
    for shape, mask in (("iso", iso), ("dmy", dmy)):
        if not mask.any():
            continue
        s = u[mask]
        if shape == "dmy":  # DD/MM/YYYY HH:MM:SS -> YYYY-MM-DD HH:MM:SS
            s = np.strings.add(np.strings.add(np.strings.add(np.strings.slice(s, 6, 10), "-"),
                                              np.strings.add(np.strings.slice(s, 3, 5), "-")),
                               np.strings.slice(s, 0, 2)) + np.strings.slice(s, 10, 19)
        try:
            local = np.strings.replace(s, " ", "T").astype("datetime64[s]").astype(np.int64)
        except ValueError:
            continue  # a malformed one among them: strptime below names it
        values[mask] = local - offset
        todo[mask] = False
    for k in np.flatnonzero(todo).tolist():
        text = uniq[k]
        for fmt in _TIME_FORMATS:
            try:
                values[k] = int(datetime.strptime(text, fmt).replace(tzinfo=tz).timestamp())
                break
            except ValueError:
                continue
        else:
            i = int(np.flatnonzero(inv == k)[0])
            raise InputError(f"{db.where(i, db.layout.roles[role])}: {text!r} is not a date and time like "
                             "2018-07-02 04:27:00 or 07/06/2021 01:53:00")
    return values[inv]
