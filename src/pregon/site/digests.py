"""Input digests: what a page's figures were computed from, hashed, so an incremental build can tell without
rendering which pages changed since the previous corte.

A node's digest is the count and wrapping sum of per-acta 64-bit hashes beneath it (additive, so it is
summed up the tree like any tally); the catalog digest covers what of the catalog a page prints.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ..election.corte import Corte

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, element-wise on uint64 (wrapping arithmetic)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def _text_hash(values) -> np.ndarray:
    """A stable 64-bit value per string: its bytes, eight at a time, mixed (vectorised; UTF-8 when not ASCII)."""
    values = np.asarray(values, dtype=object)
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    try:
        raw = values.astype("S")
    except UnicodeEncodeError:
        raw = np.array([str(v).encode("utf-8") for v in values.tolist()], dtype="S")
    width = max(8, -(-raw.dtype.itemsize // 8) * 8)
    if raw.dtype.itemsize != width:
        raw = raw.astype(f"S{width}")
    words = raw.view(np.uint64).reshape(n, width // 8)
    with np.errstate(over="ignore"):
        h = np.full(n, np.uint64(width), dtype=np.uint64)
        for j in range(words.shape[1]):
            h = _mix(h ^ (words[:, j] + np.uint64(j + 1) * _GOLD))
    return h


def acta_hashes(a) -> np.ndarray:
    """One uint64 per acta covering every field a page shows; group sums of these are the input digests."""
    n = len(a)
    with np.errstate(over="ignore"):
        h = np.full(n, _GOLD, dtype=np.uint64)

        def fold(values, salt):
            nonlocal h
            v = np.asarray(values).astype(np.int64).view(np.uint64)
            h = _mix(h ^ _mix(v + np.uint64(salt) * _GOLD))

        fold(a.casilla_idx, 1)
        fold(a.tipo_acta, 2)
        for j in range(a.votes.shape[1] if a.votes.ndim == 2 else 0):
            fold(a.votes[:, j], 100 + j)
        fold(a.total, 3)
        fold(a.observacion, 4)
        fold(a.contabilizada, 5)
        fold(a.lista_nominal, 6)
        fold(a.acopio, 7)
        fold(a.captura, 8)
        fold(a.verificacion, 9)
        fold(_text_hash(a.sha).view(np.int64), 10)
        fold(_text_hash(a.sin_acta).view(np.int64), 11)
        fold(_text_hash(a.tipo_documento).view(np.int64), 12)
    return h


def catalog_digest(corte: Corte) -> str:
    """Whatever of the catalog a page prints: names, geography, casillas, ballots."""
    h = hashlib.sha256()
    cat = corte.catalog
    p = cat.proceso
    h.update(repr((p.id, p.nombre, str(p.fecha), p.timezone, p.instituto, p.instituto_nombre, p.color,
                   p.emblema_svg)).encode())
    for e in sorted(cat.entidades.values(), key=lambda e: e.id):
        h.update(repr(e).encode())
    for pa in cat.partidos.values():
        h.update(repr(pa).encode())
    secs = sorted(cat.secciones.values(), key=lambda s: (s.entidad, s.numero))
    h.update(np.array([(s.entidad, s.numero, s.distrito_local, s.distrito_federal, s.municipio)
                       for s in secs], dtype=np.int64).tobytes())
    h.update(np.array([(c.entidad, c.seccion, ord(c.tipo), c.numero, c.ext_contigua, c.lista_nominal)
                       for c in cat.casillas], dtype=np.int64).tobytes())
    for ec in corte.elecciones.values():
        el = ec.eleccion
        h.update(repr((el.clave, el.nombre, el.ambito, el.columnas)).encode())
        for key in sorted(el.contiendas):
            h.update(repr(el.contiendas[key]).encode())
    return h.hexdigest()[:32]
