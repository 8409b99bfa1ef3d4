"""One full Morelos night, generated, written and loaded back once per session (about a second)."""

from __future__ import annotations

import pytest

from pregon.electionio import catalog_dir
from pregon.electionio import feed as feed_io
from pregon.simulate import generate, write

MORELOS_SEED = 3


@pytest.fixture(scope="session")
def morelos_sim():
    return generate("morelos", seed=MORELOS_SEED)


@pytest.fixture(scope="session")
def morelos_dir(tmp_path_factory, morelos_sim):
    out = tmp_path_factory.mktemp("simulate") / "morelos"
    write(morelos_sim, out)
    return out


@pytest.fixture(scope="session")
def morelos_loaded(morelos_dir):
    """(catalog, {clave: ActaSet}) as the corte engine would read them."""
    cat = catalog_dir.load(morelos_dir)
    feeds = {k: feed_io.load_feed(cat, el, morelos_dir / "actas" / f"{k}.csv") for k, el in cat.elecciones.items()}
    return cat, feeds
