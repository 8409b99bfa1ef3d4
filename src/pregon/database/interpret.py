"""A database's rows as a corte: the catalog they reveal, their actas, and what the file itself states.

Every row is one of: an acta captured by the corte; an expected acta not captured yet (Puebla 2018 and
Campeche 2021 list the whole catálogo, with an empty or '-' CONTABILIZADA); an acta fuera de catálogo.
Votes become pregon's integer codes; an empty vote cell is '-' in a column that does not run in the acta's
contest and a blank field (sin dato) in one that does. What the rules cannot see — the sin-acta reason,
the outcome of an acta whose votes the file publishes as zeros or blanks — is taken from OBSERVACIONES and
CONTABILIZADA, and the recount lists it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timezone

import numpy as np

from ..election import actas as actas_mod
from ..election import rules
from ..election.catalog import casilla_key
from ..election.corte import Corte, EleccionCorte, Frame
from ..errors import InputError
from . import cells as cellmod
from . import recover
from . import text as textmod
from .reader import Database, geo_columns
from .vocabulary import COUNT_ROLES, vocabulary

# what an OBSERVACIONES meaning states, for an acta whose votes show no evidence (rules.classify)
_STATED = {"ninguna": rules.Observacion.NINGUNA, "algun_ilegible": rules.Observacion.ALGUN_ILEGIBLE,
           "todos_ilegibles": rules.Observacion.TODOS_ILEGIBLES, "excede_lista": rules.Observacion.EXCEDE_LISTA}


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
    cells = cellmod.Cells(db, columns)
    clave = clave or voc.clave_of(db.eleccion) or recover.clave_from_title(db.eleccion)
    ambito = _ambito(db, clave)

    status = cellmod.status(db, cells)
    fuera, pending = status["fuera"], status["pending"]
    strict = ~fuera
    ent = cells.ints("id_entidad", strict)
    sec = cells.ints("seccion", strict)
    idc = cells.ints("id_casilla", strict)
    ext = cells.ints("ext_contigua", strict & cells.present("ext_contigua"), default=0)
    ubic = cells.ints("ubicacion", strict & cells.present("ubicacion"), default=1)
    ln = cells.ints("lista_nominal", strict & ~pending & cells.present("lista_nominal"), default=0)
    reps = cells.ints("representantes", np.zeros(n, dtype=bool), default=0)
    tipo = cellmod.tipo_casilla(db, cells, strict)
    tipo_acta_text = cells.text("tipo_acta")
    tipo_acta = np.array([cellmod.leading_int(t) for t in tipo_acta_text.tolist()], dtype=np.int64) if n else \
        np.zeros(0, dtype=np.int64)
    fuera |= (tipo_acta == 0) & np.char.isdigit(tipo_acta_text.astype(str)) & ~pending
    geo = _geography(db, cells, ambito, strict)
    contest = _contest_keys(ambito, ent, geo["contest"], fuera)

    votes, sin_acta_cells = cellmod.votes(db, columns)
    counts = np.stack([cellmod.codes(db, columns, db.layout.roles[r]) if r in db.layout.roles else np.zeros(n, np.int64)
                       for r in COUNT_ROLES], axis=1) if n else np.zeros((0, 4), np.int64)
    asentado = cellmod.codes(db, columns, db.layout.roles["total_asentado"]) if "total_asentado" in db.layout.roles \
        else np.zeros(n, np.int64)
    running = cellmod.resolve_blanks(votes, contest, ~fuera & ~pending)

    meaning = status["meaning"]
    obs_text = status["observaciones"]
    sin_acta = np.where(meaning == "sin_acta", obs_text, "").astype(object)
    sin_acta[(sin_acta == "") & sin_acta_cells & ~fuera] = "SIN ACTA"
    declarada = np.full(n, rules.NO_DECLARADA, dtype=np.int8)
    for word, code in _STATED.items():
        declarada[meaning == word] = code
    declarada[(meaning == "ninguna") & (status["contabilizada"] == "no")] = rules.Observacion.EN_PROCESO

    tz = timezone(db.instant.utcoffset())
    times = {role: cellmod.times(db, cells, role, tz) for role in ("acopio", "captura", "verificacion")}

    captured = ~pending
    keep = np.flatnonzero(captured)
    catalog, eleccion = recover.catalog(db, cells.text("entidad"), clave, ambito, ent, sec, tipo, idc, ext, ubic, ln,
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


# ---------------------------------------------------------------- geography and contests


def _ambito(db: Database, clave: str) -> str:
    voc = vocabulary()
    if clave in voc.ambitos:
        return voc.ambitos[clave]
    geo = geo_columns(db.layout)
    for ambito in ("municipio", "junta", "distrito_local", "distrito_federal"):
        if ambito in geo:
            return ambito
    return "distrito_local" if "distrito" in geo else "entidad"


def _geography(db: Database, cells: cellmod.Cells, ambito: str, strict: np.ndarray) -> dict:
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
