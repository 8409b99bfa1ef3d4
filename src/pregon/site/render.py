"""Write a corte's complete static site into a directory: fully, or incrementally from the previous corte's.

`build(corte, out_dir, previous=None) -> BuildReport`.

Full: every page, twin, asset and download. Incremental (`previous` = the earlier corte's site): the data
pages (contests, entities, distritos, secciones) whose input digest is unchanged are kept byte for byte —
hard-linked from `previous` into a new `out_dir`, or left alone when `out_dir` is `previous` — and only the
others are rendered; the pages that speak for the whole corte (home, elections, downloads, embeds,
json/main.json) and the corte stamp `corte.html`, which every page frames to show the current corte, are
always rewritten. Output is deterministic: the same corte gives the same bytes.

At national size the work is spread over forked worker processes: the CSV database zips start first (they
need only the corte), the sección pages once the model is built, and beside them the hard links of the kept
pages from the previous site. A page to render is never linked first: it is created where it goes, which on
a disk that pays per created name is half the cost of writing beside a link and renaming over it.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

from ..election.corte import Corte
from ..errors import InputError
from . import downloads, files, html, manifest, paths
from .digests import catalog_digest as digest_of_catalog
from .figures import avance
from .fmt import resolve_tz
from .model import EleccionModel, SiteModel
from .pages import Renderer, render_node, render_version
from .tree import Node

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
    # an incremental build's changes: every path it wrote or removed (all others are the previous site's, byte
    # for byte), what lets the package builder skip walking the site (package/build.py tree_after); None after
    # a full build
    changed: tuple[str, ...] | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        d = asdict(self)
        del d["changed"]
        return d

    def summary(self) -> str:
        kind = "incremental" if self.incremental and not self.full_reason else "full"
        extra = f" ({self.full_reason})" if self.full_reason else ""
        return (f"site {self.out}: {kind} build{extra} of corte {self.secuencia} ({self.instante}): "
                f"{self.files:,} files, {self.written:,} written, {self.unchanged:,} unchanged, "
                f"{self.removed:,} removed; {self.pages_rendered:,} of {self.pages:,} pages rendered "
                f"in {self.seconds:.2f} s")


class _Phases:
    """Seconds per phase of a build, each measured from the end of the one before."""

    def __init__(self):
        self.t0 = self.tick = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(now - self.tick, 3)
        self.tick = now


@dataclass
class _Counts:
    """What a build wrote: pages rendered, files written, their bytes, files kept as they were."""

    pages_rendered: int = 0
    written: int = 0
    nbytes: int = 0
    unchanged: int = 0
    paths: list | None = None  # what was written, when the build reports its changes

    def add(self, pages: int, written: int, nbytes: int, paths=None) -> None:
        self.pages_rendered += pages
        self.written += written
        self.nbytes += nbytes
        if self.paths is not None and paths:
            self.paths.extend(paths)


@dataclass
class _Prior:
    """The previous site, as far as it can be trusted: its manifest (None: render everything), its data
    pages and other files, and where to hard-link the unchanged ones from (None: in place, or nothing)."""

    man: dict | None
    link_from: Path | None
    pages: dict = field(default_factory=dict)
    other: set = field(default_factory=set)

    @classmethod
    def of(cls, man: dict | None, link_from: Path | None) -> "_Prior":
        prior = cls(man, link_from)
        if man:
            prior.pages, prior.other = man["paginas"], set(man.get("otros", ()))
        return prior

    def links(self, keep: list[str]) -> list[str]:
        """What to hard-link from the previous site: the kept pages with their twins, and the assets (the
        pages to render are not linked: they are created where they go, not renamed over a link)."""
        if self.link_from is None:
            return []
        rels = [f for page in keep for f in (page, paths.twin(page))]
        return rels + sorted(rel for rel in self.other if rel.startswith("assets/"))

    @property
    def unread(self) -> bool:
        """A new directory the previous site is linked into: a free name may be created in place (see Writer)."""
        return self.link_from is not None

    @property
    def fresh(self) -> bool:
        """Nothing exists where we write (else: write beside and rename, the old file may be a hard link)."""
        return self.man is None


# state shared with forked workers
_JOB: dict = {}


def _render_chunk(bounds: tuple[int, int]) -> tuple[int, int, int, list | None]:
    renderer, work = _JOB["renderer"], _JOB["work"]
    writer = files.Writer(_JOB["out"], _JOB["fresh"], track=_JOB["track"], unread=_JOB["unread"])
    writer._dirs = set(_JOB["dirs"])
    pages = 0
    for ei, node in work[bounds[0]:bounds[1]]:
        for rel, data in render_node(renderer, renderer.site.elecciones[ei], node):
            writer.write(rel, data)
        pages += 1
    return pages, writer.files, writer.bytes, writer.written


def _zip_job(clave: str) -> dict:
    """One election's database zip; runs in a worker forked before the site model exists."""
    corte, out = _JOB["corte"], _JOB["out"]
    tz = resolve_tz(corte.catalog.proceso.timezone, corte.instant)
    return downloads.write_one(corte, clave, out, tz, out / "_pregon" / f"tmp-{clave}-{os.getpid()}")


def _link_job(_arg=None) -> tuple[int, list[str]]:
    return files.link_files(_JOB["link_from"], _JOB["out"], _JOB["link_rels"])


# ---------------------------------------------------------------- build


def build(corte: Corte, out_dir, previous=None, *, jobs: int | None = None, downloads_on: bool = True) -> BuildReport:
    """Write the site of `corte` into `out_dir`; with `previous` (an earlier corte's site, possibly
    `out_dir` itself) rewrite only what changed.

    Into a new directory, the previous site's data pages are hard-linked across by a worker while the model
    is built and the changed pages rendered; changed pages are written beside and renamed over (see Writer),
    so the order of link and write does not matter; the others keep their bytes."""
    phase = _Phases()
    out = Path(out_dir)
    prev = Path(previous) if previous is not None else None
    if prev is not None and not prev.is_dir():
        raise InputError(f"--previous {prev}: not a directory; pass the previous corte's site")
    version = render_version()
    catalog_digest = digest_of_catalog(corte)
    prev_man, reason = _trusted_manifest(prev, version, catalog_digest, corte.catalog.proceso.id)
    in_place = _prepare_target(out, prev, prev_man)
    prior = _Prior.of(prev_man, prev if (prev_man is not None and not in_place) else None)
    count = _Counts(paths=[] if prior.man is not None else None)
    claves = list(corte.elecciones) if downloads_on else []
    site, renderer, pages_rec, keep, descargas = _render_data_pages(corte, out, prior, claves, jobs, count, phase)
    count.unchanged = 2 * len(keep)
    phase("pages")

    writer = files.Writer(out, prior.fresh, track=count.paths is not None, unread=prior.unread)
    other = _write_downloads_and_assets(writer, out, renderer, descargas, downloads_on, prior, count)
    other |= _write_corte_pages(writer, site, renderer, descargas, count)
    phase("always")
    gone = _remove_gone(out, prior, pages_rec, other)
    stamp = renderer.stamp
    head = {"formato": manifest.FORMAT, "version": version, "catalogo": catalog_digest,
            "proceso": corte.catalog.proceso.id, "corte": stamp, "otros": sorted(other)}
    writer.write(paths.MANIFEST, manifest.encode(head, pages_rec))
    count.add(0, writer.files, writer.bytes, writer.written)
    n_pages = len(pages_rec) + sum(1 for rel in other if rel.endswith(".html"))
    n_files = 2 * len(pages_rec) + len(other) + 1
    phase("manifest")
    return BuildReport(
        out=str(out), incremental=prev is not None, full_reason=reason, files=n_files, written=count.written,
        unchanged=count.unchanged, removed=len(gone), pages=n_pages, pages_rendered=count.pages_rendered,
        bytes_written=count.nbytes, seconds=round(time.perf_counter() - phase.t0, 3),
        secuencia=stamp["secuencia"], instante=stamp["instante"], phases=phase.seconds,
        changed=None if count.paths is None else tuple(sorted(set(count.paths).union(gone))),
    )


def _trusted_manifest(prev: Path | None, version: str, catalog_digest: str, proceso: str):
    """(what the previous site was rendered from, or None; why it cannot be trusted, or None)."""
    if prev is None:
        return None, None
    prev_man, reason = manifest.read(prev), None
    if prev_man is None:
        reason = "the previous site has no render manifest"
    elif prev_man.get("version") != version:
        reason = "the previous site was rendered by another pregon version"
    elif prev_man.get("catalogo") != catalog_digest:
        reason = "the catalog changed"
    elif prev_man.get("proceso") != proceso:
        reason = "the previous site is of another proceso"
    return (None, reason) if reason else (prev_man, None)


def _prepare_target(out: Path, prev: Path | None, prev_man: dict | None) -> bool:
    """Make `out` ready; True when the build updates the previous site in place."""
    in_place = prev is not None and out.resolve() == prev.resolve()
    if in_place and prev_man is None:
        # a full build over an earlier site: remove it first, nothing stale may survive
        if manifest.read(out) is None and any(out.iterdir()):
            raise InputError(f"--out {out}: not a pregon site (no {paths.MANIFEST}); choose a new or empty directory")
        files.clear(out)
        return False
    if not in_place:
        files.prepare_out(out)
    return in_place


def _render_data_pages(corte: Corte, out: Path, prior: _Prior, claves: list[str], jobs: int | None,
                       count: _Counts, phase: _Phases):
    """The data pages whose figures changed, and the database zips, with forked workers at national size:
    the zips start first (they need only the corte), the pages once the model is built, beside them the hard
    links of the kept pages from the previous site. Returns (site, renderer, page records, kept pages,
    downloads)."""
    n_jobs = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    n_actas = sum(len(ec.actas) for ec in corte.elecciones.values())
    early = linker = link_future = None
    zip_futures = []
    _JOB.clear()
    _JOB.update(corte=corte, out=out)
    if n_jobs > 1 and n_actas >= PARALLEL_MIN_ACTAS:
        early = ProcessPoolExecutor(max_workers=2, mp_context=get_context("fork"))
    try:
        if early is not None:
            zip_futures = [early.submit(_zip_job, clave) for clave in claves]
            # each worker exits once the zips are written: a zip worker has touched the whole corte, and an
            # idle one would hold that copy (~400 MB at national size) until the pages are rendered
            early.shutdown(wait=False)

        site = SiteModel(corte)
        renderer = Renderer(site)
        seq = renderer.stamp["secuencia"]
        work, keep, pages_rec, dirs = _plan(site, out, prior.man, seq)
        phase("model+plan")

        _JOB.clear()
        _JOB.update(renderer=renderer, work=work, out=out, fresh=prior.fresh, dirs=dirs, corte=corte, site=site,
                    track=count.paths is not None, unread=prior.unread,
                    link_from=prior.link_from, link_rels=prior.links(keep))
        missing: list[str] = []
        if n_jobs > 1 and len(_JOB["link_rels"]) >= PARALLEL_MIN_PAGES:
            # the links are made while the pages render (they never touch the same name: see _Prior.links)
            linker = ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork"))
            link_future = linker.submit(_link_job)
            linker.shutdown(wait=False)
        elif _JOB["link_rels"]:
            _linked, missing = _link_job()
        count.add(*_render_work(work, n_jobs))
        if link_future is not None:
            _linked, missing = link_future.result()
        keep = _render_lost(site, set(missing) & set(keep), keep, pages_rec, seq, count)
        descargas = [f.result() for f in zip_futures] if early is not None else [_zip_job(c) for c in claves]
    finally:
        _JOB.clear()
        for pool in (early, linker):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
    return site, renderer, pages_rec, keep, descargas


def _render_work(work: list, n_jobs: int) -> tuple[int, int, int, list | None]:
    """Render the planned pages, in forked workers when there are enough: (pages, files, bytes, paths)."""
    if n_jobs > 1 and len(work) >= PARALLEL_MIN_PAGES:
        chunk = max(100, len(work) // (n_jobs * 12))
        bounds = [(i, min(i + chunk, len(work))) for i in range(0, len(work), chunk)]
        pages = written = nbytes = 0
        made: list[str] = []
        with ProcessPoolExecutor(max_workers=n_jobs, mp_context=get_context("fork")) as pool:
            for p, w, b, rels in pool.map(_render_chunk, bounds):
                pages, written, nbytes = pages + p, written + w, nbytes + b
                made += rels or ()
        return pages, written, nbytes, made
    if work:
        return _render_chunk((0, len(work)))
    return 0, 0, 0, []


def _render_lost(site: SiteModel, redo_paths: set[str], keep: list[str], pages_rec: dict, seq: int,
                 count: _Counts) -> list[str]:
    """Render the pages meant to be kept that the previous site turned out not to have; the pages kept."""
    if not redo_paths:
        return keep
    redo = [(ei, node) for ei, em in enumerate(site.elecciones) for node in em.all_nodes()
            if node.path in redo_paths]
    for em in site.elecciones:
        em.prepare_actas()
    _JOB["work"] = redo
    count.add(*_render_chunk((0, len(redo))))
    for _ei, node in redo:
        pages_rec[node.path] = [pages_rec[node.path][0], seq]
    return [path for path in keep if path not in redo_paths]


def _write_downloads_and_assets(writer: files.Writer, out: Path, renderer: Renderer, descargas: list[dict],
                                downloads_on: bool, prior: _Prior, count: _Counts) -> set[str]:
    """Count the database zips (already in place), write their sums and the assets; the files, by path."""
    other: set[str] = set()
    for e in descargas:
        other.add(e["html"])
    count.add(0, len(descargas), sum(e["bytes"] for e in descargas), [e["html"] for e in descargas])
    if downloads_on:
        other.add(paths.SUMS)
        writer.write(paths.SUMS, downloads.sums_text(descargas))
    # assets: content-hashed names, so an existing file of that name already holds these bytes
    for _key, (rel, data) in renderer.assets.items():
        other.add(rel)
        if rel in prior.other and (out / rel).exists():
            count.unchanged += 1
        else:
            writer.write(rel, data)
    return other


def _write_corte_pages(writer: files.Writer, site: SiteModel, renderer: Renderer, descargas: list[dict],
                       count: _Counts) -> set[str]:
    """The pages that speak for the whole corte (elections, downloads, home), then the stamp (corte.html), then
    main.json last; their paths."""
    always: list[tuple[str, bytes]] = []
    for em in site.elecciones:
        model = em.eleccion_page()
        always += renderer.page(model, paths.eleccion(em.key), renderer.body("eleccion"), vigente=True,
                                actual=em.el.clave, embed_path=paths.embed(em.key),
                                avance=html.avance(model["avance"], f"Avance de {em.el.nombre}"))
    resumen = [{"clave": e.el.clave, "nombre": e.el.nombre, "avance": _avance(e)} for e in site.elecciones]
    model = site.descargas_page(descargas)
    model["elecciones"] = resumen
    always += renderer.page(model, paths.DESCARGAS, renderer.body("descargas"), vigente=True, actual="descargas",
                            avance=html.resumen(resumen))
    home = site.home_page(descargas)
    home_files = renderer.page(home, paths.HOME, renderer.body("inicio"), vigente=True, actual=None,
                               embed_path=paths.embed(), avance=html.resumen(home["elecciones"]))
    # the stamp names the corte, main.json announces it: both after every page of the corte is in place
    always += [f for f in home_files if f[0] != paths.MAIN_JSON] + [renderer.stamp_page()]
    always += [f for f in home_files if f[0] == paths.MAIN_JSON]
    for rel, data in always:
        writer.write(rel, data)
    count.pages_rendered += sum(1 for rel, _ in always if rel.endswith(".html"))
    return {rel for rel, _ in always}


def _remove_gone(out: Path, prior: _Prior, pages_rec: dict, other: set[str]) -> list[str]:
    """Delete what the previous site had and this one does not (in place, or linked across); their paths."""
    if prior.man is None:
        return []
    gone = [p for p in prior.pages if p not in pages_rec]
    gone_files = [f for p in gone for f in (p, paths.twin(p))] + sorted(prior.other - other)
    for rel in gone_files:
        try:
            os.unlink(out / rel)
        except FileNotFoundError:
            pass
    return gone_files


def _plan(site: SiteModel, out: Path, prev_man: dict | None, seq: int):
    """Which data pages to render (input digest changed, or new) and which to keep; the directories to
    create."""
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
                if old is not None and old[0] == d:
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
    return avance(em.ec.tally)
