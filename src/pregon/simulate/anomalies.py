"""What happens to each acta on election night, at the rates of `spec.AnomalyRates` (calibrated on Quintana
Roo 2019): sin acta (paquete no entregado, entregado sin sobre, casilla no instalada), todos ilegibles, algún
dato ilegible o sin dato (mostly a coalition's combination boxes left blank), excede lista nominal (a party's
count written far too high), fuera de catálogo (night.py gives those a casilla number the catalog lacks), NULOS
copying the leftover ballots, and the small disagreements between the acta's totals that real actas have.

Every step draws from the election's generator in a fixed order, so a seed gives the same night.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..election import rules

Obs = rules.Observacion

# kind of each expected acta, in the order the rates are laid out
_CATS = ("no_instalada", "no_entregado", "sin_sobre", "todos_ilegibles", "excede", "algun_ilegible",
         "fuera_catalogo")
REASON = {0: "SIN ACTA POR CASILLA NO INSTALADA", 1: "SIN ACTA POR PAQUETE NO ENTREGADO",
          2: "SIN ACTA POR PAQUETE ENTREGADO SIN SOBRE"}
CAT_KIND = np.array([Obs.SIN_ACTA, Obs.SIN_ACTA, Obs.SIN_ACTA, Obs.TODOS_ILEGIBLES, Obs.EXCEDE_LISTA,
                     Obs.ALGUN_ILEGIBLE, Obs.FUERA_CATALOGO, Obs.NINGUNA], dtype=np.int8)
TODOS_ILEGIBLES, EXCEDE, ALGUN_ILEGIBLE, FUERA = 3, 4, 5, 6
NORMAL = len(_CATS)


@dataclass
class Acta:
    """What each expected acta of one election says, as arrays (changed in place by the anomalies)."""

    votes: np.ndarray  # (n, k) vote codes
    personas: np.ndarray
    sacados: np.ndarray
    sobrantes: np.ndarray
    asentado: np.ndarray
    reps: np.ndarray  # party representatives who voted there
    representantes: np.ndarray  # as the acta states them
    counts: np.ndarray | None = None  # (n, 4) COUNTS, once the totals are final
    sin_acta: np.ndarray | None = None  # object: "" or the reason


def fates(rates, n: int, rng: np.random.Generator) -> np.ndarray:
    """Each acta's category: an index into _CATS, or NORMAL."""
    edges = np.cumsum([getattr(rates, c) for c in _CATS])
    return np.searchsorted(edges, rng.random(n), side="right")


def _positive_sum(votes: np.ndarray) -> np.ndarray:
    return np.where(votes > 0, votes, 0).sum(axis=1)


def apply_anomalies(acta: Acta, cat: np.ndarray, rates, rng: np.random.Generator, *, lista: np.ndarray,
                    cont: np.ndarray, arow: np.ndarray, party_cols: np.ndarray, ind_cols: np.ndarray, nr: int,
                    nul: int, blocks: list) -> None:
    """Every anomaly, in order; `lista` is each casilla's lista nominal (its ballots, for an especial)."""
    _disagreements(acta, cat, rates, rng)
    _excede(acta, cat, rng, lista, party_cols, nul)
    _nulos_sobrantes(acta, cat, rates, rng, nul)
    acta.counts = np.stack([acta.sobrantes, acta.personas, acta.reps.copy(), acta.sacados], axis=1).astype(np.int64)
    _algun_ilegible(acta, cat, rates, rng, cont=cont, arow=arow, party_cols=party_cols, ind_cols=ind_cols, nr=nr,
                    nul=nul, blocks=blocks)
    _todos_ilegibles(acta, cat, rng, arow)
    _sin_acta(acta, cat, arow)


def _disagreements(acta: Acta, cat: np.ndarray, rates, rng: np.random.Generator) -> None:
    """Small disagreements between a readable acta's own totals."""
    n = len(cat)
    readable = cat >= EXCEDE

    def nudge(values, p):
        hit = readable & (rng.random(n) < p)
        delta = rng.choice(np.array([-3, -2, -1, 1, 2, 3]), n)
        return np.where(hit, np.maximum(values + delta, 0), values)

    acta.sacados = nudge(acta.sacados, rates.off_sacados)
    acta.personas = nudge(acta.personas, rates.off_personas)
    acta.asentado = nudge(acta.asentado, rates.off_asentado)


def _excede(acta: Acta, cat: np.ndarray, rng: np.random.Generator, lista: np.ndarray, party_cols: np.ndarray,
            nul: int) -> None:
    """Excede lista nominal: the leading party's count written far too high."""
    ex = np.flatnonzero(cat == EXCEDE)
    if not len(ex):
        return
    votes = acta.votes
    limit = lista[ex] + acta.reps[ex]
    # over the limit even without NULOS (rules.classify leaves them out of this test by default)
    total = _positive_sum(votes[ex]) - np.maximum(votes[ex, nul], 0)
    top = party_cols[np.argmax(votes[ex][:, party_cols], axis=1)]
    votes[ex, top] += limit - total + rng.integers(1, 300, len(ex))
    acta.asentado[ex] = _positive_sum(votes[ex])


def _nulos_sobrantes(acta: Acta, cat: np.ndarray, rates, rng: np.random.Generator, nul: int) -> None:
    """NULOS copying the leftover ballots (seen in the real Quintana Roo file); not an excede under the rules."""
    ns = np.flatnonzero((cat == NORMAL) & (rng.random(len(cat)) < rates.nulos_sobrantes))
    if len(ns):
        acta.votes[ns, nul] = acta.sobrantes[ns]
        acta.asentado[ns] = _positive_sum(acta.votes[ns])


def _algun_ilegible(acta: Acta, cat: np.ndarray, rates, rng: np.random.Generator, *, cont, arow, party_cols,
                    ind_cols, nr, nul, blocks) -> None:
    """Algún dato ilegible o sin dato: mostly a coalition's combination boxes left blank."""
    al = np.flatnonzero(cat == ALGUN_ILEGIBLE)
    if not len(al):
        return
    m, k = len(al), acta.votes.shape[1]
    blank = np.zeros((m, k), bool)
    max_nb = max((len(b) for b in blocks), default=0)
    if max_nb:
        bmask = np.zeros((len(blocks), max_nb, k), bool)
        nb = np.zeros(len(blocks), np.int64)
        for c, bl in enumerate(blocks):
            nb[c] = len(bl)
            for b, colset in enumerate(bl):
                bmask[c, b, colset] = True
        cm = cont[al]
        pick = np.minimum((rng.random(m) * nb[cm]).astype(np.int64), max_nb - 1)
        blank |= bmask[cm, pick] & ((rng.random(m) < 0.55) & (nb[cm] > 0))[:, None]
    blank[:, nr] |= rng.random(m) < 0.35
    blank[:, nul] |= rng.random(m) < 0.12
    blank[:, party_cols] |= rng.random((m, len(party_cols))) < 0.015
    if len(ind_cols):
        blank[:, ind_cols] |= rng.random((m, len(ind_cols))) < 0.03
    blank &= arow[al]
    blank[~blank.any(axis=1), nr] = True
    every = blank.sum(axis=1) == arow[al].sum(axis=1)
    blank[every, party_cols[0]] = False  # keep it "algún", not "todos"
    code = np.where(rng.random((m, k)) < rates.ilegible_share, rules.ILEGIBLE, rules.SIN_DATO)
    acta.votes[al] = np.where(blank, code, acta.votes[al])
    cblank = rng.random((m, 4)) < 0.04
    acta.counts[al] = np.where(cblank, rules.SIN_DATO, acta.counts[al])
    acta.asentado[al] = np.where(rng.random(m) < 0.2, rules.SIN_DATO, acta.asentado[al])


def _todos_ilegibles(acta: Acta, cat: np.ndarray, rng: np.random.Generator, arow: np.ndarray) -> None:
    """Todos ilegibles o sin dato: nothing readable."""
    td = np.flatnonzero(cat == TODOS_ILEGIBLES)
    if len(td):
        code = np.where(rng.random((len(td), acta.votes.shape[1])) < 0.1, rules.ILEGIBLE, rules.SIN_DATO)
        acta.votes[td] = np.where(arow[td], code, rules.NO_APLICA)
        _zero_totals(acta, td)


def _sin_acta(acta: Acta, cat: np.ndarray, arow: np.ndarray) -> None:
    """Sin acta: the capture system registers the paquete with zeros and the reason."""
    sa = np.flatnonzero(cat <= 2)
    acta.sin_acta = np.full(len(cat), "", dtype=object)
    if len(sa):
        acta.votes[sa] = np.where(arow[sa], 0, rules.NO_APLICA)
        _zero_totals(acta, sa)
        acta.sin_acta[sa] = np.array([REASON[int(c)] for c in cat[sa]], dtype=object)


def _zero_totals(acta: Acta, at: np.ndarray) -> None:
    acta.counts[at] = 0
    acta.asentado[at] = 0
    acta.representantes[at] = 0
