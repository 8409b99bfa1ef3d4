"""What a synthetic election is made of: the knobs a preset sets and a test may shrink.

A `Preset` describes the process (institute, day, timezone), the entities with their size and geography, the
parties with a vote profile, the elections with their coalitions, and the night: arrival curve and anomaly rates.
`presets.generate` turns one into a catalog plus an actas feed per election. Everything here is plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class EntitySpec:
    id: int  # INE entity id (17 Morelos, 15 México…)
    nombre: str
    casillas: int  # target number of casillas at scale 1 (especiales included)
    municipios: tuple[str, ...]
    municipio_weights: tuple[float, ...]  # relative population, one per municipio
    distritos_locales: int
    distritos_federales: int
    seccion_ln_median: float = 1150.0  # median lista nominal of a sección
    arrival_shift_h: float = 0.0  # hours later than the centre (UTC-7 entities close their casillas later)
    party_tilt: tuple[tuple[str, float], ...] = ()  # regional strength multipliers (MC in Jalisco…)

    def __post_init__(self):
        if len(self.municipio_weights) != len(self.municipios):
            raise ValueError(f"entity {self.id}: one weight per municipio")
        if not self.municipios:
            raise ValueError(f"entity {self.id}: at least one municipio")
        if not (1 <= self.id <= 99):
            raise ValueError(f"entity id {self.id} must be 1..99")


@dataclass(frozen=True)
class CoalitionSpec:
    nombre: str
    partidos: tuple[str, ...]
    coverage: float = 1.0  # share of the election's contests where it runs (1.0: everywhere)
    # Where the full coalition does not run, one of these sub-coalitions may (each municipio its own deal).
    variants: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class ElectionSpec:
    clave: str
    nombre: str
    ambito: str
    tipo_acta: int
    tipo_acta_especial: int | None
    partidos: tuple[str, ...]
    coaliciones: tuple[CoalitionSpec, ...] = ()
    independientes: float = 0.0  # expected independents per contest (Poisson, at most 3)
    candidate_effect: float = 0.12  # sigma of the per-contest, per-party log multiplier
    especial_factor: float = 1.0  # share of a casilla especial's voters entitled to this ballot
    tilt: tuple[tuple[str, float], ...] = ()  # election-wide multipliers (a strong candidate…)


@dataclass(frozen=True)
class AnomalyRates:
    """Per expected acta. Calibrated on Quintana Roo 2019 (2,136 actas), see docs/counting.md."""

    never_casilla: float = 0.015  # the casilla's actas never reach the PREP
    never_acta: float = 0.008  # one acta never arrives
    no_entregado: float = 0.012  # SIN ACTA POR PAQUETE NO ENTREGADO
    sin_sobre: float = 0.023  # SIN ACTA POR PAQUETE ENTREGADO SIN SOBRE
    no_instalada: float = 0.0005  # SIN ACTA POR CASILLA NO INSTALADA
    todos_ilegibles: float = 0.014
    algun_ilegible: float = 0.216
    excede: float = 0.0015
    fuera_catalogo: float = 0.0006  # the acta arrives with an identification the catalog lacks
    nulos_sobrantes: float = 0.002  # NULOS field copies the leftover ballots (counted: the test leaves NULOS out)
    late: float = 0.015  # arrives in the long tail (remote casillas)
    ilegible_share: float = 0.06  # of the textual fields, how many say ILEGIBLE rather than SIN DATO
    off_sacados: float = 0.10  # TOTAL_VOTOS_SACADOS off by a few
    off_personas: float = 0.05
    off_asentado: float = 0.07


@dataclass(frozen=True)
class ArrivalSpec:
    """Hours after publication start (20:00). Log-logistic curves, per origin of the acta."""

    movil_share: float = 0.35  # actas photographed at the casilla (ORIGEN CASILLA, DIGITALIZACION MOVIL)
    movil_median_h: float = 1.5
    movil_shape: float = 2.6
    catd_delay_h: float = 0.4
    catd_median_h: float = 4.3
    catd_shape: float = 2.4
    rural_factor: float = 1.3  # no urbanas arrive this much later
    district_sigma: float = 0.25  # CATD speed varies per distrito
    window_h: float = 24.0  # publication lasts this long; nothing arrives after


@dataclass(frozen=True)
class Preset:
    name: str
    proceso_id: str
    proceso_nombre: str
    instituto: str
    entidades: tuple[EntitySpec, ...]
    partidos: tuple[tuple[str, str, str], ...]  # (siglas, nombre, color)
    profile: tuple[tuple[str, float], ...]  # vote share of each party in the whole territory
    elecciones: tuple[ElectionSpec, ...]
    fecha: date = date(2024, 6, 2)
    timezone: str = "America/Mexico_City"
    cadence_min: int = 15
    especiales_per_distrito: float = 2.0
    especiales_by: str = "distrito_local"  # or distrito_federal
    boletas_especial: int = 750
    participation: tuple[float, float] = (0.50, 0.65)  # range of the municipal mean
    nulos: float = 0.025
    no_registrados: float = 0.0008
    combo_share: float = 0.04  # of a coalition's voters, how many mark several of its logos
    rates: AnomalyRates = field(default_factory=AnomalyRates)
    arrival: ArrivalSpec = field(default_factory=ArrivalSpec)
    extraordinaria_rate: float = 0.12  # of no-urbana secciones that get casillas extraordinarias
    geo_salt: int = 0  # the geography depends on the preset (and scale), never on the night's seed

    def __post_init__(self):
        siglas = [p[0] for p in self.partidos]
        for el in self.elecciones:
            for p in el.partidos:
                if p not in siglas:
                    raise ValueError(f"election {el.clave}: party {p} not declared")
            seen: set[str] = set()
            for c in el.coaliciones:
                if set(c.partidos) & seen:
                    raise ValueError(f"election {el.clave}: a party is in two coalitions")
                seen |= set(c.partidos)
                if any(p not in el.partidos for p in c.partidos):
                    raise ValueError(f"election {el.clave}: coalition {c.nombre} has a party not on the ballot")
                for _, vp in c.variants:
                    if not set(vp) <= set(c.partidos) or len(vp) < 2:
                        raise ValueError(f"election {el.clave}: variant of {c.nombre} must be 2+ of its parties")
        need = {"distrito_local": "distritos_locales", "distrito_federal": "distritos_federales"}
        for el in self.elecciones:
            field_name = need.get(el.ambito)
            for ent in self.entidades:
                if field_name and getattr(ent, field_name) < 1:
                    raise ValueError(f"election {el.clave} is by {el.ambito}: entity {ent.id} needs {field_name}")
        if self.especiales_by not in ("distrito_local", "distrito_federal"):
            raise ValueError("especiales_by must be distrito_local or distrito_federal")
