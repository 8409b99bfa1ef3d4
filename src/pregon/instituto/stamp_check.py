"""The monitor's check of the corte stamp: every page of the site shows the current corte by framing
`corte.html` (site/stamp.py), so a difusor's copy must serve the stamp of the very corte its main.json names
and its pages must frame it. Pure functions of text and paths: the monitor fetches, these judge.

The stamp is part of the package, so its bytes are compared with the official cut's like every sampled
file: it is always in the sample (`with_stamp`). A sampled page that does not frame it (`frames_stamp`) is
a finding even when the official site's bytes could not be had.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import framing

STAMP = "corte.html"  # site/paths.STAMP
MAX_PAGE = 4 << 20  # bytes of a sampled page read for its iframes


def with_stamp(sample: list[str], site: Path) -> list[str]:
    """The sample with the stamp first, when the official site has one (a site that is not pregon's may not)."""
    if not (Path(site) / STAMP).is_file():
        return sample
    return [STAMP] + [p for p in sample if p != STAMP]


def frames_stamp(page_rel: str, body: bytes) -> bool:
    """Whether the page at `page_rel` (site-relative) holds an iframe of the site's own corte.html."""
    srcs, broken = framing.read_iframes(body[:MAX_PAGE].decode("utf-8", "replace"))
    if broken:  # html.parser is lenient; a pathological page is simply "not framing"
        return False
    base = posixpath.dirname(page_rel)
    for src in srcs:
        parts = urlsplit(src)
        if parts.scheme or parts.netloc:
            continue
        if posixpath.normpath(posixpath.join(base, unquote(parts.path))) == STAMP:
            return True
    return False


def page_to_check(sample: list[str]) -> str | None:
    """The sampled page whose framing is checked each round: the home page, else the first HTML page."""
    pages = [p for p in sample if p.endswith(".html") and p != STAMP]
    return "index.html" if "index.html" in pages else (pages[0] if pages else None)


def finding(page: str) -> str:
    """The observation's words for a page that does not frame the stamp (the monitor's language)."""
    return f"{page} does not frame the corte stamp {STAMP}"
