"""A profile's drill defaults to a size two cores keep up with; --scale still chooses any size."""

from __future__ import annotations

import pytest

from pregon import perfiles
from pregon.simulacro.plan import DRILL_ACTAS, drill_scale
from pregon.simulate import presets


@pytest.mark.parametrize("name", perfiles.names())
def test_a_profile_drill_is_about_drill_actas_per_corte(name):
    p = perfiles.load(name)
    spec = presets.from_profile(p)
    actas = sum(e.casillas for e in spec.entidades) * len(spec.elecciones)
    s = drill_scale(p)
    assert 0 < s <= 1
    assert s == 1.0 if actas <= DRILL_ACTAS else abs(s * actas - DRILL_ACTAS) < 0.01 * DRILL_ACTAS


def test_the_estado_de_mexico_is_shrunk_and_morelos_is_not():
    assert drill_scale(perfiles.load("ieem-2021")) < 0.2
    assert drill_scale(perfiles.load("impepac-2021")) == 1.0
