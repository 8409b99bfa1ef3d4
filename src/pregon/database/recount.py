"""Recount a published database with pregon's rules, and say figure by figure whether it agrees.

Figures are compared by value, not by spelling: '0' and '0.0000', '1,187,254' and '1187254', "'99.5698%"
and '99.5698' are the same figure; an empty figure is the sum over no acta (Campeche's corte before any
acta arrived) and agrees with 0 there. A difference is a finding about the institute's own data (exit 1);
a file pregon cannot read is an input error (exit 2) and never reaches here. What the recount takes on the
file's word — an outcome whose evidence the file withholds — is listed, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..election import rules
from ..election.corte import Tally
from . import text as textmod
from .interpret import Reading, read
from .reader import Database
from .vocabulary import vocabulary

# header figure role -> how to get it from a tally, and whether it is a sum over counted actas (empty = none)
_FIGURES = (
    ("esperadas", lambda t: str(t.esperadas), False),
    ("registradas", lambda t: str(t.registradas), False),
    ("fuera_catalogo", lambda t: str(t.fuera_catalogo), False),
    ("capturadas", lambda t: str(t.capturadas), False),
    ("pct_capturadas", lambda t: t.pct_capturadas, False),
    ("contabilizadas", lambda t: str(t.contabilizadas), False),
    ("pct_contabilizadas", lambda t: t.pct_contabilizadas, False),
    ("pct_inconsistencias", lambda t: t.pct_inconsistencias, False),
    ("no_contabilizadas", lambda t: str(t.no_contabilizadas), False),
    ("lista_nominal", lambda t: str(t.lista_nominal), True),
    ("total_c_cs", lambda t: str(t.total_c_cs), True),
    ("total_s_cs", lambda t: str(t.total_s_cs), True),
    ("participacion", lambda t: t.participacion, True),
)


@dataclass
class Difference:
    where: str  # "header" or the acta's CLAVE_ACTA
    field: str
    published: str
    recomputed: str
    line: int | None = None  # the acta's line in the file


@dataclass
class RecountResult:
    source: str
    eleccion: str
    corte: str
    final: bool
    header: list[tuple[str, str, str]]  # (figure name as published, published text, recomputed)
    actas: int  # rows of the file (captured actas, fuera de catálogo, and expected actas not captured yet)
    differences: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict:
        return {
            "source": self.source, "eleccion": self.eleccion, "corte": self.corte, "final": self.final,
            "actas": self.actas, "ok": self.ok,
            "header": [{"field": f, "published": p, "recomputed": r} for f, p, r in self.header],
            "differences": [d.__dict__ for d in self.differences], "notes": self.notes,
        }


def recount(db: Database, *, final: bool | None = None, boletas_especial: int = rules.BOLETAS_ESPECIAL,
            excede_con_nulos: bool | None = None) -> RecountResult:
    """Recompute every header figure and each acta's CONTABILIZADA and TOTAL_VOTOS_CALCULADO.

    With `final` and `excede_con_nulos` None, the corte's kind and the excede-lista variant are the ones the
    file itself follows (interpret.read); either way the rules apply to every acta alike."""
    return compare(read(db, final=final, boletas_especial=boletas_especial, excede_con_nulos=excede_con_nulos))


def compare(reading: Reading) -> RecountResult:
    """The recount of a database already read (interpret.read): what `recount` reports."""
    db = reading.database
    tally = reading.eleccion.tally
    header, diffs, notes = _compare_header(db, tally)
    acta_diffs = _compare_actas(reading)
    notes += reading.notes + _stated_notes(reading) + _explained(reading, tally, diffs, acta_diffs)
    diffs += acta_diffs
    return RecountResult(db.source, db.eleccion, db.corte_label, tally.final, header, len(db.rows), diffs, notes)


def _compare_header(db: Database, tally: Tally) -> tuple[list, list, list]:
    voc = vocabulary()
    header, diffs, notes = [], [], []
    published = dict(zip(db.header_names, db.header_values))
    by_role = {voc.figure_role(n): n for n in db.header_names}
    for role, get, summed in _FIGURES:
        name = by_role.get(role)
        if name is None:
            continue
        pub, rec = published[name].strip(), get(tally)
        header.append((name, pub, rec))
        empty_ok = summed and tally.contabilizadas == 0 or role == "participacion" and tally.lista_nominal == 0
        if not textmod.same_figure(pub, rec, empty_ok=empty_ok):
            diffs.append(Difference("header", name, pub, rec))
        elif textmod.unwrap(pub) != rec:
            notes.append(f"{name}: published {pub!r}, the same figure pregon writes {rec!r}")
    return header, diffs, notes


def _compare_actas(reading: Reading) -> list[Difference]:
    """Each captured acta's CONTABILIZADA and TOTAL_VOTOS_CALCULADO against the rules' own."""
    db, a = reading.database, reading.eleccion.actas
    clave_col = db.layout.roles.get("clave_acta", db.layout.roles.get("clave_casilla"))
    rows = np.flatnonzero(reading.acta_of_row >= 0)
    diffs = []
    evidence = ~rules.without_evidence(a.votes)
    any_number = (a.votes >= 0).any(axis=1) if a.votes.size else np.zeros(len(a), dtype=bool)
    voc = vocabulary()
    for i, row in enumerate(rows.tolist()):
        label = textmod.unwrap(db.rows[row][clave_col]) if clave_col is not None else f"line {db.lines[row]}"
        line = db.lines[row]
        fuera = bool(a.fuera_catalogo[i])
        pub_cont = reading.contabilizada_published[i].strip()
        kind = voc.contabilizada.get(pub_cont, "si") if "contabilizada" in db.layout.roles else None
        if kind is not None and not fuera:
            rec_counted = bool(a.contabilizada[i])
            if (kind == "si") != rec_counted:
                diffs.append(Difference(label, "CONTABILIZADA", pub_cont, "1" if rec_counted else "0", line))
        if "total_calculado" not in db.layout.roles or fuera:
            continue
        pub_total = reading.total_published[i].strip()
        rec_total = int(a.total[i])
        try:
            value = textmod.figure_value(pub_total)
        except ValueError:
            value = None
            if voc.marker(pub_total) is None:
                diffs.append(Difference(label, "TOTAL_VOTOS_CALCULADO", pub_total, str(rec_total), line))
                continue
        if value is None:  # empty or a mark: the file gives no total; right only if no vote field has a number
            if any_number[i] and rec_total:
                diffs.append(Difference(label, "TOTAL_VOTOS_CALCULADO", pub_total, str(rec_total), line))
        elif value[0] != rec_total and evidence[i]:
            diffs.append(Difference(label, "TOTAL_VOTOS_CALCULADO", pub_total, str(rec_total), line))
    return diffs


def _explained(reading: Reading, tally: Tally, header_diffs: list, acta_diffs: list) -> list[str]:
    """Whether the header differences come only from counted actas whose published TOTAL_VOTOS_CALCULADO is
    not the sum of their own vote fields: the header then agrees with the totals as published."""
    if not header_diffs or not acta_diffs:
        return []
    a = reading.eleccion.actas
    by_line = {d.line: d for d in acta_diffs if d.field == "TOTAL_VOTOS_CALCULADO"}
    rows = np.flatnonzero(reading.acta_of_row >= 0)
    delta_c = delta_s = 0
    for i, row in enumerate(rows.tolist()):
        d = by_line.get(reading.database.lines[row])
        if d is None or not a.contabilizada[i] or not d.published.isdigit():
            continue
        change = int(d.published) - int(a.total[i])
        delta_c += change
        delta_s += 0 if a.tipo_casilla[i] == "S" else change
    if not delta_c and not delta_s:
        return []
    adjusted = replace(tally, total_c_cs=tally.total_c_cs + delta_c, total_s_cs=tally.total_s_cs + delta_s)
    _h, remaining, _n = _compare_header(reading.database, adjusted)
    if remaining:
        return []
    fields = ", ".join(d.field for d in header_diffs)
    return [f"{fields}: the header agrees with each acta's TOTAL_VOTOS_CALCULADO as published; it differs only "
            "because the acta(s) listed publish a total that is not the sum of their own vote fields"]


def _stated_notes(reading: Reading) -> list[str]:
    """What was taken from OBSERVACIONES / CONTABILIZADA because the votes in the file cannot show it."""
    a = reading.eleccion.actas
    if len(a) == 0:
        return []
    plain = rules.classify(a.votes, a.lista_nominal, a.representantes, a.tipo_casilla == "S", a.boletas,
                           a.sin_acta != "", a.fuera_catalogo, a.nulos_index)
    taken = (plain != a.observacion) & ~a.fuera_catalogo & (a.observacion != rules.Observacion.SIN_ACTA)
    notes = []
    withheld = rules.without_evidence(a.votes)
    for code in np.unique(a.observacion[taken]).tolist():
        obs = rules.Observacion(code)
        here = taken & (a.observacion == code)
        n = int(here.sum())
        if obs == rules.Observacion.EN_PROCESO:
            notes.append(f"{n} acta(s) captured but neither counted nor given a reason (CONTABILIZADA 0, no "
                         "OBSERVACIONES): en proceso, so in ACTAS_CAPTURADAS but not in ACTAS_NO_CONTABILIZADAS; "
                         "their votes are not published, so their TOTAL_VOTOS_CALCULADO cannot be checked")
        elif obs == rules.Observacion.ALGUN_ILEGIBLE and not withheld[here].all():
            notes.append(f"{n} acta(s) marked ALGUN DATO ILEGIBLE O SIN DATO show no illegible or blank vote field "
                         "in the file (the institute publishes the 0 it counted): the flag is the institute's, and "
                         "they count in PORCENTAJE_ACTAS_INCONSISTENCIAS as published")
        else:
            notes.append(f"{n} acta(s) {obs.texto or obs.name} by OBSERVACIONES with every vote published as 0 or "
                         "empty: the outcome is the institute's, the votes that would show it are not in the file")
    return notes
