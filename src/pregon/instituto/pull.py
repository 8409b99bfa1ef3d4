"""Pull: the published directory difusores poll, served by the official site's web server or a CDN.

```
PULL/
  packages/<election>-<seq:08d>-<kind>.tar.gz   immutable once written (cache forever)
  index.json                                    what to fetch now (revalidate: Cache-Control: no-cache)
  index.json.minisig                            minisign signature of index.json by the package key
```

index.json (canonical JSON, one line):
  {"format": "pregon-pull-index/1", "election": "...", "issuer": "...", "latest": N, "updated": "<UTC>",
   "packages": [{"sequence", "kind", "file": "packages/<name>", "bytes", "sha256", "base_sequence"?, "to"?}]}
It lists the latest full package, every later package, and every notice (notices are few and a blocked
difusor must still find its own). A difusor starts from the full, applies the deltas after the sequence it
holds, and verifies each package as usual; the index only saves it from guessing names.

The signature's trusted comment is `pregon-pull-index/1 election=<id> latest=<N>`. Writers replace the
signature, then the index (each by rename); a reader that catches them mid-swap sees a signature that
does not verify and simply fetches again. The index's mtime strictly increases on every write, so the
web server's ETag (mtime + length) changes with it and conditional requests (If-None-Match /
If-Modified-Since) are exact.

Who may download is the web server's business: `pregon instituto webconfig` (webconfig.py) serves the index
publicly and the packages only under each difusor's credential (access.py), `/d/<token>/publicado/`. The
index's `file` entries are relative, so they resolve under whatever prefix the difusor polls.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import datetime
from pathlib import Path

from .. import durable
from ..package.keys import SecretKey
from ..serve import policy
from .packages import PackageRecord
from . import store

from ..package.pullindex import FORMAT, INDEX, SIGNATURE, sign_index, verify_index  # noqa: F401  (re-exported)

INDEX_CACHE = "no-cache"  # the index and its signature: revalidated on every request (ETag, 304)
PACKAGE_CACHE = policy.IMMUTABLE  # a package name is never reused


def index_entries(records: list[PackageRecord]) -> list[PackageRecord]:
    fulls = [r.sequence for r in records if r.kind == "full"]
    first = fulls[-1] if fulls else 0
    return [r for r in records if r.kind == "notice" or r.sequence >= first]


def build_index(records: list[PackageRecord], *, election: str, issuer: str, updated: datetime) -> bytes:
    entries = []
    for r in index_entries(records):
        e = {"sequence": r.sequence, "kind": r.kind, "file": f"packages/{r.name}", "bytes": r.bytes,
             "sha256": r.sha256}
        if r.base_sequence is not None:
            e["base_sequence"] = r.base_sequence
        if r.to:
            e["to"] = list(r.to)
        entries.append(e)
    obj = {"format": FORMAT, "election": election, "issuer": issuer,
           "latest": max((r.sequence for r in records), default=0), "updated": store.iso(updated),
           "packages": entries}
    return (json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


def _replace(path: Path, data: bytes, min_mtime_ns: int | None = None) -> None:
    """`data` replaces `path` whole; with a modification time of at least `min_mtime_ns` (an index's
    Last-Modified must never go backwards for a puller's If-Modified-Since)."""
    with durable.atomic_file(path) as f:
        f.write(data)
        if min_mtime_ns is not None:
            f.flush()
            ns = max(time.time_ns(), min_mtime_ns)
            os.utime(f.fileno(), ns=(ns, ns))


def publish(pull_dir: Path, records: list[PackageRecord], *, key: SecretKey, election: str, issuer: str,
            updated: datetime) -> Path:
    """Copy (hard-link when possible) the packages the index lists into PULL/packages, then re-sign and
    replace the index. Packages no longer listed stay (immutable URLs may still be in CDN caches)."""
    pull_dir = Path(pull_dir)
    pkg_dir = pull_dir / "packages"
    pkg_dir.mkdir(parents=True, exist_ok=True)
    for r in index_entries(records):
        dest = pkg_dir / r.name
        if dest.exists():
            continue
        tmp = pkg_dir / f".{r.name}.tmp"
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        try:
            os.link(r.file, tmp)
        except OSError:
            shutil.copyfile(r.file, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    data = build_index(records, election=election, issuer=issuer, updated=updated)
    latest = max((r.sequence for r in records), default=0)
    sig = sign_index(data, key, election=election, latest=latest)
    index = pull_dir / INDEX
    try:
        prev = os.stat(index).st_mtime_ns
        min_ns = (prev // 1_000_000_000 + 1) * 1_000_000_000  # next whole second: a new ETag for sure
    except FileNotFoundError:
        min_ns = None
    _replace(pull_dir / SIGNATURE, sig, min_ns)
    _replace(index, data, min_ns)
    return index


def nginx_locations(url_prefix: str, pull_dir: Path) -> str:
    """nginx `location` blocks that serve the pull directory to anyone: the index and its signature
    revalidated on every request (ETag/Last-Modified answer 304 when unchanged), packages cached for a year
    (never rewritten under the same name). No per-difusor credential, so blocking cannot close a download
    link: for a CDN or object store that authenticates at its edge. The institute's own server:
    webconfig.py."""
    p = "/" + url_prefix.strip("/")
    d = Path(pull_dir)
    return (
        f"location = {p}/index.json {{\n    alias {d}/index.json;\n    default_type application/json;\n"
        f"    add_header Cache-Control \"{INDEX_CACHE}\" always;\n}}\n"
        f"location = {p}/index.json.minisig {{\n    alias {d}/index.json.minisig;\n    default_type text/plain;\n"
        f"    add_header Cache-Control \"{INDEX_CACHE}\" always;\n}}\n"
        f"location {p}/packages/ {{\n    alias {d}/packages/;\n    default_type application/gzip;\n"
        f"    add_header Cache-Control \"{PACKAGE_CACHE}\" always;\n}}\n")
