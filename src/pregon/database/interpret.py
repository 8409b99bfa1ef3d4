"""A database's rows as a corte: the catalog they reveal, their actas, and what the file itself states.

Every row is one of: an acta captured by the corte; an expected acta not captured yet (Puebla 2018 and
Campeche 2021 list the whole catálogo, with an empty or '-' CONTABILIZADA); an acta fuera de catálogo.
Votes become pregon's integer codes; an empty vote cell is '-' in a column that does not run in the acta's
contest and a blank field (sin dato) in one that does. What the rules cannot see — the sin-acta reason,
the outcome of an acta whose votes the file publishes as zeros or blanks — is taken from OBSERVACIONES and
CONTABILIZADA and reported as such (`Reading.stated`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

from ..election import actas as actas_mod
from ..election import rules
from ..election.catalog import (Candidatura, Casilla, Catalog, Contienda, Eleccion, Entidad, Partido, Proceso,
                                Seccion, TIPOS_CASILLA, casilla_key)
from ..election.corte import Corte, EleccionCorte, Frame
from ..election.timefmt import NO_TIME
from ..errors import InputError
from . import text as textmod
from .reader import Database, geo_columns
from .vocabulary import COUNT_ROLES, normalize, vocabulary

# what an OBSERVACIONES meaning states, for an acta whose votes show no evidence (rules.classify)
_STATED = {"ninguna": rules.Observacion.NINGUNA, "algun_ilegible": rules.Observacion.ALGUN_ILEGIBLE,
           "todos_ilegibles": rules.Observacion.TODOS_ILEGIBLES, "excede_lista": rules.Observacion.EXCEDE_LISTA}
_MARKER_CODE = {"no_aplica": rules.NO_APLICA, "sin_dato": rules.SIN_DATO, "ilegible": rules.ILEGIBLE,
                "sin_acta": rules.BLANCO}
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                 "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M", "%Y/%m/%d %H:%M", "%d-%m-%Y %H:%M:%S")


@dataclass
class Reading:
    """A database read as a corte, and how each of its rows maps to it."""

    database: Database
    corte: Corte
    clave: str
    acta_of_row: np.ndarray  # per row: index into the election's ActaSet; -1 for an acta not captured yet
    total_published: list[str]  # per acta: TOTAL_VOTOS_CALCULADO as published ("" when absent)
    contabilizada_published: list[str]  # per acta: CONTABILIZADA as published
    notes: list[str] = field(default_factory=list)  # how the reading followed the file (rule variants)

    @property
    def eleccion(self) -> EleccionCorte:
        return self.corte.elecciones[self.clave]


def read(db: Database, *, clave: str | None = None, final: bool | None = None,
         boletas_especial: int = rules.BOLETAS_ESPECIAL, excede_con_nulos: bool | None = None) -> Reading:
    """Interpret one database as its institute counted it.

    `clave` names the election (default: from its title line, vocabulary [elecciones]). `final` decides
    participation; None follows the database's own participation figure (C_CS over the lista nominal in
    the last corte, S_CS before it), else whether every expected acta is captured. `excede_con_nulos` None
    follows the variant of the excede-lista test the file's own CONTABILIZADA shows (`_excede_rule`).
    """
    reading = _read(db, clave, final, boletas_especial, bool(excede_con_nulos))
    if excede_con_nulos is None:
        reading = _excede_rule(reading)
    if final is None:
        _final_as_published(reading)
    return reading


def _excede_rule(reading: Reading) -> Reading:
    """Which of the two documented excede-lista tests the institute applied, judged by the actas where they
    disagree (a NULOS field that repeats the leftover ballots): Quintana Roo 2019 leaves NULOS out and counts
    them, Sonora 2021 puts NULOS in and does not. The rules then apply that variant to every acta."""
    a = reading.eleccion.actas
    if len(a) == 0 or a.nulos_index is None:
        return reading
    with_nulos = rules.classify(a.votes, a.lista_nominal, a.representantes, a.tipo_casilla == "S", a.boletas,
                                a.sin_acta != "", a.fuera_catalogo, None, a.declarada)
    apart = (with_nulos != a.observacion) & ~a.fuera_catalogo
    if not apart.any():
        return reading
    voc = vocabulary()
    published = np.array([voc.contabilizada.get(c.strip(), "si") == "si" for c in reading.contabilizada_published])
    agree_without = int((a.contabilizada[apart] == published[apart]).sum())
    agree_with = int((rules.CONTABILIZADA_CODES[with_nulos[apart]] == published[apart]).sum())
    n = int(apart.sum())
    if agree_with > agree_without:
        out = _with_nulos(reading)
        out.notes.append(f"excede lista nominal: the institute counts NULOS in the test (as its LEEME says); {n} "
                         "acta(s) exceed only through NULOS and are not counted")
        return out
    reading.notes.append(f"excede lista nominal: the institute leaves NULOS out of the test; {n} acta(s) exceed "
                         "only through NULOS and are counted (as in Quintana Roo 2019)")
    return reading


def _with_nulos(reading: Reading) -> Reading:
    """The same reading with NULOS in the excede-lista test: the election and its actas' outcomes anew."""
    ec = reading.eleccion
    eleccion = replace(ec.eleccion, excede_con_nulos=True)
    catalog = reading.corte.catalog
    catalog.elecciones[reading.clave] = eleccion
    actas = replace(ec.actas, eleccion=eleccion)  # __post_init__ runs the rules again
    new = EleccionCorte(eleccion, Frame(catalog, eleccion), actas, ec.final, esperadas_override=ec.esperadas_override)
    corte = replace(reading.corte, elecciones={reading.clave: new})
    return replace(reading, corte=corte, notes=list(reading.notes))


def _final_as_published(reading: Reading) -> None:
    """Set whether the corte is the last one from the participation figure the database shows."""
    ec = reading.eleccion
    shown = reading.database.header().get("participacion", "")
    tally = ec.tally
    for candidate in (tally.final, not tally.final):
        if textmod.same_figure(shown, replace(tally, final=candidate).participacion, empty_ok=False):
            if candidate != ec.final:
                ec.final = candidate
                ec.__dict__.pop("tally", None)
                reading.corte.final = candidate
            return


def _read(db: Database, clave, final, boletas_especial, excede_con_nulos) -> Reading:
    voc = vocabulary()
    n = len(db.rows)
    columns = list(zip(*db.rows)) if n else [() for _ in db.columns]
    cells = _Cells(db, columns)
    clave = clave or voc.clave_of(db.eleccion) or _clave_from_title(db.eleccion)
    ambito = _ambito(db, clave)

    status = _status(db, cells)
    fuera, pending = status["fuera"], status["pending"]
    strict = ~fuera
    ent = cells.ints("id_entidad", strict)
    sec = cells.ints("seccion", strict)
    idc = cells.ints("id_casilla", strict)
    ext = cells.ints("ext_contigua", strict & cells.present("ext_contigua"), default=0)
    ubic = cells.ints("ubicacion", strict & cells.present("ubicacion"), default=1)
    ln = cells.ints("lista_nominal", strict & ~pending & cells.present("lista_nominal"), default=0)
    reps = cells.ints("representantes", np.zeros(n, dtype=bool), default=0)
    tipo = _tipo_casilla(db, cells, strict)
    tipo_acta_text = cells.text("tipo_acta")
    tipo_acta = np.array([_leading_int(t) for t in tipo_acta_text.tolist()], dtype=np.int64) if n else \
        np.zeros(0, dtype=np.int64)
    fuera |= (tipo_acta == 0) & np.char.isdigit(tipo_acta_text.astype(str)) & ~pending
    geo = _geography(db, cells, ambito, strict)
    contest = _contest_keys(ambito, ent, geo["contest"], fuera)

    votes, sin_acta_cells = _votes(db, columns)
    counts = np.stack([_codes(db, columns, db.layout.roles[r]) if r in db.layout.roles else np.zeros(n, np.int64)
                       for r in COUNT_ROLES], axis=1) if n else np.zeros((0, 4), np.int64)
    asentado = _codes(db, columns, db.layout.roles["total_asentado"]) if "total_asentado" in db.layout.roles \
        else np.zeros(n, np.int64)
    running = _resolve_blanks(votes, contest, ~fuera & ~pending)

    meaning = status["meaning"]
    obs_text = status["observaciones"]
    sin_acta = np.where(meaning == "sin_acta", obs_text, "").astype(object)
    sin_acta[(sin_acta == "") & sin_acta_cells & ~fuera] = "SIN ACTA"
    declarada = np.full(n, rules.NO_DECLARADA, dtype=np.int8)
    for word, code in _STATED.items():
        declarada[meaning == word] = code
    declarada[(meaning == "ninguna") & (status["contabilizada"] == "no")] = rules.Observacion.EN_PROCESO

    tz = timezone(db.instant.utcoffset())
    times = {role: _times(db, cells, role, tz) for role in ("acopio", "captura", "verificacion")}

    captured = ~pending
    keep = np.flatnonzero(captured)
    catalog, eleccion = _catalog(db, cells.text("entidad"), clave, ambito, ent, sec, tipo, idc, ext, ubic, ln,
                                 boletas_especial, geo, fuera, running, tipo_acta, times["acopio"], excede_con_nulos)
    index = catalog.casilla_index
    casilla_idx = np.array([-1 if fuera[i] else index[casilla_key(int(ent[i]), int(sec[i]), str(tipo[i]),
                                                                  int(idc[i]), int(ext[i]))]
                            for i in keep.tolist()], dtype=np.int64)
    extra = {db.columns[j]: np.array([textmod.unwrap(c) for c in columns[j]], dtype=object)[keep]
             for j in db.layout.extra}
    cols = {
        "entidad": ent[keep], "seccion": sec[keep], "tipo_casilla": tipo[keep].astype("<U1"), "id_casilla": idc[keep],
        "ext_contigua": ext[keep], "tipo_acta": tipo_acta[keep], "ubicacion": ubic[keep], "counts": counts[keep],
        "votes": votes[keep], "total_asentado": asentado[keep], "lista_nominal": ln[keep],
        "boletas": np.full(keep.size, boletas_especial, dtype=np.int64), "representantes": reps[keep],
        "sin_acta": sin_acta[keep], "fuera_catalogo": fuera[keep], "contienda": np.where(fuera, "", contest)[keep],
        "casilla_idx": casilla_idx, "mecanismo": cells.text("mecanismo").astype(object)[keep],
        "sha": cells.text("sha").astype(object)[keep], "acopio": times["acopio"][keep],
        "captura": times["captura"][keep], "verificacion": times["verificacion"][keep],
        "origen": cells.text("origen").astype(object)[keep],
        "digitalizacion": cells.text("digitalizacion").astype(object)[keep],
        "tipo_documento": cells.text("tipo_documento").astype(object)[keep], "declarada": declarada[keep],
        "extra": extra,
    }
    aset = actas_mod.from_columns(eleccion, cols, int(keep.size))
    esperadas = eleccion.actas_esperadas
    capturadas = int((~aset.fuera_catalogo).sum())
    is_final = (capturadas >= esperadas) if final is None else final
    ec = EleccionCorte(eleccion, Frame(catalog, eleccion), aset, is_final, esperadas_override=esperadas)
    acta_of_row = np.full(n, -1, dtype=np.int64)
    acta_of_row[keep] = np.arange(keep.size)
    published_total = cells.text("total_calculado") if "total_calculado" in db.layout.roles else np.full(n, "")
    return Reading(db, Corte(catalog, db.instant, 0, is_final, {clave: ec}), clave, acta_of_row,
                   published_total[keep].tolist(), status["contabilizada_raw"][keep].tolist())


# ---------------------------------------------------------------- cells


class _Cells:
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


def _status(db: Database, cells: _Cells) -> dict[str, np.ndarray]:
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


def _leading_int(text: str) -> int:
    """TIPO_ACTA as a number: '3', '03' -> 3; Sonora's '3EMR', '4E' -> 3, 4; '-' or '' -> 0."""
    m = re.search(r"\d+", text)
    return int(m.group(0)) if m else 0


def _tipo_casilla(db: Database, cells: _Cells, strict: np.ndarray) -> np.ndarray:
    t = np.char.upper(cells.text("tipo_casilla").astype(str))
    bad = strict & ~np.isin(t, TIPOS_CASILLA)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{db.where(i, db.layout.roles['tipo_casilla'])}: {t[i]!r} is not a casilla type "
                         f"({', '.join(TIPOS_CASILLA)})")
    return np.where(np.isin(t, TIPOS_CASILLA), t, "B").astype("<U1")


def _codes(db: Database, columns, j: int) -> np.ndarray:
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


def _votes(db: Database, columns) -> tuple[np.ndarray, np.ndarray]:
    """(n, k) vote codes, and the rows where a vote cell says 'Sin acta'."""
    n, voc = len(db.rows), vocabulary()
    k = len(db.layout.votes)
    votes = np.zeros((n, k), dtype=np.int64)
    sin_acta = np.zeros(n, dtype=bool)
    for c, j in enumerate(db.layout.votes):
        votes[:, c] = _codes(db, columns, j)
        if n and any(voc.marker(w) == "sin_acta" for w in set(columns[j])):
            sin_acta |= np.array([voc.marker(textmod.unwrap(w)) == "sin_acta" for w in columns[j]], dtype=bool)
    return votes, sin_acta


def _resolve_blanks(votes: np.ndarray, contest: np.ndarray, captured: np.ndarray) -> dict[str, np.ndarray]:
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


def _times(db: Database, cells: _Cells, role: str, tz) -> np.ndarray:
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


# ---------------------------------------------------------------- geography and contests


def _clave_from_title(title: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", normalize(title)).strip("_")[:16] or "ELECCION"


def _ambito(db: Database, clave: str) -> str:
    voc = vocabulary()
    if clave in voc.ambitos:
        return voc.ambitos[clave]
    geo = geo_columns(db.layout)
    for ambito in ("municipio", "junta", "distrito_local", "distrito_federal"):
        if ambito in geo:
            return ambito
    return "distrito_local" if "distrito" in geo else "entidad"


def _geography(db: Database, cells: _Cells, ambito: str, strict: np.ndarray) -> dict:
    """Per row: the number of the election's contest unit and of every other unit the file names, with names.

    The contest unit is read from its own column; a file whose only geography column has another name
    (Campeche's juntas under ID_DISTRITO_LOCAL) has that column read as the election's unit."""
    geo = geo_columns(db.layout)
    if "distrito" in geo:  # plain ID_DISTRITO: the election's kind of distrito (local unless federal)
        kind = "distrito_federal" if ambito in ("distrito_federal", "nacional") else "distrito_local"
        geo.setdefault(kind, geo["distrito"])
        del geo["distrito"]
    if ambito in ("distrito_local", "distrito_federal", "municipio", "junta") and ambito not in geo:
        if len(geo) != 1:
            raise InputError(f"{db.source}: the election is held by {ambito.replace('_', ' ')} but the file has no "
                             f"such column ({', '.join(sorted(geo)) or 'no geography column'})")
        (only,) = geo
        geo = {ambito: geo[only]}
    out: dict = {"numbers": {}, "names": {}}
    for unit, (id_col, name_col) in geo.items():
        role = next(r for r, j in db.layout.roles.items() if j == id_col)
        numbers = cells.ints(role, np.zeros(len(db.rows), dtype=bool), default=0)
        names = textmod.unwrap_column(cells.columns[name_col]) if name_col is not None else np.full(len(db.rows), "")
        out["numbers"][unit] = numbers
        out["names"][unit] = names
    out["contest"] = out["numbers"].get(ambito) if ambito in out["numbers"] else np.zeros(len(db.rows), np.int64)
    return out


def _contest_keys(ambito: str, ent: np.ndarray, numbers: np.ndarray, fuera: np.ndarray) -> np.ndarray:
    if ambito == "nacional":
        keys = np.full(len(ent), "0", dtype=object)
    elif ambito == "entidad":
        keys = ent.astype(str).astype(object)
    else:
        keys = np.char.add(np.char.add(ent.astype(str), "-"), numbers.astype(str)).astype(object)
    keys[fuera] = ""
    return keys


# ---------------------------------------------------------------- the catalog the rows reveal


def _catalog(db, ent_text, clave, ambito, ent, sec, tipo, idc, ext, ubic, ln, boletas_especial, geo, fuera,
             running, tipo_acta, acopio, excede_con_nulos) -> tuple[Catalog, Eleccion]:
    """Entities, geography names, secciones and casillas from every row in the catálogo (captured or not)."""
    voc = vocabulary()
    inside = np.flatnonzero(~fuera)
    entidades: dict[int, dict] = {}
    secciones: dict[tuple[int, int], dict] = {}
    casillas: dict[tuple, Casilla] = {}
    per_especial: dict[tuple, int] = {}
    units = geo["numbers"]
    for i in inside.tolist():
        e, s = int(ent[i]), int(sec[i])
        info = entidades.setdefault(e, {"nombre": "", "units": {u: {} for u in units}})
        if not info["nombre"]:
            info["nombre"] = str(ent_text[i])
        row_units = {}
        for u, numbers in units.items():
            num = int(numbers[i])
            row_units[u] = num
            if num and not info["units"][u].get(num):
                info["units"][u][num] = str(geo["names"][u][i]).strip()
        sd = secciones.setdefault((e, s), {})
        for u, num in row_units.items():
            sd.setdefault(u, num)
        key = casilla_key(e, s, str(tipo[i]), int(idc[i]), int(ext[i]))
        if key not in casillas:
            casillas[key] = Casilla(e, s, str(tipo[i]), int(idc[i]), int(ext[i]), int(ubic[i]), int(ln[i]),
                                    boletas_especial if tipo[i] == "S" else 0)
        if tipo[i] == "S":
            per_especial[key] = per_especial.get(key, 0) + 1
    for i in np.flatnonzero(fuera & (ent > 0)).tolist():  # an entity known only through its fuera actas
        info = entidades.setdefault(int(ent[i]), {"nombre": "", "units": {u: {} for u in units}})
        info["nombre"] = info["nombre"] or str(ent_text[i])
    ents = {}
    for eid, info in entidades.items():
        def tup(u):
            got = info["units"].get(u, {})
            top = max(got, default=0)
            return tuple(got.get(k) or str(k) for k in range(1, top + 1))
        ents[eid] = Entidad(eid, info["nombre"] or str(eid), tup("distrito_local"), tup("distrito_federal"),
                            tup("municipio"), "", tup("junta"))
    seccion_objs = {k: Seccion(k[0], k[1], v.get("distrito_local", 0), v.get("distrito_federal", 0),
                               v.get("municipio", 0), v.get("junta", 0)) for k, v in secciones.items()}
    especial_rows = (tipo == "S") & ~fuera
    tipo_normal = _mode(tipo_acta[~fuera & ~especial_rows]) or 1
    tipo_especial = _mode(tipo_acta[especial_rows]) if especial_rows.any() else None
    header = _header_int(db, "esperadas")
    expected_rows = int((~fuera).sum())
    eleccion = _eleccion(db, clave, ambito, running, ents, tipo_normal, tipo_especial)
    eleccion = replace(eleccion, actas_especial=max(per_especial.values(), default=1),
                       actas_esperadas=header if header is not None else expected_rows,
                       excede_con_nulos=excede_con_nulos)
    proceso = Proceso(clave, db.eleccion or clave, _election_day(db, acopio), _zone_name(db, ents), "")
    partidos = {c: Partido(c, *voc.partidos.get(c, (c, "#777777")))
                for c in eleccion.columnas if not c.startswith(("C_", "CC_", "CAND_IND")) and c not in
                ("NO_REGISTRADOS", "NULOS")}
    catalog = Catalog(proceso, ents, partidos, seccion_objs, sorted(casillas.values()), {clave: eleccion})
    return catalog, eleccion


def _mode(values: np.ndarray) -> int | None:
    values = values[values > 0]
    if values.size == 0:
        return None
    uniq, counts = np.unique(values, return_counts=True)
    return int(uniq[np.argmax(counts)])


def _header_int(db: Database, role: str) -> int | None:
    value = db.header().get(role)
    try:
        parsed = textmod.figure_value(value) if value is not None else None
    except ValueError:
        raise InputError(f"{db.source}: header figure {role.upper()} is {value!r}, not a number") from None
    return None if parsed is None else parsed[0] // 10 ** parsed[1]


def _election_day(db: Database, acopio: np.ndarray):
    """Election day: the date the first package arrived (acopio starts when polls close) within the three
    days before the corte (a mistyped year in one row must not move the election), else the corte's."""
    tz = timezone(db.instant.utcoffset())
    cut = int(db.instant.timestamp())
    known = acopio[(acopio != NO_TIME) & (acopio <= cut) & (acopio >= cut - 3 * 86400)]
    if known.size:
        return datetime.fromtimestamp(int(known.min()), tz).date()
    return db.instant.date()


def _zone_name(db: Database, ents: dict[int, Entidad]) -> str:
    """The entity's IANA zone when it agrees with the corte line's offset, else a fixed Etc/GMT zone."""
    offset = db.instant.utcoffset()
    if len(ents) == 1:
        name = vocabulary().zonas.get(next(iter(ents)))
        if name and db.instant.astimezone(ZoneInfo(name)).utcoffset() == offset:
            return name
    hours = int(offset / timedelta(hours=1))
    if offset == timedelta(hours=hours):
        return "Etc/GMT" + (f"{-hours:+d}" if hours else "")
    return "UTC"  # a half-hour offset no Mexican zone has


def _eleccion(db: Database, clave, ambito, running: dict[str, np.ndarray], ents, tipo_acta, tipo_especial) -> Eleccion:
    """The ballots as the database shows them: in each contest, a coalition is the party set of its widest
    C_ combination running there; a candidatura común (CC_) is one candidacy; names from the candidaturas."""
    cols = db.layout.vote_names
    cand_file = db.candidaturas
    parties_all = [c for c in cols if not c.startswith(("C_", "CC_", "CAND_IND")) and c not in ("NO_REGISTRADOS", "NULOS")]
    contiendas = {}

    def sort_key(k):
        return tuple(int(x) for x in k.split("-"))

    for key in sorted(running, key=sort_key):
        ent_s, _, num_s = key.partition("-")
        e, num = int(ent_s), int(num_s or 0)
        named = _named_columns(cand_file, e, num, cols, parties_all)
        here = tuple(c for c, r in zip(cols, running[key]) if r or c in named)
        coalitions: list[tuple[str, ...]] = []
        for col in here:
            if col.startswith("C_"):
                members = tuple(_member(m, parties_all) for m in col[2:].split("_"))
                if not any(set(members) <= set(c) for c in coalitions):
                    coalitions = [c for c in coalitions if not set(c) <= set(members)] + [members]

        def name_of(option):
            if cand_file is None:
                return ""
            return cand_file.name(e, num, tuple(_member(m, parties_all) for m in option))

        cands = []
        for m in coalitions:
            columns = tuple(c for c in here if c in m or (c.startswith("C_") and
                                                         {_member(x, parties_all) for x in c[2:].split("_")} <= set(m)))
            person = name_of(m) or next((name_of((p,)) for p in m if name_of((p,))), "")
            cands.append(Candidatura("_".join(m), "Coalición " + ", ".join(m), "coalicion", columns, m, person))
        inside = {p for m in coalitions for p in m}
        for c in here:
            if c.startswith("CC_"):
                members = tuple(_member(p, parties_all) for p in c[3:].split("_"))
                cands.append(Candidatura(c, "Candidatura común " + ", ".join(members), "comun", (c,), members,
                                         name_of(members)))
        for p in parties_all:
            if p in here and p not in inside:
                cands.append(Candidatura(p, p, "partido", (p,), (p,), name_of((p,))))
        for c in here:
            if c.startswith("CAND_IND"):
                person = name_of((c,))
                cands.append(Candidatura(c, person or c, "independiente", (c,), (), person))
        entidad = ents.get(e)
        nombre = entidad.nombre_de(ambito, num) if entidad and num else (entidad.nombre if entidad else key)
        contiendas[key] = Contienda(clave, key, e, num, nombre, here, tuple(cands))
    return Eleccion(clave, db.eleccion or clave, ambito, tipo_acta, tipo_especial, tuple(cols), contiendas)


def _named_columns(cand_file, e: int, num: int, cols: list[str], parties: list[str]) -> set[str]:
    """The vote columns a contest's candidaturas file names: its parties, the combination columns of its
    coalitions, its independents (a contest no acta has reached yet still shows its ballot)."""
    if cand_file is None:
        return set()
    here = cand_file.names.get((e, num)) or cand_file.names.get((e, 0)) or {}
    out = {"NO_REGISTRADOS", "NULOS"} & set(cols) if here else set()
    for option in here:
        members = {_member(m, parties) for m in option}
        for c in cols:
            if c in members:
                out.add(c)
            elif c.startswith("C_") and len(members) > 1 and {_member(x, parties) for x in c[2:].split("_")} <= members:
                out.add(c)
            elif c.startswith("CC_") and {_member(x, parties) for x in c[3:].split("_")} == members:
                out.add(c)
    return out


def _member(token: str, parties: list[str]) -> str:
    """A party named inside a combination or a candidaturas row, as the columns name it: exact, or the one
    party column it abbreviates (Puebla's candidaturas write MOR for the MORENA column)."""
    if token in parties:
        return token
    starts = [p for p in parties if p.startswith(token)]
    return starts[0] if len(starts) == 1 else token
