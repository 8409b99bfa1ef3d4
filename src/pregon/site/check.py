"""Check a built site: every HTML page well formed (balanced tags, unique ids), carrying its corte meta (the
corte it was rendered at, never after the stamp's) and framing the site's corte stamp `corte.html` (which
itself shows the corte in plain text), and every internal link and resource resolving to a file of the site
(fragments to an id of the target page).

    problems = check_site("out/site")      # [] when all is well

Used by the tests, the benchmark and `pregon site check`; a difusor can run it on a received site too.
"""

from __future__ import annotations

import os
import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
# inside inline SVG, these are written self-closed
SVG_EMPTY = {"rect", "path", "circle", "line", "polyline", "polygon", "ellipse", "use", "stop", "image"}
from .paths import STAMP as STAMP_PAGE
STAMP = re.compile(r"^\d+\|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


class PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, tuple[int, int]]] = []
        self.errors: list[str] = []
        self.ids: set[str] = set()
        self.links: list[tuple[str, str, tuple[int, int]]] = []
        self.meta: dict[str, str] = {}
        self.frames: list[str] = []  # every iframe's src
        self.doctype = False

    def handle_decl(self, decl):
        if decl.lower() == "doctype html":
            self.doctype = True

    def _attrs(self, tag, attrs):
        d = {}
        for k, v in attrs:
            if k in d:
                self.errors.append(f"line {self.getpos()[0]}: <{tag}> repeats attribute {k!r}")
            d[k] = v
        if "id" in d:
            if d["id"] in self.ids:
                self.errors.append(f"line {self.getpos()[0]}: duplicate id {d['id']!r}")
            self.ids.add(d["id"] or "")
        for key in ("href", "src"):
            if d.get(key) is not None:
                self.links.append((tag, d[key], self.getpos()))
        if tag == "iframe" and d.get("src") is not None:
            self.frames.append(d["src"])
        if tag == "meta" and d.get("name"):
            self.meta[d["name"]] = d.get("content") or ""
        return d

    def handle_starttag(self, tag, attrs):
        self._attrs(tag, attrs)
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        self._attrs(tag, attrs)
        if tag not in VOID and tag not in SVG_EMPTY:
            self.errors.append(f"line {self.getpos()[0]}: <{tag}/> self-closed but not an empty element")

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"line {self.getpos()[0]}: end tag for void element </{tag}>")
            return
        if not self.stack:
            self.errors.append(f"line {self.getpos()[0]}: </{tag}> closes nothing")
            return
        top, pos = self.stack[-1]
        if top != tag:
            self.errors.append(f"line {self.getpos()[0]}: </{tag}> closes <{top}> opened at line {pos[0]}")
            # recover: pop to the matching tag if it is open
            for i in range(len(self.stack) - 1, -1, -1):
                if self.stack[i][0] == tag:
                    del self.stack[i:]
                    break
            return
        self.stack.pop()

    def finish(self) -> list[str]:
        self.close()
        for tag, pos in self.stack:
            self.errors.append(f"line {pos[0]}: <{tag}> never closed")
        if not self.doctype:
            self.errors.append("no <!DOCTYPE html>")
        return self.errors


def parse_page(text: str) -> PageParser:
    p = PageParser()
    p.feed(text)
    p.finish()
    return p


def _text(path: Path) -> str | None:
    """A page's text; None when its bytes are not UTF-8 (a damaged or tampered file)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


def _sequence(p: PageParser) -> int | None:
    stamp = p.meta.get("pregon-corte")
    return int(stamp.split("|", 1)[0]) if stamp is not None and STAMP.match(stamp) else None


def _current(root: Path) -> int | None:
    """The corte the stamp names (None when unreadable: its own check reports it)."""
    text = _text(root / STAMP_PAGE)
    return _sequence(parse_page(text)) if text is not None else None


def _stamp_problems(page: str, p: PageParser, text: str, current: int | None) -> list[str]:
    """The stamp rules: the stamp page shows the corte in plain text; every other page frames the stamp and
    was rendered at a corte no later than the stamp's."""
    seq = _sequence(p)
    if seq is None:
        return [f"{page}: no <meta name=\"pregon-corte\" content=\"secuencia|instante\"> stamp"]
    if page == STAMP_PAGE:
        return [] if "Corte: " in text else [f"{page}: no visible corte stamp"]
    base = posixpath.dirname(page)
    frames = {posixpath.normpath(posixpath.join(base, unquote(urlsplit(u).path))) for u in p.frames
              if not urlsplit(u).scheme and not urlsplit(u).netloc}
    out = []
    if STAMP_PAGE not in frames:
        out.append(f"{page}: does not frame the corte stamp {STAMP_PAGE} (<iframe src=\"…{STAMP_PAGE}\">)")
    if current is not None and seq > current:
        out.append(f"{page}: rendered at corte {seq}, after the stamp's corte {current}")
    return out


def check_site(site_dir, *, pages: list[str] | None = None) -> list[str]:
    """Problems found in the site (all HTML pages, or only `pages`, site-relative paths)."""
    root = Path(site_dir)
    files: set[str] = set()
    for dirpath, _dirs, names in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        for name in names:
            files.add(name if rel_dir == "." else f"{rel_dir.replace(os.sep, '/')}/{name}")
    html_pages = sorted(f for f in files if f.endswith(".html")) if pages is None else pages
    problems: list[str] = []
    ids_cache: dict[str, set[str]] = {}
    parsed: dict[str, PageParser] = {}
    current = _current(root) if STAMP_PAGE in files else None

    def ids_of(page: str) -> set[str]:
        if page not in ids_cache:
            p = parsed.get(page)
            if p is None:
                text = _text(root / page)
                p = parse_page(text) if text is not None else PageParser()
            ids_cache[page] = p.ids
        return ids_cache[page]

    for page in html_pages:
        text = _text(root / page)
        if text is None:
            problems.append(f"{page}: not UTF-8 text")
            continue
        p = parse_page(text)
        parsed[page] = p
        problems += [f"{page}: {err}" for err in p.errors]
        problems += _stamp_problems(page, p, text, current)
        base = posixpath.dirname(page)
        for tag, url, pos in p.links:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                if parts.scheme not in ("data",):
                    problems.append(f"{page}:{pos[0]}: <{tag}> points outside the site: {url}")
                continue
            if url.startswith("/"):
                problems.append(f"{page}:{pos[0]}: absolute link {url} (links must be relative)")
                continue
            target = posixpath.normpath(posixpath.join(base, unquote(parts.path))) if parts.path else page
            if target.startswith("../") or target == "..":
                problems.append(f"{page}:{pos[0]}: link leaves the site: {url}")
                continue
            if target not in files:
                problems.append(f"{page}:{pos[0]}: broken link {url} -> {target}")
                continue
            if parts.fragment and target.endswith(".html") and parts.fragment not in ids_of(target):
                problems.append(f"{page}:{pos[0]}: link {url}: no id {parts.fragment!r} in {target}")
    return problems
