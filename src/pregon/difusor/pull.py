"""Pull mode: poll the institute's signed package index over HTTPS and feed new packages to the inbox.

The index (`index.json` + `index.json.minisig`, format `pregon-pull-index/1`, see the institute's
`instituto/pull.py` and docs/protocol.md) lists the latest full package, every later package and every
notice. Each poll is a conditional GET (If-None-Match / If-Modified-Since); a 304 costs nothing. New
packages are downloaded with a size cap and a timeout into `inbox/.pull-<name>.part` (a dotfile: the
inbox never acts on it), resumed with a Range request after a failure, checked against the index's size and
SHA-256, and renamed into the inbox, from where the one pipeline takes them like any pushed upload.
The index signature is checked with the same pinned keys (plus keys announced by rotation); it only steers
what to fetch: every package is verified in full by the pipeline anyway.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from ..durable import atomic_write, sha256_file
from ..package import pullindex

FORMAT = pullindex.FORMAT
MAX_INDEX_BYTES = 8 << 20
_CHUNK = 1 << 16


class PullError(Exception):
    """A poll that failed: journaled as a pull incident; the next poll tries again."""


@dataclass
class PullConfig:
    url: str
    interval: float = 30.0
    timeout: float = 30.0
    max_bytes: int = 2 << 30


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        return
    raise ValueError(f"pull url {url!r}: use https:// (plain http only on loopback, for tests)")


def verify_index(data: bytes, signature: bytes, keys) -> dict:
    try:
        return pullindex.verify_index(data, signature, keys)
    except pullindex.IndexRefused as exc:
        raise PullError(str(exc)) from None


def plan(index: dict, *, sequence: int | None, tree_sequence: int | None, difusor_id: str) -> list[dict]:
    """The index entries to fetch, in order, given the last sequence applied and the current tree's."""
    entries = []
    for e in index.get("packages", []):
        if not isinstance(e, dict) or not isinstance(e.get("sequence"), int) or not isinstance(e.get("file"), str):
            raise PullError("index entry without sequence or file")
        if sequence is not None and e["sequence"] <= sequence:
            continue
        if e.get("kind") == "notice" and e.get("to") and difusor_id not in e["to"]:
            continue
        entries.append(e)
    entries.sort(key=lambda e: e["sequence"])
    chain = tree_sequence
    for e in entries:
        if e.get("kind") == "delta" and e.get("base_sequence") != chain:
            fulls = [x["sequence"] for x in entries if x.get("kind") == "full"]
            if not fulls:
                raise PullError(f"delta {e['sequence']} needs tree {e.get('base_sequence')}, this difusor has "
                                f"{chain}, and the index lists no full package after it")
            return [x for x in entries if x["sequence"] >= fulls[-1] or x.get("kind") == "notice"
                    and x["sequence"] > fulls[-1]]
        if e.get("kind") in ("full", "delta"):
            chain = e["sequence"]
    return entries


class Puller:
    def __init__(self, cfg, pull: PullConfig, *, keys_for=None, client: httpx.Client | None = None):
        check_url(pull.url)
        self.cfg = cfg
        self.pull = pull
        self.client = client or httpx.Client(timeout=pull.timeout, follow_redirects=True)
        self.keys_for = keys_for or (lambda: list(cfg.public_keys))
        self.fetched: set[str] = set()  # sha256 of packages handed to the inbox by this process
        self.etag: str | None = None
        self.last_modified: str | None = None
        self.memo = Path(cfg.root) / "pull.json"
        try:
            m = json.loads(self.memo.read_text("utf-8"))
            self.etag, self.last_modified = m.get("etag"), m.get("last_modified")
        except (OSError, ValueError):
            pass

    def _save_memo(self):
        atomic_write(self.memo, json.dumps({"etag": self.etag, "last_modified": self.last_modified}).encode(),
                     sync_dir=False)

    def fetch_index(self) -> dict | None:
        """The verified index, or None when unchanged since the last poll (304)."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        try:
            r = self.client.get(self.pull.url, headers=headers)
            if r.status_code == 304:
                return None
            if r.status_code != 200:
                raise PullError(f"GET {self.pull.url}: HTTP {r.status_code}")
            if len(r.content) > MAX_INDEX_BYTES:
                raise PullError(f"index larger than {MAX_INDEX_BYTES} bytes")
            s = self.client.get(self.pull.url + ".minisig")
            if s.status_code != 200:
                raise PullError(f"GET {self.pull.url}.minisig: HTTP {s.status_code}")
        except httpx.HTTPError as exc:
            raise PullError(f"GET {self.pull.url}: {exc}") from None
        index = verify_index(r.content, s.content, self.keys_for())
        etag, lm = r.headers.get("etag"), r.headers.get("last-modified")
        # remember the validators only once every listed package has been handed to the inbox (see poll)
        index["_validators"] = (etag, lm)
        return index

    def download(self, entry: dict) -> Path:
        """Download one package into the inbox (resuming a previous partial download); return its path."""
        name = os.path.basename(entry["file"])
        if not name.endswith(".tar.gz") or name.startswith("."):
            raise PullError(f"index entry {entry['file']!r}: not a package name")
        size = entry.get("bytes")
        if not isinstance(size, int) or size <= 0 or size > self.pull.max_bytes:
            raise PullError(f"{name}: size {size!r} missing or over the limit of {self.pull.max_bytes} bytes")
        final = self.cfg.inbox / name
        part = self.cfg.inbox / f".pull-{name}.part"
        url = urljoin(self.pull.url, entry["file"])
        have = part.stat().st_size if part.exists() else 0
        if have > size:
            part.unlink()
            have = 0
        if have < size:
            headers = {"Range": f"bytes={have}-"} if have else {}
            try:
                with self.client.stream("GET", url, headers=headers) as r:
                    if r.status_code == 200 and have:
                        have = 0  # the server ignored the range: start over
                    elif r.status_code not in (200, 206):
                        raise PullError(f"GET {url}: HTTP {r.status_code}")
                    with open(part, "r+b" if have else "wb") as f:
                        f.seek(have)
                        f.truncate()
                        for chunk in r.iter_bytes():
                            if f.tell() + len(chunk) > size:
                                raise PullError(f"{name}: larger than the {size} bytes the index says")
                            f.write(chunk)
                        f.flush()
                        os.fsync(f.fileno())
            except httpx.HTTPError as exc:
                raise PullError(f"GET {url}: {exc}; will resume from {part.stat().st_size if part.exists() else 0} "
                                "bytes") from None
        if part.stat().st_size != size:
            raise PullError(f"{name}: got {part.stat().st_size} of {size} bytes; will resume")
        if sha256_file(part)[1] != entry.get("sha256"):
            part.unlink()
            raise PullError(f"{name}: SHA-256 differs from the index; downloading again next poll")
        os.rename(part, final)
        return final

    def poll(self, state) -> list[Path]:
        """One poll: fetch the index if it changed, download what is new, in order. Returns inbox paths."""
        index = self.fetch_index()
        if index is None:
            return []
        etag, lm = index.pop("_validators")
        got = []
        for entry in plan(index, sequence=state.sequence, tree_sequence=state.tree_sequence,
                          difusor_id=self.cfg.id):
            if entry.get("sha256") in self.fetched:
                continue
            got.append(self.download(entry))
            self.fetched.add(entry.get("sha256"))
        self.etag, self.last_modified = etag, lm
        self._save_memo()
        return got
