"""HTML fragments of the data pages, built as strings: the results views, child lists, casilla and acta tables.

A national corte renders some 200,000 sección pages; Jinja macros cost ~1.5 ms a page, these fragments a
tenth of that. The layout around them is still a Jinja template (templates/_layout.html.j2), rendered once per
page kind and depth and spliced (render.Layouts). Everything that comes from data is escaped here with
markupsafe.escape; numbers are formatted, percentages are the corte's own truncated strings.
"""

from __future__ import annotations

from markupsafe import escape

from . import svg

NIVEL = {"contienda": "Contienda", "entidad": "Entidad", "distrito_local": "Distrito local",
         "distrito_federal": "Distrito federal", "municipio": "Municipio", "seccion": "Sección",
         "nacional": "Contienda"}
NIVEL_POR = {"contienda": "contienda", "entidad": "entidad", "distrito_local": "distrito local",
             "distrito_federal": "distrito federal", "municipio": "municipio", "seccion": "sección",
             "nacional": "contienda"}


_ESCAPED: dict[str, str] = {}


def e(text) -> str:
    """HTML-escaped text; names repeat on thousands of pages, so escaped strings are remembered."""
    if type(text) is str:
        hit = _ESCAPED.get(text)
        if hit is None:
            hit = text if text.isalnum() else str(escape(text))
            if len(_ESCAPED) < 100_000:
                _ESCAPED[text] = hit
        return hit
    return str(escape(text))


def n(value) -> str:
    return f"{value:,}" if type(value) is int else e(value)


def hora(iso: str) -> str:
    """'2024-06-02T21:15:03-06:00' -> '02/06/2024 21:15:03'. The ISO strings are pregon's own (fmt.EpochText,
    from integers), digits and separators only: nothing to escape."""
    if not iso or len(iso) < 19:
        return "—"
    return f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]} {iso[11:19]}"


_SWATCH: dict[str, str] = {}


def swatch(color: str) -> str:
    hit = _SWATCH.get(color)
    if hit is None:
        hit = _SWATCH[color] = (f'<svg class="sw" width="10" height="10" aria-hidden="true"><rect width="10" '
                                f'height="10" fill="{svg.color(color)}"/></svg>')
    return hit


def avance(a: dict, titulo: str | None) -> str:
    """The PREP summary of a place: actas esperadas, capturadas and contabilizadas (with %), participación."""
    pc = a["porcentaje_actas_capturadas"]
    head = f"<h2>{e(titulo)}</h2>" if titulo else ""
    return (
        f'<div class="avance">{head}<dl>'
        f'<div><dt>Actas esperadas</dt><dd><strong>{n(a["actas_esperadas"])}</strong></dd></div>'
        f'<div><dt>Actas capturadas</dt><dd><strong>{n(a["actas_capturadas"])}</strong> '
        f'<span class="pct">{pc}%</span><progress max="100" value="{pc}">{pc}%</progress></dd></div>'
        f'<div><dt>Actas contabilizadas</dt><dd><strong>{n(a["actas_contabilizadas"])}</strong> '
        f'<span class="pct">{a["porcentaje_actas_contabilizadas"]}%</span></dd></div>'
        f'<div><dt>Participación ciudadana</dt><dd><strong>{a["porcentaje_participacion_ciudadana"]}%</strong>'
        f'</dd></div></dl></div>'
    )


def resumen(elecciones: list[dict]) -> str:
    """The avance of every election, for pages that speak for the whole corte."""
    rows = "".join(
        f'<tr><th scope="row">{e(x["nombre"])}</th><td class="num" data-label="Actas esperadas">'
        f'{n(x["avance"]["actas_esperadas"])}</td><td class="num" data-label="Actas capturadas">'
        f'{n(x["avance"]["actas_capturadas"])} ({x["avance"]["porcentaje_actas_capturadas"]}%)</td><td class="num" data-label="Actas contabilizadas">'
        f'{n(x["avance"]["actas_contabilizadas"])} ({x["avance"]["porcentaje_actas_contabilizadas"]}%)</td>'
        f'<td class="num" data-label="Participación ciudadana">{x["avance"]["porcentaje_participacion_ciudadana"]}%'
        '</td></tr>'
        for x in elecciones)
    return ('<div class="tabla" tabindex="0"><table class="resumen"><caption>Avance por elección</caption><thead><tr>'
            '<th scope="col">Elección</th><th scope="col" class="num">Actas esperadas</th>'
            '<th scope="col" class="num">Actas capturadas</th>'
            '<th scope="col" class="num">Actas contabilizadas</th><th scope="col" class="num">Participación '
            f'ciudadana</th></tr></thead><tbody>{rows}</tbody></table></div>')


def migas(crumbs: list[dict], root: str) -> str:
    items = []
    last = len(crumbs) - 1
    for i, c in enumerate(crumbs):
        if i == last:
            items.append(f'<li><span aria-current="page">{e(c["nombre"])}</span></li>')
        else:
            items.append(f'<li><a href="{root}{e(c["html"])}">{e(c["nombre"])}</a></li>')
    return f'<nav class="migas" aria-label="Ruta"><ol>{"".join(items)}</ol></nav>'


_ROWS: dict = {}


def _row_heads(rows: list[dict], key, agregado: bool, cand: bool) -> list[str]:
    """`<tr><th scope="row">name…</th>` of each row: fixed per contest, so built once per key."""
    names = tuple((r["nombre"], r.get("candidato", "")) for r in rows)
    hit = _ROWS.get(key) if key is not None else None
    if hit is not None and hit[0] == names:
        return hit[1]
    heads = []
    for r in rows:
        person = r.get("candidato", "")
        if person and cand:  # the person first, then who nominates them
            heads.append(f'<tr><th scope="row">{e(person)} <small>({e(r["nombre"])})</small></th><td class="num">')
            continue
        extra = ""
        if cand and r["tipo"] == "coalicion":
            extra = f' <small>({e(", ".join(r["partidos"]))})</small>'
        heads.append(f'<tr><th scope="row">{e(r["nombre"])}{extra}</th><td class="num">')
    if key is not None and len(_ROWS) < 50_000:
        _ROWS[key] = (names, heads)
    return heads


def resultados(m: dict, agregado: bool = False, key=None, arte=None, root: str = "") -> str:
    """The two views PREP sites show: por candidatura and por partido, each a chart and a table.

    The colours and emblems are in the chart above each table; the tables stay plain (a sección page is read
    200,000 times over, every byte counts). `key` names the contest, whose labels repeat on all its pages;
    `arte` maps siglas to the party's artwork (an asset path below `root`)."""
    kc = None if key is None else (key, "c", root)
    kp = None if key is None else (key, "p", root)
    cands, parts = m["por_candidatura"], m["por_partido"]
    if agregado:
        heads = _row_heads(cands, kc, True, True)
        cand_rows = [f'{h}{r["votos"]:,}</td><td class="num">{r["porcentaje"]}%</td><td class="num">'
                     f'{r["contiendas_encabeza"]:,}</td></tr>' for h, r in zip(heads, cands)]
    else:
        cand_rows = [f'{h}{r["votos"]:,}</td><td class="num">{r["porcentaje"]}%</td></tr>'
                     for h, r in zip(_row_heads(cands, kc, False, True), cands)]
    part_rows = [f'{h}{r["votos"]:,}</td><td class="num">{r["porcentaje"]}%</td></tr>'
                 for h, r in zip(_row_heads(parts, kp, False, False), parts)]
    lead_h = '<th scope="col" class="num">Encabeza en</th>' if agregado else ""
    lead_f = "<td></td>" if agregado else ""
    cap = ("; las coaliciones suman los votos de sus partidos y combinaciones en cada contienda" if agregado else "")
    return (
        '<nav class="vistas" aria-label="Vistas de resultados"><a href="#candidatura">Por candidatura</a> '
        '<a href="#partido">Por partido político</a></nav>'
        '<section id="candidatura" class="vista" aria-labelledby="candidatura-h">'
        '<h2 id="candidatura-h">Votos por candidatura</h2>'
        f'{svg.bars(cands, "g-cand", "Votos por candidatura", kc, arte, root)}'
        f'<div class="tabla" tabindex="0"><table><caption>Votos por candidatura{cap}</caption>'
        '<thead><tr><th scope="col">Candidatura</th><th scope="col" class="num">Votos</th>'
        f'<th scope="col" class="num">Porcentaje</th>{lead_h}</tr></thead><tbody>{"".join(cand_rows)}</tbody>'
        f'<tfoot><tr><th scope="row">Total de votos</th><td class="num">{n(m["avance"]["total_votos"])}</td>'
        f'<td></td>{lead_f}</tr></tfoot></table></div></section>'
        '<section id="partido" class="vista" aria-labelledby="partido-h">'
        '<h2 id="partido-h">Votos por partido político y combinación de coalición</h2>'
        f'{svg.bars(parts, "g-part", "Votos por partido político y combinación", kp, arte, root)}'
        '<div class="tabla" tabindex="0"><table><caption>Votos por partido político, combinación de coalición, candidaturas '
        'no registradas y nulos, como en la base de datos</caption><thead><tr><th scope="col">Partido o '
        'combinación</th><th scope="col" class="num">Votos</th><th scope="col" class="num">Porcentaje</th></tr>'
        f'</thead><tbody>{"".join(part_rows)}</tbody></table></div></section>'
    )


def hijos(h: dict, root: str, titulo: str) -> str:
    """The list of places one level down (a distrito lists some 200 secciones: rows are kept lean; the
    numeric cells are aligned by the `lista` table's CSS, not per cell)."""
    rows = []
    for r in h["filas"]:
        a = r["avance"]
        lead = r["encabeza"]
        if lead:
            tie = " (empate)" if lead["empate"] else ""
            who = f'<td>{e(lead["nombre"])}{tie}</td><td>{lead["porcentaje"]}%</td>'
        else:
            who = "<td>—</td><td>—</td>"
        rows.append(
            f'<tr><th scope="row"><a href="{root}{e(r["html"])}">{e(r["nombre"])}</a></th>{who}'
            f'<td>{a["actas_capturadas"]:,}/{a["actas_esperadas"]:,} ({a["porcentaje_actas_capturadas"]}%)</td>'
            f'<td>{a["porcentaje_participacion_ciudadana"]}%</td></tr>')
    t = e(titulo)
    return (
        f'<section class="hijos" aria-labelledby="hijos-{h["nivel"]}"><h2 id="hijos-{h["nivel"]}">{t}</h2>'
        f'<div class="tabla" tabindex="0"><table class="lista"><caption>{t}: quién encabeza y avance de actas</caption><thead><tr>'
        f'<th scope="col">{NIVEL.get(h["nivel"], e(h["nivel"]))}</th><th scope="col">Encabeza</th>'
        '<th scope="col" class="num">%</th><th scope="col" class="num">Actas capturadas</th>'
        f'<th scope="col" class="num">Participación</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
        '</section>'
    )


def titulo_hijos(nivel: str) -> str:
    return "Resultados por " + NIVEL_POR.get(nivel, nivel)


def nodo_main(m: dict, root: str, key=None, arte=None) -> str:
    return (f'<h1>{e(m["nodo"]["nombre"])} <small>{e(m["eleccion"]["nombre"])}</small></h1>'
            f'{resultados(m, key=key, arte=arte, root=root)}{hijos(m["hijos"], root, titulo_hijos(m["hijos"]["nivel"]))}')


def _plain(text: str) -> str:
    """Escaped text that is usually a bare token (a SHA-256, a clave): skip the cache for those."""
    return text if text.isalnum() else e(text)


def seccion_main(m: dict, root: str, key=None, arte=None) -> str:
    s = m["seccion"]
    geo = [e(s["entidad"]["nombre"])]
    if "municipio" in s:
        geo.append(f'Municipio {e(s["municipio"]["nombre"])}')
    if "distrito_local" in s:
        geo.append(f'Distrito local {s["distrito_local"]["numero"]}')
    if "distrito_federal" in s:
        geo.append(f'Distrito federal {s["distrito_federal"]["numero"]}')
    heads = "".join(f'<th scope="col" class="num"><abbr title="{e(c["nombre"])}">{e(c["corto"])}</abbr></th>'
                    for c in m["columnas"])
    span = len(m["columnas"]) + 1
    votes, states = [], []
    for c in m["casillas"]:
        name = e(c["nombre"])
        ln = n(c["lista_nominal"])
        if not c["actas"]:
            votes.append(f'<tr><th scope="row">{name}</th><td colspan="{span}" class="pend">Acta aún no capturada'
                         f'</td><td class="num">{ln}</td></tr>')
            states.append(f'<tr><th scope="row">{name}</th><td>{e(c["clave"])}</td><td>Pendiente</td>'
                          '<td colspan="5">Acta aún no capturada</td></tr>')
            continue
        for a in c["actas"]:
            cells = "".join([f'<td class="num">{v:,}</td>' if type(v) is int else f'<td class="num">{e(v)}</td>'
                             for v in a["votos"]])
            votes.append(f'<tr><th scope="row">{name}</th>{cells}<td class="num">{n(a["total_votos"])}</td>'
                         f'<td class="num">{ln}</td></tr>')
            si = "Sí" if a["contabilizada"] else "No"
            states.append(
                f'<tr><th scope="row">{name}</th><td>{_plain(a["clave"])}</td><td>{si}</td>'
                f'<td>{e(a["observaciones"]) or "—"}</td><td>{hora(a["acopio"])}</td><td>{hora(a["captura"])}</td>'
                f'<td>{hora(a["verificacion"])}</td><td><code class="sha">{_plain(a["sha256"]) or "—"}</code></td>'
                '</tr>')
    return (
        f'<h1>{e(m["nodo"]["nombre"])} <small>{e(m["eleccion"]["nombre"])}</small></h1>'
        f'<p class="geo">{" · ".join(geo)}</p>{resultados(m, key=key, arte=arte, root=root)}'
        '<section id="casillas" aria-labelledby="casillas-h"><h2 id="casillas-h">Casillas y actas</h2>'
        '<div class="tabla" tabindex="0"><table class="casillas"><caption>Votos de cada acta, como se capturaron</caption>'
        f'<thead><tr><th scope="col">Casilla</th>{heads}<th scope="col" class="num">Total</th>'
        f'<th scope="col" class="num">Lista nominal</th></tr></thead><tbody>{"".join(votes)}</tbody></table></div>'
        '<div class="tabla" tabindex="0"><table class="actas"><caption>Estado de cada acta: si se contabilizó y por qué no, '
        'tiempos de acopio, captura y verificación, y la huella SHA-256 de su imagen</caption><thead><tr>'
        '<th scope="col">Casilla</th><th scope="col">Acta</th><th scope="col">Contabilizada</th>'
        '<th scope="col">Observaciones</th><th scope="col">Acopio</th><th scope="col">Captura</th>'
        '<th scope="col">Verificación</th><th scope="col">SHA-256 de la imagen</th></tr></thead>'
        f'<tbody>{"".join(states)}</tbody></table></div></section>'
    )
