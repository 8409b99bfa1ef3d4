"""The render manifest, `_pregon/inputs.json.gz`: what each page of a site was rendered from.

For every data page (contest, entity, distrito, municipio, sección) it records the input digest of the
page (count and hash of the actas beneath it, and the final flag) and the corte sequence it was rendered at;
plus the renderer version, the catalog digest and every other file of the site. The next corte's build
compares digests and rewrites only the pages whose figures changed; the others keep their bytes (and the
earlier corte they were rendered at, in their meta, which stays true: their figures are the same at the new
corte); the current corte they show is the stamp they frame, corte.html, rewritten at every corte.

Format (gzip, deterministic): line 1 `pregon-site-inputs 1`, line 2 a JSON object (formato, version,
catalogo, proceso, corte, otros), then one line per data page: `<digest> <secuencia> <path>`, in site order.
At national size that is 200,000 lines: a text format reads and writes in a fraction of a second.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

from . import paths

FORMAT = 1
MAGIC = "pregon-site-inputs 1"


def read(site_dir: Path) -> dict | None:
    """The manifest of a site as {..header.., "paginas": {path: [digest, secuencia]}}, or None."""
    path = Path(site_dir) / paths.MANIFEST
    try:
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
    except (OSError, ValueError, EOFError, UnicodeDecodeError):
        return None
    lines = text.split("\n")
    if len(lines) < 2 or lines[0] != MAGIC:
        return None
    try:
        head = json.loads(lines[1])
        pages = {}
        for line in lines[2:]:
            if not line:
                continue
            digest, seq, page = line.split(" ", 2)
            pages[page] = [digest, int(seq)]
    except ValueError:
        return None
    if not isinstance(head, dict) or head.get("formato") != FORMAT:
        return None
    head["paginas"] = pages
    return head


def encode(head: dict, pages: dict[str, list]) -> bytes:
    body = "".join(f"{d} {s} {p}\n" for p, (d, s) in pages.items())
    raw = (MAGIC + "\n" + json.dumps(head, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
           + body).encode("utf-8")
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=1, mtime=0, filename="") as gz:
        gz.write(raw)
    return buf.getvalue()
