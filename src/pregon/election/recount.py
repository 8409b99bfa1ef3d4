"""Recount a published PREP database with pregon's rules and say, figure by figure, whether it agrees."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import csvdb, rules
from .corte import HEADER_FIELDS


@dataclass
class Difference:
    where: str  # "header" or a CLAVE_ACTA
    field: str
    published: str
    recomputed: str


@dataclass
class RecountResult:
    source: str
    eleccion: str
    corte: str
    final: bool
    header: list[tuple[str, str, str]]  # (field, published, recomputed)
    actas: int
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict:
        return {
            "source": self.source, "eleccion": self.eleccion, "corte": self.corte, "final": self.final,
            "actas": self.actas, "ok": self.ok,
            "header": [{"field": f, "published": p, "recomputed": r} for f, p, r in self.header],
            "differences": [d.__dict__ for d in self.differences],
        }


def recount(db: csvdb.Database, *, final: bool | None = None, boletas_especial: int = rules.BOLETAS_ESPECIAL,
            excede_con_nulos: bool = False) -> RecountResult:
    """Recompute every header figure and each acta's CONTABILIZADA and TOTAL_VOTOS_CALCULADO."""
    corte = csvdb.to_corte(db, final=final, boletas_especial=boletas_especial, excede_con_nulos=excede_con_nulos)
    ec = next(iter(corte.elecciones.values()))
    published = db.header()
    tally = ec.tally
    if final is None:
        # A database does not say whether it is the last corte; its participation figure does, once its
        # totals are recounted: C_CS over the lista nominal in the last corte, S_CS before it.
        shown = published.get("PORCENTAJE_PARTICIPACION_CIUDADANA", "").strip()
        for candidate in (tally.final, not tally.final):
            if replace(tally, final=candidate).participacion == shown:
                tally = replace(tally, final=candidate)
                break
    recomputed = dict(zip(HEADER_FIELDS, tally.header_values()))
    header, diffs = [], []
    for name in HEADER_FIELDS:
        if name not in published:
            continue
        pub, rec = published[name].strip(), recomputed[name]
        header.append((name, pub, rec))
        if pub != rec:
            diffs.append(Difference("header", name, pub, rec))
    a = ec.actas
    i_clave = db.column("CLAVE_ACTA")
    i_cont = db.column("CONTABILIZADA")
    i_total = db.column("TOTAL_VOTOS_CALCULADO")
    for i, row in enumerate(db.rows):
        clave = row[i_clave]
        fuera = bool(a.fuera_catalogo[i])
        pub_cont = row[i_cont].strip()
        rec_cont = "2" if fuera and pub_cont == "2" else ("1" if a.contabilizada[i] else "0")
        if pub_cont != rec_cont:
            diffs.append(Difference(clave, "CONTABILIZADA", pub_cont, rec_cont))
        if row[i_total].strip() != str(int(a.total[i])):
            diffs.append(Difference(clave, "TOTAL_VOTOS_CALCULADO", row[i_total].strip(), str(int(a.total[i]))))
    return RecountResult(db.source, db.eleccion, db.corte_label, tally.final, header, len(db.rows), diffs)
