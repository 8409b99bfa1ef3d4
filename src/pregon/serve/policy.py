"""What every server says about each file: caching and security headers, shared by the embedded server and
the nginx/Apache/Caddy configurations so they agree.

- `json/main.json`: `Cache-Control: no-cache, no-store, must-revalidate` (the seeds' rule; a CDN must not
  hold it either). The same for `corte.html`, the corte stamp every page frames (site/stamp.py): a page
  kept from an earlier corte must show the current one, so its stamp is never answered from a cache.
- content-hashed assets (`name.<8+ hex>.ext`): one year, immutable: a new content is a new name.
- HTML: a short max-age, so a visitor sees a new corte within the one-minute lag the seeds allow.
- everything else: a few minutes.
Security headers allow framing only by the difusor's own pages (`frame_ancestors`): one policy for the whole
site, so a page and the stamp it frames are framed under the same list (CSP's frame-ancestors checks every
ancestor: a page framed by a method-2 difusor frames its stamp with that difusor as the top ancestor).
"""

from __future__ import annotations

import re

MAIN_JSON = "/json/main.json"
STAMP = "/corte.html"  # site/paths.STAMP: never cached, like main.json
UNCACHED = (MAIN_JSON, STAMP)
NO_STORE = "no-cache, no-store, must-revalidate"
IMMUTABLE = "public, max-age=31536000, immutable"
HTML_MAX_AGE = 15
HTML = f"public, max-age={HTML_MAX_AGE}"
OTHER = "public, max-age=120"
HASHED_RE = re.compile(r"\.[0-9a-f]{8,64}\.(?:css|js|mjs|svg|png|jpe?g|gif|webp|avif|ico|woff2?|ttf|otf|map)$")
HASHED_REGEX_TEXT = r"\.[0-9a-f]{8,64}\.(css|js|mjs|svg|png|jpe?g|gif|webp|avif|ico|woff2?|ttf|otf|map)$"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
    ".json": "application/json", ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
    ".avif": "image/avif", ".ico": "image/x-icon", ".woff": "font/woff", ".woff2": "font/woff2",
    ".ttf": "font/ttf", ".otf": "font/otf", ".csv": "text/csv; charset=utf-8",
    ".txt": "text/plain; charset=utf-8", ".pdf": "application/pdf", ".zip": "application/zip",
    ".xml": "application/xml", ".map": "application/json", ".gz": "application/gzip",
    ".minisig": "text/plain; charset=utf-8",
}


def cache_control(url_path: str) -> str:
    if url_path in UNCACHED:
        return NO_STORE
    if HASHED_RE.search(url_path):
        return IMMUTABLE
    if url_path.endswith((".html", ".htm", "/")):
        return HTML
    return OTHER


def content_type(url_path: str) -> str:
    dot = url_path.rfind(".")
    if dot < url_path.rfind("/"):
        return "application/octet-stream"
    return CONTENT_TYPES.get(url_path[dot:].lower(), "application/octet-stream")


def security_headers(frame_ancestors: str = "'self'", https: bool = False) -> list[tuple[str, str]]:
    h = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Content-Security-Policy", f"frame-ancestors {frame_ancestors}"),
    ]
    if frame_ancestors.strip() == "'self'":
        h.append(("X-Frame-Options", "SAMEORIGIN"))
    if https:
        h.append(("Strict-Transport-Security", "max-age=31536000"))
    return h
