"""`pregon difusor serve`: a small, fast static server for `current`, zero setup.

Why not http.server: it is a thread per connection and parses headers with email.parser; it manages a few
hundred requests per second. This is an asyncio protocol with keep-alive and pipelining, GET/HEAD only, and
N worker processes sharing the port with SO_REUSEPORT.

Soundness after a swap: each request reads the `current` symlink (one readlink(2)); responses are cached in
memory per release, and a release never changes once it is live, so a cache entry can only be stale by
belonging to an older release, which it never serves: the cache is keyed by the release the link points to
at that moment, and emptied when the link moves. A response is therefore entirely from one release.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import stat
import time
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote

from . import policy

CACHE_FILE_LIMIT = 1 << 20  # files up to 1 MiB are kept in memory per release
CACHE_TOTAL_LIMIT = 256 << 20
MAX_HEADER = 16 * 1024
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_REASONS = {200: "OK", 301: "Moved Permanently", 304: "Not Modified", 400: "Bad Request", 403: "Forbidden",
            404: "Not Found", 405: "Method Not Allowed", 414: "URI Too Long", 431: "Request Header Fields Too Large",
            500: "Internal Server Error"}


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
        if self.fd is None:
            return
        self.buf.append(f'{host} - - [{self.now()}] "{request_line}" {status} {size} "{referer}" "{agent}"\n')
        if len(self.buf) >= 512:
            self.flush()

    def flush(self):
        if self.fd is not None and self.buf:
            data = "".join(self.buf).encode("utf-8", "backslashreplace")
            self.buf = []
            os.write(self.fd, data)


def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"')


class HttpProtocol(asyncio.Protocol):
    __slots__ = ("site", "log", "transport", "buf", "peer")

    def __init__(self, site: Site, log: AccessLog):
        self.site = site
        self.log = log
        self.buf = b""
        self.transport = None
        self.peer = "-"

    def connection_made(self, transport):
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if peer else "-"

    def data_received(self, data: bytes):
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > MAX_HEADER:
                    self._send_error(431)
                return
            head = self.buf[:end].decode("latin-1")
            self.buf = self.buf[end + 4:]
            if not self._handle(head):
                return

    def _send_error(self, status):
        body = f"{_REASONS[status]}\n".encode()
        self.transport.write(f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Length: {len(body)}\r\n"
                             f"Connection: close\r\n\r\n".encode() + body)
        self.transport.close()
        self.buf = b""

    def _handle(self, head: str) -> bool:
        lines = head.split("\r\n")
        request_line = lines[0]
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
                v = value.strip().lower()
                keep = (v != "close") if version == "HTTP/1.1" else (v == "keep-alive")
            elif n == "if-none-match":
                inm = value.strip()
            elif n == "referer":
                referer = value.strip()
            elif n == "user-agent":
                agent = value.strip()
            elif n in ("content-length", "transfer-encoding") and value.strip() not in ("0", ""):
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
        self.log.log(self.peer, _esc(request_line), status, size, _esc(referer) or "-", _esc(agent) or "-")
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


def _worker(sock: socket.socket, current: Path, access_log: Path | None, frame_ancestors: str) -> None:
    site = Site(current, frame_ancestors)
    log = AccessLog(access_log)
    loop = asyncio.new_event_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))

    async def main():
        server = await loop.create_server(lambda: HttpProtocol(site, log), sock=sock)

        async def flusher():
            while True:
                await asyncio.sleep(1)
                log.flush()
        task = loop.create_task(flusher())
        await stop
        task.cancel()
        server.close()
        log.flush()
    try:
        loop.run_until_complete(main())
    finally:
        log.flush()
        loop.close()


def serve(current: Path, host: str = "127.0.0.1", port: int = 8080, *, workers: int = 0,
          access_log: Path | None = None, frame_ancestors: str = "'self'", ready=None) -> None:
    """Serve `current` until SIGTERM/SIGINT, with `workers` processes (0: one per CPU)."""
    workers = workers or os.cpu_count() or 1
    sock = _socket(host, port)
    if ready:
        ready(sock.getsockname()[1])
    if workers == 1:
        _worker(sock, current, access_log, frame_ancestors)
        return
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            try:
                _worker(sock, current, access_log, frame_ancestors)
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
