"""Build sites and packages for tests, including packages no honest builder would make."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pregon.package.manifest import (MANIFEST_NAME, SIGNATURE_NAME, SITE_PREFIX, SUMS_NAME, parse_manifest,
                                     render_sums)
from pregon.package.errors import PackageRefused

INSTANT_TEXT = "2024-06-02T22:40:00-06:00"
TZ = timezone(timedelta(hours=-6))
INSTANT = datetime(2024, 6, 2, 22, 40, tzinfo=TZ)
NOW = INSTANT + timedelta(minutes=5)

SITE_FILES = {
    "index.html": b"<!doctype html><title>PREP</title><p>Ultimo corte 22:40</p>\n",
    "css/prep.css": b"body{font-family:sans-serif}\n" * 20,
    "datos/base.csv": b"CLAVE_CASILLA|VOTOS\n" + b"".join(b"150001B0100|%d\n" % i for i in range(300)),
    "secciones/0001.html": "<p>Sección 1: ñandú</p>\n".encode(),
    "secciones/0002.html": b"<p>Seccion 2</p>\n",
}


def main_json(sequence: int = 1, instant: str = INSTANT_TEXT, election: str = "MOR-2024") -> bytes:
    return json.dumps({"proceso": {"id": election, "nombre": "Proceso Electoral Local 2024"},
                       "corte": {"secuencia": sequence, "instante": instant}}).encode()


def write_site(root: Path, files: dict[str, bytes] | None = None, *, sequence: int = 1,
               instant: str = INSTANT_TEXT) -> Path:
    files = dict(SITE_FILES if files is None else files)
    files.setdefault("json/main.json", main_json(sequence, instant))
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def read_tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def tarinfo(name: str, size: int = 0, *, type=tarfile.REGTYPE, linkname: str = "", mtime: int = 1717389600):
    ti = tarfile.TarInfo(name)
    ti.size, ti.type, ti.linkname, ti.mtime, ti.mode = size, type, linkname, mtime, 0o644
    ti.uname = ti.gname = ""
    return ti


def tar_gz(members, *, format=tarfile.PAX_FORMAT, encoding="utf-8") -> bytes:
    """members: (name or TarInfo, bytes or None). The raw material for the adversarial corpus."""
    raw = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=format, encoding=encoding) as tar:
            for m, data in members:
                ti = m if isinstance(m, tarfile.TarInfo) else tarinfo(m, len(data or b""))
                if data is not None and ti.type == tarfile.REGTYPE and not isinstance(m, tarfile.TarInfo):
                    ti.size = len(data)
                tar.addfile(ti, io.BytesIO(data) if data is not None else None)
    return raw.getvalue()


def manifest_dict(files: dict[str, bytes], *, key, sequence=1, kind="full", election="MOR-2024",
                  created=INSTANT_TEXT, not_before=INSTANT_TEXT, expires="2024-06-04T22:40:00-06:00",
                  **extra) -> dict:
    import hashlib

    entries = [{"path": p, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for p, d in sorted(files.items())]
    d = {"format": "pregon-package/1", "issuer": "IEEM", "key_id": key.key_id, "election": election,
         "sequence": sequence, "kind": kind, "created": created, "not_before": not_before, "expires": expires}
    if kind != "notice":
        d["corte"] = {"sequence": sequence, "instant": INSTANT_TEXT}
        d["files"] = entries
        d["tree"] = hashlib.sha256(sums_of(entries)).hexdigest()
    d.update(extra)
    return d


def sums_of(entries) -> bytes:
    return "".join(f"{e['sha256']}  {e['path']}\n" for e in entries).encode()


def encode(d: dict) -> bytes:
    return (json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def sign(manifest_bytes: bytes, key, trusted_comment: str | None = None) -> bytes:
    """Sign as the institute would; the trusted comment follows the manifest when it parses."""
    if trusted_comment is None:
        try:
            trusted_comment = parse_manifest(manifest_bytes).trusted_comment()
        except PackageRefused:
            trusted_comment = "pregon-package/1 unparseable"
    return key.sign(manifest_bytes, trusted_comment)


def forge(path: Path, files: dict[str, bytes], *, key, manifest: dict | None = None, sign_key=None,
          members=None, site_members=None, sums: bytes | None = None, signature: bytes | None = None,
          **manifest_args) -> Path:
    """A package whose every part can be replaced: the manifest, its signature, SHA256SUMS, the members."""
    m = manifest if manifest is not None else manifest_dict(files, key=key, **manifest_args)
    mbytes = encode(m) if isinstance(m, dict) else m
    sig = signature if signature is not None else sign(mbytes, sign_key or key)
    if members is None:
        members = [(MANIFEST_NAME, mbytes), (SIGNATURE_NAME, sig)]
        if not isinstance(m, dict) or m.get("kind") != "notice":
            members.append((SUMS_NAME, sums if sums is not None else sums_of(m["files"]) if isinstance(m, dict) else b""))
        if site_members is None:
            site_members = [(SITE_PREFIX + p, d) for p, d in sorted(files.items())]
        members += site_members
    path.write_bytes(tar_gz(members))
    return path


__all__ = ["INSTANT", "NOW", "TZ", "SITE_FILES", "forge", "main_json", "manifest_dict", "read_tree", "render_sums", "sign",
           "tar_gz", "tarinfo", "write_site", "encode", "sums_of"]
