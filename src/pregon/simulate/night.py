"""Election night: votes, anomalies and arrival times of every acta, vectorised per election.

Votes. Each party's strength is drawn from a Dirichlet around the preset's profile, nested entity →
municipio → sección, then each contest gets a candidate effect per party. A casilla's voters are binomial
on its lista nominal with a municipal participation of 50–65% (casillas especiales: a share of their
ballots), the same people for every election at that casilla, plus the party representatives who vote there.
The ballots are a multinomial draw over the contest's columns: parties, the coalition combination columns
(a few percent of the coalition's voters), independents, no registrados (tiny) and nulos (~2.5%).

Anomalies, per expected acta, at the rates of `spec.AnomalyRates` (calibrated on Quintana Roo 2019): actas
that never arrive, sin acta (paquete no entregado, entregado sin sobre, casilla no instalada), todos
ilegibles, algún dato ilegible o sin dato (mostly a coalition's combination boxes left blank), excede lista
nominal (a party's count written far too high), fuera de catálogo (the acta arrives with a casilla number the
catalog lacks), and the small disagreements between the acta's totals that real actas have.

Arrival. The actas of a casilla travel together: photographed at the casilla (PREP Casilla, early) or carried
to the CATD and scanned (later, slower in rural areas and in slow distritos, a few very late). Times follow
log-logistic curves truncated to the publication window; acopio ≤ captura ≤ verificación, minutes apart.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from itertools import combinations
from math import comb
from zoneinfo import ZoneInfo

import numpy as np

from ..election import rules
from ..election.catalog import NO_REGISTRADOS, NULOS, Eleccion
from ..election.timefmt import NO_TIME
from .model import Feed, Simulation
from .spec import ElectionSpec, Preset
from .territory import Territory, contest_index

Obs = rules.Observacion

# kind of each expected acta, in the order the rates are laid out
_CATS = ("no_instalada", "no_entregado", "sin_sobre", "todos_ilegibles", "excede", "algun_ilegible",
         "fuera_catalogo")
_REASON = {0: "SIN ACTA POR CASILLA NO INSTALADA", 1: "SIN ACTA POR PAQUETE NO ENTREGADO",
           2: "SIN ACTA POR PAQUETE ENTREGADO SIN SOBRE"}
_CAT_KIND = np.array([Obs.SIN_ACTA, Obs.SIN_ACTA, Obs.SIN_ACTA, Obs.TODOS_ILEGIBLES, Obs.EXCEDE_LISTA,
                      Obs.ALGUN_ILEGIBLE, Obs.FUERA_CATALOGO, Obs.NINGUNA], dtype=np.int8)
NORMAL = len(_CATS)

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
    n_p = len(parties)
    n_sec, n_cas = len(t.sec_num), len(t.cas_sec)

    # ---- party strength per sección: entity -> municipio -> sección
    rng = _rng(seed, 1)
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
    sec_entpos = np.array([ent_pos[e] for e in t.sec_ent.tolist()], np.int64) if n_sec else np.zeros(0, np.int64)
    mun_key = sec_entpos * 10_000 + t.sec_mun
    mun_ids, sec_mun_g = np.unique(mun_key, return_inverse=True)
    mun_prof = _normalize(rng.standard_gamma(60.0 * ent_prof[mun_ids // 10_000]) + 1e-12)
    sec_prof = _normalize(rng.standard_gamma(250.0 * mun_prof[sec_mun_g]) + 1e-12)

    # ---- who votes at each casilla (the same people for every election)
    rng = _rng(seed, 2)
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

    # ---- when each casilla's actas arrive (hours after 20:00)
    rng = _rng(seed, 3)
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

    feeds = {}
    stats = {}
    for i, el_spec in enumerate(spec.elecciones):
        el = catalog.elecciones[el_spec.clave]
        rng = _rng(seed, 10 + i)
        feed = _election(spec, el_spec, el, t, rng, seed, sec_prof=sec_prof, parties=parties, voters=voters,
                         reps=reps, recibidas=recibidas, nulos_share=nulos_share, movil=movil, t_movil=t_movil,
                         t_catd=t_catd, never_cas=never_cas, t0=t0, t_end=t_end, t_close=t_close)
        feeds[el.clave] = feed
        stats[el.clave] = {"esperadas": feed.expected, "en_feed": len(feed), "nunca_llegan": feed.never_arrived}
    return Simulation(preset=spec, seed=seed, scale=scale, catalog=catalog, feeds=feeds, cierre=cierre,
                      inicio=inicio, fin=fin, stats=stats)


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


def _election(spec: Preset, es: ElectionSpec, el: Eleccion, t: Territory, rng: np.random.Generator, seed: int,
              *, sec_prof, parties, voters, reps, recibidas, nulos_share, movil, t_movil, t_catd, never_cas,
              t0, t_end, t_close) -> Feed:
    rates = spec.rates
    especial_all = t.cas_tipo == "S"
    rows = np.flatnonzero(~especial_all) if el.tipo_acta_especial is None else np.arange(len(t.cas_sec))
    n = len(rows)
    sec = t.cas_sec[rows]
    esp = especial_all[rows]
    cont = contest_index(t, el)[sec] if n else np.zeros(0, np.int64)
    cols = el.columnas
    k = len(cols)
    colidx = {c: j for j, c in enumerate(cols)}
    contests = list(el.contiendas.values())
    applies = np.zeros((len(contests), k), bool)
    for j, ct in enumerate(contests):
        applies[j, [colidx[c] for c in ct.columnas]] = True
    arow = applies[cont]

    party_cols = np.array([j for j, c in enumerate(cols) if c in parties], np.int64)
    party_cat = np.array([parties.index(cols[j]) for j in party_cols], np.int64)
    ind_cols = np.array([j for j, c in enumerate(cols) if c.startswith("CAND_IND_")], np.int64)
    nr, nul = colidx[NO_REGISTRADOS], colidx[NULOS]
    combo_members, combo_w, blocks = _coalition_structure(el, colidx)

    # ---- ballots
    tilt = np.ones(len(party_cols))
    for p, m in es.tilt:
        if p in cols:
            tilt[list(party_cols).index(colidx[p])] *= m
    effect = np.exp(rng.normal(0.0, es.candidate_effect, (len(contests), len(party_cols))))
    share = _normalize(sec_prof[sec][:, party_cat] * tilt * effect[cont])
    w = np.zeros((n, k))
    w[:, party_cols] = share
    pos_in_party = {int(c): i for i, c in enumerate(party_cols)}
    for j, members in combo_members.items():
        idx = [pos_in_party[colidx[p]] for p in members]
        w[:, j] = spec.combo_share * combo_w[cont, j] * share[:, idx].sum(axis=1)
    if len(ind_cols):
        ind_share = rng.uniform(0.01, 0.09, (len(contests), len(ind_cols)))
        w[:, ind_cols] = ind_share[cont]
    w[:, nr] = spec.no_registrados
    w[:, nul] = nulos_share[rows]
    w = _normalize(w * arow)
    v = voters[rows]
    v = np.where(esp, rng.binomial(v, es.especial_factor), v)
    r = reps[rows]
    votes = rng.multinomial(v + r, w) if n else np.zeros((0, k), np.int64)
    votes = votes.astype(np.int64)
    votes[~arow] = rules.NO_APLICA
    personas, sacados = v.copy(), v + r
    sobrantes = np.maximum(recibidas[rows] - sacados, 0)
    asentado = np.where(votes > 0, votes, 0).sum(axis=1)
    representantes = r.copy()

    # ---- what happens to each acta
    never = never_cas[rows] | (rng.random(n) < rates.never_acta)
    edges = np.cumsum([getattr(rates, c) for c in _CATS])
    cat = np.searchsorted(edges, rng.random(n), side="right")
    kind = _CAT_KIND[cat]

    # small disagreements between the acta's own totals
    readable = cat >= 4

    def nudge(values, p):
        hit = readable & (rng.random(n) < p)
        delta = rng.choice(np.array([-3, -2, -1, 1, 2, 3]), n)
        return np.where(hit, np.maximum(values + delta, 0), values)

    sacados = nudge(sacados, rates.off_sacados)
    personas = nudge(personas, rates.off_personas)
    asentado = nudge(asentado, rates.off_asentado)

    # excede lista nominal: the leading party's count written far too high
    ex = np.flatnonzero(cat == 4)
    if len(ex):
        limit = np.where(esp[ex], t.cas_boletas[rows[ex]], t.cas_ln[rows[ex]]) + r[ex]
        # over the limit even without NULOS (rules.classify leaves them out of this test by default)
        total = np.where(votes[ex] > 0, votes[ex], 0).sum(axis=1) - np.maximum(votes[ex, nul], 0)
        top = party_cols[np.argmax(votes[ex][:, party_cols], axis=1)]
        votes[ex, top] += limit - total + rng.integers(1, 300, len(ex))
        asentado[ex] = np.where(votes[ex] > 0, votes[ex], 0).sum(axis=1)

    # NULOS copying the leftover ballots (seen in the real Quintana Roo file); not an excede under the rules
    ns = np.flatnonzero((cat == NORMAL) & (rng.random(n) < rates.nulos_sobrantes))
    if len(ns):
        votes[ns, nul] = sobrantes[ns]
        asentado[ns] = np.where(votes[ns] > 0, votes[ns], 0).sum(axis=1)

    counts = np.stack([sobrantes, personas, r.copy(), sacados], axis=1).astype(np.int64)

    # algún dato ilegible o sin dato: mostly a coalition's combination boxes left blank
    al = np.flatnonzero(cat == 5)
    if len(al):
        m = len(al)
        max_nb = max((len(b) for b in blocks), default=0)
        blank = np.zeros((m, k), bool)
        if max_nb:
            bmask = np.zeros((len(contests), max_nb, k), bool)
            nb = np.zeros(len(contests), np.int64)
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
        votes[al] = np.where(blank, code, votes[al])
        cblank = rng.random((m, 4)) < 0.04
        counts[al] = np.where(cblank, rules.SIN_DATO, counts[al])
        asentado[al] = np.where(rng.random(m) < 0.2, rules.SIN_DATO, asentado[al])

    # todos ilegibles o sin dato: nothing readable
    td = np.flatnonzero(cat == 3)
    if len(td):
        code = np.where(rng.random((len(td), k)) < 0.1, rules.ILEGIBLE, rules.SIN_DATO)
        votes[td] = np.where(arow[td], code, rules.NO_APLICA)
        counts[td] = 0
        asentado[td] = 0
        representantes[td] = 0

    # sin acta: the capture system registers the paquete with zeros
    sa = np.flatnonzero(cat <= 2)
    sin_acta = np.full(n, "", dtype=object)
    if len(sa):
        votes[sa] = np.where(arow[sa], 0, rules.NO_APLICA)
        counts[sa] = 0
        asentado[sa] = 0
        representantes[sa] = 0
        sin_acta[sa] = np.array([_REASON[int(c)] for c in cat[sa]], dtype=object)
    is_sin = cat <= 2

    # ---- times
    from_movil = movil[rows] & ~is_sin
    hours = np.where(from_movil, t_movil[rows], t_catd[rows])
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

    origen = np.where(from_movil, "CASILLA", "CATD").astype(object)
    digital = np.where(from_movil, "MOVIL", "ESCANER").astype(object)
    mecanismo = MECANISMOS[rng.choice(3, n, p=MECANISMO_P)]
    tipo_doc = np.where(is_sin, "", DOCUMENTOS[rng.choice(3, n, p=DOCUMENTO_P)]).astype(object)

    # ---- identification, including the typos that fall outside the catalog
    entidad = t.cas_ent[rows].copy()
    seccion = t.sec_num[sec].copy()
    tipo = t.cas_tipo[rows].copy()
    numero = t.cas_numero[rows].copy()
    ext = t.cas_ext[rows].copy()
    tipo_acta = np.where(esp, el.tipo_acta_especial or el.tipo_acta, el.tipo_acta).astype(np.int64)
    casilla_idx = rows.copy()
    fu = np.flatnonzero((cat == 6) & ~never)
    taken: set[tuple] = set()
    for i in fu.tolist():
        nc = int(t.sec_contiguas[sec[i]])
        bump = int(rng.integers(1, 4))
        while (int(entidad[i]), int(seccion[i]), nc + bump) in taken:
            bump += 1
        taken.add((int(entidad[i]), int(seccion[i]), nc + bump))
        tipo[i], numero[i], ext[i], casilla_idx[i] = "C", nc + bump, 0, -1

    keep = np.flatnonzero(~never)
    tcode = np.searchsorted(np.array(["B", "C", "E", "M", "S"]), tipo[keep])
    order = keep[np.lexsort((ext[keep], numero[keep], tcode, seccion[keep], entidad[keep], verif[keep]))]

    sha = np.full(len(order), "", dtype=object)
    tag = f"pregon-simulate|{spec.proceso_id}|{seed}|"
    for out_i, (i, e, s, tp, nm, x, ta) in enumerate(zip(
            order.tolist(), entidad[order].tolist(), seccion[order].tolist(), tipo[order].tolist(),
            numero[order].tolist(), ext[order].tolist(), tipo_acta[order].tolist())):
        if not is_sin[i]:
            sha[out_i] = hashlib.sha256(f"{tag}{e:02d}{s:04d}{tp}{nm:02d}{x:02d}{ta:02d}".encode()).hexdigest()

    return Feed(
        eleccion=el, entidad=entidad[order], seccion=seccion[order], tipo_casilla=tipo[order],
        id_casilla=numero[order], ext_contigua=ext[order], tipo_acta=tipo_acta[order], counts=counts[order],
        votes=votes[order], total_asentado=asentado[order], representantes=representantes[order],
        sin_acta=sin_acta[order], mecanismo=mecanismo[order], sha=sha, acopio=acopio[order],
        captura=captura[order], verificacion=verif[order], origen=origen[order], digitalizacion=digital[order],
        tipo_documento=tipo_doc[order], casilla_idx=casilla_idx[order], kind=kind[order],
        expected=n, never_arrived=int(never.sum()) + len(fu),
    )
