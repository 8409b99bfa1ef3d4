"""The line grammar, timestamps, and reading rotated/compressed files."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone

import pytest
from analytics.kit import FIREFOX, MX, at, clf_time, line
from hypothesis import given, settings
from hypothesis import strategies as st

from pregon.analytics.classify import Monitor
from pregon.analytics.chunk import ChunkAnalyzer
from pregon.analytics.logparse import (
    INVALID_TIME,
    LINE_RE,
    byte_ranges,
    compressed_blocks,
    opener,
    order_logs,
    parse_line,
    parse_time,
)
from pregon.analytics.parts import NO_LIMIT, Config


def test_combined_line_fields():
    rec = parse_line(line(at(21, 5, 9), "/diputaciones/distrito/07.html?x=1&y=2", ip="2806:2f0::1",
                          status=304, size=0, ref="https://www.google.com/", ua=FIREFOX).encode())
    assert rec.client == "2806:2f0::1"
    assert rec.time == datetime(2024, 6, 3, 3, 5, 9, tzinfo=timezone.utc)
    assert (rec.method, rec.path, rec.status, rec.size) == ("GET", "/diputaciones/distrito/07.html", 304, 0)
    assert (rec.referrer, rec.agent) == ("https://www.google.com/", FIREFOX)


def test_timestamp_offsets_are_honoured():
    # the same instant written by a server in Mexico City and by one in UTC
    assert parse_time(b"02/Jun/2024:23:30:00 -0600") == parse_time(b"03/Jun/2024:05:30:00 +0000")
    assert parse_time(b"01/Jan/1970:00:00:00 +0000") == 0
    assert parse_time(b"29/Feb/2024:12:00:00 +0530") == 1709188200


@pytest.mark.parametrize("text", [
    b"31/Feb/2024:10:00:00 -0600", b"02/Jun/2O24:10:00:00 -0600", b"02/jun/2024:10:00:00 -0600",
    b"02/Jun/2024:24:00:00 -0600", b"02/Jun/2024:10:60:00 -0600", b"02/Jun/2024:10:00:61 -0600",
    b"02/Jun/2024:10:00:00 -0675", b"02/Jun/2024:10:00:00", b"2024-06-02T10:00:00-06:00", b"",
])
def test_impossible_timestamps_are_invalid(text):
    assert parse_time(text) == INVALID_TIME


def test_apache_escaped_quotes_and_dash_size():
    raw = (b'1.2.3.4 - - [02/Jun/2024:20:00:00 -0600] "GET /a\\"b.html HTTP/1.1" 304 - '
           b'"-" "Mozilla/5.0 \\"quoted\\" agent"\n')
    rec = parse_line(raw)
    assert rec is not None and rec.size == 0 and rec.agent == 'Mozilla/5.0 \\"quoted\\" agent'


def test_extra_fields_after_the_agent_are_ignored():
    rec = parse_line(line(at(20), "/").rstrip("\n").encode() + b' 0.012 "upstream" rt=0.010\n')
    assert rec is not None and rec.agent == FIREFOX


def test_odd_requests_are_hits_with_no_path():
    rec = parse_line(b'1.2.3.4 - - [02/Jun/2024:20:00:00 -0600] "-" 400 0 "-" "-"\n')
    assert rec is not None and (rec.method, rec.path, rec.status) == ("", "", 400)


@pytest.mark.parametrize("cut", ["status", "size", "in_referrer", "in_agent"])
def test_line_cut_short_after_the_status_keeps_what_it_has(cut):
    full = line(at(20), "/index.html", ref="https://t.co/x", ua=FIREFOX)
    ends = {
        "status": full.index(" 1000 "),
        "size": full.index(' "https'),
        "in_referrer": full.index("t.co"),
        "in_agent": full.index("Gecko"),
    }
    rec = parse_line(full[: ends[cut]].encode() + b"\n")
    assert rec is not None and rec.status == 200 and rec.path == "/index.html"


@pytest.mark.parametrize("raw", [
    b"garbage",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    b'1.2.3.4 - - [02/Jun/2024:20:00:00 -0600] "GET / HTTP/1.1"',  # cut before the status
    b'1.2.3.4 - - [02/Jun/2024:20:00:00 -0600] "GET / HTTP/1.1" 20',
    b'1.2.3.4 - - [02/Jun/2024:20:00:00 -0600] "GET / HTTP/1.1" 2000 1 "-" "x"',
    b'1.2.3.4 - - [02/Jun/2O24:20:00:00 -0600] "GET / HTTP/1.1" 200 1 "-" "x"',
    b'1.2.3.4 - - 02/Jun/2024:20:00:00 -0600 "GET / HTTP/1.1" 200 1 "-" "x"',
    b'1.2.3.4 - - [02/Jun/2024:20:00:00 -0600] GET / HTTP/1.1 200 1 "-" "x"',
    b'[02/Jun/2024:20:00:00 -0600] "GET / HTTP/1.1" 200 1 "-" "x"',
])
def test_malformed_lines(raw):
    assert parse_line(raw) is None


# --- properties ------------------------------------------------------------------------------------------------

_token = st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters='"\\'), min_size=1, max_size=20)
_quoted = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF, exclude_characters='"\\'), max_size=60)
_instant = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1),
                        timezones=st.sampled_from([MX, timezone.utc, datetime(2024, 1, 1).astimezone().tzinfo]))


@settings(max_examples=300, deadline=None)
@given(ip=_token, t=_instant, method=st.sampled_from(["GET", "POST", "HEAD", "PUT"]),
       path=st.from_regex(r"/[A-Za-z0-9_./%-]{0,30}", fullmatch=True), status=st.integers(100, 599),
       size=st.integers(0, 10**12), ref=_quoted, ua=_quoted)
def test_formatted_lines_round_trip(ip, t, method, path, status, size, ref, ua):
    t = t.replace(microsecond=0)
    rec = parse_line(line(t, path, ip=ip, ua=ua, status=status, size=size, method=method, ref=ref).encode())
    assert rec is not None
    assert (rec.client, rec.method, rec.path, rec.status, rec.size, rec.referrer, rec.agent) == (
        ip, method, path, status, size, ref, ua)
    assert rec.time == t


def _analyze_block(data: bytes):
    return ChunkAnalyzer(Config("America/Mexico_City", (NO_LIMIT,), Monitor.build())).run(data)


_line_bytes = st.one_of(
    st.binary(max_size=200),
    st.builds(lambda t, p, s, c: line(t.replace(microsecond=0), p, status=s).encode()[:c],
              _instant, st.sampled_from(["/", "/a.css", "/json/main.json"]), st.integers(100, 599),
              st.integers(0, 300)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_line_bytes, max_size=20))
def test_arbitrary_bytes_never_crash_and_every_line_is_counted_once(chunks):
    data = b"\n".join(chunks)
    res = _analyze_block(data) if data else None
    lines = data.split(b"\n") if data else []
    if data.endswith(b"\n"):
        lines = lines[:-1]
    good = sum(1 for ln in lines if ln and parse_line(ln) is not None)
    blank = sum(1 for ln in lines if not ln)
    if res is not None:
        # the fast path (findall over the block) and the per-line parser agree on every line
        assert (res.lines, res.blank, res.valid) == (len(lines), blank, good)
    for c in chunks:
        parse_line(c)


def test_findall_never_matches_across_lines():
    data = b'1.2.3.4 - - [02/Jun/2024:20:00:00 -0600] "GET / HTTP/1.1"\n200 1 "-" "x"\n'
    assert LINE_RE.findall(data) == []


# --- files --------------------------------------------------------------------------------------------------------


def test_rotated_sets_are_read_oldest_first(tmp_path):
    names = ["access.log", "access.log.1", "access.log.10.gz", "access.log.2.gz", "other.log",
             "access.log-20240601.gz", "other.log.1"]
    ordered = [p.name for p in order_logs([tmp_path / n for n in names])]
    assert ordered == ["access.log-20240601.gz", "access.log.10.gz", "access.log.2.gz", "access.log.1",
                       "access.log", "other.log.1", "other.log"]


def test_compression_is_detected_by_content_not_name(tmp_path):
    p = tmp_path / "access.log.1"  # logrotate's delaycompress names vary; trust the bytes
    with gzip.open(p, "wb") as f:
        f.write(b"x\n")
    assert opener(p) is gzip.open
    q = tmp_path / "access.log.2.gz"
    q.write_bytes(b"plain text\n")
    assert opener(q) is None


def test_truncated_gzip_yields_what_it_could_read_and_an_error(tmp_path):
    p = tmp_path / "access.log.1.gz"
    body = "".join(line(at(20, 0, i)) for i in range(2000)).encode()
    p.write_bytes(gzip.compress(body)[:-200])
    blocks = list(compressed_blocks(p, gzip.open, 4096))
    assert blocks[-1][1] is not None
    got = b"".join(b for b, _ in blocks)
    assert 0 < len(got) < len(body) and body.startswith(got[: len(got) // 2])


def test_byte_ranges_cut_at_line_boundaries(tmp_path):
    p = tmp_path / "access.log"
    body = "".join(line(at(20, i // 60, i % 60), f"/{'x' * (i % 37)}") for i in range(500)).encode()
    p.write_bytes(body)
    ranges = byte_ranges(p, len(body), 1000)
    assert ranges[0][0] == 0 and ranges[-1][1] == len(body)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert all(body[e - 1:e] == b"\n" for _, e in ranges)
    assert len(ranges) > 10


def test_clf_time_helper_matches_server_format():
    assert clf_time(at(20)) == "02/Jun/2024:20:00:00 -0600"
