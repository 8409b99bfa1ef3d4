"""The candidaturas CSV published beside a database: who stands for each party, coalition or independent.

Layouts seen: `ID_ESTADO,ID_DISTRITO_LOCAL|ID_MUNICIPIO|ID_JUNTA,PARTIDO_CI,CANDIDATURA_PROPIETARIA,
CANDIDATURA_SUPLENTE` (OPLEs), `ID_ESTADO,PARTIDO_CI,CANDIDATURA` (a statewide race), INE's
`ESTADO,DISTRITO,PARTIDO_CI,…` with or without `sep=|`. PARTIDO_CI names a party (`PAN`), a coalition's
candidacy (`SUM-PAN-PRD`, `C_PAN_PRD`, `PAN-PRI-PRD`) or an independent (`CI1`, `CAND_IND_1`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import InputError, where
from . import text as textmod
from .vocabulary import normalize_column

_ENTIDAD = ("ID_ESTADO", "ESTADO", "ID_ENTIDAD", "ENTIDAD")
_GEO = ("ID_DISTRITO_LOCAL", "ID_DISTRITO_FEDERAL", "ID_DISTRITO", "DISTRITO", "ID_MUNICIPIO", "MUNICIPIO",
        "ID_JUNTA", "JUNTA", "ID_DEMARCACION")
_NAME = ("CANDIDATURA_PROPIETARIA", "CANDIDATURA", "PROPIETARIO", "PROPIETARIA")
_SKIP = {"CNR", "NULOS", "NO_REGISTRADOS", "NO_REGISTRADAS", "VN"}


@dataclass
class Candidaturas:
    """Candidate names by contest: (entidad, número or 0) -> {option: name}. An option is a sorted tuple of
    party siglas (one for a party, several for a coalition) or ("CAND_IND_n",) for an independent."""

    source: str
    names: dict[tuple[int, int], dict[tuple[str, ...], str]] = field(default_factory=dict)

    def name(self, entidad: int, numero: int, option: tuple[str, ...]) -> str:
        here = self.names.get((entidad, numero)) or self.names.get((entidad, 0)) or {}
        return here.get(tuple(sorted(option)), "")

    def parties(self) -> set[str]:
        return {p for opts in self.names.values() for o in opts for p in o if not p.startswith("CAND_IND")}


def is_candidaturas(data: bytes) -> bool:
    """Whether a CSV's first lines look like a candidaturas file (a PARTIDO_CI column)."""
    head = textmod.decode(data[:4096])[0]
    return "PARTIDO_CI" in normalize_column(" ".join(textmod.lines(head)[:3]))


def parse(data: bytes, source: str) -> Candidaturas:
    text, _enc = textmod.decode(data)
    lines = textmod.lines(text)
    start = next((i for i, ln in enumerate(lines[:5]) if "PARTIDO_CI" in normalize_column(ln)), None)
    if start is None:
        raise InputError(f"{source}: not a candidaturas file: no PARTIDO_CI column")
    sep = "|" if lines[start].count("|") > lines[start].count(",") else ","
    rows, starts = textmod.table("\n".join(lines[start:]), sep)
    header = [normalize_column(h) for h in rows[0]]
    ent = next((header.index(c) for c in _ENTIDAD if c in header), None)
    geo = next((header.index(c) for c in _GEO if c in header), None)
    party = header.index("PARTIDO_CI")
    name = next((header.index(c) for c in _NAME if c in header), None)
    if ent is None or name is None:
        raise InputError(f"{where(source, start + 1)}: candidaturas header lacks ID_ESTADO or CANDIDATURA_PROPIETARIA")
    out = Candidaturas(source)
    for row, line in zip(rows[1:], starts[1:]):
        if not any(c.strip() for c in row):
            continue
        if len(row) <= max(ent, party, name, geo or 0):
            raise InputError(f"{where(source, start + line)}: {len(row)} fields; the candidaturas file is truncated")
        e, g = textmod.unwrap(row[ent]), textmod.unwrap(row[geo]) if geo is not None else "0"
        if not e.isdigit() or not (g or "0").isdigit():
            raise InputError(f"{where(source, start + line)}: entity {e!r} / contest {g!r} is not a number")
        option = option_of(textmod.unwrap(row[party]))
        person = " ".join(textmod.unwrap(row[name]).split())
        if option is None or not person:
            continue
        out.names.setdefault((int(e), int(g or 0)), {})[option] = person
    return out


def option_of(token: str) -> tuple[str, ...] | None:
    """'SUM-PAN-PRD' / 'C_PAN_PRD' / 'PAN-PRD' -> ('PAN', 'PRD'); 'CI2' -> ('CAND_IND_2',); CNR/nulos -> None."""
    t = normalize_column(token)
    if not t or t in _SKIP:
        return None
    m = re.fullmatch(r"(?:CI|IND)_?(\d+)|CAND_IND_?(\w*)", t)
    if m:
        n = m.group(1) or m.group(2)
        return (f"CAND_IND_{n}",) if n else ("CAND_IND",)
    t = re.sub(r"^(SUM|C|CC|COA)_", "", t)
    return tuple(sorted(p for p in t.split("_") if p))
