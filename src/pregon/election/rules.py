"""The PREP counting rules (docs/counting.md), vectorised over many actas at once.

One implementation serves the corte engine, the recount of a published database and the tests: the scalar
helpers call the array version with one row. Vote values are int64 with negative codes for the texts the
PREP writes in vote fields, so the arithmetic stays integer from acta to header.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

# Codes for the non-numeric vote values; every real count is >= 0.
NO_APLICA = -1  # "-": the column does not run in this contest
SIN_DATO = -2  # "SIN DATO": blank on the acta, as the capture system wrote it
ILEGIBLE = -3
BLANCO = -4  # an empty cell in a column that runs in the contest: blank on the acta, written as nothing

TEXT_TO_CODE = {"-": NO_APLICA, "SIN DATO": SIN_DATO, "ILEGIBLE": ILEGIBLE, "Ilegible": ILEGIBLE, "": BLANCO}
CODE_TO_TEXT = {NO_APLICA: "-", SIN_DATO: "SIN DATO", ILEGIBLE: "ILEGIBLE", BLANCO: ""}
NO_DECLARADA = -1  # an acta whose capture system stated no outcome (see classify's `declarada`)

# Reasons an acta may be missing altogether; recorded by the capture system, never counted.
SIN_ACTA_REASONS = (
    "SIN ACTA POR PAQUETE NO ENTREGADO",
    "SIN ACTA POR PAQUETE ENTREGADO SIN SOBRE",
    "SIN ACTA POR CASILLA NO INSTALADA",
)

# Ballots a casilla especial receives when the catalog does not say (INE's figure for 2018-2021).
BOLETAS_ESPECIAL = 750


class Observacion(IntEnum):
    """Outcome of the rules for one acta. Order is the precedence used when several could apply."""

    NINGUNA = 0
    ALGUN_ILEGIBLE = 1
    TODOS_ILEGIBLES = 2
    EXCEDE_LISTA = 3
    SIN_ACTA = 4
    FUERA_CATALOGO = 5
    EN_PROCESO = 6  # captured, neither counted nor given a reason yet (a correction flow): not "no contabilizada"

    @property
    def texto(self) -> str:
        return _OBS_TEXT[self]

    @property
    def contabilizada(self) -> bool:
        return self in (Observacion.NINGUNA, Observacion.ALGUN_ILEGIBLE)

    @property
    def inconsistencia(self) -> bool:
        """Counted in PORCENTAJE_ACTAS_INCONSISTENCIAS (the LEEME: excede, ilegible, sin dato)."""
        return self in (Observacion.ALGUN_ILEGIBLE, Observacion.TODOS_ILEGIBLES, Observacion.EXCEDE_LISTA)


_OBS_TEXT = {
    Observacion.NINGUNA: "",
    Observacion.ALGUN_ILEGIBLE: "ALGUN DATO ILEGIBLE O SIN DATO",
    Observacion.TODOS_ILEGIBLES: "TODOS ILEGIBLES O SIN DATO",
    Observacion.EXCEDE_LISTA: "EXCEDE LISTA NOMINAL",
    Observacion.SIN_ACTA: "SIN ACTA",  # the real text is the capture system's reason
    Observacion.FUERA_CATALOGO: "FUERA DE CATALOGO",
    Observacion.EN_PROCESO: "",
}
# The canonical words of each outcome a capture system may declare (the feed's OBSERVACION_DECLARADA).
DECLARABLE = {"EXCEDE LISTA NOMINAL": Observacion.EXCEDE_LISTA, "TODOS ILEGIBLES O SIN DATO": Observacion.TODOS_ILEGIBLES,
              "ALGUN DATO ILEGIBLE O SIN DATO": Observacion.ALGUN_ILEGIBLE, "EN PROCESO": Observacion.EN_PROCESO,
              "NINGUNA": Observacion.NINGUNA}
DECLARED_TEXT = {v: k for k, v in DECLARABLE.items()}

CONTABILIZADA_CODES = np.array([o.contabilizada for o in Observacion], dtype=bool)
INCONSISTENCIA_CODES = np.array([o.inconsistencia for o in Observacion], dtype=bool)


def vote_code(text: str) -> int:
    """Parse one vote field: a non-negative integer or one of the PREP's texts."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        return TEXT_TO_CODE[text]
    except KeyError:
        upper = text.upper()
        if upper in TEXT_TO_CODE:
            return TEXT_TO_CODE[upper]
        raise ValueError(f"not a vote value: {text!r} (expected a number, '-', 'SIN DATO' or 'ILEGIBLE')") from None


def vote_text(code: int) -> str:
    return str(code) if code >= 0 else CODE_TO_TEXT[code]


def total_calculado(votes: np.ndarray) -> np.ndarray:
    """TOTAL_VOTOS_CALCULADO per row: every vote column, texts as 0."""
    return np.where(votes > 0, votes, 0).sum(axis=1, dtype=np.int64)


def without_evidence(votes: np.ndarray) -> np.ndarray:
    """Actas whose vote fields show nothing the rules could test: every field 0, '-' or empty.

    Some institutes publish the votes of an acta they did not count as zeros or blanks (Puebla 2018 writes
    every vote of an EXCEDE LISTA NOMINAL acta as 0); only the capture system's stated outcome remains.
    """
    votes = np.asarray(votes, dtype=np.int64)
    if votes.ndim != 2 or votes.shape[1] == 0:
        return np.ones(votes.shape[0], dtype=bool)
    return np.all((votes == 0) | (votes == NO_APLICA) | (votes == BLANCO), axis=1)


def classify(
    votes: np.ndarray,
    lista_nominal: np.ndarray,
    representantes: np.ndarray,
    especial: np.ndarray,
    boletas: np.ndarray,
    sin_acta: np.ndarray,
    fuera_catalogo: np.ndarray,
    nulos_index: int | None = None,
    declarada: np.ndarray | None = None,
) -> np.ndarray:
    """The observation of each acta (an array of `Observacion` codes, int8).

    `votes` is (n, k) with the codes above; the other arguments are length-n arrays. The limit for excede
    lista nominal is the lista nominal plus representatives, or for casillas especiales the ballots approved
    for the casilla plus representatives.

    What is compared with that limit are the votes for candidacies, without the `nulos_index` column when
    given. The LEEME's prose says "the sum of all votes", but the real Quintana Roo 2019 database counts six
    actas whose total exceeds the limit only through a NULOS field that copies the leftover ballots (e.g.
    230535C010002: 465 > 445 + 7, NULOS 385), and no acta there exceeds it without NULOS; the published
    figures are the authority, so pass `nulos_index=None` only for an institute whose rule includes nulos.

    A casilla that is not especial and has lista nominal 0 (voto en el extranjero, prisión preventiva: the
    file does not publish their lists) has no limit to exceed.

    `declarada` (Observacion codes, NO_DECLARADA for none) is what the capture system stated for each acta.
    It decides only where the votes carry no evidence (`without_evidence`): there the rules cannot look, and
    the published outcome is all there is. Everywhere else the rules decide, with one allowance: a stated
    ALGUN DATO ILEGIBLE O SIN DATO on an acta the rules find clean stands (Sonora 2021 publishes the 0 it
    counted for an illegible field, and keeps the flag); it changes no count, only the inconsistency figure.
    """
    votes = np.asarray(votes, dtype=np.int64)
    n = votes.shape[0]
    applicable = votes != NO_APLICA
    textual = votes <= SIN_DATO
    n_applicable = applicable.sum(axis=1)
    n_textual = textual.sum(axis=1)
    total = total_calculado(votes)
    if nulos_index is not None:
        total = total - np.where(votes[:, nulos_index] > 0, votes[:, nulos_index], 0)
    lista_nominal = np.asarray(lista_nominal, dtype=np.int64)
    unlimited = np.int64(10**15)
    limit = np.where(especial, boletas, np.where(lista_nominal > 0, lista_nominal, unlimited)) + representantes

    obs = np.full(n, Observacion.NINGUNA, dtype=np.int8)
    obs[n_textual > 0] = Observacion.ALGUN_ILEGIBLE
    obs[total > limit] = Observacion.EXCEDE_LISTA
    obs[(n_textual == n_applicable) & (n_applicable > 0)] = Observacion.TODOS_ILEGIBLES
    if declarada is not None:
        declarada = np.asarray(declarada, dtype=np.int8)
        stated = (declarada != NO_DECLARADA) & without_evidence(votes)
        obs[stated] = declarada[stated]
        flagged = (declarada == Observacion.ALGUN_ILEGIBLE) & (obs == Observacion.NINGUNA)
        obs[flagged] = Observacion.ALGUN_ILEGIBLE
    obs[np.asarray(sin_acta, dtype=bool)] = Observacion.SIN_ACTA
    obs[np.asarray(fuera_catalogo, dtype=bool)] = Observacion.FUERA_CATALOGO
    return obs


def classify_one(
    votes, lista_nominal: int, representantes: int = 0, especial: bool = False,
    boletas: int = BOLETAS_ESPECIAL, sin_acta: bool = False, fuera_catalogo: bool = False,
    nulos_index: int | None = None,
) -> Observacion:
    """`classify` for a single acta, for tests and for explaining one acta on a page."""
    obs = classify(
        np.array([votes], dtype=np.int64).reshape(1, -1), np.array([lista_nominal]), np.array([representantes]),
        np.array([especial]), np.array([boletas]), np.array([sin_acta]), np.array([fuera_catalogo]), nulos_index,
    )
    return Observacion(int(obs[0]))


def pct(num: int, den: int, decimals: int = 4) -> str:
    """num/den*100 with `decimals` digits, truncated (never rounded), in exact integer arithmetic."""
    if den <= 0:
        return "0." + "0" * decimals
    scale = 10**decimals
    q = (int(num) * 100 * scale) // int(den)
    return f"{q // scale}.{q % scale:0{decimals}d}"
