"""pregon.times: the one reader of instants and the clocks every loop runs on."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pregon.errors import InputError
from pregon.times import AcceleratedClock, ManualClock, SystemClock, optional_instant, parse_instant

MX = ZoneInfo("America/Mexico_City")
# no imaginary times (a wall clock inside a spring-forward gap, e.g. 2016-04-03 02:30 in the Centro): they name
# no instant, and Python never equates them across zones (PEP 495)
aware = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1),
                     timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-6)), MX,
                                                ZoneInfo("America/Hermosillo")]), allow_imaginary=False)


@given(aware)
def test_an_aware_instant_reads_back_as_itself(t):
    for back in (parse_instant(t.isoformat(), "--at"), parse_instant(t, "[schedule] start")):  # text, TOML
        # the same instant at the same offset (compared as such: PEP 495 makes an ambiguous wall time unequal
        # to every other zone's datetime)
        assert (back.timestamp(), back.utcoffset()) == (t.timestamp(), t.utcoffset())


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)))
def test_a_naive_instant_is_read_in_the_zone_given_and_refused_without_one(naive):
    assert parse_instant(naive.isoformat(), "[window] start", MX) == naive.replace(tzinfo=MX)
    with pytest.raises(InputError, match=r"^--from .*no UTC offset; add one"):
        parse_instant(naive.isoformat(), "--from")


@given(st.text(max_size=30))
def test_any_text_is_an_instant_or_one_line_naming_where(text):
    try:
        t = parse_instant(text, "--at", MX)
    except InputError as exc:
        msg = str(exc)
        assert msg.startswith("--at") and "\n" not in msg.strip("\n").replace(repr(text), "")
    else:
        assert t.tzinfo is not None


def test_what_is_not_a_time_at_all():
    with pytest.raises(InputError, match=r"\[schedule\] start: expected a time"):
        parse_instant(42, "[schedule] start")
    assert optional_instant(None, "--to") is None
    assert optional_instant("2024-06-02T20:00", "--to", MX) == datetime(2024, 6, 2, 20, 0, tzinfo=MX)


def test_accelerated_clocks_with_the_same_numbers_agree_across_processes():
    start = datetime(2024, 6, 2, 20, 0, tzinfo=MX)
    a = AcceleratedClock(start, 360.0, origin=time.time() - 10)
    b = AcceleratedClock.from_argv(*a.argv()[1::2])
    assert abs((a.now() - b()).total_seconds()) < 360 * 0.5  # the same timeline, read a moment apart
    assert abs((a.now() - start).total_seconds() - 3600) < 360 * 0.5  # 10 real s at 360x: an hour
    assert a.real_seconds(timedelta(minutes=15)) == pytest.approx(2.5)
    assert a.wall(start + timedelta(hours=1)) == pytest.approx(a.origin + 10)
    with pytest.raises(ValueError):
        AcceleratedClock(datetime(2024, 6, 2, 20, 0), 60)
    with pytest.raises(ValueError):
        AcceleratedClock(start, 0)


def test_an_accelerated_clock_sleeps_in_real_time_divided_by_its_speed():
    start = datetime(2024, 6, 2, 20, 0, tzinfo=timezone.utc)
    c = AcceleratedClock(start, 3600.0)
    target = c.now() + timedelta(seconds=360)  # 0.1 real s
    asyncio.run(c.sleep_until(target))
    assert c.now() >= target


def test_a_manual_clock_moves_only_when_told():
    t0 = datetime(2024, 6, 2, 20, 0, tzinfo=MX)
    c = ManualClock(t0)
    assert c() == c.now() == t0
    assert c.advance(minutes=15) == t0 + timedelta(minutes=15)
    asyncio.run(c.sleep_until(t0))  # the past: no jump back
    assert c.now() == t0 + timedelta(minutes=15)
    asyncio.run(c.sleep_until(t0 + timedelta(hours=1)))
    assert c.now() == t0 + timedelta(hours=1)
    assert c.set(t0) == t0 == c.now()


def test_the_system_clock_is_utc_and_past_targets_return_at_once():
    c = SystemClock()
    assert c.now().tzinfo is timezone.utc and abs((c() - datetime.now(timezone.utc)).total_seconds()) < 5
    asyncio.run(c.sleep_until(c.now() - timedelta(hours=1)))
