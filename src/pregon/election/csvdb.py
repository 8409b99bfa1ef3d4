"""The PREP CSV database: the official file of one election at one corte, written and read back.

Layout (2019, as the Quintana Roo file): `sep=|`, the election's name, the corte instant, the header figures
(names, values), a blank line, then one row per acta. Reading finds those lines by content, not position, and
accepts the 2018–2024 variants (comma separator, no `sep=` line, INE 2024's renamed columns and dates).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from ..errors import InputError
from . import actas as actas_mod
from . import rules, textcols
from .catalog import (SIGLAS_INE, Candidatura, Casilla, Catalog, Contienda, Eleccion, Entidad, Proceso, Seccion,
                      casilla_key)
from .corte import HEADER_FIELDS, Corte, EleccionCorte, Frame
from .timefmt import NO_TIME, fixed_offset, offset_label

# Geography columns of a row, by the election's ámbito, and whose names they carry.
GEO = {
    "distrito_local": ("ID_DISTRITO", "DISTRITO", "distrito_local"),
    "distrito_federal": ("ID_DISTRITO", "DISTRITO", "distrito_federal"),
    "municipio": ("ID_MUNICIPIO", "MUNICIPIO", "municipio"),
    "entidad": ("ID_DISTRITO", "DISTRITO", "distrito_local"),
    "nacional": ("ID_DISTRITO", "DISTRITO", "distrito_federal"),
}
BEFORE_VOTES = ("SECCION", "ID_CASILLA", "TIPO_CASILLA", "EXT_CONTIGUA", "UBICACION_CASILLA", "TIPO_ACTA",
                *actas_mod.COUNTS)
AFTER_VOTES = ("TOTAL_VOTOS_ASENTADO", "TOTAL_VOTOS_CALCULADO", "LISTA_NOMINAL", "REPRESENTANTES_PP_CI",
               "OBSERVACIONES", "CONTABILIZADA", "MECANISMOS_TRASLADO", "SHA", "FECHA_HORA_ACOPIO",
               "FECHA_HORA_CAPTURA", "FECHA_HORA_VERIFICACION", "ORIGEN", "DIGITALIZACION", "TIPO_DOCUMENTO")
TIME_FMT = "%Y-%m-%d %H:%M:%S"
_HEADER_LINE = re.compile(rb"(?m)^ACTAS_ESPERADAS[|,]ACTAS_")
# Other years' spellings -> the names used here.
ALIASES = {
    "ID_ENTIDAD": "ID_ESTADO", "ENTIDAD": "ESTADO", "CODIGO_INTEGRIDAD": "SHA", "NO_REGISTRADAS": "NO_REGISTRADOS",
    "ID_DISTRITO_LOCAL": "ID_DISTRITO", "DISTRITO_LOCAL": "DISTRITO", "ID_DISTRITO_FEDERAL": "ID_DISTRITO",
    "DISTRITO_FEDERAL": "DISTRITO", "MECANISMO_TRASLADO": "MECANISMOS_TRASLADO",
    "ACTAS_FUERA_DE_CATALOGO": "ACTAS_FUERA_CATALOGO",
    "PORCENTAJE_ACTAS_CON_INCONSISTENCIAS": "PORCENTAJE_ACTAS_INCONSISTENCIAS",
}


@dataclass
class Database:
    """One election's CSV database as text fields: what was published, before any interpretation."""

    eleccion: str  # the name line, e.g. "DIPUTACIONES LOCALES"
    corte_label: str  # e.g. "2019/06/03 05:47 (UTC-5)"
    header_names: list[str]
    header_values: list[str]
    columns: list[str]
    rows: list[tuple[str, ...]] | list[list[str]]
    sep: str = "|"
    sep_line: bool = True
    source: str = ""
    extra_lines: list[str] = field(default_factory=list)

    def header(self) -> dict[str, str]:
        return {ALIASES.get(n, n): v for n, v in zip(self.header_names, self.header_values)}

    def column(self, name: str) -> int:
        names = [ALIASES.get(c, c) for c in self.columns]
        try:
            return names.index(name)
        except ValueError:
            raise InputError(f"{self.source}: column {name!r} not found in the acta header") from None

    def instant(self) -> datetime:
        m = re.match(r"\s*(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))? \((UTC[+-]?\d+(?::\d{2})?)\)",
                     self.corte_label)
        if m is None:
            m2 = re.match(r"\s*(\d{2})/(\d{2})/(\d{4}) (\d{2}):(\d{2})(?::(\d{2}))? \((UTC[+-]?\d+(?::\d{2})?)\)",
                          self.corte_label)
            if m2 is None:
                raise InputError(f"{self.source}: corte line {self.corte_label!r} is not 'YYYY/MM/DD HH:MM (UTC-6)'")
            d, mo, y = m2.group(1), m2.group(2), m2.group(3)
            m = m2
            parts = (int(y), int(mo), int(d))
        else:
            parts = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return datetime(*parts, int(m.group(4)), int(m.group(5)), int(m.group(6) or 0),
                        tzinfo=fixed_offset(m.group(7)))

    @property
    def vote_columns(self) -> list[str]:
        """Columns between the last count field and the first total: parties, combinations, CI, CNR, nulos."""
        names = [ALIASES.get(c, c) for c in self.columns]
        start = names.index("TOTAL_VOTOS_SACADOS") + 1
        end = names.index("TOTAL_VOTOS_ASENTADO")
        return names[start:end]

    def to_bytes(self) -> bytes:
        out = io.StringIO()
        if self.sep_line:
            out.write(f"sep={self.sep}\n")
        out.write(self.eleccion + "\n")
        out.write(self.corte_label + "\n")
        out.write(self.sep.join(self.header_names) + "\n")
        out.write(self.sep.join(self.header_values) + "\n")
        out.write("\n")
        out.write(self.sep.join(self.columns) + "\n")
        for row in self.rows:
            out.write(self.sep.join(row) + "\n")
        out.write("\n")
        return out.getvalue().encode("utf-8")


# ---------------------------------------------------------------- corte -> database


def corte_label(instant: datetime) -> str:
    return instant.strftime("%Y/%m/%d %H:%M") + f" ({offset_label(instant)})"


def from_corte(ec: EleccionCorte, instant: datetime, tz) -> Database:
    """The database of one election at a corte: the header figures, then every acta captured by then."""
    el, cat, a = ec.eleccion, ec.frame.catalog, ec.actas
    id_col, name_col, geo_ambito = GEO[el.ambito]
    columns = ["CLAVE_CASILLA", "CLAVE_ACTA", "ID_ESTADO", "ESTADO", id_col, name_col, *BEFORE_VOTES,
               *el.columnas, *AFTER_VOTES, *a.extra]
    header = Database(el.nombre, corte_label(instant.astimezone(tz)), list(HEADER_FIELDS), ec.tally.header_values(),
                      columns, [])
    if len(a) == 0:
        return header
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
    header.rows = list(zip(*(np.asarray(c, dtype=object).tolist() for c in cols)))
    return header


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
    """Entity, distrito, sección, tipo, casilla, ext_contigua; fuera de catálogo last (PREP_RULES.md)."""
    tipo_rank = np.searchsorted(np.array(sorted("BCEMS")), a.tipo_casilla)
    return np.lexsort((a.tipo_acta, a.ext_contigua, a.id_casilla, tipo_rank, a.seccion, geo, a.entidad,
                       a.fuera_catalogo))


# ---------------------------------------------------------------- reading


def parse(data: bytes, source: str = "<database>") -> Database:
    """Parse a database's bytes, finding the name, corte, header and acta lines by content."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    sep_line = bool(lines) and lines[0].startswith("sep=")
    sep = lines[0][4:5] if sep_line else ""
    hdr = next((i for i, ln in enumerate(lines) if ln.startswith("ACTAS_ESPERADAS")), None)
    cols = next((i for i, ln in enumerate(lines) if ln.startswith("CLAVE_CASILLA")), None)
    if hdr is None or cols is None or hdr + 1 >= len(lines):
        raise InputError(f"{source}: not a PREP database: no 'ACTAS_ESPERADAS' header line or no 'CLAVE_CASILLA' "
                         "acta header; pass the election's CSV (or the zip holding it)")
    if not sep:
        sep = "|" if "|" in lines[hdr] else ","
    before = [ln for ln in lines[:hdr] if ln and not ln.startswith("sep=")]
    label_i = next((i for i, ln in enumerate(before) if "(UTC" in ln), None)
    if label_i is None:
        raise InputError(f"{source}: no corte line like '2019/06/03 05:47 (UTC-5)' before the header")
    name = next((ln for i, ln in enumerate(before) if i != label_i), "")
    reader = csv.reader(lines[cols:], delimiter=sep, quoting=csv.QUOTE_NONE if sep == "|" else csv.QUOTE_MINIMAL)
    columns = next(reader)
    rows = []
    for n, row in enumerate(reader, start=cols + 2):
        if not row or row == [""]:
            continue
        if len(row) != len(columns):
            raise InputError(f"{source}:{n}: {len(row)} fields where the header has {len(columns)}; the file is "
                             "truncated or damaged: download it again")
        rows.append(row)
    values = next(csv.reader([lines[hdr + 1]], delimiter=sep))
    names = next(csv.reader([lines[hdr]], delimiter=sep))
    db = Database(name, before[label_i], names, values, columns, rows, sep, sep_line, source)
    for needed in ("TOTAL_VOTOS_SACADOS", "TOTAL_VOTOS_ASENTADO", "TOTAL_VOTOS_CALCULADO", "LISTA_NOMINAL",
                   "OBSERVACIONES", "CONTABILIZADA", "SECCION", "TIPO_CASILLA"):
        db.column(needed)
    return db


def read(path: str | Path) -> list[Database]:
    """Every election database in a file: a CSV, a zip of CSVs, or INE's zip of zips."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; pass the database .zip or .csv") from None
    return _read_bytes(data, str(path))


def _read_bytes(data: bytes, source: str) -> list[Database]:
    if data[:4] != b"PK\x03\x04":
        return [parse(data, source)]
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError(f"{source}: damaged zip file; download it again") from None
    out = []
    with zf:
        for info in sorted(zf.infolist(), key=lambda i: i.filename):
            name = info.filename
            inner = zf.read(info)
            if name.lower().endswith(".zip"):
                out += _read_bytes(inner, f"{source}!{name}")
            elif name.lower().endswith((".csv", ".txt")) and _HEADER_LINE.search(inner[:65536]):
                out.append(parse(inner, f"{source}!{name}"))
    if not out:
        raise InputError(f"{source}: the zip holds no PREP database CSV (a file with an ACTAS_ESPERADAS header)")
    return out


# ---------------------------------------------------------------- database -> corte


def to_corte(db: Database, *, final: bool | None = None, boletas_especial: int = rules.BOLETAS_ESPECIAL,
             clave: str = "ELECCION", excede_con_nulos: bool = False) -> Corte:
    """Rebuild the corte a database was cut from, with a catalog recovered from its rows.

    What a database cannot tell (casillas never captured) comes from its header: the esperadas figure.
    `final` decides participation (especiales enter in the last corte); None infers it from all expected
    actas being captured.
    """
    ci = {name: db.column(name) for name in ("ID_ESTADO", "ESTADO", "SECCION", "ID_CASILLA", "TIPO_CASILLA",
                                             "EXT_CONTIGUA", "UBICACION_CASILLA", "TIPO_ACTA", "LISTA_NOMINAL",
                                             "REPRESENTANTES_PP_CI", "OBSERVACIONES", "CONTABILIZADA",
                                             "TOTAL_VOTOS_ASENTADO", "MECANISMOS_TRASLADO", "SHA",
                                             "FECHA_HORA_ACOPIO", "FECHA_HORA_CAPTURA", "FECHA_HORA_VERIFICACION",
                                             "ORIGEN", "DIGITALIZACION", "TIPO_DOCUMENTO")}
    names = [ALIASES.get(c, c) for c in db.columns]
    if "ID_MUNICIPIO" in names:
        ambito, geo_id, geo_name = "municipio", names.index("ID_MUNICIPIO"), names.index("MUNICIPIO")
    elif "ID_DISTRITO" in names:
        ambito, geo_id, geo_name = "distrito_local", names.index("ID_DISTRITO"), names.index("DISTRITO")
    else:
        ambito, geo_id, geo_name = "entidad", None, None
    vote_cols = db.vote_columns
    v0 = names.index(vote_cols[0]) if vote_cols else 0
    count_idx = [db.column(c) for c in actas_mod.COUNTS]
    instant = db.instant()
    tz = instant.tzinfo
    code = rules.TEXT_TO_CODE
    known = {c for c in ("ID_ESTADO", "ESTADO", "CLAVE_CASILLA", "CLAVE_ACTA", "ID_DISTRITO", "DISTRITO",
                         "ID_MUNICIPIO", "MUNICIPIO", "TOTAL_VOTOS_CALCULADO", *BEFORE_VOTES, *AFTER_VOTES,
                         *vote_cols)}
    extra_names = [c for c in db.columns if ALIASES.get(c, c) not in known]
    times: dict[str, int] = {}

    def when(text: str, n: int, col: str) -> int:
        v = times.get(text)
        if v is None:
            v = times[text] = _parse_local(text, tz, db.source, n, col)
        return v

    entidades: dict[int, dict] = {}
    secciones: dict[tuple[int, int], Seccion] = {}
    casillas: dict[tuple, Casilla] = {}
    cols: dict[str, list] = {k: [] for k in (
        "entidad", "seccion", "tipo_casilla", "id_casilla", "ext_contigua", "tipo_acta", "ubicacion", "counts",
        "votes", "total_asentado", "lista_nominal", "boletas", "representantes", "sin_acta", "fuera_catalogo",
        "contienda", "mecanismo", "sha", "acopio", "captura", "verificacion", "origen", "digitalizacion",
        "tipo_documento")}
    extra = {c: [] for c in extra_names}
    tipo_acta_normal: dict[int, int] = {}
    tipo_acta_especial: dict[int, int] = {}
    per_contest_used: dict[str, set] = {}

    for n, row in enumerate(db.rows, start=1):
        try:
            ent, sec = int(row[ci["ID_ESTADO"]]), int(row[ci["SECCION"]])
            idc, ext = int(row[ci["ID_CASILLA"]]), int(row[ci["EXT_CONTIGUA"]])
            tacta, ubic = int(row[ci["TIPO_ACTA"]]), int(row[ci["UBICACION_CASILLA"]] or 0)
            ln, reps = int(row[ci["LISTA_NOMINAL"]] or 0), int(row[ci["REPRESENTANTES_PP_CI"]] or 0)
            votes = [int(v) if v.isdigit() else code[v.strip()] for v in row[v0:v0 + len(vote_cols)]]
            counts = [int(row[j]) if row[j].isdigit() else code[row[j].strip()] for j in count_idx]
            asentado = row[ci["TOTAL_VOTOS_ASENTADO"]]
            asentado = int(asentado) if asentado.isdigit() else code[asentado.strip()]
        except (ValueError, KeyError) as exc:
            raise InputError(f"{db.source}: acta row {n}: unreadable value ({exc})") from None
        tipo = row[ci["TIPO_CASILLA"]].strip()
        obs = row[ci["OBSERVACIONES"]].strip()
        fuera = tacta == 0 or row[ci["CONTABILIZADA"]].strip() == "2" or "FUERA DE CAT" in obs.upper()
        geo = int(row[geo_id]) if geo_id is not None and row[geo_id].strip().isdigit() else 0
        ent_info = entidades.setdefault(ent, {"nombre": row[ci["ESTADO"]], "geo": {}})
        if geo and geo_name is not None:
            ent_info["geo"].setdefault(geo, row[geo_name])
        contest = f"{ent}-{geo}" if ambito != "entidad" else str(ent)
        if not fuera:
            secciones.setdefault((ent, sec), Seccion(ent, sec, geo if ambito != "municipio" else 0, 0,
                                                     geo if ambito == "municipio" else 0))
            key = casilla_key(ent, sec, tipo, idc, ext)
            casillas.setdefault(key, Casilla(ent, sec, tipo, idc, ext, ubic, ln,
                                             boletas_especial if tipo == "S" else 0))
            (tipo_acta_especial if tipo == "S" else tipo_acta_normal)[tacta] = \
                (tipo_acta_especial if tipo == "S" else tipo_acta_normal).get(tacta, 0) + 1
            used = per_contest_used.setdefault(contest, set())
            used.update(j for j, v in enumerate(votes) if v != rules.NO_APLICA)
        c = cols
        c["entidad"].append(ent); c["seccion"].append(sec); c["tipo_casilla"].append(tipo)
        c["id_casilla"].append(idc); c["ext_contigua"].append(ext); c["tipo_acta"].append(tacta)
        c["ubicacion"].append(ubic); c["counts"].append(counts); c["votes"].append(votes)
        c["total_asentado"].append(asentado); c["lista_nominal"].append(ln)
        c["boletas"].append(boletas_especial); c["representantes"].append(reps)
        c["sin_acta"].append(obs if obs.upper().startswith("SIN ACTA") else "")
        c["fuera_catalogo"].append(fuera); c["contienda"].append("" if fuera else contest)
        c["mecanismo"].append(row[ci["MECANISMOS_TRASLADO"]]); c["sha"].append(row[ci["SHA"]])
        c["acopio"].append(when(row[ci["FECHA_HORA_ACOPIO"]], n, "FECHA_HORA_ACOPIO"))
        c["captura"].append(when(row[ci["FECHA_HORA_CAPTURA"]], n, "FECHA_HORA_CAPTURA"))
        c["verificacion"].append(when(row[ci["FECHA_HORA_VERIFICACION"]], n, "FECHA_HORA_VERIFICACION"))
        c["origen"].append(row[ci["ORIGEN"]]); c["digitalizacion"].append(row[ci["DIGITALIZACION"]])
        c["tipo_documento"].append(row[ci["TIPO_DOCUMENTO"]])
        for name in extra_names:
            extra[name].append(row[db.columns.index(name)])

    ents = {}
    for eid, info in entidades.items():
        top = max(info["geo"], default=0)
        geo_names = tuple(info["geo"].get(i, f"{i}") for i in range(1, top + 1))
        ents[eid] = Entidad(eid, info["nombre"], geo_names if ambito != "municipio" else (), (),
                            geo_names if ambito == "municipio" else ())
    eleccion = _recover_eleccion(clave, db.eleccion, ambito, vote_cols, per_contest_used, ents,
                                 max(tipo_acta_normal, key=tipo_acta_normal.get, default=1),
                                 max(tipo_acta_especial, key=tipo_acta_especial.get, default=None))
    catalog = Catalog(Proceso(clave, db.eleccion, instant.date(), offset_label(instant)), ents, {},
                      secciones, sorted(casillas.values()), {clave: eleccion})
    index = catalog.casilla_index
    cols["casilla_idx"] = [-1 if f else index[casilla_key(e, s, t, i, x)] for f, e, s, t, i, x in zip(
        cols["fuera_catalogo"], cols["entidad"], cols["seccion"], cols["tipo_casilla"], cols["id_casilla"],
        cols["ext_contigua"])]
    cols["extra"] = extra
    n = len(db.rows)
    aset = actas_mod.from_columns(eleccion, cols, n, excede_con_nulos=excede_con_nulos)
    esperadas = int(db.header().get("ACTAS_ESPERADAS", "0") or 0)
    capturadas = int((~aset.fuera_catalogo).sum())
    is_final = (capturadas >= esperadas) if final is None else final
    ec = EleccionCorte(eleccion, Frame(catalog, eleccion), aset, is_final, esperadas_override=esperadas)
    return Corte(catalog, instant, 0, is_final, {clave: ec})


def _recover_eleccion(clave, nombre, ambito, vote_cols, used, entidades, tipo_acta, tipo_especial) -> Eleccion:
    """An election's ballots as the database shows them: a coalition is the party set of its widest C_ column."""
    parties = [c for c in vote_cols if not c.startswith(("C_", "CAND_IND", "NO_REGISTRAD", "NULOS"))]
    contiendas = {}
    for key in sorted(used, key=lambda k: tuple(int(x) for x in k.split("-"))):
        cols_here = tuple(vote_cols[j] for j in sorted(used[key]))
        coalitions: list[tuple[str, ...]] = []
        for col in cols_here:
            if col.startswith("C_"):
                members = tuple(col[2:].split("_"))
                if not any(set(members) <= set(c) for c in coalitions):
                    coalitions = [c for c in coalitions if not set(c) <= set(members)] + [members]
        cands = [Candidatura("_".join(m), "_".join(m), "coalicion",
                             tuple(c for c in cols_here if c in m or (c.startswith("C_") and set(c[2:].split("_")) <= set(m))),
                             m) for m in coalitions]
        inside = {p for m in coalitions for p in m}
        cands += [Candidatura(p, p, "partido", (p,), (p,)) for p in parties if p in cols_here and p not in inside]
        cands += [Candidatura(c, c, "independiente", (c,)) for c in cols_here if c.startswith("CAND_IND")]
        ent, _, num = key.partition("-")
        entidad = entidades.get(int(ent))
        nombre_c = entidad.nombre_de(ambito, int(num)) if entidad and num else (entidad.nombre if entidad else key)
        contiendas[key] = Contienda(clave, key, int(ent), int(num or 0), nombre_c, cols_here, tuple(cands))
    return Eleccion(clave, nombre, ambito, tipo_acta, tipo_especial, tuple(vote_cols), contiendas)


def _parse_local(text: str, tz, source: str, n: int, col: str) -> int:
    text = text.strip()
    if not text:
        return NO_TIME
    for fmt in (TIME_FMT, "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"):
        try:
            return int(datetime.strptime(text, fmt).replace(tzinfo=tz).timestamp())
        except ValueError:
            continue
    raise InputError(f"{source}: acta row {n}: field {col!r}: {text!r} is not a date and time")


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
    name = entidad.nombre
    return re.sub(r"[^A-Z0-9]", "", name.upper())[:6] or "ENT"


def write_zip(corte: Corte, out_dir: str | Path, tz) -> list[Path]:
    """Write each election's database zip (CSV + candidaturas + LEEME) into out_dir; returns the paths.

    Deterministic: entries in a fixed order, stamped with the corte's own local time, not the build's.
    """
    from .leeme import candidaturas_csv, leeme_text

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    local = corte.instant.astimezone(tz)
    stamp = local.timetuple()[:6]
    paths = []
    for clave, ec in corte.elecciones.items():
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
