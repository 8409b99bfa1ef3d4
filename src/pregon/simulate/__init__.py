"""Synthetic elections at real sizes and their election night, pure and seeded.

    from pregon.simulate import generate, write
    sim = generate("morelos", seed=1)          # or "edomex", "nacional", or a spec.Preset; scale=0.02 shrinks it
    write(sim, "out/morelos")                  # catalog.toml, secciones.csv, casillas.csv, actas/<CLAVE>.csv,
                                               # simulacion.toml

The catalog depends on the preset and scale only; the seed drives votes, anomalies and arrival times. Same
inputs, same bytes.
"""

from .model import Feed, Simulation
from .output import write
from .presets import PRESET_NAMES, generate, preset

__all__ = ["Feed", "Simulation", "generate", "preset", "write", "PRESET_NAMES"]
