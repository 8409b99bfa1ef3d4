"""Hits and visitors per day agree with Debian's GoAccess on the same log (docs/analytics.md explains the
correspondence: GoAccess's unique visitors are pregon's visitors + bot_visitors + monitor_visitors, since
GoAccess does not set bots or the monitor apart unless told to)."""

from __future__ import annotations

import json
import subprocess
from datetime import date

from toolcheck import require_tool

from pregon.analytics import analyze
from pregon.analytics.synthlog import generate

# GoAccess's COMBINED format skips the UTC offset, and --tz then shifts whole days (1.7); a format with %z
# makes it convert each instant to Mexico City time as pregon does.
GOACCESS_ARGS = [
    '--log-format=%h %^[%x] "%r" %s %b "%R" "%u"',
    "--datetime-format=%d/%b/%Y:%H:%M:%S %z",
    "--tz=America/Mexico_City",
    "--no-global-config",
    "--no-progress",
]


def goaccess_per_day(goaccess: str, log, out) -> tuple[dict, dict]:
    subprocess.run([goaccess, str(log), *GOACCESS_ARGS, "-o", str(out)], check=True, capture_output=True, timeout=120)
    data = json.loads(out.read_text())
    days = {}
    for row in data["visitors"]["data"]:
        d = row["data"]
        days[date(int(d[:4]), int(d[4:6]), int(d[6:])).isoformat()] = (row["hits"]["count"], row["visitors"]["count"])
    return days, data["general"]


def test_hits_and_visitors_per_day_match_goaccess(tmp_path):
    goaccess = require_tool("goaccess")
    log = tmp_path / "access.log"
    # three local days, written by a server in UTC (so Mexico City days cross the file's midnights), with
    # broken lines of every kind the generator makes
    generate(log, 6000, seed=11, hours=54, offset_minutes=0, malformed_rate=0.01, monitor_interval=600)
    theirs, general = goaccess_per_day(goaccess, log, tmp_path / "goaccess.json")
    r = analyze([log], workers=1)
    ours = {d.start: (d.hits, d.visitors + d.bot_visitors + d.monitor_visitors) for d in r.period.per_day}
    assert len(ours) == 3 and all(v[0] for v in ours.values())
    assert ours == theirs
    assert r.lines["parsed"] == general["valid_requests"]
    assert r.lines["malformed"] == general["failed_requests"] > 0
    assert r.period.traffic["all"].bytes == general["bandwidth"]
    # and the people are a real share of them: bots and the monitor are set apart
    assert 0 < sum(d.bot_visitors for d in r.period.per_day) < sum(d.visitors for d in r.period.per_day)
