"""Availability per day and month against the call's threshold (IEM: 99.9 %), from the monitor's observations."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from instituto.kit import difusor, institute
from pregon.cli import main
from pregon.errors import InputError
from pregon.instituto import availability as av
from pregon.instituto.registry import Registry

MX = ZoneInfo("America/Mexico_City")


def night(ident: str, start: datetime, n: int, down: set[int] = frozenset(), step_s: int = 30) -> list[dict]:
    return [{"time": (start + timedelta(seconds=i * step_s)).isoformat(), "difusor": ident,
             "status": "down" if i in down else "ok", "up": i not in down} for i in range(n)]


def test_days_are_the_institutes_and_999_of_1000_meets():
    # 1000 observations from 2024-06-02 20:00 Mexico City (02:00 UTC on the 3rd): all of them on the 2nd
    # in Mexico City for 1000 * 30 s = 8 h 20 min... which crosses local midnight at i = 480
    start = datetime(2024, 6, 2, 20, 0, tzinfo=MX)
    obs = night("alfa", start, 1000, down={5})
    doc = av.report(obs, tz=MX, threshold=99.9)
    (alfa,) = doc["difusores"]
    assert [(d["period"], d["observations"], d["up"]) for d in alfa["days"]] == [
        ("2024-06-02", 480, 479), ("2024-06-03", 520, 520)]
    assert alfa["total"] == {"observations": 1000, "up": 999, "down": 1, "availability_pct": 99.9, "meets": True}
    assert alfa["days"][0]["meets"] is False and alfa["days"][0]["availability_pct"] == 99.792
    assert alfa["months"] == [{"period": "2024-06", "observations": 1000, "up": 999, "down": 1,
                               "availability_pct": 99.9, "meets": True}]
    utc = av.report(obs, tz=timezone.utc)["difusores"][0]["days"]
    assert [d["period"] for d in utc] == ["2024-06-03"]  # in UTC the whole night is one day: the zone matters
    assert av.report(night("alfa", start, 1000, down={5, 6}), tz=MX)["difusores"][0]["total"]["meets"] is False


def test_months_blocked_filters_and_silent_difusores():
    obs = (night("alfa", datetime(2024, 5, 31, 23, 59, tzinfo=MX), 4, step_s=30)
           + [{"time": "2024-06-01T12:00:00-06:00", "difusor": "beta", "status": "notice-shown", "up": True},
              {"time": "not a time", "difusor": "alfa", "up": False},
              {"time": "2024-06-01T12:00:00", "difusor": "alfa", "up": False},  # no offset: not counted
              {"time": "2024-06-01T12:00:00-06:00", "difusor": "gamma", "up": False, "status": "frame-unchecked"},
              {"time": "2024-06-01T12:00:00-06:00", "difusor": "beta", "up": False, "status": "frame-allowed"}])
    doc = av.report(obs, tz=MX, by="month", difusores=["alfa", "beta", "gamma"])
    rows = {e["difusor"]: e for e in doc["difusores"]}
    assert [m["period"] for m in rows["alfa"]["months"]] == ["2024-05", "2024-06"]
    assert "days" not in rows["alfa"]  # by month: months only
    assert rows["beta"]["total"]["observations"] == 0  # a blocked difusor's notice checks do not count
    # gamma: only a frame check that asked it nothing (no site_url): no availability figure, not 0 %
    assert rows["gamma"]["total"] == {"observations": 0, "up": 0, "down": 0, "availability_pct": None, "meets": None}
    only = av.report(obs, tz=MX, only=("alfa",), difusores=["alfa", "beta"],
                     start=datetime(2024, 6, 1, 0, 0, tzinfo=MX))
    assert [e["difusor"] for e in only["difusores"]] == ["alfa"]
    assert only["difusores"][0]["total"]["observations"] == 2 and only["from"] == "2024-06-01T00:00:00-06:00"
    with pytest.raises(InputError, match="--by 'week'"):
        av.report(obs, tz=MX, by="week")


def test_text_and_csv_rows():
    doc = av.report(night("alfa", datetime(2024, 6, 2, 20, tzinfo=MX), 10, down={0}), tz=MX, threshold=99.9)
    text = av.to_text(doc)
    assert text.splitlines()[0] == "availability by day (America/Mexico_City), threshold 99.9 %"
    assert "alfa                 2024-06-02      10       9      1   90.000  NO" in text
    assert "alfa                 total           10       9      1   90.000  NO" in text
    rows = list(csv.DictReader(io.StringIO(av.to_csv(doc))))
    assert [r["period"] for r in rows] == ["2024-06-02", "total"]
    assert rows[0] == {"difusor": "alfa", "period": "2024-06-02", "observations": "10", "up": "9", "down": "1",
                       "availability_pct": "90.0", "threshold_pct": "99.9", "meets": "no"}


def test_for_difusor_checks_the_file():
    doc = av.report(night("alfa", datetime(2024, 6, 2, 20, tzinfo=MX), 10), tz=MX)
    mine = av.for_difusor(json.loads(json.dumps(doc)), "alfa", "f.json")
    assert mine["total"]["availability_pct"] == 100.0 and mine["days"][0]["period"] == "2024-06-02"
    for bad, words in [({"schema": "x"}, "not an availability report"),
                       ({**doc, "difusores": "x"}, "must be a list"),
                       ({**doc, "threshold_pct": "99.9"}, "threshold_pct"),
                       ({**doc, "difusores": [{**doc["difusores"][0], "total": {"observations": 1, "up": 2}}]},
                        "up <= observations"),
                       ({**doc, "difusores": [{**doc["difusores"][0], "days": [{"period": "ayer", "observations": 1,
                                                                               "up": 1}]}]}, "expected YYYY-MM-DD")]:
        with pytest.raises(InputError, match=words):
            av.for_difusor(bad, "alfa", "f.json")
    with pytest.raises(InputError, match=r"no availability for difusor 'beta' \(the report has: alfa\)"):
        av.for_difusor(doc, "beta", "f.json")


def cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def world(tmp_path):
    cfg = institute(tmp_path / "inst", tmp_path / "feed", extra='\n[profile]\nid = "iem-2021"\n')
    reg = Registry(tmp_path / "inst" / "difusores")
    reg.add(difusor("alfa"))
    reg.add(difusor("beta"))
    obs_path = tmp_path / "inst" / "work" / "monitor" / "observations.jsonl"
    obs_path.parent.mkdir(parents=True)
    start = datetime(2024, 6, 2, 20, 0, tzinfo=MX)
    obs = night("alfa", start, 1000, down={1}) + night("beta", start, 1000, down={1, 2, 3})
    obs.sort(key=lambda o: o["time"])
    obs_path.write_text("".join(json.dumps(o) + "\n" for o in obs), "utf-8")
    return cfg


def test_report_by_day_json_is_what_the_memoria_takes(world, capsys):
    code, out, err = cli(capsys, "instituto", "monitor", "report", "--config", str(world), "--by", "day",
                         "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"] == av.SCHEMA and doc["tz"] == "America/Mexico_City" and doc["threshold_pct"] == 99.9
    totals = {e["difusor"]: e["total"]["meets"] for e in doc["difusores"]}
    assert totals == {"alfa": True, "beta": False}
    code, out, _ = cli(capsys, "instituto", "monitor", "report", "--config", str(world), "--by", "day",
                       "--json", "--difusor", "beta")
    one = json.loads(out)
    assert [e["difusor"] for e in one["difusores"]] == ["beta"]
    assert av.for_difusor(one, "beta", "x")["total"]["down"] == 3


def test_report_by_month_text_csv_threshold_and_zone(world, capsys):
    code, out, _ = cli(capsys, "instituto", "monitor", "report", "--config", str(world), "--by", "month")
    assert code == 0 and "availability by month (America/Mexico_City), threshold 99.9 %" in out
    assert "alfa                 2024-06       1000     999      1   99.900  yes" in out
    code, out, _ = cli(capsys, "instituto", "monitor", "report", "--config", str(world), "--by", "month",
                       "--format", "csv", "--threshold", "99.99")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {(r["difusor"], r["period"], r["meets"]) for r in rows} >= {("alfa", "2024-06", "no")}
    code, out, _ = cli(capsys, "instituto", "monitor", "report", "--config", str(world), "--by", "day",
                       "--json", "--tz", "UTC")
    assert [d["period"] for d in json.loads(out)["difusores"][0]["days"]] == ["2024-06-03"]
    code, out, _ = cli(capsys, "instituto", "monitor", "report", "--config", str(world), "--by", "day", "--json",
                       "--from", "2024-06-03T00:00", "--to", "2024-06-03T02:00")
    assert json.loads(out)["difusores"][0]["total"]["observations"] == 240  # 2 h at 30 s, local times


def test_report_without_by_is_the_summary_still(world, capsys):
    code, out, _ = cli(capsys, "instituto", "monitor", "report", "--config", str(world), "--json", "--difusor", "alfa")
    rows = json.loads(out)
    assert [r["difusor"] for r in rows] == ["alfa"] and rows[0]["availability_pct"] == 99.9


@pytest.mark.parametrize("args,words", [
    (("--threshold", "99"), "--threshold and --tz go with --by"),
    (("--by", "day", "--tz", "Mars/Olympus"), "not a time zone"),
    (("--by", "day", "--difusor", "nadie"), "--difusor 'nadie'"),
    (("--by", "day", "--from", "ayer"), "--from 'ayer'"),
    (("--by", "day", "--from", "2024-06-03T00:00", "--to", "2024-06-02T00:00"), "--to must be later"),
])
def test_report_errors_are_one_line(world, capsys, args, words):
    code, _, err = cli(capsys, "instituto", "monitor", "report", "--config", str(world), *args)
    assert code == 2 and words in err and err.count("\n") == 1, err
