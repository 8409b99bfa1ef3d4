"""analyze() end to end on small logs whose figures are computed by hand."""

from __future__ import annotations

import dataclasses
import gzip
from collections import Counter
from datetime import datetime, timedelta

import pytest
from analytics.kit import CHROME, FIREFOX, GOOGLEBOT, MONITOR, UTC, at, line
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pregon.analytics import analyze
from pregon.analytics.classify import request_kind
from pregon.analytics.report import Traffic
from pregon.errors import InputError

KINDS = ("pages", "json", "downloads", "assets", "other")


def night(write_log):
    lines = [
        # a person: one page, its assets, two polls, a download, and hits that are "other"
        line(at(21), "/", size=50_000, ref="https://www.google.com/search?q=prep"),
        line(at(21), "/css/prep.css", size=4_000, ref="https://prep.example.mx/"),
        line(at(21, 0, 1), "/json/main.json?_=1717383601", size=32_000),
        line(at(21, 0, 40), "/json/main.json", status=304, size=0),
        line(at(21, 1), "/datos/PREP_DIP.zip", size=5_000_000, ref="https://prep.example.mx/base-de-datos.html"),
        line(at(21, 1, 5), "/resultados/viejo.html", status=404, size=150),
        line(at(21, 1, 6), "/index.html", method="HEAD", size=0),
        line(at(21, 1, 7), "/api/suscribir", method="POST", size=20),
        # another person (same IP, another browser: another visitor)
        line(at(21, 30), "/index.html", status=304, size=0, ua=CHROME, ref="https://t.co/abc"),
        # a crawler
        line(at(21, 2), "/", ip="66.249.66.1", ua=GOOGLEBOT, size=50_000),
        line(at(21, 2), "/robots.txt", ip="66.249.66.1", ua=GOOGLEBOT, size=60),
        # the institute's monitor
        line(at(21, 3), "/json/main.json", ip="200.38.120.5", ua=MONITOR, size=32_000),
        line(at(21, 3), "/index.html", ip="200.38.120.5", ua=MONITOR, method="HEAD", size=0),
        "this is not a log line\n",
        "\n",
    ]
    return write_log(lines)


def test_every_hit_is_one_kind_and_one_class(write_log):
    r = analyze(night(write_log), workers=1)
    t = r.period.traffic
    assert dataclasses.asdict(t["humans"]) == dict(hits=9, bytes=5_086_170, pages=2, json=2, downloads=1, assets=1, other=3)
    assert dataclasses.asdict(t["bots"]) == dict(hits=2, bytes=50_060, pages=1, json=0, downloads=0, assets=1, other=0)
    assert dataclasses.asdict(t["monitor"]) == dict(hits=2, bytes=32_000, pages=0, json=1, downloads=0, assets=0, other=1)
    assert t["all"].hits == 13 and t["all"].hits == sum(getattr(t["all"], k) for k in KINDS)
    assert (r.period.visitors, r.period.bot_visitors, r.period.monitor_visitors) == (2, 1, 1)
    assert r.lines == {"total": 15, "blank": 1, "parsed": 13, "malformed": 1, "in_period": 13, "in_baseline": None}
    assert r.malformed_examples[0]["line"] == 14 and r.malformed_examples[0]["text"] == "this is not a log line"
    assert r.period.top_pages == [{"path": "/", "views": 1}, {"path": "/index.html", "views": 1}]
    assert r.period.top_downloads == [{"path": "/datos/PREP_DIP.zip", "downloads": 1, "bytes": 5_000_000}]
    assert r.period.referrers == [{"referrer": "t.co", "pages": 1}, {"referrer": "www.google.com", "pages": 1}]
    assert r.period.status_codes == [{"status": 200, "hits": 10}, {"status": 304, "hits": 2}, {"status": 404, "hits": 1}]
    assert r.period.bots == [{"agent": "Googlebot", "hits": 2}]
    # visits: people only; person 1 from 21:00:00 to the download at 21:01:00 (the 404, HEAD and POST are
    # not pages or polls), person 2 a single page
    v = r.period.visits
    assert (v["count"], v["pages"]) == (2, 2)
    assert v["permanence"]["mean_s"] == 30.0 and v["permanence"]["median_s"] == 30.0


def test_site_hosts_mark_internal_referrers(write_log):
    p = write_log([line(at(21), "/a.html", ref="https://prep.example.mx/"), line(at(21), "/b.html", ref="-")])
    r = analyze(p, workers=1, site_hosts=("prep.example.mx",))
    assert r.period.referrers == [{"referrer": "(direct)", "pages": 1}, {"referrer": "(this site)", "pages": 1}]


def test_visitor_days_are_mexico_city_days_even_in_a_utc_log(write_log):
    # 05:50Z and 06:10Z on 3 June are 23:50 on the 2nd and 00:10 on the 3rd in Mexico City
    p = write_log([
        line(datetime(2024, 6, 3, 5, 50, tzinfo=UTC), "/"),
        line(datetime(2024, 6, 3, 6, 10, tzinfo=UTC), "/distrito/1.html"),
        line(datetime(2024, 6, 3, 5, 59, 59, tzinfo=UTC), "/", ip="10.0.0.9"),
        line(datetime(2024, 6, 3, 6, 0, 0, tzinfo=UTC), "/", ip="10.0.0.9"),
    ])
    r = analyze(p, workers=1)
    days = {d.start: (d.hits, d.visitors, d.visits) for d in r.period.per_day}
    assert days == {"2024-06-02": (2, 2, 2), "2024-06-03": (2, 2, 0)}
    assert r.period.visitors == 2  # distinct over the period
    # the visit that crossed midnight is one visit, on the day it started
    assert r.period.visits["count"] == 2
    assert sorted(b["visits"] for b in r.period.visits["permanence"]["buckets"] if b["visits"]) == [1, 1]
    assert r.period.per_hour[0].start == "2024-06-02T23:00:00-06:00"
    # in UTC days, everything is the 3rd
    r_utc = analyze(p, workers=1, tz="UTC")
    assert [(d.start, d.visitors) for d in r_utc.period.per_day] == [("2024-06-03", 2)]


def test_4xx_only_clients_are_not_visitors_but_5xx_are(write_log):
    p = write_log([
        line(at(21), "/wp-login.php", ip="1.1.1.1", status=404),
        line(at(21), "/.env", ip="1.1.1.1", status=403),
        line(at(21), "/", ip="2.2.2.2", status=503),
    ])
    r = analyze(p, workers=1)
    assert r.period.visitors == 1 and r.period.traffic["all"].hits == 3 and r.period.visits["count"] == 0


def test_monitor_by_address_and_custom_agent(write_log):
    p = write_log([
        line(at(21), "/", ip="200.38.120.7", ua=FIREFOX),
        line(at(21), "/", ip="10.0.0.1", ua="IEEM-vigia/1.0"),
        line(at(21), "/", ip="10.0.0.2", ua=FIREFOX),
    ])
    r = analyze(p, workers=1, monitor_agents=("ieem-vigia",), monitor_ips=("200.38.120.0/24",))
    assert (r.period.visitors, r.period.monitor_visitors, r.period.traffic["monitor"].hits) == (1, 2, 2)
    assert r.period.visits["count"] == 1
    assert "IEEM-vigia" not in str(r.period.top_pages)


def test_period_bounds_and_empty_hours(write_log):
    p = write_log([line(at(19, 59, 59), "/"), line(at(20), "/"), line(at(22, 30), "/"), line(at(23), "/")])
    r = analyze(p, workers=1, start=at(20), end=at(23))
    assert r.lines["in_period"] == 2 and r.period.hours == 3
    assert [(h.start[11:16], h.hits) for h in r.period.per_hour] == [("20:00", 1), ("21:00", 0), ("22:00", 1)]


def test_baseline_ratio_is_per_hour(write_log):
    base = [line(at(12, m), "/", ip=f"10.1.0.{m}") for m in range(10)]  # 10 pages, 10 visitors in 1 h, day 1
    base = [line(at(12, m, day=1), "/", ip=f"10.1.0.{m}") for m in range(10)]
    prep = [line(at(21, m), "/", ip=f"10.2.0.{m}") for m in range(40)]  # 40 pages in 2 h
    p = write_log(base + prep)
    r = analyze(p, workers=1, start=at(21), end=at(23), baseline=(at(12, day=1), at(13, day=1)))
    ratios = {c["metric"]: c for c in r.comparison}
    assert ratios["hits"] == {"metric": "hits", "period_per_hour": 20.0, "baseline_per_hour": 10.0, "ratio": 2.0}
    assert ratios["pages"]["ratio"] == 2.0
    assert ratios["visits"]["ratio"] == 2.0
    # visitors: mean of hourly distinct visitors: (40 + 0) / 2 h against 10 / 1 h
    assert ratios["visitors"]["ratio"] == 2.0
    assert r.lines["in_baseline"] == 10 and r.baseline.traffic["all"].hits == 10
    assert ratios["downloads"]["ratio"] is None  # nothing to compare with


def test_dst_fall_back_hour_is_two_rows(write_log):
    # 30 Oct 2022, Mexico City's last fall-back: 01:30 CDT (-05) and, an hour later, 01:30 CST (-06)
    p = write_log([
        line(datetime(2022, 10, 30, 6, 30, tzinfo=UTC), "/"),
        line(datetime(2022, 10, 30, 7, 30, tzinfo=UTC), "/"),
    ])
    r = analyze(p, workers=1)
    assert [h.start for h in r.period.per_hour] == ["2022-10-30T01:00:00-05:00", "2022-10-30T01:00:00-06:00"]
    assert [(d.start, d.hits) for d in r.period.per_day] == [("2022-10-30", 2)]


def test_rotated_gzipped_set_in_order_with_malformed_lines_located(write_log):
    oldest = write_log([line(at(20, 0, i), "/") for i in range(5)], "access.log.2.gz", compress=True)
    middle = write_log([line(at(21), "/"), line(at(21, 0, 1), "/"), "broken\n", line(at(21, 0, 2), "/")], "access.log.1")
    live = write_log([line(at(22), "/")], "access.log")
    r = analyze([live, oldest, middle], workers=1)
    assert [f["path"] for f in r.files] == [str(oldest), str(middle), str(live)]
    assert [f["compressed"] for f in r.files] == [True, False, False]
    assert [(f["lines"], f["malformed"]) for f in r.files] == [(5, 0), (4, 1), (1, 0)]
    assert r.files[0]["first"] == "2024-06-02T20:00:00-06:00" and r.files[2]["last"] == "2024-06-02T22:00:00-06:00"
    assert r.malformed_examples == [{"file": str(middle), "line": 3, "text": "broken"}]
    assert r.period.traffic["all"].hits == 9


def test_truncated_gzip_is_a_warning_not_an_error(write_log, tmp_path):
    body = "".join(line(at(20, 0, i % 60) + timedelta(minutes=i // 60), "/") for i in range(3000)).encode()
    p = tmp_path / "access.log.1.gz"
    p.write_bytes(gzip.compress(body)[:-100])
    r = analyze([p], workers=1)
    assert r.warnings and "stopped reading" in r.warnings[0]
    assert 0 < r.period.traffic["all"].hits <= 3000


def test_worker_processes_give_the_same_report(write_log):
    lines = []
    for i in range(3000):
        t = at(20) + timedelta(seconds=7 * i)
        who = i % 37
        lines.append(line(t, ["/", "/json/main.json", "/a.css", "/d/x.zip", "/404.html"][i % 5],
                          ip=f"10.0.{who}.1", ua=[FIREFOX, CHROME, GOOGLEBOT][who % 3],
                          status=404 if i % 5 == 4 else 200, size=i))
        if i % 500 == 0:
            lines.append("junk\n")
    plain = write_log(lines[:1500], "access.log.1")
    gz = write_log(lines[1500:], "access.log", compress=True)
    one = analyze([plain, gz], workers=1).to_dict()
    many = analyze([plain, gz], workers=2, task_bytes=8192).to_dict()
    assert many == one
    assert one["lines"]["malformed"] == 6


def test_bad_arguments_are_input_errors(write_log, tmp_path):
    p = write_log([line(at(21), "/")])
    with pytest.raises(InputError, match="no UTC offset"):
        analyze(p, start=datetime(2024, 6, 2, 20))
    with pytest.raises(InputError, match="not before"):
        analyze(p, start=at(22), end=at(21))
    with pytest.raises(InputError, match="both"):
        analyze(p, baseline=(at(1), None))
    with pytest.raises(InputError, match="unknown"):
        analyze(p, tz="America/Gotham")
    with pytest.raises(InputError, match="no such file"):
        analyze([tmp_path / "nope.log"])
    with pytest.raises(InputError, match="no access log"):
        analyze([])


def test_report_dict_is_json_ready_and_stable(write_log):
    import json

    d = analyze(night(write_log), workers=1).to_dict()
    assert d["schema"] == "pregon.analytics/1"
    assert set(d) == {"schema", "definitions", "parameters", "files", "lines", "malformed_examples", "period",
                      "baseline", "comparison", "warnings"}
    assert set(d["period"]) == {"start", "end", "hours", "traffic", "visitors", "bot_visitors", "monitor_visitors",
                                "visits", "per_day", "per_hour", "top_pages", "top_downloads", "referrers",
                                "status_codes", "bots"}
    assert set(d["period"]["per_day"][0]) == {"start", "hits", "bytes", "pages", "json", "downloads", "visitors",
                                              "visits", "bot_hits", "bot_visitors", "monitor_hits", "monitor_visitors"}
    json.dumps(d)


# --- totals add up --------------------------------------------------------------------------------------------

_req = st.tuples(
    st.integers(0, 6 * 3600),  # seconds after 20:00
    st.sampled_from(["/", "/x.html", "/json/main.json", "/a.css", "/d.zip", "/feed.rss", "/robots.txt"]),
    st.sampled_from(["GET", "GET", "GET", "HEAD", "POST"]),
    st.sampled_from([200, 206, 301, 304, 404, 500, 503]),
    st.integers(0, 3),  # client
    st.sampled_from([FIREFOX, CHROME, GOOGLEBOT, MONITOR, "-"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_req, min_size=1, max_size=40))
def test_totals_add_up(write_log, reqs):
    p = write_log([line(at(20) + timedelta(seconds=s), path, method=m, status=st_, ip=f"10.0.0.{c}", ua=ua, size=s)
                   for s, path, m, st_, c, ua in sorted(reqs)])
    r = analyze(p, workers=1)
    t = r.period.traffic
    for name in ("all", "humans", "bots", "monitor"):
        assert t[name].hits == sum(getattr(t[name], k) for k in KINDS)
    for f in dataclasses.fields(Traffic):
        assert getattr(t["all"], f.name) == sum(getattr(t[c], f.name) for c in ("humans", "bots", "monitor"))
    assert t["all"].hits == len(reqs) == sum(h.hits for h in r.period.per_hour) == sum(d.hits for d in r.period.per_day)
    assert t["all"].bytes == sum(s for s, *_ in reqs)
    assert t["humans"].pages == sum(h.pages for h in r.period.per_hour) == r.period.visits["pages"]
    assert sum(s["hits"] for s in r.period.status_codes) == len(reqs)
    # the vectorised classification follows the per-request rule of classify.request_kind
    expected = Counter(KINDS[request_kind(m.encode(), path.encode(), st_)] for _, path, m, st_, _, _ in reqs)
    assert {k: getattr(t["all"], k) for k in KINDS} == {k: expected[k] for k in KINDS}
    assert sum(d.visits for d in r.period.per_day) == r.period.visits["count"]
    assert sum(b["visits"] for b in r.period.visits["permanence"]["buckets"]) == r.period.visits["count"]
    assert r.period.visitors <= sum(d.visitors for d in r.period.per_day)


def test_bzip2_and_xz_logs(tmp_path):
    import bz2
    import lzma

    body = "".join(line(at(20, i), "/") for i in range(3)).encode()
    (tmp_path / "a.log.2").write_bytes(bz2.compress(body))
    (tmp_path / "a.log.1.xz").write_bytes(lzma.compress(body))
    r = analyze([tmp_path / "a.log.1.xz", tmp_path / "a.log.2"], workers=1)
    assert [f["compressed"] for f in r.files] == [True, True]
    assert r.period.traffic["all"].hits == 6 and r.lines["malformed"] == 0


def test_text_report_with_baseline(write_log):
    p = write_log([line(at(12, day=1), "/"), line(at(21), "/"), line(at(21, 1), "/json/main.json")])
    text = analyze(p, workers=1, start=at(20), end=at(22), baseline=(at(12, day=1), at(13, day=1))).render_text()
    assert "Baseline: 2024-06-01T12:00:00-06:00 to 2024-06-01T13:00:00-06:00 (1 h)" in text
    assert "per hour" in text and "0.5x" in text  # 1 page in 2 h against 1 in 1 h
