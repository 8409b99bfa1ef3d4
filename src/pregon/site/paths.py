"""The URL layout of the official site. Every link is relative, so the site works under any prefix (a
difusor serving it at /prep/, a file:// copy, a CDN path).

```
index.html                                      home: one card per election          json/main.json
corte.html                                      the current corte's stamp, in every page's frame (twin: main.json)
<EL>/index.html                                 an election                          json/<EL>/index.json
<EL>/<CT>/index.html                            a contest (distrito, municipio, …)   json/<EL>/<CT>/index.json
<EL>/<CT>/entidades/<E>.html                    an entity inside a national contest  json/<EL>/<CT>/entidades/<E>.json
<EL>/<CT>/distritos/<E>-<N>.html                a distrito inside a larger contest   json/…/distritos/<E>-<N>.json
<EL>/<CT>/secciones/<E>-<S>.html                a sección: its casillas and actas    json/…/secciones/<E>-<S>.json
descargas/index.html                            the CSV database and how to verify   json/descargas/index.json
descargas/<zip>, descargas/SHA256SUMS           the official database files
embed/index.html, embed/<EL>/index.html         the same figures without site chrome, for frames
assets/pregon.<hash>.css|js, favicon.<hash>.svg content-hashed, immutable
_pregon/inputs.json.gz                          the render manifest (input digest per page) for incremental builds
```
"""

from __future__ import annotations

import re

MAIN_JSON = "json/main.json"
MANIFEST = "_pregon/inputs.json.gz"
DESCARGAS = "descargas/index.html"
SUMS = "descargas/SHA256SUMS"
HOME = "index.html"
STAMP = "corte.html"  # the current corte's date and time, embedded by every page (site/stamp.py)

# node level -> directory of its pages inside a contest
LEVEL_DIRS = {
    "entidad": "entidades",
    "distrito_local": "distritos",
    "distrito_federal": "distritos",
    "municipio": "municipios",
    "seccion": "secciones",
}

_SAFE = re.compile(r"[^A-Za-z0-9_-]")


def safe(key: str) -> str:
    """A path component from a key (election claves and contest keys are already safe: 'DIP_LOC', '15-3')."""
    out = _SAFE.sub("_", str(key))
    return out or "_"


def eleccion(el: str) -> str:
    return f"{el}/index.html"


def contienda(el: str, ct: str) -> str:
    return f"{el}/{ct}/index.html"


def nodo(el: str, ct: str, level: str, key: str) -> str:
    if level == "contienda":
        return contienda(el, ct)
    return f"{el}/{ct}/{LEVEL_DIRS[level]}/{key}.html"


def embed(el: str | None = None) -> str:
    return "embed/index.html" if el is None else f"embed/{el}/index.html"


def twin(page: str) -> str:
    """The JSON twin of an HTML page: json/ + the same path with .json; the home's (and the stamp's) twin is json/main.json."""
    if page in (HOME, STAMP):
        return MAIN_JSON
    if page.startswith("embed/"):
        return twin(page[len("embed/"):])
    return "json/" + page[:-5] + ".json"


def root(page: str) -> str:
    """The relative prefix from a page back to the site root ('' or '../../')."""
    return "../" * page.count("/")
