"""The journal read as the memoria reads it: cuts staged before the window, notices, restarts, the clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pregon.difusor.journal import Journal
from pregon.durable import read_jsonl
from pregon.errors import InputError
from pregon.memoria import charts, fmt
from pregon.memoria.data import (
    check_registro,
    incidents_of,
    journal_summary,
    published_cuts,
)
from pregon.times import ManualClock

MX = timezone(timedelta(hours=-6))
START = datetime(2024, 6, 2, 20, 0, tzinfo=MX)
END = datetime(2024, 6, 3, 0, 0, tzinfo=MX)


def at(h, m=0, s=0):
    return datetime(2024, 6, 2, tzinfo=MX) + timedelta(hours=h, minutes=m, seconds=s)


@pytest.fixture
def journal(tmp_path):
    clock = ManualClock(START)
    j = Journal(tmp_path / "journal.jsonl", clock=clock)

    def write(t, event, level="info", **kw):
        clock.t = t
        j.write(event, level, **kw)

    # cut 1 arrives before the window and is staged; the window opens at 20:00 and publishes it
    write(at(19, 50), "received", package="p1.tar.gz", archive="x-p1.tar.gz")
    write(at(19, 50), "staged", package="p1.tar.gz", sequence=1, kind="full", release="00000001-aa",
          public="_placeholder-1", corte={"sequence": 1, "instant": at(19, 45).isoformat()})
    write(at(20, 0), "published", release="00000001-aa", phase="open")
    write(at(20, 30), "stopped")
    write(at(20, 34), "started", difusor="d", sequence=1, current="00000001-aa")
    write(at(20, 40), "clock-unsynchronised", "error", detail="the system clock is not NTP-synchronised")
    write(at(21, 0, 30), "received", package="p2.tar.gz", archive="x-p2.tar.gz")
    write(at(21, 0, 40), "activated", package="p2.tar.gz", sequence=2, kind="full", release="00000002-bb",
          public="00000002-bb", corte={"sequence": 2, "instant": at(21).isoformat()}, latency_s=10.0)
    write(at(21, 30), "notice", package="n3.tar.gz", sequence=3, kind="notice", release=None,
          public="_notice-00000003-cc", notice={"type": "suspension", "message": "Publicación suspendida"})
    write(at(22, 0), "activated", package="p4.tar.gz", sequence=4, kind="full", release="00000004-dd",
          public="00000004-dd", corte={"sequence": 4, "instant": at(21, 59).isoformat()})
    write(at(23, 0), "pull-incident", "error", detail="index.json: connection refused")
    write(at(23, 59, 59), "received", package="p5.tar.gz", archive="x-p5.tar.gz")
    write(at(24, 0), "activated", package="p5.tar.gz", sequence=5, kind="full", release="00000005-ee",
          public="00000005-ee", corte={"sequence": 5, "instant": at(23, 59).isoformat()})
    return read_jsonl(tmp_path / "journal.jsonl")


def test_cuts(journal):
    cuts = published_cuts(journal, START, END)
    assert [c.sequence for c in cuts] == [1, 2, 4]  # cut 5 went live at the end instant, which is excluded
    first, second, fourth = cuts
    assert first.activation == at(20) and first.arrival == at(19, 50) and first.lag_corte_s == 15 * 60
    assert first.published_until == at(21, 0, 40)
    assert second.transfer_s == 10 and second.lag_corte_s == 40
    assert second.published_until == at(21, 30)  # the notice replaced it
    assert fourth.published_until == END and fourth.created is None  # no archive given: no manifest time


def test_incidents(journal):
    inc = incidents_of(journal, START, END, MX)
    assert [i.event for i in inc] == ["stopped", "clock-unsynchronised", "notice", "pull-incident"]
    stopped, clock, notice, pull = inc
    assert stopped.duration_s == 240 and stopped.resolved == at(20, 34)
    assert clock.duration_s == (END - at(20, 40)).total_seconds() and "Sin resolución" in clock.impact
    assert notice.duration_s == 1800 and "sustituyó" in notice.impact
    assert pull.resolved is None and pull.duration_s == 3600
    assert journal_summary(journal, START, END)["activated"] == 2


def test_registro_is_checked():
    assert check_registro({"nombre": "X", "contacto_tecnico": {"nombre": "A", "correo": "a@x"}}, "r") == {
        "nombre": "X", "contacto_tecnico": {"nombre": "A", "correo": "a@x"}}
    with pytest.raises(InputError, match="unknown key 'logo'"):
        check_registro({"logo": "x.svg"}, "r")
    with pytest.raises(InputError, match="expected text"):
        check_registro({"nombre": True}, "r")


def test_formats_and_charts_are_plain_and_stable():
    assert fmt.number(1234567) == "1,234,567" and fmt.number(2.5, 1) == "2.5"
    assert fmt.duration(59) == "59 s" and fmt.duration(185) == "3 min 05 s" and fmt.duration(7260) == "2 h 01 min"
    assert fmt.long_when(START, MX) == "domingo 2 de junio de 2024, 20:00 h (UTC−06:00)"
    svg = charts.bars([3, 0, 7], ["a", "b", "c"], title="t <x>", line=[1, None, 2])
    assert svg == charts.bars([3, 0, 7], ["a", "b", "c"], title="t <x>", line=[1, None, 2])
    assert svg.startswith("<svg") and svg.endswith("</svg>") and "t &lt;x&gt;" in svg
    assert svg.count("<rect") == 3  # three bars (no legend without labels)
    assert charts.nice_step(7) == 2 and charts.nice_step(2400) == 1000 and charts.nice_step(0) == 1
