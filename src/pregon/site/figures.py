"""The figures every page prints the same way: the corte's stamp, the avance block, truncated percentages.

One home for them, so the HTML pages, their JSON twins and main.json can never disagree on a figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..election.corte import Corte, Tally
from .fmt import stamp_fields


@dataclass(frozen=True)
class Stamp:
    secuencia: int
    instante: str  # ISO 8601 with offset
    fecha_hora: str  # DD/MM/YYYY HH:MM, local
    zona: str  # "hora del Centro"
    utc: str  # "UTC-6"
    zona_horaria: str  # "America/Mexico_City"
    final: bool

    @classmethod
    def of(cls, corte: Corte, tz, zone_name: str) -> "Stamp":
        f = stamp_fields(corte.instant, tz, zone_name)
        return cls(int(corte.sequence), f["instante"], f["fecha_hora"], f["zona"], f["utc"], zone_name,
                   bool(corte.final))

    def to_dict(self) -> dict:
        return {"secuencia": self.secuencia, "instante": self.instante, "fecha_hora": self.fecha_hora,
                "zona": self.zona, "utc": self.utc, "zona_horaria": self.zona_horaria, "final": self.final}

    @property
    def meta(self) -> str:
        """The machine-readable stamp of every HTML page: `<meta name="pregon-corte" content="…">`."""
        return f"{self.secuencia}|{self.instante}"


def avance(t: Tally) -> dict:
    return {
        "actas_esperadas": t.esperadas,
        "actas_registradas": t.registradas,
        "actas_capturadas": t.capturadas,
        "porcentaje_actas_capturadas": t.pct_capturadas,
        "actas_contabilizadas": t.contabilizadas,
        "porcentaje_actas_contabilizadas": t.pct_contabilizadas,
        "actas_no_contabilizadas": t.no_contabilizadas,
        "porcentaje_actas_inconsistencias": t.pct_inconsistencias,
        "actas_fuera_catalogo": t.fuera_catalogo,
        "lista_nominal_actas_contabilizadas": t.lista_nominal,
        "total_votos": t.total,
        "total_votos_c_cs": t.total_c_cs,
        "total_votos_s_cs": t.total_s_cs,
        "porcentaje_participacion_ciudadana": t.participacion,
    }


def pct(num: int, den: int) -> str:
    """rules.pct with 4 decimals, truncated (the same figures; a shorter path for hot loops)."""
    if den <= 0:
        return "0.0000"
    q = num * 1_000_000 // den
    return f"{q // 10000}.{q % 10000:04d}"



def pct_many(num: np.ndarray, den: np.ndarray) -> list[str]:
    """pct() of many pairs: the integer part vectorised, the text per value."""
    num = np.asarray(num, dtype=np.int64)
    den = np.asarray(den, dtype=np.int64)
    q = np.where(den > 0, num * 1_000_000 // np.where(den > 0, den, 1), 0)
    return [f"{x // 10000}.{x % 10000:04d}" for x in q.tolist()]
