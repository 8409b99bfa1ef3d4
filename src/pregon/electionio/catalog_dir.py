"""A catalog directory: catalog.toml, secciones.csv, casillas.csv and, where the rules cannot say a ballot,
boletas/<CLAVE>.csv; loaded into an election.catalog.Catalog and saved back as the same bytes."""

from __future__ import annotations

from pathlib import Path

from ..election.catalog import Catalog
from . import ballots_csv, catalog_toml, geography_csv


def load(directory: str | Path) -> Catalog:
    """Load `catalog.toml`, `secciones.csv` and `casillas.csv` from a directory."""
    directory = Path(directory)
    toml_path = directory / "catalog.toml"
    raw = catalog_toml.read(toml_path)
    proceso = catalog_toml.proceso(raw, toml_path)
    entidades = catalog_toml.entidades(raw, toml_path)
    partidos = catalog_toml.partidos(raw, toml_path)
    secciones = geography_csv.load_secciones(directory / "secciones.csv", entidades)
    casillas = geography_csv.load_casillas(directory / "casillas.csv", secciones)
    catalog = Catalog(proceso, entidades, partidos, secciones, casillas)
    catalog.elecciones.update(catalog_toml.elecciones(raw, toml_path, catalog, directory))
    return catalog


def save(catalog: Catalog, directory: str | Path) -> None:
    """Write the catalog as the files `load` reads (deterministic bytes)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    listed = {k for k, el in catalog.elecciones.items() if not catalog_toml.derivable(catalog, el)}
    (directory / "catalog.toml").write_text(catalog_toml.dump_toml(catalog, listed=listed), encoding="utf-8")
    if listed:
        (directory / "boletas").mkdir(exist_ok=True)
        for clave in sorted(listed):
            (directory / "boletas" / f"{clave}.csv").write_text(
                ballots_csv.dump(catalog.elecciones[clave].contiendas), encoding="utf-8")
    if catalog.proceso.emblema_svg:
        (directory / catalog_toml.EMBLEM_FILE).write_text(catalog.proceso.emblema_svg, encoding="utf-8")
    for pa in catalog.partidos.values():
        if pa.emblema_svg:
            (directory / catalog_toml.PARTY_EMBLEMS).mkdir(exist_ok=True)
            (directory / catalog_toml.party_emblem_file(pa.siglas)).write_text(pa.emblema_svg, encoding="utf-8")
    geography_csv.write_secciones(catalog, directory / "secciones.csv")
    geography_csv.write_casillas(catalog, directory / "casillas.csv")
