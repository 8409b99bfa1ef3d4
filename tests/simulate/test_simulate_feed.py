"""The written directory: it loads with election/, it is byte-reproducible, and the night looks like a real one."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from pregon.election import rules
from pregon.election.timefmt import NO_TIME, zone
from pregon.electionio import catalog_dir
from pregon.electionio import feed as feed_io
from pregon.simulate import generate, write

Obs = rules.Observacion


def _digest(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def test_layout(morelos_dir):
    names = {str(p.relative_to(morelos_dir)) for p in morelos_dir.rglob("*") if p.is_file()}
    assert names == {"catalog.toml", "secciones.csv", "casillas.csv", "simulacion.toml", "actas/GUB.csv",
                     "actas/DIP_LOC.csv", "actas/AYUN.csv"}


def test_same_seed_same_bytes(tmp_path, morelos_dir):
    again = tmp_path / "again"
    write(generate("morelos", seed=3), again)
    assert _digest(again) == _digest(morelos_dir)
    other = tmp_path / "other"
    write(generate("morelos", seed=4), other)
    a, b = _digest(other), _digest(morelos_dir)
    assert a["catalog.toml"] == b["catalog.toml"] and a["casillas.csv"] == b["casillas.csv"]
    assert a["actas/GUB.csv"] != b["actas/GUB.csv"]


def test_catalog_round_trip(morelos_sim, morelos_loaded):
    cat, _ = morelos_loaded
    assert cat.proceso == morelos_sim.catalog.proceso
    assert cat.entidades == morelos_sim.catalog.entidades
    assert cat.partidos == morelos_sim.catalog.partidos
    assert cat.secciones == morelos_sim.catalog.secciones
    assert cat.casillas == morelos_sim.catalog.casillas
    for k, el in morelos_sim.catalog.elecciones.items():
        assert cat.elecciones[k] == el, k
    assert str(cat.proceso.fecha) == "2024-06-02" and cat.proceso.timezone == "America/Mexico_City"


def test_every_row_loads_and_rules_agree(morelos_sim, morelos_dir, morelos_loaded):
    cat, loaded = morelos_loaded
    for k, feed in morelos_sim.feeds.items():
        path = morelos_dir / "actas" / f"{k}.csv"
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        assert first.split(",") == feed_io.feed_header(cat.elecciones[k])
        s = loaded[k]
        assert len(s) == len(feed) == path.read_text(encoding="utf-8").count("\n") - 1
        assert np.array_equal(s.casilla_idx, feed.casilla_idx)
        # what the simulator meant each acta to be is what the PREP rules say it is
        assert np.array_equal(s.observacion, feed.kind), k
        assert np.array_equal(s.verificacion, feed.verificacion)


def test_same_bytes_as_write_feed(tmp_path, morelos_dir, morelos_loaded):
    cat, loaded = morelos_loaded
    for k, s in loaded.items():
        out = tmp_path / f"{k}.csv"
        feed_io.write_feed(s, out, zone(cat.proceso.timezone))
        assert out.read_bytes() == (morelos_dir / "actas" / f"{k}.csv").read_bytes(), k


def test_coalition_columns_dash_exactly_where_not_running(morelos_loaded):
    cat, loaded = morelos_loaded
    for k, s in loaded.items():
        el = cat.elecciones[k]
        contests = list(el.contiendas)
        applies = np.array([[c in el.contiendas[key].columnas for c in el.columnas] for key in contests])
        inside = s.casilla_idx >= 0
        pos = {key: i for i, key in enumerate(contests)}
        rows = applies[[pos[c] for c in s.contienda[inside]]]
        assert np.array_equal(s.votes[inside] == rules.NO_APLICA, ~rows), k
        assert (s.counts != rules.NO_APLICA).all()
    # and the partial coalitions really leave dashes somewhere
    dip = loaded["DIP_LOC"]
    col = cat.elecciones["DIP_LOC"].columnas.index("C_PAN_PRI_PRD")
    assert (dip.votes[:, col] == rules.NO_APLICA).any() and (dip.votes[:, col] >= 0).any()


def test_anomaly_rates(morelos_loaded):
    _, loaded = morelos_loaded
    obs = np.concatenate([s.observacion for s in loaded.values()])
    n = len(obs)
    rate = lambda o: (obs == o).sum() / n  # noqa: E731
    assert 0.69 <= rate(Obs.NINGUNA) <= 0.77  # Quintana Roo 2019: 73.5%
    assert 0.19 <= rate(Obs.ALGUN_ILEGIBLE) <= 0.245  # 21.6%
    assert 0.025 <= rate(Obs.SIN_ACTA) <= 0.05  # 3.5%
    assert 0.007 <= rate(Obs.TODOS_ILEGIBLES) <= 0.022  # 1.4%
    assert 0 < (obs == Obs.EXCEDE_LISTA).sum() and rate(Obs.EXCEDE_LISTA) < 0.006
    assert 0 < (obs == Obs.FUERA_CATALOGO).sum() and rate(Obs.FUERA_CATALOGO) < 0.004
    reasons = set(np.concatenate([s.sin_acta for s in loaded.values()]).tolist()) - {""}
    assert {"SIN ACTA POR PAQUETE NO ENTREGADO", "SIN ACTA POR PAQUETE ENTREGADO SIN SOBRE"} <= reasons
    assert reasons <= set(rules.SIN_ACTA_REASONS)


def test_algun_ilegible_mostly_in_coalition_columns(morelos_loaded):
    cat, loaded = morelos_loaded
    s = loaded["DIP_LOC"]
    cols = cat.elecciones["DIP_LOC"].columnas
    textual = (s.votes <= rules.SIN_DATO)[s.observacion == Obs.ALGUN_ILEGIBLE]
    per_col = textual.sum(axis=0)
    combos = [i for i, c in enumerate(cols) if c.startswith("C_")]
    parties = [i for i, c in enumerate(cols) if c in cat.partidos]
    assert per_col[combos].sum() > per_col[parties].sum()
    assert (s.votes == rules.ILEGIBLE).any() and (s.votes == rules.SIN_DATO).any()


def test_sin_acta_and_document_fields(morelos_loaded):
    _, loaded = morelos_loaded
    for s in loaded.values():
        sin = s.sin_acta != ""
        assert (s.votes[sin] <= 0).all() and (s.counts[sin] == 0).all() and (s.total_asentado[sin] == 0).all()
        assert (s.sha[sin] == "").all() and (s.tipo_documento[sin] == "").all() and (s.acopio[sin] == NO_TIME).all()
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in s.sha[~sin])
        assert len(set(s.sha[~sin])) == (~sin).sum()
        assert set(s.mecanismo) <= {"D", "F", "I"} and {"D", "F"} <= set(s.mecanismo)
        assert set(zip(s.origen, s.digitalizacion)) == {("CATD", "ESCANER"), ("CASILLA", "MOVIL")}
        docs = set(s.tipo_documento[~sin])
        assert "ACTA PREP" in docs and docs <= {"ACTA PREP", "RPP", "CC", "PPC"}
        assert (s.tipo_documento[~sin] == "ACTA PREP").mean() > 0.9


def test_totals_consistent_with_votes(morelos_loaded):
    _, loaded = morelos_loaded
    s = loaded["GUB"]
    ok = (s.observacion == Obs.NINGUNA) & (s.counts >= 0).all(axis=1) & (s.total_asentado >= 0)
    personas, reps, sacados = s.counts[ok, 1], s.counts[ok, 2], s.counts[ok, 3]
    assert 0.8 <= (sacados == personas + reps).mean() < 1.0  # real actas disagree now and then
    assert 0.85 <= (s.total_asentado[ok] == s.total[ok]).mean() < 1.0
    assert (np.abs(s.total_asentado[ok] - s.total[ok]) <= 3).all()
    assert (s.representantes[ok] == reps).all()
    counted = s.contabilizada
    limit = np.where(s.tipo_casilla == "S", s.boletas, s.lista_nominal) + s.representantes
    assert (s.total[counted] - np.maximum(s.votes[counted, s.nulos_index], 0) <= limit[counted]).all()


def test_times(morelos_sim, morelos_loaded):
    _, loaded = morelos_loaded
    start = int(morelos_sim.inicio.timestamp())
    close = int(morelos_sim.cierre.timestamp())
    for s in loaded.values():
        v, c, a = s.verificacion, s.captura, s.acopio
        assert (np.diff(v) >= 0).all()  # feed order is verification order
        assert (c <= v).all()
        has = a != NO_TIME
        assert (a[has] <= c[has]).all() and (a[has] >= close).all()
        minutes = np.median(v - c) / 60
        assert 1 <= minutes <= 15
        assert start <= v.min() <= start + 30 * 60  # the first actas arrive soon after 20:00
    assert morelos_sim.inicio.hour == 20 and morelos_sim.fin - morelos_sim.inicio == timedelta(hours=24)


def test_arrival_curve(morelos_sim):
    start = int(morelos_sim.inicio.timestamp())
    end = int(morelos_sim.fin.timestamp())
    for k, f in morelos_sim.feeds.items():
        hours = (f.verificacion - start) / 3600
        frac = lambda h: (hours <= h).sum() / f.expected  # noqa: E731
        curve = [frac(h) for h in np.arange(0, 24.5, 0.5)]
        assert all(b >= a for a, b in zip(curve, curve[1:]))
        assert frac(0.5) < 0.05  # slow start
        assert frac(1.0) < 0.2
        assert 0.5 <= frac(6) <= 0.9  # bulk in the first six hours
        assert frac(12) >= 0.85
        assert 0.95 <= frac(24) <= 0.995  # a few never arrive
        assert hours.max() >= 18  # long tail
        assert f.verificacion.max() < end
        assert f.expected - f.never_arrived == (f.casilla_idx >= 0).sum()


def test_simulacion_toml(morelos_dir):
    from pregon.simulacro.plan import read_simulacion

    raw = read_simulacion(morelos_dir / "simulacion.toml")  # what it writes, its schema allows
    assert raw["simulacion"]["preset"] == "morelos" and raw["simulacion"]["seed"] == 3
    tl = raw["timeline"]
    assert tl["inicio_publicacion"].isoformat() == "2024-06-02T20:00:00-06:00"
    assert tl["fin_publicacion"].isoformat() == "2024-06-03T20:00:00-06:00"
    assert [e["clave"] for e in raw["eleccion"]] == ["GUB", "DIP_LOC", "AYUN"]


def test_corte_prefix(morelos_dir, morelos_loaded, morelos_sim):
    """The feed is sorted by verification, so reading up to a cut instant is a prefix."""
    cat, loaded = morelos_loaded
    until = int((morelos_sim.inicio + timedelta(hours=3)).timestamp())
    s = feed_io.load_feed(cat, cat.elecciones["GUB"], morelos_dir / "actas" / "GUB.csv", until=until)
    full = loaded["GUB"]
    assert 0 < len(s) < len(full)
    assert len(s) == (full.verificacion <= until).sum()


def test_write_refuses_a_foreign_directory(tmp_path, morelos_sim):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(Exception, match="not empty"):
        write(morelos_sim, tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_scaled_feed_loads(tmp_path):
    sim = generate("nacional", seed=2, scale=0.01)
    write(sim, tmp_path / "n")
    cat = catalog_dir.load(tmp_path / "n")
    assert cat.elecciones == sim.catalog.elecciones
    for k, f in sim.feeds.items():
        s = feed_io.load_feed(cat, cat.elecciones[k], tmp_path / "n" / "actas" / f"{k}.csv")
        assert np.array_equal(s.observacion, f.kind)
