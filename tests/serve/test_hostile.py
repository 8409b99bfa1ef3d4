"""The embedded server against hostile clients: one client must not exhaust a worker.

Timeouts are the server's own, set small; the tests wait for the server to act (close, answer) in bounded
loops and never assert a duration. Hostile clients use other loopback addresses (127.0.0.2…) so that the
per-client cap does not touch the well-behaved client on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import re
import select
import socket
import threading

import pytest

from difusor.kit import Institute, make_config
from pregon.analytics.logparse import parse_line
from pregon.cli import main
from pregon.serve import embedded
from pregon.serve.limits import ClientLimits
from serve.hostile_kit import (BIG, Hostile, Server, connect, read_response, request, response, rss_mb, served_site,
                               until_closed)
from serve.servers_kit import Nginx, cleanup, get, world_readable_tmp
from toolcheck import require_tool

MB = 1 << 20


@pytest.fixture
def site(tmp_path):
    """A published release with a 1 MB file, and a difusor.toml for `pregon difusor serve`."""
    base = world_readable_tmp("pregon-hostile-")
    try:
        cfg, toml = served_site(base, pages=2, institute=tmp_path / "inst")
        yield cfg, toml, base
    finally:
        cleanup(base)


def server(toml, access_log=None, **limits) -> Server:
    """One worker, so its pid is the serving process."""
    return Server(toml, workers=1, access_log=access_log, **limits)


def test_pipelined_requests_never_read_stay_bounded(site):
    """A client pipelining 400 requests for a 1 MB page and reading none: the server stops reading it
    (its send eventually blocks) instead of buffering 400 MB, and still serves others."""
    cfg, toml, base = site
    with server(toml, send_timeout=600) as srv:
        assert get(srv.port, BIG)[0] == 200  # warm the cache: the page is now one shared object
        before = rss_mb(srv.proc.pid)
        hostile = connect(srv.port, "127.0.0.2")
        hostile.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        hostile.sendall(request(BIG) * 400)
        # the server has read those bytes before it answers a request that arrives after them
        assert get(srv.port, "/")[0] == 200
        grown = rss_mb(srv.proc.pid) - before
        assert grown < 48, f"server RSS grew {grown:.0f} MB for one client that reads nothing"
        # it stopped reading that connection: its kernel buffers fill and our send blocks
        hostile.setblocking(False)
        blob, sent, blocked = request(BIG) * 400, 0, False
        while sent < 128 * MB:
            try:
                sent += hostile.send(blob)
            except BlockingIOError:
                blocked = True
                break
        assert blocked, f"sent {sent} bytes of requests and the server kept reading"
        assert get(srv.port, BIG)[0] == 200
        grown = rss_mb(srv.proc.pid) - before
        assert grown < 48, f"server RSS grew {grown:.0f} MB"
        hostile.close()


def test_pipelined_requests_are_all_answered_after_backpressure(site):
    """Pausing is not dropping: a client that pipelines many large requests, then reads, gets every response
    in order (the server resumes and answers what it had buffered)."""
    cfg, toml, base = site
    with server(toml) as srv:
        paths = [BIG, "/", BIG, "/json/main.json"] * 15
        expected = {p: get(srv.port, p)[2] for p in set(paths)}
        s = connect(srv.port)
        s.sendall(b"".join(request(p) for p in paths))
        f = s.makefile("rb")
        for p in paths:
            assert read_response(f) == (200, expected[p]), p
        s.close()


def _tcp_state(s: socket.socket) -> int:
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)[0]


def test_client_that_reads_nothing_is_cut_after_the_send_timeout(site):
    cfg, toml, base = site
    with server(toml, send_timeout=1, idle_timeout=600, header_timeout=600) as srv:
        s = connect(srv.port, "127.0.0.2")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(request(BIG) * 20)
        pause = threading.Event()
        for _ in range(200):  # the server resets or closes it; 20 s at most
            if _tcp_state(s) in (7, 8):  # TCP_CLOSE (reset) or TCP_CLOSE_WAIT (closed)
                break
            pause.wait(0.1)
        else:
            raise AssertionError("a connection that reads nothing was kept")
        s.close()
        assert get(srv.port, "/")[0] == 200


@pytest.mark.parametrize("size", [40_000, 100_000])
def test_huge_head_in_one_write_gets_431(site, size):
    """A complete head over 16 KiB is refused whether it arrives in one write or many."""
    cfg, toml, base = site
    with server(toml) as srv:
        s = connect(srv.port)
        s.sendall(request("/", "X-Big: " + "a" * size + "\r\n"))
        assert until_closed(s).startswith(b"HTTP/1.1 431 ")
        s.close()
        assert get(srv.port, "/")[0] == 200


def test_too_many_header_lines_and_long_request_line(site):
    cfg, toml, base = site
    with server(toml) as srv:
        s = connect(srv.port)
        s.sendall(request("/", "".join(f"X-{i}: 1\r\n" for i in range(101))))
        assert until_closed(s).startswith(b"HTTP/1.1 431 ")
        s = connect(srv.port)
        s.sendall(f"GET / HTTP/1.{'1' * 9000}\r\n\r\n".encode())
        assert until_closed(s).startswith(b"HTTP/1.1 414 ")
        s = connect(srv.port)  # 100 lines is still fine
        s.sendall(request("/", "".join(f"X-{i}: 1\r\n" for i in range(99))))
        assert response(s)[0] == 200


def test_slowloris_is_cut_after_the_header_timeout(site):
    """A head trickling in a byte at a time is cut by the header timeout (the idle timeout is far away)."""
    cfg, toml, base = site
    with server(toml, header_timeout=1, idle_timeout=600) as srv:
        s = connect(srv.port)
        s.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
        cut = False
        for _ in range(100):  # a byte per 0.2 s, 20 s at most
            try:
                s.send(b"a")
            except (BrokenPipeError, ConnectionResetError):
                cut = True
                break
            if select.select([s], [], [], 0.2)[0]:
                cut = until_closed(s, 5) == b""  # closed without an answer
                break
        assert cut, "a head that never completes kept its connection"
        assert get(srv.port, "/")[0] == 200


def test_idle_keepalive_connection_is_closed(site):
    cfg, toml, base = site
    with server(toml, idle_timeout=0.5, header_timeout=600) as srv:
        s = connect(srv.port)
        s.sendall(request("/"))
        assert response(s)[0] == 200
        assert until_closed(s) == b""  # a socket timeout here: the server kept it open
        silent = connect(srv.port)  # never sent anything at all
        assert until_closed(silent) == b""


def test_per_client_cap_answers_503(site):
    cfg, toml, base = site
    with server(toml, max_per_client=3, idle_timeout=600) as srv:
        held = []
        for _ in range(3):
            s = connect(srv.port)
            s.sendall(request("/"))
            assert response(s)[0] == 200  # accepted and counted
            held.append(s)
        extra = connect(srv.port)
        assert until_closed(extra).startswith(b"HTTP/1.1 503 ")
        other = connect(srv.port, "127.0.0.2")  # another address has its own allowance
        other.sendall(request("/"))
        assert response(other)[0] == 200
        held.pop().close()
        for _ in range(200):  # the server sees the close, then a new connection fits again
            s = connect(srv.port)
            s.sendall(request("/"))
            try:
                if response(s)[0] == 200:
                    break
            except (http.client.HTTPException, ConnectionError):
                pass
        else:
            raise AssertionError("a freed slot was never reused")


HOSTILE_TARGET = '/a"b\\c\x1b[2J'
HOSTILE_UA = 'evil"agent\\\x1b[31m\x7f\xff\x01 end'
HOSTILE_REFERER = 'http://x/"\x1b'


def _send(port, target, agent="-", referer="-"):
    s = connect(port)
    s.sendall(f"GET {target} HTTP/1.1\r\nHost: t\r\nUser-Agent: {agent}\r\nReferer: {referer}\r\n"
              f"Connection: close\r\n\r\n".encode("latin-1"))
    until_closed(s)
    s.close()


def _send_hostile(port):
    _send(port, HOSTILE_TARGET)  # nginx refuses this request line (400) before reading the headers
    _send(port, "/", HOSTILE_UA, HOSTILE_REFERER)


def _logged(log_text: str) -> list[tuple[str, str, str, str]]:
    """(request line, status, referer, user agent) of each line."""
    rows = []
    for line in log_text.splitlines():
        m = re.fullmatch(r'\S+ - - \[[^\]]+\] "(.*)" (\d{3}) \d+ "(.*)" "(.*)"', line)
        assert m, line
        rows.append(m.groups())
    return rows


def test_access_log_escapes_like_nginx(site):
    """Quotes, backslashes, control and 8-bit bytes in the request line, referer and user agent: \\xHH."""
    cfg, toml, base = site
    log = base / "access.log"
    with server(toml, access_log=log) as srv:
        _send(srv.port, HOSTILE_TARGET, HOSTILE_UA, HOSTILE_REFERER)
    text = log.read_bytes().decode("ascii")  # nothing raw is left
    [(req, status, ref, ua)] = _logged(text)
    assert req == r"GET /a\x22b\x5Cc\x1B[2J HTTP/1.1"
    assert ref == r"http://x/\x22\x1B"
    assert ua == r"evil\x22agent\x5C\x1B[31m\x7F\xFF\x01 end"
    parsed = parse_line(text.encode())
    assert parsed is not None and parsed.status == int(status) and parsed.agent == ua and parsed.referrer == ref


def test_access_log_escapes_the_same_as_real_nginx(site):
    nginx = require_tool("nginx")
    cfg, toml, base = site
    log = base / "access.log"
    with server(toml, access_log=log) as srv:
        _send_hostile(srv.port)
    with Nginx(cfg, base / "nginx", nginx) as ng:
        _send_hostile(ng.port)
    # by status: nginx's two workers may write their lines in either order
    ours, theirs = ({row[1]: row for row in _logged(f.read_text())} for f in (log, ng.access_log))
    assert ours["400"][0] == theirs["400"][0] == r"GET /a\x22b\x5Cc\x1B[2J HTTP/1.1"  # the request line
    assert ours["200"][2:] == theirs["200"][2:]  # referer and user agent, byte for byte
    assert ours["200"][2] == r"http://x/\x22\x1B"


def test_limits_come_from_the_config_and_the_flags_override(tmp_path, monkeypatch, capsys):
    """[serve] sets the bounds, a flag overrides one, the rest keep their defaults; --help states them."""
    inst = Institute(tmp_path / "inst")
    cfg = make_config(tmp_path / "d", inst)
    toml = tmp_path / "difusor.toml"
    toml.write_text(f'[difusor]\nroot = "{cfg.root}"\npublic_keys = ["{inst.write_public_key(tmp_path / "k.pub")}"]\n'
                    "[serve]\nheader_timeout = 2\nmax_per_client = 8\n")
    got = {}
    monkeypatch.setattr(embedded, "serve", lambda *a, **kw: got.update(kw))
    assert main(["difusor", "serve", "--config", str(toml), "--max-per-client", "3"]) == 0
    assert got["limits"] == ClientLimits(header_timeout=2, max_per_client=3)
    assert main(["difusor", "serve", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for name, value in vars(ClientLimits()).items():
        assert f"[serve] {name}, else {value:g})" in text, name


def test_normal_client_is_served_under_a_hostile_mix(site):
    """Pipeliners that never read, slowloris, 100 KB heads and a connection flood, each from its own address:
    a normal client gets every right 200 while each defence acts at least once, and RSS stays under 200 MB."""
    cfg, toml, base = site
    with server(toml, header_timeout=1, idle_timeout=2, send_timeout=3, max_per_client=16) as srv:
        expected = {p: get(srv.port, p)[2] for p in ("/", "/json/main.json", BIG)}
        peak = 0.0
        with Hostile(srv.port) as hostile:
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
            for i in range(100_000):  # until every defence has acted (bounded: it is not a timing test)
                if i >= 300 and hostile.saw_all():
                    break
                path = list(expected)[i % 3]
                c.request("GET", path)
                r = c.getresponse()
                assert (r.status, r.read()) == (200, expected[path]), path
                peak = max(peak, rss_mb(srv.proc.pid))
                assert peak < 200, f"server RSS reached {peak:.0f} MB"
            c.close()
        assert hostile.saw_all(), hostile.seen
        assert get(srv.port, "/")[0] == 200


class _LostTransport:
    """A transport whose peer reset the connection at the first write: asyncio then drops every later write
    without a word (no pause_writing), and is_closing() turns true."""

    def __init__(self):
        self.writes = 0

    def get_extra_info(self, name):
        return ("127.0.0.2", 4000) if name == "peername" else None

    def set_write_buffer_limits(self, high):
        pass

    def write(self, data):
        self.writes += 1

    def is_closing(self):
        return self.writes > 0

    def close(self):
        pass


def test_a_reset_client_s_buffered_requests_are_not_answered(site):
    """Thousands of pipelined requests for a 1 MB page buffered when the client resets: the worker stops at the
    reset instead of building thousands of responses nobody reads while every other client waits."""
    cfg, _toml, _base = site
    logged = []
    log = embedded.AccessLog(None)
    log.log = lambda *fields: logged.append(fields)
    conn = embedded.HttpProtocol(embedded.Site(cfg.current), log, embedded.Pool(ClientLimits()))
    transport = _LostTransport()
    conn.connection_made(transport)
    conn.data_received(request(BIG) * 3000)
    assert transport.writes == 1 and len(logged) == 1
