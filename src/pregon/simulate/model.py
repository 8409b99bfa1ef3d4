"""What `generate` returns: the catalog, one feed per election (column arrays in feed order) and the timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from ..election.catalog import Catalog, Eleccion
from .spec import Preset


@dataclass
class Feed:
    """The rows of `actas/<CLAVE>.csv`, column-wise, sorted by verification time (ties by casilla key).

    Vote fields and counts use the codes of `election.rules` (NO_APLICA, SIN_DATO, ILEGIBLE); times are epoch
    seconds, `timefmt.NO_TIME` when blank. `kind` is what the simulator meant each acta to be (an
    `rules.Observacion` code), for tests that check the rules agree.
    """

    eleccion: Eleccion
    entidad: np.ndarray
    seccion: np.ndarray
    tipo_casilla: np.ndarray
    id_casilla: np.ndarray
    ext_contigua: np.ndarray
    tipo_acta: np.ndarray
    counts: np.ndarray  # (n, 4) feed COUNTS order
    votes: np.ndarray  # (n, k) eleccion.columnas order
    total_asentado: np.ndarray
    representantes: np.ndarray
    sin_acta: np.ndarray  # object: "" or the reason
    mecanismo: np.ndarray
    sha: np.ndarray
    acopio: np.ndarray
    captura: np.ndarray
    verificacion: np.ndarray
    origen: np.ndarray
    digitalizacion: np.ndarray
    tipo_documento: np.ndarray
    casilla_idx: np.ndarray  # index into catalog.casillas; -1 for fuera de catálogo
    kind: np.ndarray  # intended rules.Observacion code
    expected: int = 0  # actas the catalog expects for this election
    never_arrived: int = 0  # expected actas with no row in the feed (never captured, or replaced by a typo)

    def __len__(self) -> int:
        return int(self.entidad.shape[0])


@dataclass
class Simulation:
    preset: Preset
    seed: int
    scale: float
    catalog: Catalog
    feeds: dict[str, Feed]
    cierre: datetime  # casillas close (18:00 local)
    inicio: datetime  # publication starts (20:00 local)
    fin: datetime  # publication is expected to end
    stats: dict = field(default_factory=dict)

    @property
    def n_actas(self) -> int:
        return sum(len(f) for f in self.feeds.values())
