"""One published database file (one election at one corte) from its bytes, whatever its layout.

A database is: optional `sep=` line, one or two title lines, the corte line, the header figures (names,
values), a blank line, then the acta table. Every part is found by content, never by position, and every
column is given its role from vocabulary.toml; what cannot be placed is refused with its file, line,
column and value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..errors import InputError, where
from . import text as textmod
from .vocabulary import GEO_ROLES, normalize_column, vocabulary

_CORTE = re.compile(
    r"(?P<a>\d{1,4})[/\-.](?P<b>\d{1,2})[/\-.](?P<c>\d{1,4})[ T,]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?"
    r"\s*(?:h(?:rs?)?\.?)?\s*[\(\[]?\s*(?:UTC|GMT)\s*(?P<sign>[+\-−])\s*(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?")
# the acta table's header: the first line whose names give these roles
_TABLE_ROLES = ("seccion", "tipo_casilla")


@dataclass
class Layout:
    """Which column plays which role; the vote block in order, with the names pregon uses for them."""

    roles: dict[str, int]
    votes: list[int]
    vote_names: list[str]
    extra: list[int]  # columns with a known role pregon carries but does not interpret (COTEJADA, codes)

    def has(self, role: str) -> bool:
        return role in self.roles


@dataclass
class Database:
    """One election's database as published: text cells, their roles, and where each came from."""

    source: str
    titles: list[str]
    corte_label: str
    instant: datetime
    header_names: list[str]
    header_values: list[str]
    columns: list[str]
    rows: list[list[str]]
    lines: list[int]  # physical line of each row, for messages
    layout: Layout
    sep: str = ","
    sep_line: bool = False
    encoding: str = "utf-8"
    candidaturas: object = None  # candidaturas.Candidaturas of the same election, when published beside it
    leeme: str = ""

    @property
    def eleccion(self) -> str:
        """The election's name line (e.g. "DIPUTACIONES LOCALES")."""
        return self.titles[0] if self.titles else ""

    def header(self) -> dict[str, str]:
        """Figure role (esperadas, capturadas, …) -> the published text."""
        voc = vocabulary()
        return {voc.figure_role(n): v for n, v in zip(self.header_names, self.header_values) if voc.figure_role(n)}

    def column(self, role: str) -> int:
        try:
            return self.layout.roles[role]
        except KeyError:
            raise InputError(f"{self.source}: no column for {role!r} in the acta header; the file is not a PREP "
                             "database or its layout needs a new alias in vocabulary.toml") from None

    def cells(self, index: int) -> list[str]:
        return [r[index] for r in self.rows]

    def where(self, i: int, col: int | None = None) -> str:
        """'file:line: field NAME' for row i (and column col)."""
        return where(self.source, self.lines[i] if 0 <= i < len(self.lines) else None,
                     self.columns[col] if col is not None else None)


def parse(data: bytes, source: str = "<database>") -> Database:
    """Parse one database file's bytes."""
    text, encoding = textmod.decode(data)
    raw_lines = textmod.lines(text[:200_000])
    marker = next((i for i, ln in enumerate(raw_lines[:40]) if _is_figures_line(ln)), None)
    if marker is None:
        raise InputError(f"{source}: not a PREP database: no 'ACTAS_ESPERADAS' header-figures line in its first "
                         "lines; pass the election's CSV (or the zip holding it)")
    sep, sep_line = textmod.separator(text, marker)
    rows, starts = textmod.table(text, sep)
    h = next((i for i, s in enumerate(starts) if s == marker + 1), None)
    if h is None:
        raise InputError(f"{where(source, marker + 1)}: the header figures line is inside a quoted field; the "
                         "file is damaged: download it again")
    names = _trim(rows[h])
    if h + 1 >= len(rows):
        raise InputError(f"{where(source, starts[h])}: the header figures have no values line; the file is "
                         "truncated: download it again")
    values = _trim(rows[h + 1], len(names))
    _check_figures(source, starts[h], names)
    for name, value in zip(names, values):
        try:
            textmod.figure_value(value)
        except ValueError:
            raise InputError(f"{where(source, starts[h + 1], name)}: {value!r} is not a number; the header figures "
                             "line is damaged") from None
    preamble = [(starts[i], _joined(rows[i], sep)) for i in range(h) if _joined(rows[i], sep)]
    if sep_line and preamble and preamble[0][1].lower().startswith("sep="):
        preamble = preamble[1:]
    corte_at = next((k for k, (_, ln) in enumerate(preamble) if _CORTE.search(ln)), None)
    if corte_at is None:
        shown = preamble[-1][1] if preamble else ""
        raise InputError(f"{where(source, preamble[-1][0] if preamble else 1)}: no corte line like "
                         f"'02/07/2018 20:00 (UTC-5)' before the header figures (found {shown[:60]!r})")
    line_no, corte_label = preamble[corte_at]
    instant = corte_instant(corte_label, f"{where(source, line_no)}")
    titles = [textmod.unwrap(t) for k, (_, t) in enumerate(preamble) if k != corte_at]

    t = next((i for i in range(h + 2, len(rows)) if _is_table_header(rows[i])), None)
    if t is None:
        raise InputError(f"{source}: no acta table: no line after the header figures names the columns "
                         "(SECCION, TIPO_CASILLA, …); the file is truncated or not a PREP database")
    for i in range(h + 2, t):
        if any(c.strip() for c in rows[i]):
            raise InputError(f"{where(source, starts[i])}: unexpected line between the header figures and the acta "
                             f"table: {_joined(rows[i], sep)[:60]!r}")
    columns = _trim(rows[t])
    layout = resolve(columns, f"{where(source, starts[t])}")
    width = len(columns)
    body, body_lines = [], []
    for i in range(t + 1, len(rows)):
        row = rows[i]
        if len(row) != width:
            if not any(c.strip() for c in row):
                continue
            if len(row) > width and not any(c.strip() for c in row[width:]):
                row = row[:width]
            else:
                raise InputError(f"{where(source, starts[i])}: {len(row)} fields where the acta header has {width}; "
                                 "the file is truncated or damaged: download it again")
        body.append(row)
        body_lines.append(starts[i])
    return Database(source, titles, textmod.unwrap(corte_label), instant, names, values, columns, body, body_lines,
                    layout, sep, sep_line, encoding)


def _trim(row: list[str], width: int | None = None) -> list[str]:
    """Trailing empty fields (Excel pads short lines with separators) removed, or cut to `width`."""
    out = list(row)
    if width is not None:
        return (out + [""] * width)[:width] if len(out) < width or not any(c.strip() for c in out[width:]) else out
    while out and not out[-1].strip():
        out.pop()
    return out


def _joined(row: list[str], sep: str) -> str:
    return sep.join(_trim(row)).strip()


def _is_figures_line(line: str) -> bool:
    """The header figures' names: ACTAS_ESPERADAS, a separator, the next figure (a LEEME's prose has spaces)."""
    return re.match(r"^[\ufeff\"']*ACTAS_ESPERADAS[\"']?[|,;\t][\"']?ACTAS_", line) is not None


def _is_table_header(row: list[str]) -> bool:
    voc = vocabulary()
    roles = {voc.column_role(c) for c in row}
    return all(r in roles for r in _TABLE_ROLES)


def _check_figures(source: str, line: int, names: list[str]) -> None:
    voc = vocabulary()
    seen = set()
    for name in names:
        role = voc.figure_role(name)
        if role is None:
            raise InputError(f"{where(source, line, name)}: unknown header figure {name!r}; if the institute added "
                             "it, add an alias to [figures] in vocabulary.toml")
        if role in seen:
            raise InputError(f"{where(source, line, name)}: header figure {name!r} appears twice")
        seen.add(role)


def corte_instant(label: str, where_: str) -> datetime:
    """The corte line ('02/07/2018 20:00 (UTC-5)', '2019/06/03 05:47 (UTC-5)', quoted or not) as an instant."""
    m = _CORTE.search(label)
    if m is None:
        raise InputError(f"{where_}: corte line {label!r} is not like '02/07/2018 20:00 (UTC-5)'")
    a, b, c = m.group("a"), m.group("b"), m.group("c")
    if len(a) == 4:
        y, mo, d = int(a), int(b), int(c)
    elif len(c) == 4:
        d, mo, y = int(a), int(b), int(c)
    else:
        raise InputError(f"{where_}: corte line {label!r}: the year must have four digits")
    sign = -1 if m.group("sign") in "-−" else 1
    offset = timedelta(hours=int(m.group("oh")), minutes=int(m.group("om") or 0))
    if offset > timedelta(hours=14):
        raise InputError(f"{where_}: corte line {label!r}: UTC offset out of range")
    try:
        return datetime(y, mo, d, int(m.group("h")), int(m.group("mi")), int(m.group("s") or 0),
                        tzinfo=timezone(sign * offset))
    except ValueError:
        raise InputError(f"{where_}: corte line {label!r} is not a real date and time") from None


def resolve(columns: list[str], where_: str) -> Layout:
    """Give every column its role; the run of columns with no role just before the totals is the votes."""
    voc = vocabulary()
    roles: dict[str, int] = {}
    extra: list[int] = []
    kinds = [voc.column_role(c) for c in columns]
    for j, name in enumerate(columns):
        if not name.strip():
            raise InputError(f"{where_}: column {j + 1} has no name; the acta header is damaged")
    ends = [j for j, k in enumerate(kinds) if k in ("total_asentado", "total_calculado")]
    if not ends:
        raise InputError(f"{where_}: no TOTAL_VOTOS_ASENTADO / TOTAL_VOTOS_CALCULADO column, so the votes cannot be "
                         "told from the other fields; add the name to [columns] in vocabulary.toml")
    end = ends[0]
    start = end
    while start > 0 and kinds[start - 1] is None:
        start -= 1
    for j, (name, kind) in enumerate(zip(columns, kinds)):
        if start <= j < end:
            continue
        if kind is None:
            raise InputError(f"{where_}: field {name!r}: unknown column (not a vote column: votes stand just before "
                             "the totals); add it to [columns] in vocabulary.toml if the institute's LEEME defines it")
        if kind in roles or kind in ("otro_conteo", "cotejada"):
            extra.append(j)
        else:
            roles[kind] = j
    votes = list(range(start, end))
    if not votes:
        raise InputError(f"{where_}: no vote columns before the totals")
    names = vote_names([columns[j] for j in votes], where_)
    _check_geo(roles, where_)
    return Layout(roles, votes, names, extra)


def vote_names(raw: list[str], where_: str) -> list[str]:
    """The names pregon uses for vote columns: NO_REGISTRADOS and NULOS whatever the year calls them;
    coalition combinations as C_<PARTY>_<PARTY> (INE 2021 writes PAN_PRI, others PAN-PRI); CAND_IND_… ."""
    voc = vocabulary()
    normal = [normalize_column(n) for n in raw]
    fixed = [voc.fixed_vote(n) for n in raw]
    kinds = voc.vote_kinds
    plain = {n for n, f in zip(normal, fixed) if f is None and not _prefixed(n, kinds)}
    out = []
    for name, fix in zip(normal, fixed):
        if fix is not None:
            out.append(fix)
            continue
        pre = _prefixed(name, kinds)
        if pre == "coalicion":
            body = name[len(next(p for p in kinds["coalicion"] if name.startswith(p))):]
            out.append("C_" + body)
        elif pre == "independiente":
            p = next(p for p in kinds["independiente"] if name.startswith(p))
            rest = name[len(p):].lstrip("_")
            out.append("CAND_IND_" + rest if rest else "CAND_IND")
        elif pre == "comun":
            out.append(name)
        else:
            parts = name.split("_")
            # a name made only of other columns' parties is a combination (INE 2021: PAN_PRI_PRD)
            if len(parts) > 1 and all(p in plain and p != name for p in parts):
                out.append("C_" + name)
            else:
                out.append(name)
    dup = next((n for n in out if out.count(n) > 1), None)
    if dup is not None:
        raise InputError(f"{where_}: vote column {dup!r} appears twice")
    return out


def _prefixed(name: str, kinds: dict[str, tuple[str, ...]]) -> str | None:
    for kind in ("comun", "coalicion", "independiente"):
        if any(name.startswith(p) for p in kinds[kind]):
            return kind
    return None


def _check_geo(roles: dict[str, int], where_: str) -> None:
    if "id_entidad" not in roles:
        raise InputError(f"{where_}: no entity column (ID_ESTADO / ID_ENTIDAD); the acta table cannot be placed")
    for need in ("seccion", "tipo_casilla", "id_casilla"):
        if need not in roles:
            raise InputError(f"{where_}: no {need.upper()} column; the acta table cannot be placed")


def geo_columns(layout: Layout) -> dict[str, tuple[int, int | None]]:
    """ámbito -> (id column, name column) for the geography columns present; plain ID_DISTRITO counts as
    the distrito of the election's kind (local or federal), decided by the caller."""
    out = {}
    for ambito, (id_role, name_role) in GEO_ROLES.items():
        if id_role in layout.roles:
            out[ambito] = (layout.roles[id_role], layout.roles.get(name_role))
    if "id_distrito" in layout.roles:
        out.setdefault("distrito", (layout.roles["id_distrito"], layout.roles.get("distrito")))
    return out
