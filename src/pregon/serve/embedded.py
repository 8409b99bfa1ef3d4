"""`pregon difusor serve`: a small, fast static server for `current`, zero setup.

Why not http.server: it is a thread per connection and parses headers with email.parser; it manages a few
hundred requests per second. This is an asyncio protocol with keep-alive and pipelining, GET/HEAD only, and
N worker processes sharing the port with SO_REUSEPORT.

Soundness after a swap: each request reads the `current` symlink (one readlink(2)); responses are cached in
memory per release, and a release never changes once it is live, so a cache entry can only be stale by
belonging to an older release, which it never serves: the cache is keyed by the release the link points to
at that moment, and emptied when the link moves. A response is therefore entirely from one release.

Hostile clients (one client must not exhaust a worker): a connection whose responses are not being read
stops being read (write-buffer backpressure), so its memory stays bounded; the whole request head is bounded
(size, lines, request line); a head must arrive within `header_timeout`, a keep-alive connection closes after
`idle_timeout` without a request, and one that reads nothing of a pending response for `send_timeout` is cut;
each client address has at most `max_per_client` connections per worker. The access log escapes as nginx.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import stat
import struct
import time
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote

from . import policy
from .limits import ClientLimits

CACHE_FILE_LIMIT = 1 << 20  # files up to 1 MiB are kept in memory per release
CACHE_TOTAL_LIMIT = 256 << 20
MAX_HEADER = 16 * 1024  # the whole request head, blank line included
MAX_HEADER_LINES = 100
MAX_REQUEST_LINE = 8 * 1024  # nginx answers 414 beyond one large header buffer (8k)
WRITE_HIGH = 256 * 1024  # unsent bytes above which a connection's requests are no longer read
LINGER = 2.0  # seconds an error answer waits for the client's close, so it reads the answer and not a reset
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_REASONS = {200: "OK", 301: "Moved Permanently", 304: "Not Modified", 400: "Bad Request", 403: "Forbidden",
            404: "Not Found", 405: "Method Not Allowed", 414: "URI Too Long", 431: "Request Header Fields Too Large",
            500: "Internal Server Error", 503: "Service Unavailable"}
_now = time.monotonic


class _Entry:
    __slots__ = ("status", "head", "body", "etag")

    def __init__(self, status, head, body, etag):
        self.status, self.head, self.body, self.etag = status, head, body, etag


class Site:
    """Resolves a URL path to a response from the release `current` points at."""

    def __init__(self, current: Path, frame_ancestors: str = "'self'"):
        self.current = str(current)
        self.parent = os.path.dirname(os.path.abspath(self.current))
        self.security = "".join(f"{k}: {v}\r\n" for k, v in policy.security_headers(frame_ancestors))
        self.release = None
        self.cache: dict[str, _Entry] = {}
        self.cached_bytes = 0

    def _release(self) -> str | None:
        try:
            target = os.readlink(self.current)
        except OSError:
            return None
        if target != self.release:
            self.release = target
            self.cache = {}
            self.cached_bytes = 0
        return target

    def lookup(self, raw_path: str) -> _Entry:
        release = self._release()
        entry = self.cache.get(raw_path)
        if entry is not None:
            return entry
        if release is None:
            return self._simple(404, "no release is published yet\n")
        entry = self._build(raw_path, os.path.join(self.parent, release) if not os.path.isabs(release) else release)
        # only successful responses are cached (random 404 URLs must not grow memory); the key counts too
        cost = len(entry.body) + len(raw_path) + 256
        if entry.status == 200 and len(entry.body) <= CACHE_FILE_LIMIT and \
                self.cached_bytes + cost <= CACHE_TOTAL_LIMIT:
            self.cache[raw_path] = entry
            self.cached_bytes += cost
        return entry

    def _simple(self, status: int, text: str, extra: str = "") -> _Entry:
        body = text.encode()
        head = (f"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
                f"Cache-Control: no-cache\r\n{self.security}{extra}")
        return _Entry(status, head, body, None)

    def _build(self, raw_path: str, root: str) -> _Entry:
        path = unquote(raw_path.split("?", 1)[0].split("#", 1)[0])
        if not path.startswith("/") or "\0" in path or "\\" in path:
            return self._simple(400, "bad path\n")
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if any(p == ".." or p.startswith(".") for p in parts):
            return self._simple(404, "not found\n")
        fs = os.path.join(root, *parts)
        try:
            st = os.stat(fs)
        except (FileNotFoundError, NotADirectoryError):
            return self._simple(404, "not found\n")
        except OSError:
            return self._simple(403, "forbidden\n")
        url = path
        if stat.S_ISDIR(st.st_mode):
            if not path.endswith("/"):
                return self._simple(301, "moved\n", f"Location: {path}/\r\n")
            fs = os.path.join(fs, "index.html")
            url = path + "index.html"
            try:
                st = os.stat(fs)
            except OSError:
                return self._simple(404, "not found\n")
        if not stat.S_ISREG(st.st_mode):
            return self._simple(404, "not found\n")
        try:
            with open(fs, "rb") as f:
                body = f.read()
        except OSError:
            return self._simple(403, "forbidden\n")
        etag = f'"{st.st_mtime_ns // 1_000_000_000:x}-{len(body):x}"'
        head = (f"Content-Type: {policy.content_type(url)}\r\nContent-Length: {len(body)}\r\n"
                f"Cache-Control: {policy.cache_control(url)}\r\n"
                f"Last-Modified: {formatdate(st.st_mtime, usegmt=True)}\r\n"
                + (f"ETag: {etag}\r\n" if url != policy.MAIN_JSON else "")
                + self.security)
        return _Entry(200, head, body, etag if url != policy.MAIN_JSON else None)


_LOG_SAFE = bytes(c for c in range(0x20, 0x7F) if c not in b'"\\')  # logged as they are
_LOG_ESCAPES = {c: f"\\x{c:02X}" for c in range(0x100) if c not in _LOG_SAFE}


def _esc(v: str) -> str:
    """nginx's escape=default: '"', '\\' and bytes outside 0x20-0x7e become \\xHH (latin-1: a char is a byte).

    No raw quote or control character reaches the log, so a client cannot forge fields or lines."""
    return v.translate(_LOG_ESCAPES)


class AccessLog:
    """Combined log format, buffered and flushed at most once a second (and on exit)."""

    def __init__(self, path: Path | None):
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if path else None
        self.buf: list[str] = []
        self.last = 0
        self.stamp = ""

    def now(self) -> str:
        t = int(time.time())
        if t != self.last:
            self.last = t
            lt = time.localtime(t)
            off = lt.tm_gmtoff
            sign = "+" if off >= 0 else "-"
            off = abs(off)
            self.stamp = (f"{lt.tm_mday:02d}/{_MONTHS[lt.tm_mon - 1]}/{lt.tm_year}:{lt.tm_hour:02d}:"
                          f"{lt.tm_min:02d}:{lt.tm_sec:02d} {sign}{off // 3600:02d}{off % 3600 // 60:02d}")
        return self.stamp

    def log(self, host, request_line, status, size, referer, agent):
        """One line; the request line, referer and user agent are escaped as nginx does (see _esc)."""
        if self.fd is None:
            return
        if (request_line + referer + agent).encode().translate(None, _LOG_SAFE):  # one C pass when clean
            request_line, referer, agent = _esc(request_line), _esc(referer), _esc(agent)
        self.buf.append(f'{host} - - [{self.now()}] "{request_line}" {status} {size} "{referer or "-"}" '
                        f'"{agent or "-"}"\n')
        if len(self.buf) >= 512:
            self.flush()

    def flush(self):
        if self.fd is not None and self.buf:
            data = "".join(self.buf).encode("utf-8", "backslashreplace")
            self.buf = []
            os.write(self.fd, data)


def _error(status: int) -> bytes:
    body = f"{_REASONS[status]}\n".encode()
    return (f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n").encode() + body


def _reset(transport) -> None:
    """Drop a connection whose client reads nothing: a plain close would wait for a flush that is not coming,
    and the kernel would keep the unsent bytes (and a FIN the client never sees) behind a zero window."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()


class Pool:
    """A worker's live connections: the per-client count, and the sweep that enforces the timeouts.

    One periodic sweep instead of a timer per request keeps the hot path free of timer bookkeeping."""

    def __init__(self, limits: ClientLimits):
        self.limits = limits
        self.live: set[HttpProtocol] = set()
        self.per_client: dict[str, int] = {}

    def admit(self, conn: "HttpProtocol") -> bool:
        n = self.per_client.get(conn.peer, 0)
        if n >= self.limits.max_per_client:
            return False
        self.per_client[conn.peer] = n + 1
        self.live.add(conn)
        return True

    def leave(self, conn: "HttpProtocol") -> None:
        self.live.discard(conn)
        n = self.per_client.get(conn.peer, 0) - 1
        if n > 0:
            self.per_client[conn.peer] = n
        else:
            self.per_client.pop(conn.peer, None)

    def sweep(self, now: float) -> None:
        for conn in [c for c in self.live if c.expired(now, self.limits)]:
            self.live.discard(conn)  # counted until connection_lost; not swept twice
            t = conn.transport
            if t.get_write_buffer_size():
                _reset(t)
            else:
                t.close()

    def interval(self) -> float:
        """Sweep often enough for the shortest timeout to be honoured within a quarter of itself."""
        lim = self.limits
        return min(1.0, max(0.02, min(lim.header_timeout, lim.idle_timeout, lim.send_timeout) / 4))


class HttpProtocol(asyncio.Protocol):
    __slots__ = ("site", "log", "pool", "transport", "buf", "peer", "paused", "admitted", "active_at", "head_at",
                 "pending", "linger_at")

    def __init__(self, site: Site, log: AccessLog, pool: Pool):
        self.site = site
        self.log = log
        self.pool = pool
        self.buf = b""
        self.transport = None
        self.peer = "-"
        self.paused = False  # responses not drained: requests are neither read nor processed
        self.admitted = False
        self.active_at = self.head_at = _now()  # last bytes in or out; first byte of the pending head
        self.pending = 0  # unsent bytes at the last sweep
        self.linger_at = 0.0  # when an error answer was sent (0: none)

    def connection_made(self, transport):
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if peer else "-"
        if not self.pool.admit(self):
            transport.write(_error(503))
            transport.close()
            return
        self.admitted = True
        transport.set_write_buffer_limits(high=WRITE_HIGH)

    def connection_lost(self, exc):
        if self.admitted:
            self.pool.leave(self)

    def pause_writing(self):
        """The client is not reading its responses: stop reading its requests, so nothing piles up here."""
        self.paused = True
        self.transport.pause_reading()

    def resume_writing(self):
        """Drained: read again and answer the pipelined requests already buffered."""
        self.paused = False
        if self.transport.is_closing():
            return
        self.transport.resume_reading()
        self.head_at = self.active_at = _now()
        self._process()

    def data_received(self, data: bytes):
        if self.linger_at:
            return  # after an error answer, only the client's close is awaited
        now = self.active_at = _now()
        if self.buf:
            self.buf += data
        else:
            self.buf = data
            self.head_at = now
        self._process()

    def expired(self, now: float, limits: ClientLimits) -> bool:
        """Whether a timeout has run out; called by the sweep, never on the request path."""
        if self.linger_at:
            return now - self.linger_at > LINGER
        pending = self.transport.get_write_buffer_size()
        if pending != self.pending:  # the client read something (or a response was queued): progress
            self.pending = pending
            self.active_at = now
        if pending and now - self.active_at > limits.send_timeout:
            return True
        if self.paused:
            return False
        if self.buf:
            return now - self.head_at > limits.header_timeout
        return not pending and now - self.active_at > limits.idle_timeout

    def _process(self):
        """Answer the complete requests buffered, until none is left or the client stops reading.

        An offset walks the buffer (sliced once at the end), so many small pipelined requests in one read
        cost linear, not quadratic, copying."""
        buf, pos = self.buf, 0
        closing = self.transport.is_closing
        while not self.paused and not closing():  # a reset client's thousands of pipelined requests: dropped
            end = buf.find(b"\r\n\r\n", pos, pos + MAX_HEADER)
            if end < 0:
                if len(buf) - pos >= MAX_HEADER:
                    self._send_error(431)  # bounded whether the head came in one write or many
                    return
                break
            head = buf[pos:end].decode("latin-1")
            pos = end + 4
            self.head_at = self.active_at  # the next head began at the latest with the last bytes read
            if not self._handle(head):
                return
        if pos:
            self.buf = buf[pos:]

    def _send_error(self, status):
        """Answer and stop taking requests; keep reading (discarding) briefly so the answer is seen, not a reset."""
        self.transport.write(_error(status))
        self.buf = b""
        self.linger_at = _now()
        self.transport.write_eof()

    def _handle(self, head: str) -> bool:
        lines = head.split("\r\n")
        if len(lines) > MAX_HEADER_LINES + 1:
            self._send_error(431)
            return False
        request_line = lines[0]
        if len(request_line) > MAX_REQUEST_LINE:
            self._send_error(414)
            return False
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self._send_error(400)
            return False
        method, target, version = parts
        inm = referer = agent = ""
        keep = version == "HTTP/1.1"
        for line in lines[1:]:
            name, _, value = line.partition(":")
            n = name.lower()
            if n == "connection":
                v = value.strip(" \t").lower()
                keep = (v != "close") if version == "HTTP/1.1" else (v == "keep-alive")
            elif n == "if-none-match":
                inm = value.strip(" \t")
            elif n == "referer":
                referer = value.strip(" \t")
            elif n == "user-agent":
                agent = value.strip(" \t")
            elif n in ("content-length", "transfer-encoding") and value.strip(" \t") not in ("0", ""):
                self._send_error(400)  # GET/HEAD with a body: refuse rather than mis-frame
                return False
        if method not in ("GET", "HEAD"):
            entry = self.site._simple(405, "method not allowed\n", "Allow: GET, HEAD\r\n")
        elif len(target) > 4096:
            self._send_error(414)
            return False
        else:
            try:
                entry = self.site.lookup(target)
            except Exception:  # a bug must not take the server down; the log says 500
                entry = self.site._simple(500, "internal error\n")
        status = entry.status
        body = entry.body
        if status == 200 and inm and entry.etag and inm == entry.etag:
            status = 304
        conn = "keep-alive" if keep else "close"
        if status == 304:
            out = (f"HTTP/1.1 304 Not Modified\r\nETag: {entry.etag}\r\nConnection: {conn}\r\n\r\n").encode()
            size = 0
        else:
            out = (f"HTTP/1.1 {status} {_REASONS[status]}\r\n{entry.head}Connection: {conn}\r\n\r\n").encode()
            if method != "HEAD":
                out += body
                size = len(body)
            else:
                size = 0
        self.transport.write(out)
        self.log.log(self.peer, request_line, status, size, referer, agent)
        if not keep:
            self.transport.close()
            return False
        return True


def _socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind((host, port))
    s.listen(1024)
    s.setblocking(False)
    return s


def _worker(sock: socket.socket, current: Path, access_log: Path | None, frame_ancestors: str,
            limits: ClientLimits) -> None:
    site = Site(current, frame_ancestors)
    log = AccessLog(access_log)
    pool = Pool(limits)
    loop = asyncio.new_event_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))

    async def main():
        server = await loop.create_server(lambda: HttpProtocol(site, log, pool), sock=sock)

        async def flusher():
            while True:
                await asyncio.sleep(1)
                log.flush()

        async def sweeper():
            while True:
                await asyncio.sleep(pool.interval())
                pool.sweep(_now())
        tasks = [loop.create_task(flusher()), loop.create_task(sweeper())]
        await stop
        for task in tasks:
            task.cancel()
        server.close()
        log.flush()
    try:
        loop.run_until_complete(main())
    finally:
        log.flush()
        loop.close()


def serve(current: Path, host: str = "127.0.0.1", port: int = 8080, *, workers: int = 0,
          access_log: Path | None = None, frame_ancestors: str = "'self'", ready=None,
          limits: ClientLimits = ClientLimits()) -> None:
    """Serve `current` until SIGTERM/SIGINT, with `workers` processes (0: one per CPU)."""
    workers = workers or os.cpu_count() or 1
    sock = _socket(host, port)
    if ready:
        ready(sock.getsockname()[1])
    if workers == 1:
        _worker(sock, current, access_log, frame_ancestors, limits)
        return
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            try:
                _worker(sock, current, access_log, frame_ancestors, limits)
            finally:
                os._exit(0)
        children.append(pid)
    got = {"sig": None}

    def _forward(signum, frame):
        got["sig"] = signum
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    signal.signal(signal.SIGTERM, _forward)
    signal.signal(signal.SIGINT, _forward)
    for pid in children:
        while True:
            try:
                os.waitpid(pid, 0)
                break
            except ChildProcessError:
                break
            except InterruptedError:
                continue
