"""The three presets (Morelos, Estado de México, the federal election) and `generate`, the entry point.

    sim = generate("morelos", seed=1)            # a Simulation: catalog + one feed per election
    sim = generate("nacional", seed=7, scale=0.02)  # same shape, 2% of the casillas (tests)
    write(sim, "out/morelos")                    # catalog.toml, secciones.csv, casillas.csv, actas/, simulacion.toml

The catalog (geography, casillas, coalitions, independents) depends only on the preset and the scale; the
seed drives the night: votes, anomalies and arrival times. The same (preset, seed, scale) gives the same
bytes.
"""

from __future__ import annotations

import numpy as np

from .names import (EDOMEX_MUNICIPIOS, ENTIDADES, KNOWN_MUNICIPIOS, MORELOS_MUNICIPIOS, PARTIDOS_NACIONALES,
                    plausible_municipios)
from .spec import AnomalyRates, ArrivalSpec, CoalitionSpec, ElectionSpec, EntitySpec, Preset

PRESET_NAMES = ("morelos", "edomex", "nacional")

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


_PRESETS = {"morelos": morelos, "edomex": edomex, "nacional": nacional}


def preset(name: str) -> Preset:
    try:
        return _PRESETS[name]()
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; use one of {', '.join(PRESET_NAMES)}") from None


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
