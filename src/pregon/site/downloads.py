"""The Downloads: each election's official CSV database zip (writer.write_zip), and SHA256SUMS for them."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from ..database import writer
from ..election.corte import Corte
from . import paths


def write_one(corte: Corte, clave: str, site_dir: Path, tz, scratch: Path) -> dict:
    """Write one election's zip into SITE/descargas/ and describe it. The zip is made in `scratch` and moved
    into place, so an older file of the same name (perhaps hard-linked into another site) is never truncated."""
    ec = corte.elecciones[clave]
    one = Corte(corte.catalog, corte.instant, corte.sequence, corte.final, {clave: ec})
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        (made,) = writer.write_zip(one, scratch, tz)
        data = made.read_bytes()
        dest = site_dir / "descargas"
        dest.mkdir(parents=True, exist_ok=True)
        os.replace(made, dest / made.name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"archivo": made.name, "html": f"descargas/{made.name}", "eleccion": ec.eleccion.nombre,
            "clave": clave, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def sums_text(entries: list[dict]) -> bytes:
    """SHA256SUMS in the format `sha256sum -c` reads."""
    return "".join(f"{e['sha256']}  {e['archivo']}\n" for e in sorted(entries, key=lambda e: e["archivo"])).encode()


def sums_path() -> str:
    return paths.SUMS
