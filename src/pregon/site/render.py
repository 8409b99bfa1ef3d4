"""Write a corte's complete static site into a directory: fully, or incrementally from the previous corte's.

`build(corte, out_dir, previous=None) -> BuildReport`.

Full: every page, twin, asset and download. Incremental (`previous` = the earlier corte's site): the data
pages (contests, entities, distritos, secciones) whose input digest is unchanged are kept byte for byte —
hard-linked from `previous` into a new `out_dir`, or left alone when `out_dir` is `previous` — and only the
others are rendered; the pages that speak for the whole corte (home, elections, downloads, embeds,
json/main.json) are always rewritten. Output is deterministic: the same corte gives the same bytes.

At national size the work is spread over forked worker processes: the CSV database zips and the hard links
from the previous site start first (they need only the corte and the previous site), the sección pages once
the model is built.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib import resources
from multiprocessing import get_context
from pathlib import Path

import jinja2
from markupsafe import Markup

from ..election.corte import Corte
from ..errors import InputError
from . import downloads, html, manifest, paths
from .fmt import num
from .model import MODEL_VERSION, EleccionModel, Node, SiteModel
from .model import catalog_digest as model_catalog_digest

CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'")
BODIES = ("inicio", "eleccion", "descargas")
ASSETS = (("css", "pregon.css"), ("js", "pregon.js"), ("icon", "favicon.svg"))
_CODE = ("model.py", "render.py", "svg.py", "fmt.py", "paths.py", "downloads.py", "html.py")
PARALLEL_MIN_PAGES = 3000  # below this, forking costs more than it saves
PARALLEL_MIN_ACTAS = 20000  # below this, the zips are written in the main process


@dataclass
class BuildReport:
    out: str
    incremental: bool  # a previous site was used
    full_reason: str | None  # why a build asked to be incremental rendered everything
    files: int  # files in the site after the build
    written: int  # files written by this build (new or changed)
    unchanged: int  # files kept byte for byte from the previous site
    removed: int  # files of the previous site no longer part of the site
    pages: int  # HTML pages in the site
    pages_rendered: int
    bytes_written: int
    seconds: float
    secuencia: int
    instante: str
    phases: dict = field(default_factory=dict)  # seconds per phase: model, plan, pages, always, manifest

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        kind = "incremental" if self.incremental and not self.full_reason else "full"
        extra = f" ({self.full_reason})" if self.full_reason else ""
        return (f"site {self.out}: {kind} build{extra} of corte {self.secuencia} ({self.instante}): "
                f"{self.files:,} files, {self.written:,} written, {self.unchanged:,} unchanged, "
                f"{self.removed:,} removed; {self.pages_rendered:,} of {self.pages:,} pages rendered "
                f"in {self.seconds:.2f} s")


# ---------------------------------------------------------------- templates and assets


def make_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pregon.site", "templates"),
        autoescape=True, keep_trailing_newline=False, auto_reload=False, cache_size=-1,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update({"n": num, "hora": html.hora})
    env.globals["frag"] = html
    return env


def _asset_files() -> dict[str, tuple[str, bytes]]:
    base = resources.files("pregon.site") / "assets"
    out = {}
    for key, name in ASSETS:
        data = (base / name).read_bytes()
        stem, ext = name.rsplit(".", 1)
        out[key] = (f"assets/{stem}.{hashlib.sha256(data).hexdigest()[:12]}.{ext}", data)
    return out


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
        self.assets = _asset_files()
        self.stamp = site.stamp.to_dict()
        proceso = site.proceso()
        self.proceso_corto = {"id": proceso["id"], "nombre": proceso["nombre"]}
        self.common = {"corte": self.stamp, "proceso": proceso, "nav": site.nav(), "csp": Markup(CSP),
                       "assets": {k: v[0] for k, v in self.assets.items()}}
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

    def body(self, name: str):
        tpl = self.bodies[name]

        def main(model, root, embed):
            return tpl.render(m=model, root=root, embed=embed)
        return main


_AVANCE_TITULO = {"contienda": "Avance en la contienda", "entidad": "Avance en la entidad",
                  "distrito_local": "Avance en el distrito", "distrito_federal": "Avance en el distrito",
                  "municipio": "Avance en el municipio", "seccion": "Avance en la sección"}


def render_node(renderer: Renderer, em: EleccionModel, node: Node) -> list[tuple[str, bytes]]:
    model = em.node_page(node)
    key = (em.key, node.contest)  # the contest's labels repeat on all its pages
    if node.level == "seccion":
        def main(m, root, embed):
            return html.seccion_main(m, root, key)
    else:
        def main(m, root, embed):
            return html.nodo_main(m, root, key)
    return renderer.page(model, node.path, main, vigente=False, actual=em.el.clave,
                         avance=html.avance(model["avance"], _AVANCE_TITULO.get(node.level)))


# ---------------------------------------------------------------- writing


class Writer:
    """Writes site files. `fresh`: nothing exists where we write (a new directory). Otherwise each file is
    written beside its final name and renamed over it (os.replace): a hard-linked older file is never written
    through, a reader never sees half a file, and a concurrent linker that comes second simply finds it."""

    def __init__(self, out: Path, fresh: bool):
        self.out = out
        self.fresh = fresh
        self.files = 0
        self.bytes = 0
        self._dirs: set[str] = set()
        self._tmp = f".pregon-tmp-{os.getpid()}"

    def write(self, rel: str, data: bytes) -> None:
        path = os.path.join(self.out, rel)
        d = os.path.dirname(path)
        if d not in self._dirs:
            os.makedirs(d, exist_ok=True)
            self._dirs.add(d)
        if self.fresh:
            with open(path, "wb") as fh:
                fh.write(data)
        else:
            tmp = path + self._tmp
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        self.files += 1
        self.bytes += len(data)


# state shared with forked workers
_JOB: dict = {}


def _render_chunk(bounds: tuple[int, int]) -> tuple[int, int, int]:
    renderer, work, writer = _JOB["renderer"], _JOB["work"], Writer(_JOB["out"], _JOB["fresh"])
    writer._dirs = set(_JOB["dirs"])
    pages = 0
    for ei, node in work[bounds[0]:bounds[1]]:
        for rel, data in render_node(renderer, renderer.site.elecciones[ei], node):
            writer.write(rel, data)
        pages += 1
    return pages, writer.files, writer.bytes


def _zip_job(clave: str) -> dict:
    """One election's database zip; runs in a worker forked before the site model exists."""
    corte, out = _JOB["corte"], _JOB["out"]
    from .fmt import resolve_tz

    tz = resolve_tz(corte.catalog.proceso.timezone, corte.instant)
    return downloads.write_one(corte, clave, out, tz, out / "_pregon" / f"tmp-{clave}-{os.getpid()}")


def _link_job(_arg=None) -> tuple[int, list[str]]:
    return _link_files(_JOB["link_from"], _JOB["out"], _JOB["link_rels"])


# ---------------------------------------------------------------- build


def build(corte: Corte, out_dir, previous=None, *, jobs: int | None = None, downloads_on: bool = True) -> BuildReport:
    """Write the site of `corte` into `out_dir`; with `previous` (an earlier corte's site, possibly
    `out_dir` itself) rewrite only what changed.

    Into a new directory, the previous site's data pages are hard-linked across by a worker while the model
    is built and the changed pages rendered; changed pages are written beside and renamed over (see Writer),
    so the order of link and write does not matter; the others keep their bytes."""
    t0 = time.perf_counter()
    phases: dict[str, float] = {}
    tick = [t0]

    def phase(name):
        now = time.perf_counter()
        phases[name] = round(now - tick[0], 3)
        tick[0] = now

    out = Path(out_dir)
    prev = Path(previous) if previous is not None else None
    if prev is not None and not prev.is_dir():
        raise InputError(f"--previous {prev}: not a directory; pass the previous corte's site")
    version = render_version()
    catalog_digest = model_catalog_digest(corte)

    # what the previous site was rendered from, if it can be trusted
    prev_man, reason = None, None
    if prev is not None:
        prev_man = manifest.read(prev)
        if prev_man is None:
            reason = "the previous site has no render manifest"
        elif prev_man.get("version") != version:
            reason = "the previous site was rendered by another pregon version"
        elif prev_man.get("catalogo") != catalog_digest:
            reason = "the catalog changed"
        elif prev_man.get("proceso") != corte.catalog.proceso.id:
            reason = "the previous site is of another proceso"
        if reason:
            prev_man = None
    in_place = prev is not None and out.resolve() == prev.resolve()
    if in_place and prev_man is None:
        # a full build over an earlier site: remove it first, nothing stale may survive
        if manifest.read(out) is None and any(out.iterdir()):
            raise InputError(f"--out {out}: not a pregon site (no {paths.MANIFEST}); choose a new or empty directory")
        _clear(out)
        in_place = False
    elif not in_place:
        _prepare_out(out)
    prev_pages: dict = prev_man["paginas"] if prev_man else {}
    prev_other: set = set(prev_man.get("otros", ())) if prev_man else set()
    link_from = prev if (prev_man is not None and not in_place) else None
    link_rels = []
    if link_from is not None:
        link_rels = [f for page in prev_pages for f in (page, paths.twin(page))]
        link_rels += sorted(rel for rel in prev_other if rel.startswith("assets/"))
    fresh = prev_man is None  # nothing exists where we write (else: unlink first, it may be a hard link)

    # early workers: the database zips and the links need only the corte and the previous site
    n_jobs = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    claves = list(corte.elecciones) if downloads_on else []
    n_actas = sum(len(ec.actas) for ec in corte.elecciones.values())
    early = None
    zip_futures, link_future = [], None
    _JOB.clear()
    _JOB.update(corte=corte, out=out, link_from=link_from, link_rels=link_rels)
    if n_jobs > 1 and (n_actas >= PARALLEL_MIN_ACTAS or len(link_rels) >= PARALLEL_MIN_PAGES):
        early = ProcessPoolExecutor(max_workers=2 if link_rels else 1, mp_context=get_context("fork"))
    try:
        if early is not None:
            if link_rels:
                link_future = early.submit(_link_job)
            zip_futures = [early.submit(_zip_job, clave) for clave in claves]
        linked, missing = (0, []) if link_future is not None or not link_rels else _link_job()

        site = SiteModel(corte)
        renderer = Renderer(site)
        stamp = renderer.stamp
        seq = stamp["secuencia"]
        work, keep, pages_rec, dirs = _plan(site, out, prev_man, seq, set(missing))
        phase("model+plan")

        _JOB.clear()
        _JOB.update(renderer=renderer, work=work, out=out, fresh=fresh, dirs=dirs, corte=corte, site=site)
        pages_rendered = written = nbytes = 0
        if n_jobs > 1 and len(work) >= PARALLEL_MIN_PAGES:
            chunk = max(100, len(work) // (n_jobs * 12))
            bounds = [(i, min(i + chunk, len(work))) for i in range(0, len(work), chunk)]
            with ProcessPoolExecutor(max_workers=n_jobs, mp_context=get_context("fork")) as pool:
                for p, w, b in pool.map(_render_chunk, bounds):
                    pages_rendered, written, nbytes = pages_rendered + p, written + w, nbytes + b
        elif work:
            pages_rendered, written, nbytes = _render_chunk((0, len(work)))
        if link_future is not None:
            # the links were made while the pages rendered (order does not matter: see Writer)
            linked, missing = link_future.result()
            redo_paths = set(missing) & set(keep)
            if redo_paths:
                redo = [(ei, node) for ei, em in enumerate(site.elecciones) for node in em.all_nodes()
                        if node.path in redo_paths]
                for em in site.elecciones:
                    em.prepare_actas()
                _JOB["work"] = redo
                p, w, b = _render_chunk((0, len(redo)))
                pages_rendered, written, nbytes = pages_rendered + p, written + w, nbytes + b
                for _ei, node in redo:
                    pages_rec[node.path] = [pages_rec[node.path][0], seq]
                keep = [path for path in keep if path not in redo_paths]
        if early is not None:
            descargas_entries = [f.result() for f in zip_futures]
        else:
            descargas_entries = [_zip_job(clave) for clave in claves]
    finally:
        _JOB.clear()
        if early is not None:
            early.shutdown(wait=True, cancel_futures=True)
    unchanged = 2 * len(keep)
    phase("pages")

    writer = Writer(out, fresh)
    other: set[str] = set()
    # the database zips (already in place) and their sums
    for e in descargas_entries:
        other.add(e["html"])
    written += len(descargas_entries)
    nbytes += sum(e["bytes"] for e in descargas_entries)
    if downloads_on:
        other.add(paths.SUMS)
        writer.write(paths.SUMS, downloads.sums_text(descargas_entries))
    # assets: content-hashed names, so an existing file of that name already holds these bytes
    for _key, (rel, data) in renderer.assets.items():
        other.add(rel)
        if rel in prev_other and (out / rel).exists():
            unchanged += 1
        else:
            writer.write(rel, data)

    # the pages that speak for the whole corte, main.json last
    always: list[tuple[str, bytes]] = []
    for em in site.elecciones:
        model = em.eleccion_page()
        always += renderer.page(model, paths.eleccion(em.key), renderer.body("eleccion"), vigente=True,
                                actual=em.el.clave, embed_path=paths.embed(em.key),
                                avance=html.avance(model["avance"], f"Avance de {em.el.nombre}"))
    resumen = [{"clave": e.el.clave, "nombre": e.el.nombre, "avance": _avance(e)} for e in site.elecciones]
    model = site.descargas_page(descargas_entries)
    model["elecciones"] = resumen
    always += renderer.page(model, paths.DESCARGAS, renderer.body("descargas"), vigente=True, actual="descargas",
                            avance=html.resumen(resumen))
    home = site.home_page(descargas_entries)
    home_files = renderer.page(home, paths.HOME, renderer.body("inicio"), vigente=True, actual=None,
                               embed_path=paths.embed(), avance=html.resumen(home["elecciones"]))
    always += [f for f in home_files if f[0] != paths.MAIN_JSON] + [f for f in home_files if f[0] == paths.MAIN_JSON]
    for rel, data in always:
        other.add(rel)
        writer.write(rel, data)
    pages_rendered += sum(1 for rel, _ in always if rel.endswith(".html"))
    phase("always")

    # what the previous site had and this one does not (in place, or linked across)
    removed = 0
    if prev_man is not None:
        gone = [p for p in prev_pages if p not in pages_rec]
        gone_files = [f for p in gone for f in (p, paths.twin(p))] + sorted(prev_other - other)
        removed = len(gone_files)
        for rel in gone_files:
            try:
                os.unlink(out / rel)
            except FileNotFoundError:
                pass

    head = {"formato": manifest.FORMAT, "version": version, "catalogo": catalog_digest,
            "proceso": corte.catalog.proceso.id, "corte": stamp, "otros": sorted(other)}
    writer.write(paths.MANIFEST, manifest.encode(head, pages_rec))
    written += writer.files
    nbytes += writer.bytes
    n_pages = len(pages_rec) + sum(1 for rel in other if rel.endswith(".html"))
    files = 2 * len(pages_rec) + len(other) + 1
    phase("manifest")
    return BuildReport(
        out=str(out), incremental=prev is not None, full_reason=reason, files=files, written=written,
        unchanged=unchanged, removed=removed, pages=n_pages, pages_rendered=pages_rendered,
        bytes_written=nbytes, seconds=round(time.perf_counter() - t0, 3), secuencia=stamp["secuencia"],
        instante=stamp["instante"], phases=phases,
    )


def _plan(site: SiteModel, out: Path, prev_man: dict | None, seq: int, missing: set[str]):
    """Which data pages to render (input digest changed, new, or lost from the previous site) and which to
    keep; the directories to create."""
    prev_get = (prev_man["paginas"] if prev_man else {}).get
    work: list[tuple[int, Node]] = []
    keep: list[str] = []
    pages_rec: dict[str, list] = {}
    for ei, em in enumerate(site.elecciones):
        tree = em.tree
        secs = []
        for level in tree.levels:
            for node, path, d in zip(tree.nodes_by_level[level], tree.paths[level], em.digests[level]):
                old = prev_get(path)
                if old is not None and old[0] == d and path not in missing:
                    pages_rec[path] = old
                    keep.append(path)
                else:
                    pages_rec[path] = [d, seq]
                    work.append((ei, node))
                    if level == "seccion":
                        secs.append(node.sec_row)
        em.prepare_actas(None if prev_man is None else secs)
    dirs = set()
    for _, node in work:
        dirs.add(os.path.dirname(os.path.join(out, node.path)))
        dirs.add(os.path.dirname(os.path.join(out, paths.twin(node.path))))
    for d in sorted(dirs):
        os.makedirs(d, exist_ok=True)
    return work, keep, pages_rec, dirs


def _avance(em: EleccionModel) -> dict:
    from .model import avance

    return avance(em.ec.tally)


def _prepare_out(out: Path) -> None:
    if out.exists():
        if not out.is_dir():
            raise InputError(f"--out {out}: exists and is not a directory")
        if any(out.iterdir()):
            if manifest.read(out) is None:
                raise InputError(f"--out {out}: not empty and not a pregon site; choose a new or empty directory")
            _clear(out)
    out.mkdir(parents=True, exist_ok=True)


def _clear(out: Path) -> None:
    for entry in out.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _link_files(src_root: Path, out: Path, rels: list[str]) -> tuple[int, list[str]]:
    """Hard-link files of the previous site into the new one, a directory at a time (dir_fd: no path walks);
    copy when linking is impossible (another file system). Returns (files linked, pages whose HTML or twin
    is missing from the previous site: they must be rendered)."""
    by_dir: dict[str, list[str]] = {}
    for rel in rels:
        d, _, name = rel.rpartition("/")
        by_dir.setdefault(d, []).append(name)
    n = 0
    lost: list[str] = []
    flags = os.O_RDONLY | os.O_DIRECTORY
    for d, names in by_dir.items():
        dst_dir = os.path.join(out, d)
        os.makedirs(dst_dir, exist_ok=True)
        src_dir = os.path.join(src_root, d)
        try:
            sfd = os.open(src_dir, flags)
        except FileNotFoundError:
            lost.extend(f"{d}/{name}" for name in names)
            continue
        dfd = os.open(dst_dir, flags)
        try:
            for name in names:
                try:
                    os.link(name, name, src_dir_fd=sfd, dst_dir_fd=dfd, follow_symlinks=False)
                    n += 1
                except FileExistsError:
                    n += 1
                except FileNotFoundError:
                    lost.append(f"{d}/{name}")
                except OSError:
                    try:
                        shutil.copy2(os.path.join(src_dir, name), os.path.join(dst_dir, name))
                        n += 1
                    except FileNotFoundError:
                        lost.append(f"{d}/{name}")
        finally:
            os.close(sfd)
            os.close(dfd)
    pages = set()
    for rel in lost:
        if rel.startswith("json/"):
            pages.add(rel[len("json/"):-len(".json")] + ".html")
        elif rel.endswith(".html"):
            pages.add(rel)
    return n, sorted(pages)
