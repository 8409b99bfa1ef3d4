"""The database pregon publishes: one election at one corte, in the 2019 layout (`sep=|`, `="…"` keys), and
the zip institutes publish it in (CSV + candidaturas + LEEME). Same corte, same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from ..election import actas as actas_mod
from ..election import textcols
from ..election.catalog import SIGLAS_INE, Catalog, Eleccion
from ..election.corte import HEADER_FIELDS, Corte, EleccionCorte
from ..election.timefmt import offset_label
from .leeme import candidaturas_csv, leeme_text

# Geography columns of a row, by the election's ámbito, and which unit of the sección they carry.
GEO = {
    "distrito_local": ("ID_DISTRITO", "DISTRITO", "distrito_local"),
    "distrito_federal": ("ID_DISTRITO", "DISTRITO", "distrito_federal"),
    "municipio": ("ID_MUNICIPIO", "MUNICIPIO", "municipio"),
    "junta": ("ID_JUNTA", "JUNTA", "junta"),
    "entidad": ("ID_DISTRITO", "DISTRITO", "distrito_local"),
    "nacional": ("ID_DISTRITO", "DISTRITO", "distrito_federal"),
}
BEFORE_VOTES = ("SECCION", "ID_CASILLA", "TIPO_CASILLA", "EXT_CONTIGUA", "UBICACION_CASILLA", "TIPO_ACTA",
                *actas_mod.COUNTS)
AFTER_VOTES = ("TOTAL_VOTOS_ASENTADO", "TOTAL_VOTOS_CALCULADO", "LISTA_NOMINAL", "REPRESENTANTES_PP_CI",
               "OBSERVACIONES", "CONTABILIZADA", "MECANISMOS_TRASLADO", "SHA", "FECHA_HORA_ACOPIO",
               "FECHA_HORA_CAPTURA", "FECHA_HORA_VERIFICACION", "ORIGEN", "DIGITALIZACION", "TIPO_DOCUMENTO")
TIME_FMT = "%Y-%m-%d %H:%M:%S"


@dataclass
class Written:
    """One election's database as pregon writes it."""

    eleccion: str
    corte_label: str
    header_names: list[str]
    header_values: list[str]
    columns: list[str]
    rows: list[tuple[str, ...]]
    sep: str = "|"

    def to_bytes(self) -> bytes:
        out = io.StringIO()
        out.write(f"sep={self.sep}\n{self.eleccion}\n{self.corte_label}\n")
        out.write(self.sep.join(self.header_names) + "\n" + self.sep.join(self.header_values) + "\n\n")
        out.write(self.sep.join(self.columns) + "\n")
        for row in self.rows:
            out.write(self.sep.join(row) + "\n")
        out.write("\n")
        return out.getvalue().encode("utf-8")


def corte_label(instant: datetime) -> str:
    return instant.strftime("%Y/%m/%d %H:%M") + f" ({offset_label(instant)})"


def from_corte(ec: EleccionCorte, instant: datetime, tz) -> Written:
    """The database of one election at a corte: the header figures, then every acta captured by then."""
    el, cat, a = ec.eleccion, ec.frame.catalog, ec.actas
    id_col, name_col, geo_ambito = GEO[el.ambito]
    columns = ["CLAVE_CASILLA", "CLAVE_ACTA", "ID_ESTADO", "ESTADO", id_col, name_col, *BEFORE_VOTES,
               *el.columnas, *AFTER_VOTES, *a.extra]
    out = Written(el.nombre, corte_label(instant.astimezone(tz)), list(HEADER_FIELDS), ec.tally.header_values(),
                  columns, [])
    if len(a) == 0:
        return out
    geo = _geo_numbers(ec, geo_ambito)
    order = _row_order(a, geo)
    a, geo = a.take(order), geo[order]
    it = textcols.ints_to_text
    fuera = a.fuera_catalogo
    tipo_acta = np.where(fuera, 0, a.tipo_acta)
    clave = (np.char.zfill(a.entidad.astype(str), 2).astype(object) + np.char.zfill(a.seccion.astype(str), 4)
             + a.tipo_casilla.astype(object) + np.char.zfill(a.id_casilla.astype(str), 2)
             + np.char.zfill(a.ext_contigua.astype(str), 2))
    names = {e.id: e.nombre for e in cat.entidades.values()}
    ent_name = np.array([names.get(e, "") for e in range(int(a.entidad.max()) + 1)], dtype=object)[a.entidad]
    geo_names = np.array([cat.entidades[e].nombre_de(geo_ambito, n) if e in cat.entidades and n else ""
                          for e, n in zip(a.entidad.tolist(), geo.tolist())], dtype=object)
    when = lambda t: textcols.times_to_text(t, tz, TIME_FMT)  # noqa: E731
    cols = [
        '="' + clave + '"', clave + np.char.zfill(tipo_acta.astype(str), 2), it(a.entidad), ent_name, it(geo),
        geo_names, it(a.seccion), it(a.id_casilla), a.tipo_casilla.astype(object), it(a.ext_contigua),
        it(a.ubicacion), it(tipo_acta), *(it(a.counts[:, j]) for j in range(a.counts.shape[1])),
        *(it(a.votes[:, j]) for j in range(a.votes.shape[1])), it(a.total_asentado), it(a.total),
        it(a.lista_nominal), it(a.representantes), a.observaciones(),
        np.where(a.contabilizada, "1", "0").astype(object), a.mecanismo, a.sha, when(a.acopio), when(a.captura),
        when(a.verificacion), a.origen, a.digitalizacion, a.tipo_documento, *a.extra.values(),
    ]
    out.rows = list(zip(*(np.asarray(c, dtype=object).tolist() for c in cols)))
    return out


def _geo_numbers(ec: EleccionCorte, geo_ambito: str) -> np.ndarray:
    """Each acta's distrito or municipio; 0 for fuera de catálogo (its identification is not trusted)."""
    a, cat = ec.actas, ec.frame.catalog
    per_casilla = cat.__dict__.setdefault("_geo_numbers", {})
    if geo_ambito not in per_casilla:
        per_casilla[geo_ambito] = np.fromiter(
            (getattr(cat.secciones[(c.entidad, c.seccion)], geo_ambito) for c in cat.casillas), dtype=np.int64,
            count=len(cat.casillas))
    numbers = per_casilla[geo_ambito]
    if numbers.size == 0:
        return np.zeros(len(a), dtype=np.int64)
    return np.where(a.casilla_idx >= 0, numbers[np.clip(a.casilla_idx, 0, None)], 0)


def _row_order(a, geo: np.ndarray) -> np.ndarray:
    """Entity, distrito, sección, tipo, casilla, ext_contigua; fuera de catálogo last (docs/counting.md)."""
    tipo_rank = np.searchsorted(np.array(sorted("BCEMSV")), a.tipo_casilla)
    return np.lexsort((a.tipo_acta, a.ext_contigua, a.id_casilla, tipo_rank, a.seccion, geo, a.entidad,
                       a.fuera_catalogo))


# ---------------------------------------------------------------- the zip institutes publish


def file_names(catalog: Catalog, eleccion: Eleccion, instant: datetime) -> tuple[str, str]:
    """(zip name, csv name): `<YYYYMMDD>_<HHMM>_PREP_<ELECCION>_<ENTIDAD>.zip` holding `<ENTIDAD>_<ELECCION>_<AÑO>.csv`."""
    ent = _entity_code(catalog)
    return (f"{instant.strftime('%Y%m%d_%H%M')}_PREP_{eleccion.clave}_{ent}.zip",
            f"{ent}_{eleccion.clave}_{catalog.proceso.fecha.year}.csv")


def _entity_code(catalog: Catalog) -> str:
    if len(catalog.entidades) != 1:
        return "NAL"
    entidad = next(iter(catalog.entidades.values()))
    if entidad.siglas or entidad.id in SIGLAS_INE:
        return entidad.siglas or SIGLAS_INE[entidad.id]
    return re.sub(r"[^A-Z0-9]", "", entidad.nombre.upper())[:6] or "ENT"


def write_zip(corte: Corte, out_dir: str | Path, tz) -> list[Path]:
    """Write each election's database zip (CSV + candidaturas + LEEME) into out_dir; returns the paths.

    Deterministic: entries in a fixed order, stamped with the corte's own local time, not the build's.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    local = corte.instant.astimezone(tz)
    stamp = local.timetuple()[:6]
    paths = []
    for ec in corte.elecciones.values():
        db = from_corte(ec, corte.instant, tz)
        zip_name, csv_name = file_names(corte.catalog, ec.eleccion, local)
        entries = [
            ("LEEME.txt", leeme_text(ec.eleccion, db.columns).encode("utf-8")),
            (csv_name, db.to_bytes()),
            (csv_name.replace(f"_{ec.eleccion.clave}_", f"_{ec.eleccion.clave}_CANDIDATURAS_"),
             candidaturas_csv(ec.eleccion).encode("utf-8")),
        ]
        path = out_dir / zip_name
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for name, data in entries:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                info.create_system = 3
                zf.writestr(info, data)
        paths.append(path)
    return paths
