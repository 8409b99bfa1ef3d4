"""Secciones and casillas of one entity, vectorised.

A sección's lista nominal is log-normal around the entity's median; it gets a casilla básica and as many
contiguas as it takes to keep each list at or under 750 electors (the list is split in equal parts).
Some no-urbana secciones also host casillas extraordinarias (E1, E2, with their own contiguas numbered
by ext_contigua). Secciones are numbered municipio by municipio, with a few gaps as in real cartography;
distritos are runs of consecutive secciones balanced by lista nominal, named after the municipio that holds
most of their electors (their cabecera). Casillas especiales (no lista nominal, a fixed number of ballots) sit
in urban secciones, a few per distrito.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .spec import EntitySpec

MAX_LN = 750  # electors per casilla
MIN_SECCION_LN = 60
MAX_SECCION_LN = 4800


@dataclass
class EntityGeo:
    spec: EntitySpec
    municipios: tuple[str, ...]
    distritos_locales: tuple[str, ...]
    distritos_federales: tuple[str, ...]
    # secciones (length S)
    sec_numero: np.ndarray
    sec_municipio: np.ndarray  # 1-based
    sec_dl: np.ndarray
    sec_df: np.ndarray
    sec_ubic: np.ndarray  # 1 urbana, 2 no urbana
    sec_ln: np.ndarray
    # casillas (length C), sorted as the catalog sorts them
    cas_sec: np.ndarray  # index into the sección arrays
    cas_tipo: np.ndarray  # '<U1'
    cas_numero: np.ndarray
    cas_ext: np.ndarray
    cas_ubic: np.ndarray
    cas_ln: np.ndarray
    cas_boletas: np.ndarray


def _split(total: np.ndarray, parts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Repeat-index and the equal split of `total[i]` into `parts[i]` lists (first ones get the remainder)."""
    idx = np.repeat(np.arange(len(total)), parts)
    starts = np.cumsum(parts) - parts
    j = np.arange(len(idx)) - np.repeat(starts, parts)
    base = total[idx] // parts[idx]
    return idx, j, base + (j < total[idx] % parts[idx])


def _allocate(n: int, weights: np.ndarray) -> np.ndarray:
    """Split n items over len(weights) bins by largest remainder, at least one each when n allows."""
    m = len(weights)
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    floor_min = 1 if n >= m else 0
    rest = n - floor_min * m
    exact = w * rest
    counts = np.floor(exact).astype(np.int64)
    short = rest - counts.sum()
    if short > 0:
        order = np.argsort(-(exact - counts), kind="stable")
        counts[order[:short]] += 1
    return counts + floor_min


def _chunks(ln: np.ndarray, n_chunks: int) -> np.ndarray:
    """1-based chunk of each element: consecutive runs of balanced total, each run non-empty."""
    n = len(ln)
    cum = np.cumsum(ln)
    targets = cum[-1] * np.arange(1, n_chunks) / n_chunks
    bounds = np.searchsorted(cum, targets, side="left") + 1  # first element of chunk i+1
    prev = 0
    for i in range(len(bounds)):
        bounds[i] = min(max(bounds[i], prev + 1), n - (n_chunks - 1 - i))
        prev = bounds[i]
    return np.searchsorted(bounds, np.arange(n), side="right") + 1


def _names_by_cabecera(district: np.ndarray, municipio: np.ndarray, ln: np.ndarray, n: int,
                       municipios: tuple[str, ...]) -> tuple[str, ...]:
    m = len(municipios)
    weight = np.bincount((district - 1) * m + (municipio - 1), weights=ln, minlength=n * m).reshape(n, m)
    return tuple(municipios[int(k)] for k in weight.argmax(axis=1))


def build_entity(spec: EntitySpec, target: int, rng: np.random.Generator, *, min_secciones: int,
                 extraordinaria_rate: float, especiales_per_distrito: float, especiales_by: str,
                 boletas_especial: int) -> EntityGeo:
    """The entity's secciones and casillas, about `target` casillas in all. Each step draws from `rng` in
    turn, so the same spec and generator give the same geography."""
    n_dist_esp = spec.distritos_locales if especiales_by == "distrito_local" else spec.distritos_federales
    esp_expected = int(round(n_dist_esp * max(especiales_per_distrito, 0.0)))
    ln = _seccion_lists(spec, max(1, target - esp_expected), min_secciones, rng)
    sec_mun, sec_num = _municipios_and_numbers(spec, len(ln), rng)
    sec_ubic = _urbana(spec, sec_mun, rng)
    n_sec = len(ln)
    sec_dl = _chunks(ln, spec.distritos_locales) if spec.distritos_locales else np.zeros(n_sec, np.int64)
    sec_df = _chunks(ln, spec.distritos_federales) if spec.distritos_federales else np.zeros(n_sec, np.int64)
    parts = _ordinary_casillas(ln, sec_ubic, extraordinaria_rate, rng)
    dist = sec_dl if especiales_by == "distrito_local" else sec_df
    parts.append(_especiales(dist, sec_ubic, ln, n_dist_esp, especiales_per_distrito, rng))
    cas = _sorted_casillas(parts, sec_ubic, boletas_especial)

    dl_names = (_names_by_cabecera(sec_dl, sec_mun, ln, spec.distritos_locales, spec.municipios)
                if spec.distritos_locales else ())
    df_names = (_names_by_cabecera(sec_df, sec_mun, ln, spec.distritos_federales, spec.municipios)
                if spec.distritos_federales else ())
    return EntityGeo(
        spec=spec, municipios=spec.municipios, distritos_locales=dl_names, distritos_federales=df_names,
        sec_numero=sec_num.astype(np.int64), sec_municipio=sec_mun.astype(np.int64), sec_dl=sec_dl.astype(np.int64),
        sec_df=sec_df.astype(np.int64), sec_ubic=sec_ubic, sec_ln=ln, **cas,
    )


def _seccion_lists(spec: EntitySpec, target_regular: int, min_secciones: int, rng: np.random.Generator) -> np.ndarray:
    """Each sección's lista nominal: draw lists until the casillas they need reach the target."""
    batch = int(target_regular / 2.0) + 64
    ln = np.zeros(0, dtype=np.int64)
    while True:
        more = rng.lognormal(np.log(spec.seccion_ln_median), 0.6, batch)
        ln = np.concatenate([ln, np.clip(more, MIN_SECCION_LN, MAX_SECCION_LN).astype(np.int64)])
        need = np.cumsum(-(-ln // MAX_LN))
        if need[-1] >= target_regular * 0.995:
            break
    n_sec = int(np.searchsorted(need, target_regular * 0.995)) + 1  # extraordinarias add ~0.5%
    n_sec = max(n_sec, min_secciones, 1)
    if n_sec > len(ln):
        extra = rng.lognormal(np.log(spec.seccion_ln_median), 0.6, n_sec - len(ln))
        ln = np.concatenate([ln, np.clip(extra, MIN_SECCION_LN, MAX_SECCION_LN).astype(np.int64)])
    return ln[:n_sec]


def _municipios_and_numbers(spec: EntitySpec, n_sec: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Municipios, in INEGI order, each a run of consecutive secciones; numbering with a few gaps."""
    per_mun = _allocate(n_sec, np.asarray(spec.municipio_weights))
    sec_mun = np.repeat(np.arange(1, len(spec.municipios) + 1), per_mun)
    gaps = np.where(rng.random(n_sec) < 0.03, rng.integers(1, 4, n_sec), 0)
    sec_num = np.cumsum(1 + gaps)
    if sec_num[-1] > 9999:
        sec_num = np.arange(1, n_sec + 1)
    if sec_num[-1] > 9999:
        raise ValueError(f"entity {spec.id}: {n_sec} secciones do not fit 4 digits; lower the scale")
    return sec_mun, sec_num


def _urbana(spec: EntitySpec, sec_mun: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Urbana (1) / no urbana (2): big municipios are mostly urban."""
    logw = np.log(np.asarray(spec.municipio_weights, dtype=float))
    span = max(logw.max() - logw.min(), 1e-9)
    urban_p = 0.30 + 0.65 * (logw - logw.min()) / span
    return np.where(rng.random(len(sec_mun)) < urban_p[sec_mun - 1], 1, 2).astype(np.int64)


def _ordinary_casillas(ln: np.ndarray, sec_ubic: np.ndarray, extraordinaria_rate: float,
                       rng: np.random.Generator) -> list[tuple]:
    """Básica and contiguas of every sección, and the extraordinarias (part of a rural sección's list, in one
    or two remote localities) with their contiguas: (sección index, tipo, número, ext_contigua, list) runs."""
    n_sec = len(ln)
    has_e = (sec_ubic == 2) & (rng.random(n_sec) < extraordinaria_rate)
    share = rng.uniform(0.2, 0.6, n_sec)
    ln_e = np.where(has_e, np.round(ln * share).astype(np.int64), 0)
    ok = (ln_e >= 60) & (ln - ln_e >= 60)
    ln_e = np.where(ok, ln_e, 0)
    two = (ln_e >= 240) & (rng.random(n_sec) < 0.15)
    ln_e2 = np.where(two, ln_e // 2, 0)
    ln_e1 = ln_e - ln_e2
    ln_main = ln - ln_e

    parts: list[tuple] = []
    c_main = np.maximum(1, -(-ln_main // MAX_LN))
    idx, j, lst = _split(ln_main, c_main)
    parts.append((idx, np.where(j == 0, "B", "C"), np.where(j == 0, 1, j), np.zeros_like(j), lst))
    for number, ln_ei in ((1, ln_e1), (2, ln_e2)):
        c_e = -(-ln_ei // MAX_LN)
        sel = np.flatnonzero(c_e > 0)
        idx, j, lst = _split(ln_ei[sel], c_e[sel])
        parts.append((sel[idx], np.full(len(idx), "E"), np.full(len(idx), number), j, lst))
    return parts


def _especiales(dist: np.ndarray, sec_ubic: np.ndarray, ln: np.ndarray, n_dist: int, per_distrito: float,
                rng: np.random.Generator) -> tuple:
    """Casillas especiales: a few per distrito, in urban secciones weighted by their list, numbered within
    their sección."""
    esp_sec: list[int] = []
    for d in range(1, n_dist + 1):
        k = rng.poisson(per_distrito)
        if per_distrito >= 1:
            k = max(1, k)
        if k == 0:
            continue
        cand = np.flatnonzero((dist == d) & (sec_ubic == 1))
        if len(cand) == 0:
            cand = np.flatnonzero(dist == d)
        if len(cand) == 0:
            continue
        w = ln[cand] / ln[cand].sum()
        esp_sec.extend(int(s) for s in rng.choice(cand, size=k, p=w))
    esp_sec_arr = np.sort(np.asarray(esp_sec, dtype=np.int64))
    if len(esp_sec_arr):
        first = np.r_[True, esp_sec_arr[1:] != esp_sec_arr[:-1]]
        run_start = np.maximum.accumulate(np.where(first, np.arange(len(esp_sec_arr)), 0))
        esp_num = np.arange(len(esp_sec_arr)) - run_start + 1
    else:
        esp_num = np.zeros(0, np.int64)
    return (esp_sec_arr, np.full(len(esp_sec_arr), "S"), esp_num, np.zeros(len(esp_sec_arr), np.int64),
            np.zeros(len(esp_sec_arr), np.int64))


def _sorted_casillas(parts: list[tuple], sec_ubic: np.ndarray, boletas_especial: int) -> dict[str, np.ndarray]:
    """The casilla arrays of EntityGeo, sorted as the catalog sorts them."""
    cas_sec = np.concatenate([p[0] for p in parts]).astype(np.int64)
    cas_tipo = np.concatenate([p[1] for p in parts]).astype("<U1")
    cas_numero = np.concatenate([p[2] for p in parts]).astype(np.int64)
    cas_ext = np.concatenate([p[3] for p in parts]).astype(np.int64)
    cas_ln = np.concatenate([p[4] for p in parts]).astype(np.int64)
    tipo_code = np.searchsorted(np.array(["B", "C", "E", "M", "S"]), cas_tipo)
    order = np.lexsort((cas_ext, cas_numero, tipo_code, cas_sec))
    cas_sec, cas_tipo, cas_numero, cas_ext, cas_ln = (a[order] for a in (cas_sec, cas_tipo, cas_numero, cas_ext,
                                                                         cas_ln))
    cas_ubic = np.where(cas_tipo == "E", 2, np.where(cas_tipo == "S", 1, sec_ubic[cas_sec]))
    cas_boletas = np.where(cas_tipo == "S", boletas_especial, 0).astype(np.int64)
    return {"cas_sec": cas_sec, "cas_tipo": cas_tipo, "cas_numero": cas_numero, "cas_ext": cas_ext,
            "cas_ubic": cas_ubic.astype(np.int64), "cas_ln": cas_ln, "cas_boletas": cas_boletas}
