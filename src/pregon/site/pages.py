"""Pages as bytes: the Jinja templates and hashed assets, the layout rendered once per page kind with holes
for what each page says, and a page's HTML, JSON twin and embed variant from its view-model.

`render_version()` digests everything that shapes these bytes, so a site rendered by other code is rebuilt
in full rather than patched.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources

import jinja2
from markupsafe import Markup

from . import cartogram, html, paths, stamp, svg
from .fmt import num
from .model import MODEL_VERSION, EleccionModel, SiteModel
from .tree import Node

# frame-src (and child-src, its older name) 'self': the corte stamp, corte.html, is a frame of every page
CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; "
       "frame-src 'self'; child-src 'self'; base-uri 'none'; form-action 'none'")
BODIES = ("inicio", "eleccion", "descargas")
ASSETS = (("css", "pregon.css"), ("js", "pregon.js"), ("icon", "favicon.svg"))
# the modules whose code shapes a page's bytes (a change forces a full build)
_CODE = ("model.py", "tree.py", "ballot.py", "figures.py", "groups.py", "digests.py", "pages.py", "render.py",
         "svg.py", "fmt.py", "paths.py", "downloads.py", "html.py", "stamp.py", "cartogram.py")


def make_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pregon.site", "templates"),
        autoescape=True, keep_trailing_newline=False, auto_reload=False, cache_size=-1,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update({"n": num, "hora": html.hora})
    env.globals["frag"] = html
    env.globals["cartograma"] = cartogram.tiles
    env.globals["sello"] = stamp.embed
    return env


def _asset_files(catalog=None) -> dict[str, tuple[str, bytes]]:
    """The content-hashed assets; with the catalog's identity, its colour in the stylesheet (the pages' CSP
    allows no inline style), its emblem and the parties' artwork as image files (shown as images, where SVG
    never runs script; keys "partido:<SIGLAS>")."""
    proceso = None if catalog is None else catalog.proceso
    base = resources.files("pregon.site") / "assets"
    out = {}
    for key, name in ASSETS:
        data = (base / name).read_bytes()
        if key == "css" and proceso is not None and proceso.color:
            data += identity_css(proceso.color).encode()
        stem, ext = name.rsplit(".", 1)
        out[key] = (f"assets/{stem}.{hashlib.sha256(data).hexdigest()[:12]}.{ext}", data)
    if proceso is not None and proceso.emblema_svg:
        data = proceso.emblema_svg.encode("utf-8")
        out["emblema"] = (f"assets/emblema.{hashlib.sha256(data).hexdigest()[:12]}.svg", data)
    for pa in () if catalog is None else catalog.partidos.values():
        if pa.emblema_svg:
            data = pa.emblema_svg.encode("utf-8")
            out[f"partido:{pa.siglas}"] = (f"assets/partido.{hashlib.sha256(data).hexdigest()[:12]}.svg", data)
    return out


def identity_css(color: str) -> str:
    """The institute's colour on the header and the accents, its text in whichever ink contrasts more."""
    ink = svg.ink(color)
    return (f"\n/* the institute's colour (catalog.toml [proceso] color) */\n.sitio{{background:{color};color:{ink}}}"
            f".sitio a{{color:{ink}}}h1{{border-bottom:3px solid {color}}}\n")


def render_version() -> str:
    """Digest of everything that shapes the output: code, templates, assets. A change forces a full build."""
    h = hashlib.sha256(f"model {MODEL_VERSION}\n".encode())
    pkg = resources.files("pregon.site")
    for name in _CODE:
        h.update((pkg / name).read_bytes())
    tdir = pkg / "templates"
    for entry in sorted(tdir.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".j2"):
            h.update(entry.name.encode() + b"\0" + entry.read_bytes())
    for _key, (name, data) in sorted(_asset_files().items()):
        h.update(name.encode() + b"\0" + data)
    return h.hexdigest()[:32]


def dumps(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


HOLES = ("titulo", "twin", "avance", "migas", "main")
_HOLE = re.compile("\x00(" + "|".join(HOLES) + ")\x00")


class Renderer:
    """The layout template, compiled and rendered once per page kind and depth, with holes for what each page
    says; the stamp and common context of one corte."""

    def __init__(self, site: SiteModel):
        self.site = site
        self.env = make_env()
        self.layout_tpl = self.env.get_template("_layout.html.j2")
        self.bodies = {name: self.env.get_template(f"{name}.html.j2") for name in BODIES}
        self.assets = _asset_files(site.catalog)
        # siglas → asset path of each party with artwork (the charts draw it; the others get colour and letters)
        self.arte = {k.split(":", 1)[1]: v[0] for k, v in self.assets.items() if k.startswith("partido:")}
        self.stamp = site.stamp.to_dict()
        proceso = site.proceso()
        self.proceso_corto = {"id": proceso["id"], "nombre": proceso["nombre"]}
        # three lines in the stamp (the local time too) when the entity's zone is not the Centro's
        self.sello_3 = stamp.local_differs(site.corte.instant, self.stamp["zona_horaria"])
        self.common = {"corte": self.stamp, "proceso": proceso, "nav": site.nav(), "csp": Markup(CSP),
                       "assets": {k: v[0] for k, v in self.assets.items()}, "sello_3": self.sello_3}
        self._layouts: dict[tuple, list[str]] = {}

    def layout(self, root: str, actual: str | None, vigente: bool, embed: bool) -> list[str]:
        key = (root, actual, vigente, embed)
        parts = self._layouts.get(key)
        if parts is None:
            holes = {h: Markup(f"\x00{h}\x00") for h in HOLES}
            text = self.layout_tpl.render(self.common, root=root, actual=actual, vigente=vigente, embed=embed,
                                          **holes)
            parts = self._layouts[key] = _HOLE.split(text)
        return parts

    def page(self, model: dict, path: str, main, *, vigente: bool, actual: str | None, avance: str,
             embed_path: str | None = None) -> list[tuple[str, bytes]]:
        """[(path, bytes)] of an HTML page, its JSON twin, and optionally its embed variant.

        `main(model, root, embed) -> str` is the page's body (escaped HTML)."""
        model["corte"] = self.stamp
        model.setdefault("proceso", self.proceso_corto)
        twin = paths.twin(path)
        model["pagina"] = {"html": path, "json": twin}
        titulo = html.e(model["titulo"])
        out = []
        for rel, embed in ((path, False), (embed_path, True)):
            if rel is None:
                continue
            root = paths.root(rel)
            parts = self.layout(root, actual, vigente, embed)
            values = {"titulo": titulo, "twin": twin, "avance": avance, "main": main(model, root, embed),
                      "migas": "" if embed or not model.get("migas") else html.migas(model["migas"], root)}
            buf = parts[:]
            for i in range(1, len(buf), 2):
                buf[i] = values[buf[i]]
            out.append((rel, "".join(buf).encode("utf-8")))
        out.insert(1, (twin, dumps(model)))
        return out

    def stamp_page(self) -> tuple[str, bytes]:
        """corte.html, the current corte's stamp every page frames (at the site root, so no prefix)."""
        return paths.STAMP, stamp.page(self.site.corte.instant, self.stamp, self.assets["css"][0])

    def body(self, name: str):
        tpl = self.bodies[name]

        def main(model, root, embed):
            return tpl.render(m=model, root=root, embed=embed, arte=self.arte)
        return main


_AVANCE_TITULO = {"contienda": "Avance en la contienda", "entidad": "Avance en la entidad",
                  "distrito_local": "Avance en el distrito", "distrito_federal": "Avance en el distrito",
                  "municipio": "Avance en el municipio", "seccion": "Avance en la sección"}


def render_node(renderer: Renderer, em: EleccionModel, node: Node) -> list[tuple[str, bytes]]:
    model = em.node_page(node)
    key = (em.key, node.contest)  # the contest's labels repeat on all its pages
    if node.level == "seccion":
        def main(m, root, embed):
            return html.seccion_main(m, root, key, renderer.arte)
    else:
        def main(m, root, embed):
            return html.nodo_main(m, root, key, renderer.arte)
    return renderer.page(model, node.path, main, vigente=False, actual=em.el.clave,
                         avance=html.avance(model["avance"], _AVANCE_TITULO.get(node.level)))
