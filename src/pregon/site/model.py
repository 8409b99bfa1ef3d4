"""A corte turned into page view-models: plain dicts that are at once a page's JSON twin and the context of
its HTML template, so both always show the same figures.

Work is done once per election and corte, column-wise (numpy), so that a national corte's 200,000 sección
pages each cost a few list look-ups: `EleccionModel` holds the tallies of every node (contest, entity,
distrito, sección) as arrays, the actas converted to Python lists, and an input digest per node (a sum of
per-acta hashes) that says, without rendering, whether a page's figures changed since an earlier corte.
"""

from __future__ import annotations

import numpy as np

from ..election import rules
from ..election.corte import Corte, EleccionCorte, Tally
from . import paths
from .ballot import column_label, leader, opcion_rows
from .digests import acta_hashes
from .figures import Stamp, avance, pct, pct_many
from .fmt import EpochText, resolve_tz
from .groups import Groups, group_sum
from .tree import Node, tree_for

MODEL_VERSION = 1
FORMATO = 1  # the JSON twins' format number (docs/site-json.md)


class EleccionModel:
    """Everything the pages of one election need at one corte: the static Tree, and this corte's tallies of
    every node as arrays, its actas in sección order, and an input digest per node."""

    def __init__(self, site: "SiteModel", ec: EleccionCorte):
        self.site = site
        self.ec = ec
        el = self.el = ec.eleccion
        t = self.tree = tree_for(ec.frame, el)
        self.key, self.catalog, self.col_index = t.key, t.catalog, t.col_index
        self.contests, self.ops, self.ct_cols, self.matrices = t.contests, t.ops, t.ct_cols, t.matrices
        self.nodes_by_level, self.sublevels, self.sec_info = t.nodes_by_level, t.sublevels, t.sec_info
        self.cas_order, self.cas_start, self.cas_end, self.expected = t.cas_order, t.cas_start, t.cas_end, t.expected
        self.final = bool(ec.final)

        self.sec = Groups.from_table(ec.table("seccion"))
        self.ct = Groups.from_table(ec.table("contienda"))
        self.groups: dict[str, Groups] = {"seccion": self.sec, "contienda": self.ct}
        for level in t.sublevels:
            self.groups[level] = self.sec.aggregate(t.members[level], len(t.nodes_by_level[level]))
        nsec = len(t.sec_keys)

        # actas: inside the catalog, grouped by sección then casilla
        a = ec.actas
        self.actas = a
        inside = np.flatnonzero(~a.fuera_catalogo)
        cidx = a.casilla_idx[inside]
        a_sec = ec.frame.group["seccion"][cidx] if inside.size else np.zeros(0, dtype=np.int64)
        order = np.lexsort((inside, cidx, a_sec)) if inside.size else np.zeros(0, dtype=np.int64)
        self.acta_rows = inside[order]
        a_sec_sorted = a_sec[order]
        ids = np.arange(nsec)
        self.acta_start = np.searchsorted(a_sec_sorted, ids, side="left")
        self.acta_end = np.searchsorted(a_sec_sorted, ids, side="right")
        self._acta_lists = None

        # input digests: per sección (count and wrapping sum of acta hashes), summed up the tree
        hashes = acta_hashes(a)[inside] if inside.size else np.zeros(0, dtype=np.uint64)
        sec_hash = group_sum(a_sec, hashes, nsec)
        sec_count = np.bincount(a_sec, minlength=nsec).astype(np.int64)
        sums = {"seccion": (sec_count, sec_hash),
                "contienda": (group_sum(t.sec_contest, sec_count, len(t.contests)),
                              group_sum(t.sec_contest, sec_hash, len(t.contests)))}
        for level in t.sublevels:
            n = len(t.nodes_by_level[level])
            sums[level] = (group_sum(t.members[level], sec_count, n), group_sum(t.members[level], sec_hash, n))
        flag = "F" if self.final else "P"
        self.digests = {level: [f"{flag}{c}:{h:016x}" for c, h in zip(cnt.tolist(), hs.tolist())]
                        for level, (cnt, hs) in sums.items()}

    def digest(self, node: Node) -> str:
        return self.digests[node.level][node.row]

    def all_nodes(self):
        for level in self.tree.levels:
            yield from self.nodes_by_level[level]

    # -- figures

    def cand_votes(self, contest: int, votos: list[int]) -> list[int]:
        return [sum(votos[j] for j in op.cols) for op in self.ops[contest]]

    def _labels(self, contest: int | None) -> list[tuple[int, str, str, str, str]]:
        """(index, column, name, short label, color) of the columns shown for a contest (None: all)."""
        cache = self.tree.label_cache
        hit = cache.get(contest)
        if hit is None:
            cols = range(len(self.el.columnas)) if contest is None else self.ct_cols[contest]
            ct = None if contest is None else self.contests[contest]
            hit = cache[contest] = [(j, self.el.columnas[j], *column_label(self.catalog, self.el.columnas[j], ct))
                                    for j in cols]
        return hit

    def por_partido(self, contest: int | None, votos: list[int], total: int) -> list[dict]:
        return [{"columna": col, "nombre": nombre, "corto": corto, "votos": votos[j],
                 "porcentaje": pct(votos[j], total), "color": color}
                for j, col, nombre, corto, color in self._labels(contest)]

    def child_rows(self, children: list[Node]) -> list[dict]:
        """Rows of a list of nodes (same groups object): name, link, who leads, avance; column-wise."""
        if not children:
            return []
        g = self.groups[children[0].level]
        idx = np.array([c.row for c in children], dtype=np.int64)
        votos = g.votos[idx]
        contests = np.array([c.contest for c in children], dtype=np.int64)
        total = g.total_c_cs[idx]
        esperadas, capturadas, contab = g.esperadas[idx], g.capturadas[idx], g.contabilizadas[idx]
        part_num = total if g.final else g.total_s_cs[idx]
        ln = g.lista_nominal[idx]
        p_capt, p_cont, p_part = pct_many(capturadas, esperadas), pct_many(contab, esperadas), pct_many(part_num, ln)
        leaders: list = [None] * len(children)
        for ct in np.unique(contests).tolist():
            rows = np.flatnonzero(contests == ct)
            ops = self.ops[ct]
            lead_cols = [j for j, op in enumerate(ops) if op.tipo not in ("no_registrados", "nulos")]
            if not lead_cols:
                continue
            cand = (votos[rows] @ self.matrices[ct])[:, lead_cols]
            best = cand.argmax(axis=1)
            best_v = cand[np.arange(len(rows)), best]
            ties = (cand == best_v[:, None]).sum(axis=1) > 1
            p_best = pct_many(best_v, total[rows])
            for k, r in enumerate(rows.tolist()):
                v = int(best_v[k])
                if v <= 0:
                    continue
                op = ops[lead_cols[int(best[k])]]
                leaders[r] = {"clave": op.clave, "nombre": op.nombre, "votos": v, "porcentaje": p_best[k],
                              "color": op.color, "empate": bool(ties[k])}
        out = []
        tw = paths.twin
        for i, c in enumerate(children):
            out.append({
                "clave": c.key, "nombre": c.nombre, "html": c.path, "json": tw(c.path), "encabeza": leaders[i],
                "avance": {
                    "actas_esperadas": int(esperadas[i]), "actas_capturadas": int(capturadas[i]),
                    "porcentaje_actas_capturadas": p_capt[i], "actas_contabilizadas": int(contab[i]),
                    "porcentaje_actas_contabilizadas": p_cont[i], "total_votos": int(total[i]),
                    "porcentaje_participacion_ciudadana": p_part[i],
                },
            })
        return out

    def prepare_actas(self, sec_rows=None) -> None:
        """Convert the actas the sección pages about to be rendered show (all when None) to Python lists.

        A full national render needs them all; an incremental one a few thousand, so only those are
        converted (call before forking workers, so they share the result)."""
        a = self.actas
        if sec_rows is None:
            need = self.acta_rows
        else:
            mask = np.zeros(len(self.acta_start), dtype=bool)
            mask[np.asarray(list(sec_rows), dtype=np.int64)] = True
            counts = (self.acta_end - self.acta_start)
            need = self.acta_rows[np.repeat(mask, counts)] if self.acta_rows.size else self.acta_rows
        pos = np.full(len(a), -1, dtype=np.int64)
        pos[need] = np.arange(need.size)
        texts = self.site.epoch_text
        obs_text = [o.texto for o in rules.Observacion]
        codes = a.observacion[need]
        observ = [obs_text[o] for o in codes.tolist()]
        for j in np.flatnonzero(codes == rules.Observacion.SIN_ACTA).tolist():
            observ[j] = str(a.sin_acta[need[j]])
        self._acta_lists = {
            "pos": pos.tolist(),
            "votes": a.votes[need].tolist(), "total": a.total[need].tolist(),
            "contab": a.contabilizada[need].tolist(), "obs": observ,
            "sha": [str(x) for x in a.sha[need].tolist()],
            "acopio": texts.convert(a.acopio[need])[1], "captura": texts.convert(a.captura[need])[1],
            "verificacion": texts.convert(a.verificacion[need])[1], "tipo_acta": a.tipo_acta[need].tolist(),
            "casilla": a.casilla_idx[need].tolist(), "doc": [str(x) for x in a.tipo_documento[need].tolist()],
        }

    def _acta_data(self):
        if self._acta_lists is None:
            self.prepare_actas()
        return self._acta_lists

    # -- page models (without the corte stamp; render adds it)

    def breadcrumbs(self, node: Node | None) -> list[dict]:
        crumbs = [{"nombre": "Inicio", "html": paths.HOME},
                  {"nombre": self.el.nombre.title() if self.el.nombre.isupper() else self.el.nombre,
                   "html": paths.eleccion(self.key)}]
        chain = []
        while node is not None:
            chain.append(node)
            node = node.parent
        for n in reversed(chain):
            crumbs.append({"nombre": n.nombre, "html": n.path})
        return crumbs

    def eleccion_info(self) -> dict:
        return {"clave": self.el.clave, "nombre": self.el.nombre, "ambito": self.el.ambito,
                "html": paths.eleccion(self.key), "json": paths.twin(paths.eleccion(self.key))}

    def headline(self) -> tuple[Tally, list[dict], list[dict]]:
        """(tally, por candidatura aggregated over contests with contiendas_encabeza, por partido)."""
        t = self.ec.tally
        acc: dict[str, dict] = {}
        ct_votos = self.ct.votos
        many = len(self.ops) > 1
        for i, ops in enumerate(self.ops):
            votos = ct_votos[i].tolist()
            cv = self.cand_votes(i, votos)
            lead = leader(ops, cv, int(self.ct.total_c_cs[i]))
            for op, v in zip(ops, cv):
                key, nombre = op.clave, op.nombre
                if op.tipo == "independiente" and many:
                    # the independents of different contests share nothing but a column name
                    key, nombre = "CAND_IND", "Candidaturas independientes"
                row = acc.get(key)
                if row is None:
                    row = acc[key] = {"clave": key, "nombre": nombre, "candidato": "" if many else op.candidato,
                                      "tipo": op.tipo, "partidos": list(op.partidos), "votos": 0,
                                      "color": op.color, "contiendas": 0, "contiendas_encabeza": 0}
                row["votos"] += v
                row["contiendas"] += 1
                if lead is not None and lead["clave"] == op.clave and not lead["empate"]:
                    row["contiendas_encabeza"] += 1
        last = {"no_registrados": 1, "nulos": 2}
        cands = sorted(acc.values(), key=lambda r: last.get(r["tipo"], 0))  # stable: ballot order, then CNR, nulos
        for row in cands:
            row["porcentaje"] = rules.pct(row["votos"], t.total)
        partido = self.por_partido(None, list(t.votos), t.total)
        return t, cands, partido

    def eleccion_page(self) -> dict:
        t, cands, partido = self.headline()
        contests = self.nodes_by_level["contienda"]
        model = {
            "tipo": "eleccion",
            "eleccion": self.eleccion_info(),
            "avance": avance(t),
            "por_candidatura": cands,
            "por_partido": partido,
            "hijos": {"nivel": "contienda", "filas": self.child_rows(contests)},
            "migas": self.breadcrumbs(None),
            "titulo": self.el.nombre,
            "detalle": None,
        }
        if len(contests) == 1:
            only = contests[0]
            if only.children:
                model["detalle"] = {"nivel": only.children[0].level, "filas": self.child_rows(only.children)}
        return model

    def node_page(self, node: Node) -> dict:
        t = self.groups[node.level].tally(node.row)
        votos = list(t.votos)
        ct = self.contests[node.contest]
        model = {
            "tipo": node.level if node.level in ("contienda", "seccion", "entidad", "municipio") else "distrito",
            "nivel": node.level,
            "eleccion": self.eleccion_info(),
            "contienda": {"clave": ct.clave, "nombre": self.nodes_by_level["contienda"][node.contest].nombre,
                          "html": self.nodes_by_level["contienda"][node.contest].path},
            "nodo": {"clave": node.key, "nombre": node.nombre, "nivel": node.level},
            "avance": avance(t),
            "por_candidatura": opcion_rows(self.ops[node.contest], self.cand_votes(node.contest, votos), t.total),
            "por_partido": self.por_partido(node.contest, votos, t.total),
            "migas": self.breadcrumbs(node),
            "titulo": f"{node.nombre} · {self.el.nombre}",
        }
        if node.level == "seccion":
            model.update(self._seccion_detail(node))
        else:
            model["hijos"] = {"nivel": node.children[0].level if node.children else "seccion",
                              "filas": self.child_rows(node.children)}
        return model

    def _seccion_detail(self, node: Node) -> dict:
        r = node.sec_row
        ent, numero, s = self.sec_info[r]
        cat = self.catalog
        entidad = cat.entidades.get(ent)
        geo = {"entidad": {"id": ent, "nombre": entidad.nombre if entidad else str(ent)}, "numero": numero,
               "clave": node.key}
        if s is not None:
            for level in ("distrito_local", "distrito_federal", "municipio"):
                n = getattr(s, level)
                if n:
                    geo[level] = {"numero": n, "nombre": entidad.nombre_de(level, n) if entidad else str(n)}
        cols = self.ct_cols[node.contest]
        columnas = [{"columna": col, "nombre": nombre, "corto": corto}
                    for _j, col, nombre, corto, _c in self._labels(node.contest)]
        d = self._acta_data()
        by_casilla: dict[int, list[dict]] = {}
        vt = rules.vote_text
        pos = d["pos"]
        for row in self.acta_rows[self.acta_start[r]:self.acta_end[r]].tolist():
            i = pos[row]
            if i < 0:  # not prepared: convert everything (slow path, never taken by render)
                self.prepare_actas()
                return self._seccion_detail(node)
            ci = d["casilla"][i]
            row = d["votes"][i]
            casilla = cat.casillas[ci]
            contab = bool(d["contab"][i])
            by_casilla.setdefault(ci, []).append({
                "clave": f"{casilla.clave}{d['tipo_acta'][i]:02d}",
                "tipo_acta": d["tipo_acta"][i],
                "votos": [row[j] if row[j] >= 0 else vt(row[j]) for j in cols],
                "total_votos": d["total"][i],
                "contabilizada": contab,
                "observaciones": d["obs"][i],
                "acopio": d["acopio"][i], "captura": d["captura"][i], "verificacion": d["verificacion"][i],
                "sha256": d["sha"][i],
                "tipo_documento": d["doc"][i],
            })
        casillas = []
        expected = self.expected
        for ci in self.cas_order[self.cas_start[r]:self.cas_end[r]].tolist():
            actas = by_casilla.get(ci, [])
            if not expected[ci] and not actas:
                continue
            c = cat.casillas[ci]
            casillas.append({"clave": c.clave, "nombre": c.nombre, "tipo": c.tipo, "lista_nominal": c.lista_nominal,
                             "esperada": bool(expected[ci]), "actas": actas})
        return {"seccion": geo, "columnas": columnas, "casillas": casillas}


class SiteModel:
    """The whole site of one corte: its stamp, and one EleccionModel per election."""

    def __init__(self, corte: Corte):
        self.corte = corte
        self.catalog = corte.catalog
        zone_name = self.catalog.proceso.timezone
        self.tz = resolve_tz(zone_name, corte.instant)
        self.epoch_text = EpochText(self.tz)
        self.stamp = Stamp.of(corte, self.tz, zone_name)
        self.elecciones = [EleccionModel(self, ec) for ec in corte.elecciones.values()]
        keys = [e.key for e in self.elecciones]
        if len(set(keys)) != len(keys):
            raise ValueError(f"two elections share a path name: {keys}")

    def proceso(self) -> dict:
        p = self.catalog.proceso
        ents = [{"id": e.id, "nombre": e.nombre} for e in sorted(self.catalog.entidades.values(), key=lambda e: e.id)]
        out = {"id": p.id, "nombre": p.nombre, "fecha": p.fecha.isoformat(), "instituto": p.instituto,
               "entidades": ents, "entidad": ents[0] if len(ents) == 1 else None}
        if p.instituto_nombre:
            out["instituto_nombre"] = p.instituto_nombre
        if p.color:
            out["color"] = p.color
        return out

    def nav(self) -> list[dict]:
        return [{"clave": e.el.clave, "nombre": e.el.nombre, "html": paths.eleccion(e.key)} for e in self.elecciones]

    def home_page(self, descargas: list[dict]) -> dict:
        """The home page's model, which is also json/main.json: identity and headline figures, small."""
        elecciones = []
        for e in self.elecciones:
            t, cands, _ = e.headline()
            ranked = sorted((c for c in cands if c["tipo"] not in ("no_registrados", "nulos")),
                            key=lambda c: -c["votos"])
            top = [{k: c[k] for k in ("clave", "nombre", "tipo", "votos", "porcentaje", "color",
                                      "contiendas_encabeza")} for c in ranked[:3]]
            elecciones.append({**e.eleccion_info(), "avance": avance(t), "encabezan": top,
                               "contiendas": len(e.contests)})
        return {
            "tipo": "inicio",
            "formato": FORMATO,
            "proceso": self.proceso(),
            "elecciones": elecciones,
            "descargas": {"html": paths.DESCARGAS, "sumas": paths.SUMS, "archivos": descargas},
            "titulo": "Resultados preliminares",
        }

    def descargas_page(self, descargas: list[dict]) -> dict:
        return {
            "tipo": "descargas",
            "archivos": descargas,
            "sumas": paths.SUMS,
            "migas": [{"nombre": "Inicio", "html": paths.HOME}, {"nombre": "Base de datos", "html": paths.DESCARGAS}],
            "titulo": "Base de datos",
        }
