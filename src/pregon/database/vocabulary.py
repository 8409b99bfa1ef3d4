"""The layouts of the published database as data (vocabulary.toml), loaded once into lookup tables.

The reader never names a column or a word itself: it asks this module what role a header name plays and
what a cell's word means, so a new year's database needs at most a new alias in the TOML file.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

# What a column's role is called in the [columns] table, grouped by what the reader does with it.
COUNT_ROLES = ("boletas_sobrantes", "personas_votaron", "representantes_votaron", "votos_sacados")
GEO_ROLES = {  # ámbito -> (id role, name role)
    "distrito_federal": ("id_distrito_federal", "distrito_federal"),
    "distrito_local": ("id_distrito_local", "distrito_local"),
    "municipio": ("id_municipio", "municipio"),
    "junta": ("id_junta", "junta"),
}
OBSERVACIONES = ("ninguna", "algun_ilegible", "todos_ilegibles", "excede_lista", "sin_acta", "fuera_catalogo")


def normalize(name: str) -> str:
    """Upper case, no accents, no BOM, single spaces: how names and words are compared."""
    text = unicodedata.normalize("NFKD", name.replace("\ufeff", "").strip())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text).upper()


def normalize_column(name: str) -> str:
    """A column or figure name: normalised, spaces and hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", normalize(name))


@dataclass(frozen=True)
class Vocabulary:
    figures: dict[str, str]  # normalised alias -> figure role
    figure_names: dict[str, str]  # figure role -> the name pregon writes
    columns: dict[str, str]  # normalised alias -> column role
    votes: dict[str, str]  # normalised alias -> fixed vote column (NO_REGISTRADOS, NULOS)
    vote_kinds: dict[str, tuple[str, ...]]  # kind -> name prefixes
    markers: dict[str, str]  # normalised word -> marker kind
    contabilizada: dict[str, str]  # value -> si | no | fuera | sin_valor
    observaciones: tuple[tuple[str, str, bool], ...]  # (normalised text, meaning, prefix)
    elecciones: dict[str, str]  # normalised title -> clave
    ambitos: dict[str, str]  # clave -> ámbito
    archivos: dict[str, str]  # file-name election part -> clave
    zonas: dict[int, str]  # INE entity id -> IANA zone
    partidos: dict[str, tuple[str, str]]  # siglas -> (name, colour)

    def figure_role(self, name: str) -> str | None:
        return self.figures.get(normalize_column(name))

    def column_role(self, name: str) -> str | None:
        return self.columns.get(normalize_column(name))

    def fixed_vote(self, name: str) -> str | None:
        return self.votes.get(normalize_column(name))

    def marker(self, cell: str) -> str | None:
        """The kind of a non-numeric cell (no_aplica, sin_dato, ilegible, sin_acta), None if unknown."""
        return self.markers.get(normalize(cell))

    def observacion(self, text: str) -> str | None:
        """What an OBSERVACIONES text means (one of OBSERVACIONES), None when the vocabulary lacks it."""
        norm = _strip_code(normalize(text))
        for words, meaning, prefix in self.observaciones:
            if norm == words or (prefix and norm.startswith(words)):
                return meaning
        return None

    def clave_of(self, title: str) -> str | None:
        return self.elecciones.get(normalize(title))


def _strip_code(text: str) -> str:
    """'NP: SIN ACTA POR …' -> 'SIN ACTA POR …' (a capture system's short code before the words)."""
    m = re.match(r"^[A-Z]{1,3}(?:-[A-Z]{1,3})?\s*:\s*(.+)$", text)
    return m.group(1) if m else text


@cache
def vocabulary() -> Vocabulary:
    raw = tomllib.loads(resources.files(__package__).joinpath("vocabulary.toml").read_text(encoding="utf-8"))

    def aliases(table: dict) -> dict[str, str]:
        out = {}
        for role, names in table.items():
            for name in names:
                key = normalize_column(name)
                if out.setdefault(key, role) != role:
                    raise ValueError(f"vocabulary.toml: {name!r} is an alias of both {out[key]} and {role}")
        return out

    markers = {normalize(w): kind for kind, words in raw["markers"].items() for w in words}
    observaciones = []
    for entry in raw["observacion"]:
        if entry["significa"] not in OBSERVACIONES:
            raise ValueError(f"vocabulary.toml: observacion {entry['texto']!r}: unknown meaning {entry['significa']!r}")
        observaciones.append((normalize(entry["texto"]), entry["significa"], bool(entry.get("prefix", False))))
    return Vocabulary(
        figures=aliases(raw["figures"]),
        figure_names={role: names[0] for role, names in raw["figures"].items()},
        columns=aliases(raw["columns"]),
        votes=aliases(raw["votes"]),
        vote_kinds={k: tuple(v) for k, v in raw["vote_kinds"].items()},
        markers=markers,
        contabilizada={v: kind for kind, values in raw["contabilizada"].items() for v in values},
        observaciones=tuple(observaciones),
        elecciones={normalize(k): v for k, v in raw["elecciones"].items()},
        ambitos=dict(raw["ambitos"]),
        archivos=dict(raw["archivos"]),
        zonas={int(k): v for k, v in raw["zonas"].items()},
        partidos={k: (v[0], v[1]) for k, v in raw["partidos"].items()},
    )
