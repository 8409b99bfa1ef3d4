"""Method 2's checks, as a browser would make them: which iframes a difusor's page holds, whether one of them
is the official site, and whether the official site's `Content-Security-Policy: frame-ancestors` (or its
X-Frame-Options) lets that page frame it. Pure functions of text: the monitor fetches, these judge."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


class _Iframes(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "iframe":
            src = dict(attrs).get("src")
            if src:
                self.sources.append(src.strip())

    handle_startendtag = handle_starttag


def read_iframes(page: str) -> tuple[list[str], bool]:
    """Every iframe's src as written, in the page's order, and whether the page broke the parser (the sources
    are then whatever was read before it broke)."""
    p = _Iframes()
    try:
        p.feed(page)
        p.close()
    except Exception:
        return p.sources, True
    return p.sources, False


def iframe_sources(page: str, base: str) -> list[str]:
    """Every iframe's src in a page, made absolute against the page's URL (in the page's order)."""
    return [urljoin(base, s) for s in read_iframes(page)[0]]


def _endpoint(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, the port made explicit."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        return None
    return scheme, parts.hostname.lower(), port


def frames_site(src: str, site: str) -> bool:
    """Whether an iframe's src is the official site: same origin, under site_url's path."""
    a, b = _endpoint(src), _endpoint(site)
    if a is None or b is None or a != b:
        return False
    path, prefix = urlsplit(src).path or "/", urlsplit(site).path or "/"
    return path.startswith(prefix) or path + "/" == prefix


_SOURCE = re.compile(r"^(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?(?P<host>\*|(?:\*\.)?[a-z0-9.-]+|\[[0-9a-f:.]+\])"
                     r"(?::(?P<port>[0-9]+|\*))?(?P<path>/.*)?$")


def frame_ancestor_lists(csp_headers: list[str]) -> list[list[str]]:
    """The source list of `frame-ancestors` in each policy that has one (several policies all apply)."""
    out = []
    for header in csp_headers:
        for policy_text in header.split(","):
            for directive in policy_text.split(";"):
                words = directive.split()
                if words and words[0].lower() == "frame-ancestors":
                    out.append([w.lower() for w in words[1:]])
                    break
    return out


def source_allows(source: str, ancestor: str, self_url: str) -> bool:
    """CSP3 source matching of an ancestor's origin, for frame-ancestors (paths do not apply to origins)."""
    anc, own = _endpoint(ancestor), _endpoint(self_url)
    if anc is None:
        return False
    scheme, host, port = anc
    if source == "'self'":
        return own is not None and anc == own
    if source == "*":
        return True
    if re.fullmatch(r"[a-z][a-z0-9+.-]*:", source):
        return scheme == source[:-1] or (source == "http:" and scheme == "https")
    m = _SOURCE.match(source)
    if m is None:
        return False
    s_scheme = m.group("scheme") or (own[0] if own else "https")
    if not (scheme == s_scheme or (s_scheme == "http" and scheme == "https")):
        return False
    s_host = m.group("host")
    if s_host.startswith("*."):
        if not host.endswith(s_host[1:]):
            return False
    elif s_host != "*" and s_host != host:
        return False
    s_port = m.group("port")
    if s_port == "*":
        return True
    if s_port is None:
        return port == (443 if scheme == "https" else 80)
    return int(s_port) == port


def ancestors_allow(csp_headers: list[str], x_frame_options: str | None, ancestor: str, site: str) -> bool:
    """Whether a browser lets the official site (with these response headers) be framed by `ancestor`."""
    lists = frame_ancestor_lists(csp_headers)
    if lists:
        return all(any(source_allows(src, ancestor, site) for src in sources) for sources in lists)
    xfo = (x_frame_options or "").strip().lower()
    if xfo == "deny":
        return False
    if xfo == "sameorigin":
        return _endpoint(ancestor) == _endpoint(site)
    return True
