"""`pregon difusor stats`: the command over the library, its JSON, its text, its one-line errors."""

from __future__ import annotations

import json

import pytest
from analytics.kit import CHROME, GOOGLEBOT, at, line

from pregon.analytics.report import DEFINITIONS
from pregon.cli import main


@pytest.fixture
def log(write_log):
    return write_log([
        line(at(12, day=1), "/", ip="10.9.9.9"),
        line(at(20, 30), "/"),
        line(at(20, 30, 1), "/json/main.json"),
        line(at(20, 31), "/diputaciones/distrito/01.html"),
        line(at(21), "/", ua=CHROME, ip="10.0.0.2"),
        line(at(21, 5), "/", ua=GOOGLEBOT, ip="66.249.66.1"),
        "garbage\n",
    ])


def run(capsys, *args):
    code = main(["difusor", "stats", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output(capsys, log):
    code, out, err = run(capsys, log, "--json", "--from", "2024-06-02T20:00:00-06:00", "--to", "2024-06-02T22:00-06:00",
                         "--baseline-from", "2024-06-01T12:00:00-06:00", "--baseline-to", "2024-06-01T13:00:00-06:00")
    assert code == 0 and err == ""
    d = json.loads(out)
    assert d["schema"] == "pregon.analytics/1"
    assert d["lines"] == {"total": 7, "blank": 0, "parsed": 6, "malformed": 1, "in_period": 5, "in_baseline": 1}
    p = d["period"]
    assert p["traffic"]["humans"]["pages"] == 3 and p["traffic"]["bots"]["pages"] == 1
    assert p["visitors"] == 2 and p["visits"]["count"] == 2
    assert [h["start"] for h in p["per_hour"]] == ["2024-06-02T20:00:00-06:00", "2024-06-02T21:00:00-06:00"]
    assert {c["metric"]: c["ratio"] for c in d["comparison"]}["pages"] == 1.5  # 3 pages / 2 h against 1 / 1 h
    assert d["malformed_examples"][0]["line"] == 7


def test_text_output_prints_the_definitions(capsys, log):
    code, out, _ = run(capsys, log)
    assert code == 0
    assert "PREP period" in out and "Definitions:" in out and "malformed lines" in out
    for text in DEFINITIONS.values():
        first_words = text.split("{")[0][:40]
        assert first_words in out
    assert "\n  hour " in out and "2024-06-02T20:00:00-06:00" in out
    code, out, _ = run(capsys, log, "--no-hourly")
    assert "\n  hour " not in out and "2024-06-02T20:00:00-06:00" not in out


@pytest.mark.parametrize("args,message", [
    (["--from", "2024-06-02 20:00"], "--from 2024-06-02 20:00: no UTC offset"),
    (["--from", "ayer"], "--from 'ayer': not an ISO 8601 time"),
    (["--baseline-from", "2024-06-01T00:00Z"], "baseline: give both"),
    (["--from", "2024-06-03T00:00Z", "--to", "2024-06-02T00:00Z"], "not before"),
    (["--tz", "Mexico/Tijuana_City"], "time zone 'Mexico/Tijuana_City': unknown"),
    (["--monitor-ip", "monitor.ieem.org.mx"], "monitor IP 'monitor.ieem.org.mx'"),
])
def test_bad_input_is_one_line_exit_2(capsys, log, args, message):
    code, out, err = run(capsys, log, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("pregon: error: ") and message in err


def test_missing_log_is_one_line_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, tmp_path / "access.log")
    assert code == 2 and err.strip() == f"pregon: error: {tmp_path / 'access.log'}: no such file; give the path of an access log (plain or .gz)"
