"""Election night: votes, anomalies and arrival times of every acta, vectorised per election.

Votes. Each party's strength is drawn from a Dirichlet around the preset's profile, nested entity →
municipio → sección, then each contest gets a candidate effect per party. A casilla's voters are binomial
on its lista nominal with a municipal participation of 50–65% (casillas especiales: a share of their
ballots), the same people for every election at that casilla, plus the party representatives who vote there.
The ballots are a multinomial draw over the contest's columns: parties, the coalition combination columns
(a few percent of the coalition's voters), independents, no registrados (tiny) and nulos (~2.5%).

Anomalies, per expected acta (anomalies.py): actas that never arrive, sin acta, ilegibles, excede lista
nominal, fuera de catálogo (the acta arrives with a casilla number the catalog lacks), and the small
disagreements between the acta's totals that real actas have.

Arrival. The actas of a casilla travel together: photographed at the casilla (PREP Casilla, early) or carried
to the CATD and scanned (later, slower in rural areas and in slow distritos, a few very late). Times follow
log-logistic curves truncated to the publication window; acopio ≤ captura ≤ verificación, minutes apart.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import combinations
from math import comb
from zoneinfo import ZoneInfo

import numpy as np

from ..election import rules
from ..election.catalog import NO_REGISTRADOS, NULOS, Eleccion
from ..election.timefmt import NO_TIME
from .anomalies import CAT_KIND as _CAT_KIND
from .anomalies import FUERA, Acta, apply_anomalies, fates
from .model import Feed, Simulation
from .spec import ElectionSpec, Preset
from .territory import Territory, contest_index

MECANISMOS = np.array(["D", "F", "I"], dtype=object)
MECANISMO_P = (0.76, 0.237, 0.003)
DOCUMENTOS = np.array(["ACTA PREP", "CC", "RPP"], dtype=object)
DOCUMENTO_P = (0.969, 0.016, 0.015)


def _rng(*key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(list(key)))


def _normalize(m: np.ndarray) -> np.ndarray:
    s = m.sum(axis=-1, keepdims=True)
    return m / np.where(s > 0, s, 1.0)


def _loglogistic_trunc(rng, n, alpha, beta, xmax):
    """Log-logistic(alpha, beta) conditioned on x <= xmax, by inverting the CDF."""
    xmax = np.maximum(xmax, 1e-3)
    fmax = 1.0 / (1.0 + (xmax / alpha) ** (-beta))
    u = rng.random(n) * fmax
    u = np.clip(u, 1e-12, 1 - 1e-12)
    return alpha * (u / (1.0 - u)) ** (1.0 / beta)


def simulate_night(spec: Preset, t: Territory, seed: int, scale: float) -> Simulation:
    catalog = t.catalog
    tz = ZoneInfo(spec.timezone)
    cierre = datetime.combine(spec.fecha, time(18, 0), tz)
    inicio = datetime.combine(spec.fecha, time(20, 0), tz)
    fin = inicio + timedelta(hours=spec.arrival.window_h)
    t0, t_end, t_close = int(inicio.timestamp()), int(fin.timestamp()), int(cierre.timestamp())

    parties = [p[0] for p in spec.partidos]
    sec_prof, mun_ids, sec_mun_g = _party_strength(spec, t, parties, _rng(seed, 1))
    people = _voters(spec, t, len(parties), mun_ids, sec_mun_g, _rng(seed, 2))
    arrival = _arrival_hours(spec, t, _rng(seed, 3))

    feeds = {}
    stats = {}
    for i, el_spec in enumerate(spec.elecciones):
        el = catalog.elecciones[el_spec.clave]
        rng = _rng(seed, 10 + i)
        feed = _election(spec, el_spec, el, t, rng, seed, sec_prof=sec_prof, parties=parties, **people, **arrival,
                         t0=t0, t_end=t_end, t_close=t_close)
        feeds[el.clave] = feed
        stats[el.clave] = {"esperadas": feed.expected, "en_feed": len(feed), "nunca_llegan": feed.never_arrived}
    return Simulation(preset=spec, seed=seed, scale=scale, catalog=catalog, feeds=feeds, cierre=cierre,
                      inicio=inicio, fin=fin, stats=stats)


def _party_strength(spec: Preset, t: Territory, parties: list[str], rng: np.random.Generator):
    """Party strength per sección, nested entity -> municipio -> sección; with the municipio groups."""
    n_p = len(parties)
    profile = dict(spec.profile)
    base = _normalize(np.array([profile.get(p, 0.01) for p in parties], float))
    ent_ids = sorted({e.id for e in spec.entidades})
    ent_pos = {e: i for i, e in enumerate(ent_ids)}
    ent_prof = np.zeros((len(ent_ids), n_p))
    for e in spec.entidades:
        v = base.copy()
        for p, m in e.party_tilt:
            if p in parties:
                v[parties.index(p)] *= m
        v = _normalize(v)
        # one entity: its profile is the preset's; several: each varies around the national one
        ent_prof[ent_pos[e.id]] = v if len(spec.entidades) == 1 else _normalize(rng.standard_gamma(150.0 * v) + 1e-12)
    n_sec = len(t.sec_num)
    sec_entpos = np.array([ent_pos[e] for e in t.sec_ent.tolist()], np.int64) if n_sec else np.zeros(0, np.int64)
    mun_key = sec_entpos * 10_000 + t.sec_mun
    mun_ids, sec_mun_g = np.unique(mun_key, return_inverse=True)
    mun_prof = _normalize(rng.standard_gamma(60.0 * ent_prof[mun_ids // 10_000]) + 1e-12)
    sec_prof = _normalize(rng.standard_gamma(250.0 * mun_prof[sec_mun_g]) + 1e-12)
    return sec_prof, mun_ids, sec_mun_g


def _voters(spec: Preset, t: Territory, n_p: int, mun_ids, sec_mun_g, rng: np.random.Generator) -> dict:
    """Who votes at each casilla (the same people for every election), the party representatives among
    them, the ballots it received and its share of nulos."""
    n_cas = len(t.cas_sec)
    lo, hi = spec.participation
    mun_part = rng.uniform(lo, hi, len(mun_ids))
    especial = t.cas_tipo == "S"
    p_vote = np.clip(rng.normal(mun_part[sec_mun_g[t.cas_sec]], 0.05), 0.2, 0.95)
    voters = rng.binomial(t.cas_ln, p_vote)
    esp_voters = rng.binomial(t.cas_boletas, rng.beta(4.0, 2.0, n_cas))
    voters = np.where(especial, esp_voters, voters)
    slots = min(n_p, 10)
    reps = rng.binomial(slots, 0.5, n_cas)
    recibidas = np.where(especial, t.cas_boletas, t.cas_ln + 2 * slots)
    nulos_share = spec.nulos * rng.lognormal(0.0, 0.3, n_cas) * np.where(t.cas_ubic == 2, 1.3, 1.0)
    return {"voters": voters, "reps": reps, "recibidas": recibidas, "nulos_share": nulos_share}


def _arrival_hours(spec: Preset, t: Territory, rng: np.random.Generator) -> dict:
    """When each casilla's actas arrive, in hours after 20:00, by PREP Casilla (móvil) or from the CATD; and
    the casillas whose actas never arrive."""
    n_cas = len(t.cas_sec)
    a = spec.arrival
    window = a.window_h
    dist = np.where(t.sec_df > 0, t.sec_df, t.sec_dl)[t.cas_sec]
    _, dist_g = np.unique(t.cas_ent * 10_000 + dist, return_inverse=True)
    speed = rng.lognormal(0.0, a.district_sigma, int(dist_g.max()) + 1 if n_cas else 1)[dist_g]
    slow = speed * np.where(t.cas_ubic == 2, a.rural_factor, 1.0)
    shift = t.arrival_shift_h
    room = window - 0.1 - np.maximum(shift, 0)
    movil = rng.random(n_cas) < a.movil_share
    t_movil = 0.05 + _loglogistic_trunc(rng, n_cas, a.movil_median_h * slow, a.movil_shape, room - 0.05)
    t_catd = a.catd_delay_h + _loglogistic_trunc(rng, n_cas, a.catd_median_h * slow, a.catd_shape,
                                                 room - a.catd_delay_h)
    late = rng.random(n_cas) < spec.rates.late
    late_t = rng.uniform(np.minimum(8.0, room * 0.4), room - 0.2)
    t_movil = np.where(late, late_t, t_movil) + shift
    t_catd = np.where(late, late_t, t_catd) + shift
    never_cas = rng.random(n_cas) < spec.rates.never_casilla
    return {"movil": movil, "t_movil": t_movil, "t_catd": t_catd, "never_cas": never_cas}


def _coalition_structure(el: Eleccion, colidx: dict[str, int]):
    """Combination columns with their member parties; per contest, each combination column's weight (the
    full combination of a running coalition 0.5, each level below half of the one above, shared among its
    columns) and the blocks of combination columns (one per running coalition)."""
    combo_members: dict[int, tuple[str, ...]] = {}
    weight = np.zeros((len(el.contiendas), len(colidx)))
    blocks_per_contest: list[list[list[int]]] = []
    for c, ct in enumerate(el.contiendas.values()):
        blocks = []
        for cand in ct.candidaturas:
            if cand.tipo != "coalicion":
                continue
            block = []
            size = len(cand.partidos)
            for r in range(size, 1, -1):
                for combo in combinations(cand.partidos, r):
                    j = colidx["C_" + "_".join(combo)]
                    block.append(j)
                    combo_members[j] = combo
                    weight[c, j] = 0.5 ** (1 + size - r) / comb(size, r)
            blocks.append(block)
        blocks_per_contest.append(blocks)
    return combo_members, weight, blocks_per_contest


@dataclass
class _Ballot:
    """An election's vote columns as index arrays: parties, independents, no registrados, nulos, the coalition
    combinations, and which columns run at each acta's contest (`arow`)."""

    k: int
    colidx: dict[str, int]
    contests: list
    arow: np.ndarray
    party_cols: np.ndarray
    party_cat: np.ndarray
    ind_cols: np.ndarray
    nr: int
    nul: int
    combo_members: dict[int, tuple[str, ...]]
    combo_w: np.ndarray
    blocks: list[list[list[int]]]


def _ballot(el: Eleccion, parties: list[str], cont: np.ndarray) -> _Ballot:
    cols = el.columnas
    colidx = {c: j for j, c in enumerate(cols)}
    contests = list(el.contiendas.values())
    applies = np.zeros((len(contests), len(cols)), bool)
    for j, ct in enumerate(contests):
        applies[j, [colidx[c] for c in ct.columnas]] = True
    party_cols = np.array([j for j, c in enumerate(cols) if c in parties], np.int64)
    combo_members, combo_w, blocks = _coalition_structure(el, colidx)
    return _Ballot(
        k=len(cols), colidx=colidx, contests=contests, arow=applies[cont], party_cols=party_cols,
        party_cat=np.array([parties.index(cols[j]) for j in party_cols], np.int64),
        ind_cols=np.array([j for j, c in enumerate(cols) if c.startswith("CAND_IND_")], np.int64),
        nr=colidx[NO_REGISTRADOS], nul=colidx[NULOS], combo_members=combo_members, combo_w=combo_w, blocks=blocks)


def _cast(spec: Preset, es: ElectionSpec, b: _Ballot, rng: np.random.Generator, cont: np.ndarray, *,
          sec_prof: np.ndarray, voters: np.ndarray, reps: np.ndarray, esp: np.ndarray, recibidas: np.ndarray,
          nulos_share: np.ndarray) -> Acta:
    """The ballots of each acta: a multinomial draw over the columns of its contest, then its totals."""
    n = len(voters)
    tilt = np.ones(len(b.party_cols))
    for p, m in es.tilt:
        if p in b.colidx:
            tilt[list(b.party_cols).index(b.colidx[p])] *= m
    effect = np.exp(rng.normal(0.0, es.candidate_effect, (len(b.contests), len(b.party_cols))))
    share = _normalize(sec_prof[:, b.party_cat] * tilt * effect[cont])
    w = np.zeros((n, b.k))
    w[:, b.party_cols] = share
    pos_in_party = {int(c): i for i, c in enumerate(b.party_cols)}
    for j, members in b.combo_members.items():
        idx = [pos_in_party[b.colidx[p]] for p in members]
        w[:, j] = spec.combo_share * b.combo_w[cont, j] * share[:, idx].sum(axis=1)
    if len(b.ind_cols):
        ind_share = rng.uniform(0.01, 0.09, (len(b.contests), len(b.ind_cols)))
        w[:, b.ind_cols] = ind_share[cont]
    w[:, b.nr] = spec.no_registrados
    w[:, b.nul] = nulos_share
    w = _normalize(w * b.arow)
    v = np.where(esp, rng.binomial(voters, es.especial_factor), voters)
    votes = rng.multinomial(v + reps, w) if n else np.zeros((0, b.k), np.int64)
    votes = votes.astype(np.int64)
    votes[~b.arow] = rules.NO_APLICA
    sacados = v + reps
    return Acta(votes=votes, personas=v.copy(), sacados=sacados, sobrantes=np.maximum(recibidas - sacados, 0),
                asentado=np.where(votes > 0, votes, 0).sum(axis=1), reps=reps, representantes=reps.copy())


def _election(spec: Preset, es: ElectionSpec, el: Eleccion, t: Territory, rng: np.random.Generator, seed: int,
              *, sec_prof, parties, voters, reps, recibidas, nulos_share, movil, t_movil, t_catd, never_cas,
              t0, t_end, t_close) -> Feed:
    """One election's feed: every expected acta cast, given its fate, timed, identified and sorted."""
    especial_all = t.cas_tipo == "S"
    rows = np.flatnonzero(~especial_all) if el.tipo_acta_especial is None else np.arange(len(t.cas_sec))
    n = len(rows)
    sec = t.cas_sec[rows]
    esp = especial_all[rows]
    cont = contest_index(t, el)[sec] if n else np.zeros(0, np.int64)
    b = _ballot(el, parties, cont)
    acta = _cast(spec, es, b, rng, cont, sec_prof=sec_prof[sec], voters=voters[rows], reps=reps[rows], esp=esp,
                 recibidas=recibidas[rows], nulos_share=nulos_share[rows])

    never = never_cas[rows] | (rng.random(n) < spec.rates.never_acta)
    cat = fates(spec.rates, n, rng)
    lista = np.where(esp, t.cas_boletas[rows], t.cas_ln[rows])
    apply_anomalies(acta, cat, spec.rates, rng, lista=lista, cont=cont, arow=b.arow, party_cols=b.party_cols,
                    ind_cols=b.ind_cols, nr=b.nr, nul=b.nul, blocks=b.blocks)
    is_sin = cat <= 2
    from_movil = movil[rows] & ~is_sin
    times = _arrival(rng, from_movil, is_sin, t_movil[rows], t_catd[rows], t0=t0, t_end=t_end, t_close=t_close)
    labels = _capture_labels(rng, from_movil, is_sin)
    ident, fu = _identification(t, el, rows, sec, esp, cat, never, rng)

    keep = np.flatnonzero(~never)
    tcode = np.searchsorted(np.array(["B", "C", "E", "M", "S"]), ident["tipo"][keep])
    order = keep[np.lexsort((ident["ext"][keep], ident["numero"][keep], tcode, ident["seccion"][keep],
                             ident["entidad"][keep], times["verificacion"][keep]))]
    sha = _shas(f"pregon-simulate|{spec.proceso_id}|{seed}|", order, ident, is_sin)
    return Feed(
        eleccion=el, entidad=ident["entidad"][order], seccion=ident["seccion"][order],
        tipo_casilla=ident["tipo"][order], id_casilla=ident["numero"][order], ext_contigua=ident["ext"][order],
        tipo_acta=ident["tipo_acta"][order], counts=acta.counts[order], votes=acta.votes[order],
        total_asentado=acta.asentado[order], representantes=acta.representantes[order],
        sin_acta=acta.sin_acta[order], mecanismo=labels["mecanismo"][order], sha=sha,
        acopio=times["acopio"][order], captura=times["captura"][order], verificacion=times["verificacion"][order],
        origen=labels["origen"][order], digitalizacion=labels["digitalizacion"][order],
        tipo_documento=labels["tipo_documento"][order], casilla_idx=ident["casilla_idx"][order],
        kind=_CAT_KIND[cat][order], expected=n, never_arrived=int(never.sum()) + len(fu),
    )


def _arrival(rng: np.random.Generator, from_movil: np.ndarray, is_sin: np.ndarray, t_movil: np.ndarray,
             t_catd: np.ndarray, *, t0: int, t_end: int, t_close: int) -> dict[str, np.ndarray]:
    """Verificación, captura and acopio of each acta (epoch s): acopio <= captura <= verificación, minutes
    apart; a sin-acta paquete has no acopio time."""
    n = len(from_movil)
    hours = np.where(from_movil, t_movil, t_catd)
    hours = np.where(is_sin, hours + rng.uniform(0.0, 1.0, n), hours)
    hours = np.clip(hours, 0.02, None)
    verif = t0 + np.round(hours * 3600 + rng.exponential(300.0, n)).astype(np.int64)
    verif = np.minimum(verif, t_end - 1)
    captura = verif - np.maximum(20, rng.lognormal(np.log(228.0), 0.75, n)).astype(np.int64)
    gap = np.where(from_movil, rng.lognormal(np.log(2400.0), 0.7, n), rng.lognormal(np.log(1080.0), 0.9, n))
    acopio = captura - gap.astype(np.int64)
    floor = t_close + 900 + rng.integers(0, 2700, n)
    acopio = np.minimum(np.maximum(acopio, floor), captura)
    acopio = np.where(is_sin, NO_TIME, acopio)
    return {"verificacion": verif, "captura": captura, "acopio": acopio}


def _capture_labels(rng: np.random.Generator, from_movil: np.ndarray, is_sin: np.ndarray) -> dict[str, np.ndarray]:
    """Where and how each acta was captured: casilla (móvil) or CATD (escáner), traslado, document."""
    n = len(from_movil)
    return {
        "origen": np.where(from_movil, "CASILLA", "CATD").astype(object),
        "digitalizacion": np.where(from_movil, "MOVIL", "ESCANER").astype(object),
        "mecanismo": MECANISMOS[rng.choice(3, n, p=MECANISMO_P)],
        "tipo_documento": np.where(is_sin, "", DOCUMENTOS[rng.choice(3, n, p=DOCUMENTO_P)]).astype(object),
    }


def _identification(t: Territory, el: Eleccion, rows: np.ndarray, sec: np.ndarray, esp: np.ndarray,
                    cat: np.ndarray, never: np.ndarray, rng: np.random.Generator) -> tuple[dict, np.ndarray]:
    """Each acta's casilla identification, including the typos that fall outside the catalog (a contigua
    number the sección lacks); and the positions of those fuera-de-catálogo actas."""
    entidad = t.cas_ent[rows].copy()
    seccion = t.sec_num[sec].copy()
    tipo = t.cas_tipo[rows].copy()
    numero = t.cas_numero[rows].copy()
    ext = t.cas_ext[rows].copy()
    tipo_acta = np.where(esp, el.tipo_acta_especial or el.tipo_acta, el.tipo_acta).astype(np.int64)
    casilla_idx = rows.copy()
    fu = np.flatnonzero((cat == FUERA) & ~never)
    taken: set[tuple] = set()
    for i in fu.tolist():
        nc = int(t.sec_contiguas[sec[i]])
        bump = int(rng.integers(1, 4))
        while (int(entidad[i]), int(seccion[i]), nc + bump) in taken:
            bump += 1
        taken.add((int(entidad[i]), int(seccion[i]), nc + bump))
        tipo[i], numero[i], ext[i], casilla_idx[i] = "C", nc + bump, 0, -1
    return {"entidad": entidad, "seccion": seccion, "tipo": tipo, "numero": numero, "ext": ext,
            "tipo_acta": tipo_acta, "casilla_idx": casilla_idx}, fu


def _shas(tag: str, order: np.ndarray, ident: dict, is_sin: np.ndarray) -> np.ndarray:
    """The SHA-256 of each acta's image, stood in for by a hash of its identification; none for sin acta."""
    sha = np.full(len(order), "", dtype=object)
    for out_i, (i, e, s, tp, nm, x, ta) in enumerate(zip(
            order.tolist(), *(ident[k][order].tolist() for k in ("entidad", "seccion", "tipo", "numero", "ext",
                                                                  "tipo_acta")))):
        if not is_sin[i]:
            sha[out_i] = hashlib.sha256(f"{tag}{e:02d}{s:04d}{tp}{nm:02d}{x:02d}{ta:02d}".encode()).hexdigest()
    return sha
