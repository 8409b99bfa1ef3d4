"""The catalog side of a simulation: geography, casillas, parties, elections with coalitions and independents.

Seeded by the preset (and scale) only, so every night simulated on a preset shares one catalog, as drills
on the real catalog do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..election.catalog import (Casilla, Catalog, Eleccion, Entidad, Partido, Proceso, Seccion, build_eleccion,
                                contest_key, contests_for)
from .geography import build_entity
from .names import person
from .spec import ElectionSpec, Preset

# The synthetic elections' institutes: the full name, and a colour for the site's header (a drill's choice, not
# the institute's official palette; a real catalog states its own in [proceso] color and emblema).
IDENTIDAD = {
    "IMPEPAC": ("Instituto Morelense de Procesos Electorales y Participación Ciudadana", "#5b2c6f"),
    "IEEM": ("Instituto Electoral del Estado de México", "#7b1f3a"),
    "INE": ("Instituto Nacional Electoral", "#b0006d"),
    "IEM": ("Instituto Electoral de Michoacán", "#1f5c99"),
    "IEPC Durango": ("Instituto Electoral y de Participación Ciudadana del Estado de Durango", "#2e6b30"),
    "IEPC Chiapas": ("Instituto de Elecciones y Participación Ciudadana de Chiapas", "#00607a"),
}


@dataclass
class Territory:
    catalog: Catalog
    # secciones, over all entities, in catalog order
    sec_ent: np.ndarray
    sec_num: np.ndarray
    sec_mun: np.ndarray
    sec_dl: np.ndarray
    sec_df: np.ndarray
    sec_ubic: np.ndarray
    sec_ln: np.ndarray
    # casillas, in catalog order (catalog.casillas[i] is row i)
    cas_ent: np.ndarray
    cas_sec: np.ndarray  # index into the sección arrays
    cas_tipo: np.ndarray
    cas_numero: np.ndarray
    cas_ext: np.ndarray
    cas_ubic: np.ndarray
    cas_ln: np.ndarray
    cas_boletas: np.ndarray
    sec_contiguas: np.ndarray  # how many C casillas each sección has (for fuera-de-catálogo typos)
    arrival_shift_h: np.ndarray  # per casilla


def _scale_key(scale: float) -> int:
    return int(round(scale * 1_000_000))


def build_territory(spec: Preset, scale: float) -> Territory:
    ambitos = {e.ambito for e in spec.elecciones}
    geos = []
    for ent in spec.entidades:
        rng = np.random.Generator(np.random.PCG64([spec.geo_salt, 0x6E0, ent.id, _scale_key(scale)]))
        need = max(ent.distritos_locales, ent.distritos_federales,
                   len(ent.municipios) if "municipio" in ambitos else 1)
        geos.append(build_entity(
            ent, max(1, int(round(ent.casillas * scale))), rng, min_secciones=need,
            extraordinaria_rate=spec.extraordinaria_rate, especiales_per_distrito=spec.especiales_per_distrito,
            especiales_by=spec.especiales_by, boletas_especial=spec.boletas_especial,
        ))

    offsets = np.cumsum([0] + [len(g.sec_numero) for g in geos])
    cat = lambda name: np.concatenate([getattr(g, name) for g in geos])  # noqa: E731
    sec_ent = np.concatenate([np.full(len(g.sec_numero), g.spec.id, np.int64) for g in geos])
    cas_ent = np.concatenate([np.full(len(g.cas_sec), g.spec.id, np.int64) for g in geos])
    cas_sec = np.concatenate([g.cas_sec + off for g, off in zip(geos, offsets)])
    shift = np.concatenate([np.full(len(g.cas_sec), g.spec.arrival_shift_h) for g in geos])
    t = Territory(
        catalog=None,  # type: ignore[arg-type]
        sec_ent=sec_ent, sec_num=cat("sec_numero"), sec_mun=cat("sec_municipio"), sec_dl=cat("sec_dl"),
        sec_df=cat("sec_df"), sec_ubic=cat("sec_ubic"), sec_ln=cat("sec_ln"),
        cas_ent=cas_ent, cas_sec=cas_sec, cas_tipo=cat("cas_tipo"), cas_numero=cat("cas_numero"),
        cas_ext=cat("cas_ext"), cas_ubic=cat("cas_ubic"), cas_ln=cat("cas_ln"), cas_boletas=cat("cas_boletas"),
        sec_contiguas=np.zeros(0), arrival_shift_h=shift,
    )
    t.sec_contiguas = np.bincount(t.cas_sec[t.cas_tipo == "C"], minlength=len(t.sec_num))

    entidades = {g.spec.id: Entidad(g.spec.id, g.spec.nombre, g.distritos_locales, g.distritos_federales,
                                    g.municipios) for g in geos}
    secciones = {}
    for e, n, dl, df, m in zip(t.sec_ent.tolist(), t.sec_num.tolist(), t.sec_dl.tolist(), t.sec_df.tolist(),
                               t.sec_mun.tolist()):
        secciones[(e, n)] = Seccion(e, n, dl, df, m)
    casillas = [
        Casilla(e, s, tp, n, x, u, ln, b)
        for e, s, tp, n, x, u, ln, b in zip(
            t.cas_ent.tolist(), t.sec_num[t.cas_sec].tolist(), t.cas_tipo.tolist(), t.cas_numero.tolist(),
            t.cas_ext.tolist(), t.cas_ubic.tolist(), t.cas_ln.tolist(), t.cas_boletas.tolist())
    ]
    nombre, color = IDENTIDAD.get(spec.instituto, ("", ""))
    proceso = Proceso(spec.proceso_id, spec.proceso_nombre, spec.fecha, spec.timezone, spec.instituto,
                      instituto_nombre=nombre, color=color)
    partidos = {s: Partido(s, n, c) for s, n, c in spec.partidos}
    catalog = Catalog(proceso, entidades, partidos, secciones, casillas)
    for i, el in enumerate(spec.elecciones):
        rng = np.random.Generator(np.random.PCG64([spec.geo_salt, 0xE1EC, i, _scale_key(scale)]))
        catalog.elecciones[el.clave] = _build_election(el, entidades, rng)
    t.catalog = catalog
    return t


def _build_election(el: ElectionSpec, entidades: dict[int, Entidad], rng: np.random.Generator) -> Eleccion:
    contests = contests_for(el.ambito, entidades)
    keys = [contest_key(el.ambito, e, n) for e, n, _ in contests]
    running: dict[tuple[str, ...], tuple[str, list[str]]] = {}
    for coal in el.coaliciones:
        if coal.coverage >= 1.0:
            chosen = np.ones(len(keys), bool)
        else:
            chosen = rng.random(len(keys)) < coal.coverage
            if not chosen.any() and coal.coverage > 0:
                chosen[rng.integers(len(keys))] = True
        if chosen.any():
            running[tuple(coal.partidos)] = (coal.nombre, [k for k, c in zip(keys, chosen) if c])
        if coal.variants:
            pick = rng.integers(len(coal.variants), size=len(keys))
            local = rng.random(len(keys)) < 0.5
            for v, (vname, vparties) in enumerate(coal.variants):
                where = [k for k, c, p, loc in zip(keys, chosen, pick, local) if not c and loc and p == v]
                if where:
                    running.setdefault(tuple(vparties), (vname, []))[1].extend(where)
    coaliciones = [{"nombre": name, "partidos": list(parties),
                    "contiendas": None if len(where) == len(keys) else sorted(where, key=keys.index)}
                   for parties, (name, where) in running.items()]
    independientes = []
    for k in keys:
        for _ in range(min(3, int(rng.poisson(el.independientes)))):
            independientes.append({"contienda": k, "nombre": person(rng)})
    built = build_eleccion(el.clave, el.nombre, el.ambito, el.tipo_acta, el.tipo_acta_especial, list(el.partidos),
                           contests, coaliciones, independientes)
    # electionio.catalog_toml.dump_toml writes coalitions in their order of first appearance over the contests, and load
    # rebuilds the columns in that order: build in the same order so a saved catalog loads back identical.
    order: list[tuple[str, ...]] = []
    for ct in built.contiendas.values():
        for cand in ct.candidaturas:
            if cand.tipo == "coalicion" and cand.partidos not in order:
                order.append(cand.partidos)
    canonical = sorted(coaliciones, key=lambda c: order.index(tuple(c["partidos"])))
    if canonical != coaliciones:
        built = build_eleccion(el.clave, el.nombre, el.ambito, el.tipo_acta, el.tipo_acta_especial,
                               list(el.partidos), contests, canonical, independientes)
    return built


def contest_index(territory: Territory, eleccion: Eleccion) -> np.ndarray:
    """Index into list(eleccion.contiendas) of each sección's contest."""
    keys = {k: i for i, k in enumerate(eleccion.contiendas)}
    t = territory
    if eleccion.ambito == "nacional":
        return np.zeros(len(t.sec_num), np.int64)
    if eleccion.ambito == "entidad":
        return np.array([keys[str(e)] for e in t.sec_ent.tolist()], np.int64)
    num = {"distrito_local": t.sec_dl, "distrito_federal": t.sec_df, "municipio": t.sec_mun}[eleccion.ambito]
    return np.array([keys[f"{e}-{n}"] for e, n in zip(t.sec_ent.tolist(), num.tolist())], np.int64)
