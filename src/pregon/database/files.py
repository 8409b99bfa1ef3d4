"""Where databases come from: a CSV, a folder, a zip, INE's zip of zips; with the LEEME and the candidaturas
file published beside each one. This is the I/O edge; everything it reads goes to the pure parsers.

A zip downloaded from the web is untrusted: nesting, entry count and expanded size are bounded, and a
damaged archive is an input error naming it.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path, PurePosixPath

from ..errors import InputError
from . import candidaturas as cand_mod
from .reader import Database, parse

MAX_DEPTH = 3
MAX_ENTRIES = 10_000
MAX_EXPANDED = 4 << 30  # bytes, all entries of one top-level file together
_PROBE = 65536


def read(*paths: str | Path) -> list[Database]:
    """Every election database in the given files or folders, in a stable order (path, then entry name)."""
    out: list[Database] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".csv", ".txt", ".zip"))
            if not found:
                raise InputError(f"{path}: the folder holds no .csv, .txt or .zip; pass a PREP database")
            entries = [(str(p.relative_to(path)), _bytes(p)) for p in found]
            out += _from_entries(entries, str(path), depth=0, budget=[MAX_EXPANDED])
            continue
        data = _bytes(path)
        if data[:4] == b"PK\x03\x04":
            out += _from_zip(data, str(path), depth=0, budget=[MAX_EXPANDED])
        else:
            out += _from_entries([(path.name, data)], str(path.parent), depth=0, budget=[MAX_EXPANDED],
                                 siblings=_siblings(path))
    if not out:
        raise InputError(f"{', '.join(map(str, paths))}: no PREP database in it (a CSV with an ACTAS_ESPERADAS "
                         "header line)")
    return out


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory") from None
    except PermissionError:
        raise InputError(f"{path}: cannot be read (permission denied)") from None


def _siblings(path: Path) -> list[tuple[str, bytes]]:
    """The LEEME and candidaturas files beside a single CSV (as the institutes' zips hold them)."""
    out = []
    for p in sorted(path.parent.iterdir()) if path.parent.is_dir() else []:
        if p != path and p.is_file() and p.suffix.lower() in (".csv", ".txt") and p.stat().st_size < 64 << 20:
            out.append((p.name, p.read_bytes()))
    return out


def _from_zip(data: bytes, source: str, depth: int, budget: list[int]) -> list[Database]:
    if depth >= MAX_DEPTH:
        raise InputError(f"{source}: zips nested more than {MAX_DEPTH} deep; this is not a PREP database package")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise InputError(f"{source}: damaged zip file; download it again") from None
    if len(infos) > MAX_ENTRIES:
        raise InputError(f"{source}: {len(infos)} entries; a PREP database zip holds a few files")
    entries = []
    with zf:
        for info in sorted(infos, key=lambda i: i.filename):
            name = info.filename
            if not name.lower().endswith((".csv", ".txt", ".zip")):
                continue
            budget[0] -= info.file_size
            if budget[0] < 0:
                raise InputError(f"{source}: expands to more than {MAX_EXPANDED >> 30} GiB; refused as a zip bomb")
            try:
                content = zf.read(info)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, NotImplementedError) as exc:
                raise InputError(f"{source}!{name}: cannot be extracted ({exc}); download it again") from None
            entries.append((name, content))
    return _from_entries(entries, source, depth, budget, sep="!")


def _from_entries(entries: list[tuple[str, bytes]], source: str, depth: int, budget: list[int],
                  siblings: list[tuple[str, bytes]] | None = None, sep: str = "/") -> list[Database]:
    """Parse the databases among `entries`; attach to each the candidaturas and LEEME of its own folder."""
    out: list[Database] = []
    folders: dict[str, dict[str, list]] = {}
    for name, content in entries:
        where = f"{source}{sep}{name}"
        if name.lower().endswith(".zip") or content[:4] == b"PK\x03\x04":
            out += _from_zip(content, where, depth + 1, budget)
            continue
        folder = str(PurePosixPath(name).parent)
        slot = folders.setdefault(folder, {"data": [], "cand": [], "leeme": []})
        kind = _kind(name, content)
        if kind:
            slot[kind].append((name, where, content))
    for name, content in siblings or []:
        slot = folders.setdefault(".", {"data": [], "cand": [], "leeme": []})
        kind = _kind(name, content)
        if kind in ("cand", "leeme"):
            slot[kind].append((name, name, content))
    for folder in sorted(folders):
        slot = folders[folder]
        for name, where, content in slot["data"]:
            db = parse(content, where)
            pair = _pair(name, slot["cand"], len(slot["data"]))
            if pair is not None:
                db.candidaturas = cand_mod.parse(pair[2], pair[1])
            if slot["leeme"]:
                from .text import decode
                db.leeme = decode(slot["leeme"][0][2])[0]
            out.append(db)
    return out


def _kind(name: str, content: bytes) -> str | None:
    upper = PurePosixPath(name).name.upper()
    if "LEEME" in upper or "LEÉME" in upper or "README" in upper:
        return "leeme"
    head = content[:_PROBE]
    if _FIGURES.search(head):
        return "data"
    if cand_mod.is_candidaturas(head):
        return "cand"
    return None


# the header figures' names, as a data file writes them: separated by '|', ',', ';' or a tab, no space
_FIGURES = re.compile(rb"(?m)^[\"'\xef\xbb\xbf]*ACTAS_ESPERADAS[\"']?[|,;\t][\"']?ACTAS_")


def _pair(data_name: str, cands: list, n_data: int):
    """The candidaturas file of a data file: the same name with CANDIDATURA(S) in it, or the only one."""
    stem = _stem(data_name)
    for c in cands:
        if _stem(c[0]) == stem:
            return c
    for c in cands:  # INE: diputaciones.csv beside INE_…_diputaciones_candidaturas_2018.csv
        if stem and stem in _stem(c[0]):
            return c
    return cands[0] if len(cands) == 1 and n_data == 1 else None


def _stem(name: str) -> str:
    base = PurePosixPath(name).name.upper()
    base = re.sub(r"_?CANDIDATURAS?", "", base)
    return re.sub(r"\.(CSV|TXT)$", "", base)
