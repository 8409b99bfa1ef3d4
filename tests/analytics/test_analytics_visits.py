"""Visits and time of permanence: the rules on hand-made events, and the vectorised code against the rules
written as a plain loop."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pregon.analytics.visits import (
    ACTION_EVENT,
    BUCKETS,
    PAGE_EVENT,
    POLL_EVENT,
    permanence,
    sessionize,
)

MIN = 60


P, D, J = True, "download", False  # event kinds in the tests: page, download (an action), JSON poll
_KIND = {True: PAGE_EVENT, "download": ACTION_EVENT, False: POLL_EVENT}


def visits_of(events, gap=30 * MIN, cap=30 * MIN):
    """events: (client, t, P|D|J) -> sorted [(client, start, end, pages)]"""
    c, t, k = zip(*events) if events else ((), (), ())
    v = sessionize(np.array(c, np.int64), np.array(t, np.int64), np.array([_KIND[x] for x in k], np.int8),
                   gap=gap, cap=cap)
    return sorted(zip(v.client.tolist(), v.start.tolist(), v.end.tolist(), v.pages.tolist()))


def reference(events, gap=30 * MIN, cap=30 * MIN):
    """The rules of docs/analytics.md, one event at a time."""
    out = []
    for client in sorted({e[0] for e in events}):
        evs = sorted((t, _KIND[k]) for c, t, k in events if c == client)
        cur = None  # [start, end, pages, anchor (latest page or download)]
        for t, kind in evs:
            alive = cur is not None and t - cur[1] <= gap
            if kind == PAGE_EVENT:
                if alive:
                    cur = [cur[0], t, cur[2] + 1, t]
                else:
                    if cur is not None:
                        out.append((client, cur[0], cur[1], cur[2]))
                    cur = [t, t, 1, t]
            elif kind == ACTION_EVENT:
                if alive:
                    cur[1] = cur[3] = t
            elif alive and t - cur[3] <= cap:
                cur[1] = t
        if cur is not None:
            out.append((client, cur[0], cur[1], cur[2]))
    return sorted(out)


def test_gap_of_exactly_30_minutes_keeps_the_visit_one_second_more_splits_it():
    assert visits_of([(1, 0, P), (1, 30 * MIN, P)]) == [(1, 0, 1800, 2)]
    assert visits_of([(1, 0, P), (1, 30 * MIN + 1, P)]) == [(1, 0, 0, 1), (1, 1801, 1801, 1)]


def test_midnight_does_not_split_a_visit():
    t0 = 1717390200  # 2024-06-02 23:50 in Mexico City
    assert visits_of([(7, t0, P), (7, t0 + 20 * MIN, P)]) == [(7, t0, t0 + 20 * MIN, 2)]


def test_polls_extend_a_visit_only_up_to_the_cap():
    events = [(1, 0, P)] + [(1, 45 * k, J) for k in range(1, 241)]  # a tab left open 3 hours
    events.append((1, 3 * 3600 + 10, P))  # the person comes back
    assert visits_of(events) == [(1, 0, 1800, 1), (1, 3 * 3600 + 10, 3 * 3600 + 10, 1)]


def test_cap_is_a_parameter():
    events = [(1, 0, P)] + [(1, 60 * k, J) for k in range(1, 121)]
    assert visits_of(events, cap=10 * MIN) == [(1, 0, 600, 1)]
    assert visits_of(events, cap=0) == [(1, 0, 0, 1)]


def test_polls_bridge_two_pages_further_apart_than_the_gap():
    events = [(1, 0, P)] + [(1, 60 * k, J) for k in range(1, 26)] + [(1, 50 * MIN, P)]
    assert visits_of(events) == [(1, 0, 50 * MIN, 2)]


def test_polls_before_any_page_belong_to_no_visit():
    assert visits_of([(1, 60 * k, J) for k in range(10)]) == []
    events = [(1, 0, J), (1, 30, J), (1, 60, P), (1, 90, J)]
    assert visits_of(events) == [(1, 60, 90, 1)]


def test_a_poll_in_the_same_second_as_its_page_counts():
    assert visits_of([(1, 100, J), (1, 100, P)]) == [(1, 100, 100, 1)]


def test_downloads_count_as_presence_but_do_not_start_a_visit():
    # page, a download 20 min later, polls up to 30 min after the download
    events = [(1, 0, P), (1, 20 * MIN, D)] + [(1, 20 * MIN + 60 * k, J) for k in range(1, 60)]
    assert visits_of(events) == [(1, 0, 50 * MIN, 1)]
    # a direct link to the database: no page, no visit
    assert visits_of([(1, 0, D), (1, 30, J)]) == []


def test_clients_are_separate():
    events = [(1, 0, P), (2, 10, P), (1, 20, P), (2, 4000, P)]
    assert visits_of(events) == [(1, 0, 20, 2), (2, 10, 10, 1), (2, 4000, 4000, 1)]


# Two shapes of input: a coarse minute grid where "exactly at the gap/cap" happens all the time, and free
# times over hours.
_grid = st.tuples(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 30).map(lambda m: m * 60), st.sampled_from([P, D, J])), max_size=30),
    st.integers(1, 10).map(lambda m: m * 60),
    st.integers(0, 10).map(lambda m: m * 60),
)
_free = st.tuples(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4 * 3600), st.sampled_from([P, J, J, D])), max_size=80),
    st.integers(1, 3600),
    st.integers(0, 5400),
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(_grid, _free))
def test_vectorised_sessionize_follows_the_rules(case):
    events, gap, cap = case
    assert visits_of(events, gap, cap) == reference(events, gap, cap)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 10**6), st.sampled_from([P, D, J])), max_size=60))
def test_every_page_is_in_exactly_one_visit(events):
    v = visits_of(events)
    assert sum(x[3] for x in v) == sum(1 for e in events if e[2] is P)


def test_permanence_buckets_and_means():
    d = np.array([0, 5, 10, 29, 30, 59, 60, 179, 180, 599, 600, 1799, 1800, 5000])
    pages = np.array([1, 1, 2, 1, 2, 1, 3, 1, 1, 2, 1, 1, 4, 1])
    p = permanence(d, pages)
    assert [b["visits"] for b in p["buckets"]] == [2, 2, 2, 2, 2, 2, 2]
    assert [b["label"] for b in p["buckets"]] == [b[0] for b in BUCKETS]
    assert p["visits"] == 14 and p["single_page_visits"] == 9
    assert p["mean_s"] == round(d.mean(), 1)
    assert p["mean_multi_page_s"] == round((10 + 30 + 60 + 599 + 1800) / 5, 1)
    assert p["median_s"] == (60 + 179) / 2  # 7th and 8th of 14


def test_permanence_of_nothing():
    p = permanence(np.zeros(0, np.int64), np.zeros(0, np.int64))
    assert p["visits"] == 0 and p["mean_s"] is None and p["median_s"] is None
