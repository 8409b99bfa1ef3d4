"""The public page "Difusores oficiales" of the official site: each active difusor's logo linking to its PREP
page, in a stable order (by name, then id), es-MX. Written into a site directory before it is packaged, so
the difusores republish it too; a blocked difusor disappears at the next cut.

Files: `difusores/index.html` and `difusores/logos/<id>.<sha8>.svg` (content-hashed, so caches never show a
stale logo). The same registry and corte give the same bytes.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import shutil
from pathlib import Path

from .. import durable
from .registry import Registry

PAGE = "difusores/index.html"
# the site's corte stamp (site/stamp.py), as every page of the site shows the current corte
STAMP_FRAME = ("<p class=\"corte\"><iframe src=\"../corte.html\" title=\"Fecha y hora del corte vigente\" "
               "style=\"border:0;width:100%;height:4.5em\"></iframe></p>\n")
LOGO_DIR = "difusores/logos"
WRITES = (PAGE, LOGO_DIR + "/")  # what write_public_list may change in a site (a directory: all of it)


def _corte(site: Path) -> tuple[str, str]:
    try:
        c = json.loads((site / "json" / "main.json").read_text("utf-8"))["corte"]
        return str(c["secuencia"]), str(c["instante"])
    except (OSError, ValueError, KeyError, TypeError):
        return "", ""


def render_page(entries: list[dict], seq: str, instant: str) -> str:
    items = []
    for e in entries:
        name = html.escape(e["nombre"])
        href = html.escape(e["enlace"], quote=True)
        img = (f'<img src="logos/{html.escape(e["logo"], quote=True)}" alt="{name}" width="160" height="80">'
               if e.get("logo") else f'<span class="nombre">{name}</span>')
        items.append(f'<li><a href="{href}" rel="noopener" title="{name}">{img}</a>'
                     f'<p><a href="{href}" rel="noopener">{name}</a></p></li>')
    body = "\n".join(items) if items else "<li>Por el momento no hay difusores oficiales registrados.</li>"
    stamp = f'<meta name="pregon-corte" content="{html.escape(seq)}|{html.escape(instant)}">\n' if seq else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"es-MX\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"{stamp}<title>Difusores oficiales del PREP</title>\n"
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}"
        "ul{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(12rem,1fr));gap:1.5rem}"
        "li{text-align:center}img{max-width:160px;max-height:80px}</style>\n</head>\n<body>\n"
        "<h1>Difusores oficiales del PREP</h1>\n"
        "<p>Los siguientes medios publican los resultados preliminares del PREP tal como los emite el instituto. "
        "Solo estos sitios son difusores oficiales.</p>\n"
        f"<ul class=\"difusores\">\n{body}\n</ul>\n"
        + (STAMP_FRAME if seq else "")
        + "<p><a href=\"../index.html\">Volver a los resultados</a></p>\n</body>\n</html>\n")


def write_public_list(site: str | os.PathLike, registry: Registry, *, corte: tuple[str, str] | None = None) -> list[str]:
    """(Re)write the page and logos into `site` (or, for a site that is not pregon's to change, a directory
    published beside it, with the `corte` it goes with); returns the ids listed. Earlier logos are removed."""
    site = Path(site)
    seq, instant = corte if corte is not None else _corte(site)
    logos_dir = site / LOGO_DIR
    if logos_dir.exists():
        shutil.rmtree(logos_dir)
    logos_dir.mkdir(parents=True)
    entries = []
    for d in sorted(registry.active(), key=lambda d: (d.nombre.casefold(), d.id)):
        e = {"id": d.id, "nombre": d.nombre, "enlace": d.enlace, "logo": None}
        svg = registry.logo(d.id)
        if svg is not None:
            data = svg.encode("utf-8")
            name = f"{d.id}.{hashlib.sha256(data).hexdigest()[:8]}.svg"
            (logos_dir / name).write_bytes(data)
            e["logo"] = name
        entries.append(e)
    page = site / PAGE
    durable.atomic_write(page, render_page(entries, seq, instant).encode("utf-8"), sync_dir=False)
    return [e["id"] for e in entries]
