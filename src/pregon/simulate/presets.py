"""The presets (Morelos, Estado de México, the federal election; Michoacán, Durango and Chiapas for the
institutes' profiles) and `generate`, the entry point. A profile id (pregon.perfiles) is a preset too: its
simulation preset, cut to the profile's elections, dated and timed as its call.

    sim = generate("morelos", seed=1)            # a Simulation: catalog + one feed per election
    sim = generate("nacional", seed=7, scale=0.02)  # same shape, 2% of the casillas (tests)
    write(sim, "out/morelos")                    # catalog.toml, secciones.csv, casillas.csv, actas/, simulacion.toml

The catalog (geography, casillas, coalitions, independents) depends only on the preset and the scale; the
seed drives the night: votes, anomalies and arrival times. The same (preset, seed, scale) gives the same
bytes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np

from .names import (EDOMEX_MUNICIPIOS, ENTIDADES, KNOWN_MUNICIPIOS, MORELOS_MUNICIPIOS, PARTIDOS_NACIONALES,
                    plausible_municipios)
from .spec import AnomalyRates, ArrivalSpec, CoalitionSpec, ElectionSpec, EntitySpec, Preset

PRESET_NAMES = ("morelos", "edomex", "nacional", "michoacan", "durango", "chiapas")

FUERZA = "Fuerza y Corazón por México"
SIGAMOS = "Sigamos Haciendo Historia"


def _entity(eid: int, casillas: int, median: float = 1150.0) -> EntitySpec:
    row = next(r for r in ENTIDADES if r[0] == eid)
    _, nombre, _, dfed, dloc, n_mun, shift, tilt = row
    known = KNOWN_MUNICIPIOS.get(eid)
    if known:
        names = tuple(n for n, _ in known)
        weights = tuple(float(w) for _, w in known)
    else:
        rng = np.random.Generator(np.random.PCG64([0x6E61, eid]))
        names = plausible_municipios(n_mun, rng)
        w = rng.lognormal(0.0, 1.1, n_mun)
        w[rng.integers(n_mun)] *= 8.0  # the capital
        weights = tuple(float(x) for x in w)
    return EntitySpec(id=eid, nombre=nombre, casillas=casillas, municipios=names, municipio_weights=weights,
                      distritos_locales=dloc, distritos_federales=dfed, seccion_ln_median=median,
                      arrival_shift_h=shift, party_tilt=tilt)


def morelos() -> Preset:
    assert len(MORELOS_MUNICIPIOS) == 36
    partidos = PARTIDOS_NACIONALES + (
        ("NAM", "Nueva Alianza Morelos", "#00A5B5"),
        ("MAS", "Movimiento Alternativa Social", "#6C2D91"),
        ("RSP", "Redes Sociales Progresistas Morelos", "#B4236A"),
    )
    todos = tuple(p[0] for p in partidos)
    return Preset(
        name="morelos", proceso_id="MOR-2024", proceso_nombre="Proceso Electoral Local Ordinario 2023-2024",
        instituto="IMPEPAC", geo_salt=1701,
        entidades=(_entity(17, 2600, median=1400.0),),
        partidos=partidos,
        profile=(("MORENA", 0.33), ("PAN", 0.14), ("PRI", 0.08), ("PRD", 0.04), ("PVEM", 0.07), ("PT", 0.06),
                 ("MC", 0.11), ("NAM", 0.04), ("MAS", 0.03), ("RSP", 0.03)),
        elecciones=(
            ElectionSpec("GUB", "GUBERNATURA", "entidad", 1, 1, todos, coaliciones=(
                CoalitionSpec("Dignidad y Seguridad por Morelos Vamos Todos", ("PAN", "PRI", "PRD", "RSP")),
                CoalitionSpec("Sigamos Haciendo Historia en Morelos", ("PVEM", "PT", "MORENA", "NAM")),
            ), tilt=(("MORENA", 1.15),)),
            ElectionSpec("DIP_LOC", "DIPUTACIONES LOCALES", "distrito_local", 2, 3, todos, coaliciones=(
                CoalitionSpec("Fuerza y Corazón por Morelos", ("PAN", "PRI", "PRD"), coverage=0.75,
                              variants=(("Va por Morelos", ("PAN", "PRD")),)),
                CoalitionSpec("Sigamos Haciendo Historia en Morelos", ("PVEM", "PT", "MORENA"), coverage=0.85,
                              variants=(("Juntos Hacemos Historia en Morelos", ("PT", "MORENA")),)),
            ), independientes=0.15, especial_factor=0.8),
            ElectionSpec("AYUN", "AYUNTAMIENTOS", "municipio", 4, None, todos, coaliciones=(
                CoalitionSpec("Fuerza y Corazón por Morelos", ("PAN", "PRI", "PRD"), coverage=0.55,
                              variants=(("Va por Morelos", ("PAN", "PRD")), ("Unidos por Morelos", ("PRI", "PRD")))),
                CoalitionSpec("Sigamos Haciendo Historia en Morelos", ("PVEM", "PT", "MORENA"), coverage=0.6,
                              variants=(("Juntos Hacemos Historia en Morelos", ("PT", "MORENA")),
                                        ("Morena y Verde por Morelos", ("PVEM", "MORENA")))),
            ), independientes=0.35, candidate_effect=0.35),
        ),
        cadence_min=15, especiales_per_distrito=2.0, especiales_by="distrito_local",
    )


def edomex() -> Preset:
    assert len(EDOMEX_MUNICIPIOS) == 125
    partidos = PARTIDOS_NACIONALES + (("NAEM", "Nueva Alianza Estado de México", "#00A5B5"),)
    todos = tuple(p[0] for p in partidos)
    return Preset(
        name="edomex", proceso_id="MEX-2024", proceso_nombre="Proceso Electoral Local Ordinario 2024",
        instituto="IEEM", geo_salt=1501,
        entidades=(_entity(15, 20500, median=1700.0),),
        partidos=partidos,
        profile=(("MORENA", 0.40), ("PRI", 0.15), ("PAN", 0.13), ("PRD", 0.03), ("PVEM", 0.07), ("PT", 0.06),
                 ("MC", 0.10), ("NAEM", 0.02)),
        elecciones=(
            ElectionSpec("DIP_LOC", "DIPUTACIONES LOCALES", "distrito_local", 2, 3, todos, coaliciones=(
                CoalitionSpec("Fuerza y Corazón por el Estado de México", ("PAN", "PRI", "PRD")),
                CoalitionSpec("Sigamos Haciendo Historia en el Estado de México", ("PVEM", "PT", "MORENA"),
                              coverage=0.9, variants=(("Juntos Hacemos Historia", ("PT", "MORENA")),)),
            ), independientes=0.05, especial_factor=0.8),
            ElectionSpec("AYUN", "AYUNTAMIENTOS", "municipio", 4, None, todos, coaliciones=(
                CoalitionSpec("Fuerza y Corazón por el Estado de México", ("PAN", "PRI", "PRD"), coverage=0.8,
                              variants=(("Va por el Estado de México", ("PAN", "PRI")),)),
                CoalitionSpec("Sigamos Haciendo Historia en el Estado de México", ("PVEM", "PT", "MORENA"),
                              coverage=0.85, variants=(("Juntos Hacemos Historia", ("PT", "MORENA")),
                                                       ("Morena y Verde", ("PVEM", "MORENA")))),
            ), independientes=0.2, candidate_effect=0.3),
        ),
        cadence_min=20, especiales_per_distrito=3.0, especiales_by="distrito_local",
    )


def nacional() -> Preset:
    total_ln = sum(r[2] for r in ENTIDADES)
    medians = {15: 1700.0, 9: 1400.0, 17: 1400.0, 19: 1400.0, 14: 1300.0}
    entidades = tuple(_entity(r[0], int(round(170_000 * r[2] / total_ln)), medians.get(r[0], 1150.0))
                      for r in ENTIDADES)
    todos = tuple(p[0] for p in PARTIDOS_NACIONALES)
    fuerza, sigamos = ("PAN", "PRI", "PRD"), ("PVEM", "PT", "MORENA")
    return Preset(
        name="nacional", proceso_id="INE-2024", proceso_nombre="Proceso Electoral Federal 2023-2024",
        instituto="INE", geo_salt=100,
        entidades=entidades,
        partidos=PARTIDOS_NACIONALES,
        profile=(("MORENA", 0.42), ("PAN", 0.175), ("PRI", 0.11), ("PVEM", 0.085), ("PT", 0.056), ("MC", 0.11),
                 ("PRD", 0.025)),
        elecciones=(
            ElectionSpec("PRES", "PRESIDENCIA", "nacional", 1, 1, todos, coaliciones=(
                CoalitionSpec(FUERZA, fuerza), CoalitionSpec(SIGAMOS, sigamos),
            ), tilt=(("MORENA", 1.2), ("MC", 0.95)), candidate_effect=0.0),
            ElectionSpec("SEN", "SENADURIAS", "entidad", 2, 5, todos, coaliciones=(
                CoalitionSpec(FUERZA, fuerza), CoalitionSpec(SIGAMOS, sigamos),
            ), candidate_effect=0.1, especial_factor=0.85),
            ElectionSpec("DIP_FED", "DIPUTACIONES FEDERALES", "distrito_federal", 3, 6, todos, coaliciones=(
                CoalitionSpec(FUERZA, fuerza, coverage=0.83), CoalitionSpec(SIGAMOS, sigamos, coverage=0.85),
            ), independientes=0.03, candidate_effect=0.15, especial_factor=0.7),
        ),
        cadence_min=15, especiales_per_distrito=3.5, especiales_by="distrito_federal",
        arrival=ArrivalSpec(movil_share=0.45),
        rates=AnomalyRates(),
    )


def _state(name: str, eid: int, casillas: int, proceso_id: str, instituto: str, fecha: date, va: str, juntos: str,
           profile: tuple[tuple[str, float], ...], median: float = 1150.0) -> Preset:
    """A state's ordinary local election: gubernatura, diputaciones locales, ayuntamientos, national parties,
    the two coalitions of the years around 2021 (PAN-PRI-PRD and MORENA-PT-PVEM)."""
    todos = tuple(p[0] for p in PARTIDOS_NACIONALES)
    va_p, juntos_p = ("PAN", "PRI", "PRD"), ("PVEM", "PT", "MORENA")
    return Preset(
        name=name, proceso_id=proceso_id, proceso_nombre=f"Proceso Electoral Local Ordinario {proceso_id[-4:]}",
        instituto=instituto, geo_salt=1000 + eid, fecha=fecha,
        entidades=(_entity(eid, casillas, median=median),),
        partidos=PARTIDOS_NACIONALES, profile=profile,
        elecciones=(
            ElectionSpec("GUB", "GUBERNATURA", "entidad", 1, 1, todos, coaliciones=(
                CoalitionSpec(va, va_p), CoalitionSpec(juntos, juntos_p)), candidate_effect=0.0),
            ElectionSpec("DIP_LOC", "DIPUTACIONES LOCALES", "distrito_local", 2, 3, todos, coaliciones=(
                CoalitionSpec(va, va_p, coverage=0.8, variants=((va + " (PAN-PRI)", ("PAN", "PRI")),)),
                CoalitionSpec(juntos, juntos_p, coverage=0.85, variants=((juntos + " (PT-MORENA)", ("PT", "MORENA")),)),
            ), independientes=0.1, especial_factor=0.8),
            ElectionSpec("AYUN", "AYUNTAMIENTOS", "municipio", 4, None, todos, coaliciones=(
                CoalitionSpec(va, va_p, coverage=0.6), CoalitionSpec(juntos, juntos_p, coverage=0.6),
            ), independientes=0.3, candidate_effect=0.3),
        ),
        cadence_min=15, especiales_per_distrito=2.0, especiales_by="distrito_local",
    )


def michoacan() -> Preset:
    return _state("michoacan", 16, 6200, "MICH-2021", "IEM", date(2021, 6, 6), "Equipo por Michoacán",
                  "Juntos Hacemos Historia en Michoacán",
                  (("MORENA", 0.36), ("PAN", 0.15), ("PRI", 0.14), ("PRD", 0.10), ("PVEM", 0.06), ("PT", 0.05),
                   ("MC", 0.08)))


def durango() -> Preset:
    return _state("durango", 10, 2900, "DGO-2022", "IEPC Durango", date(2022, 6, 5), "Va por Durango",
                  "Juntos Hacemos Historia en Durango",
                  (("PRI", 0.26), ("MORENA", 0.30), ("PAN", 0.20), ("PRD", 0.03), ("PVEM", 0.06), ("PT", 0.07),
                   ("MC", 0.06)))


def chiapas() -> Preset:
    return _state("chiapas", 7, 7100, "CHIS-2024", "IEPC Chiapas", date(2024, 6, 2), "Fuerza y Corazón por Chiapas",
                  "Sigamos Haciendo Historia en Chiapas",
                  (("MORENA", 0.48), ("PVEM", 0.17), ("PT", 0.08), ("PAN", 0.07), ("PRI", 0.09), ("PRD", 0.03),
                   ("MC", 0.06)))


_PRESETS = {"morelos": morelos, "edomex": edomex, "nacional": nacional, "michoacan": michoacan,
            "durango": durango, "chiapas": chiapas}


def preset(name: str) -> Preset:
    """A preset by name, or a profile id (its simulation preset under the call's rules)."""
    if name in _PRESETS:
        return _PRESETS[name]()
    from .. import perfiles

    if name in perfiles.names():
        return from_profile(perfiles.load(name))
    raise ValueError(f"unknown preset {name!r}; use one of {', '.join(PRESET_NAMES + tuple(perfiles.names()))}")


def from_profile(profile) -> Preset:
    """The profile's simulation preset with the call's elections, election day, time zone, cadence,
    institute and process: a drill of that call rehearses the night its difusores will see."""
    base = _PRESETS[profile.simulation]()
    missing = [c for c in profile.elections if c not in {e.clave for e in base.elecciones}]
    if missing:
        raise ValueError(f"profile {profile.id}: preset {base.name} has no election {missing[0]}")
    return replace(base, name=profile.id, proceso_id=profile.proceso_id, proceso_nombre=profile.proceso,
                   instituto=profile.institute, fecha=profile.window.start.date(), timezone=profile.timezone,
                   cadence_min=int(profile.cadence.minutes),
                   elecciones=tuple(e for e in base.elecciones if e.clave in profile.elections))


def generate(preset_or_name: "str | Preset", seed: int = 0, scale: float = 1.0):
    """Build the catalog and the whole night's feeds. Pure: no files, no clock."""
    from .night import simulate_night
    from .territory import build_territory

    spec = preset(preset_or_name) if isinstance(preset_or_name, str) else preset_or_name
    if not scale > 0:
        raise ValueError("scale must be positive")
    if seed < 0:
        raise ValueError("seed must be a non-negative integer")
    territory = build_territory(spec, scale)
    return simulate_night(spec, territory, seed, scale)
