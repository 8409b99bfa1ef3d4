"""A drill over a real night: the Quintana Roo 2019 database replayed (`pregon simulate replay`), the whole
night on a fast clock to the database's own corte, two pull difusores. The last corte every difusor shows is
the database's: the 13 header figures the institute published."""

from __future__ import annotations

import json

from pregon import database
from pregon.cli import main
from pregon.errors import InputError
from pregon.simulacro.plan import Plan, check, timeline
from pregon.simulacro.run import Simulacro
from pregon.simulacro.sshd import free_port
from realdata import QROO, real

AVANCE = ["actas_esperadas", "actas_registradas", "actas_fuera_catalogo", "actas_capturadas",
          "porcentaje_actas_capturadas", "actas_contabilizadas", "porcentaje_actas_contabilizadas",
          "porcentaje_actas_inconsistencias", "actas_no_contabilizadas", "lista_nominal_actas_contabilizadas",
          "total_votos_c_cs", "total_votos_s_cs", "porcentaje_participacion_ciudadana"]


def test_drill_over_a_replayed_night_ends_on_the_database(tmp_path):
    election = tmp_path / "qroo"
    assert main(["simulate", "replay", str(real(QROO)), "--out", str(election)]) == 0
    tl = timeline(election)
    hours = (tl["end"] - tl["start"]).total_seconds() / 3600
    assert tl["final"] is True and 9 < hours < 10
    for _ in range(20):
        plan = Plan(out=tmp_path / "drill", hours=hours, speed=round(hours * 3600 / 25), n=2, methods=("pull",),
                    port=20000 + free_port() % 30000, source=election, final_cut=tl["final"], preset="replay")
        try:
            check(plan)
            break
        except InputError:
            continue
    lines: list[str] = []
    drill = Simulacro(plan, echo=lines.append, linger=False, pdf=False)
    summary = drill.run()
    assert all(not c.running() for c in drill.children.values())
    assert summary["cut_failed"] == 0 and summary["election"] == str(election)
    assert "repetición de una noche real" in "\n".join(lines)
    (db,) = database.read(real(QROO))
    for d in plan.difusores:
        m = json.loads((d.root / "current" / "json" / "main.json").read_text())
        assert m["corte"]["instante"] == "2019-06-03T05:47:00-05:00" and m["corte"]["final"] is True, d.id
        (el,) = m["elecciones"]
        assert [str(el["avance"][k]) for k in AVANCE] == db.header_values, d.id


def test_short_drill_over_the_puebla_replay_reaches_its_last_corte(tmp_path):
    """Puebla 2018: three elections of ~7,500 actas, real ballots (boletas/), a night of 24 h; the first half
    hour of it on the drill clock, one pull difusor."""
    election = tmp_path / "puebla"
    assert main(["simulate", "replay", str(real("IEE_PUE_2018")), "--out", str(election)]) == 0
    for _ in range(20):
        plan = Plan(out=tmp_path / "drill", hours=0.5, speed=60, n=1, methods=("pull",),
                    port=20000 + free_port() % 30000, source=election, preset="replay")
        try:
            check(plan)
            break
        except InputError:
            continue
    summary = Simulacro(plan, echo=lambda line: None, linger=False, pdf=False).run()
    assert summary["cut_failed"] == 0 and summary["cuts"] == summary["cuts_planned"] == 3
    (d,) = plan.difusores
    m = json.loads((d.root / "current" / "json" / "main.json").read_text())
    assert m["corte"]["instante"] == "2018-07-01T20:30:00-05:00"
    assert sorted(e["clave"] for e in m["elecciones"]) == ["AYUN", "DIP_LOC", "GUB"]
    assert (d.root / "current" / "AYUN" / "21-1" / "index.html").exists()
