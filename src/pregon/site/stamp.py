"""The corte stamp resource, `corte.html`: the one page of the site that names the current corte, which every
other HTML page embeds (`<iframe src="{root}corte.html">`, no script).

Why a separate resource: an incremental build leaves a data page whose figures did not change byte for byte
as it was (a national corte rewrites a few thousand of 200,000 pages), yet the calls require every page to
show, at every moment, the date and time of the corte. Only this file (a few hundred bytes) changes at every
cut; the package delta carries it like any other file. See docs/site-json.md, "The corte stamp".

The stamp prints the instant in hora del Centro (America/Mexico_City) always, and the process's local time
beside it when the entity's zone differs; the corte number; "corte final" when final.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ..election.timefmt import offset_label
from . import paths

CENTRO = "America/Mexico_City"
# the stamp document's own policy: its stylesheet, nothing else (frame-ancestors comes from the server)
CSP = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'"
TITLE = "Fecha y hora del corte vigente"


def _wall(instant: datetime, tz) -> tuple[str, str, str]:
    """(DD/MM/YYYY HH:MM, ISO 8601, 'UTC-6') of an instant in a zone."""
    local = instant.astimezone(tz).replace(microsecond=0)
    return local.strftime("%d/%m/%Y %H:%M"), local.isoformat(), offset_label(local)


def local_differs(instant: datetime, zone_name: str) -> bool:
    """Whether the process's zone shows another wall-clock time than the Centro at this instant."""
    try:
        tz = ZoneInfo(zone_name)
    except (ValueError, KeyError, OSError):
        return False
    return instant.astimezone(tz).utcoffset() != instant.astimezone(ZoneInfo(CENTRO)).utcoffset()


def lines(instant: datetime, stamp: dict) -> list[str]:
    """The stamp's lines, escaped HTML: hora del Centro; the local time when it differs; número y final."""
    fecha, iso, utc = _wall(instant, ZoneInfo(CENTRO))
    out = [f'Corte: <time datetime="{iso}">{fecha}</time> hora del Centro ({utc})']
    zone = stamp.get("zona_horaria") or ""
    if zone and local_differs(instant, zone):
        lf, liso, lutc = _wall(instant, ZoneInfo(zone))
        label = stamp["zona"] if stamp.get("zona") != "hora del Centro" else "hora local"
        out.append(f'Hora local: <time datetime="{liso}">{lf[-5:]}</time> {label} ({lutc})')
    final = " · corte final" if stamp.get("final") else ""
    out.append(f'Corte núm. {int(stamp["secuencia"])}{final}')
    return out


def page(instant: datetime, stamp: dict, css_href: str) -> bytes:
    """The bytes of corte.html: deterministic, tiny, self-contained but for the site's (cached) stylesheet."""
    body = "".join(f'<span class="linea">{x}</span>' for x in lines(instant, stamp))
    return (
        '<!DOCTYPE html>\n'
        f'<html lang="es-MX" data-secuencia="{int(stamp["secuencia"])}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        f'<meta name="pregon-corte" content="{int(stamp["secuencia"])}|{stamp["instante"]}">\n'
        '<meta name="robots" content="noindex">\n'
        f'<title>{TITLE}</title>\n<link rel="stylesheet" href="{css_href}">\n'
        f'<link rel="alternate" type="application/json" href="{paths.MAIN_JSON}">\n</head>\n'
        f'<body class="sello-doc">\n<p class="sello">{body}</p>\n</body>\n</html>\n'
    ).encode("utf-8")


def embed(root: str, three_lines: bool) -> str:
    """The `<iframe>` of the stamp every page carries in its summary band."""
    cls = "sello-marco sello-3" if three_lines else "sello-marco"
    return (f'<iframe class="{cls}" src="{root}{paths.STAMP}" title="{TITLE}" loading="eager" '
            'referrerpolicy="same-origin"></iframe>')
