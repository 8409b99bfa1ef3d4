"""Hostile HTTP clients for the embedded server's tests and benchmark (tests/serve/test_hostile.py,
bench/serve_hostile.py): raw sockets, and a mix of attacks run in background threads.

Each attack comes from its own loopback address (127.0.0.2…), so the per-client cap never touches a
well-behaved client on 127.0.0.1.
"""

from __future__ import annotations

import http.client
import select
import socket
import subprocess
import threading
import time
from pathlib import Path

from difusor.kit import T0, Institute, make_config, make_site
from serve.servers_kit import Embedded, free_port

BIG = "/big.bin"  # 1 MB: a response far over the server's write-buffer mark (and still cached)


def publish(cfg, pages: int = 5) -> None:
    """A release of difusor.kit's synthetic site, plus BIG, made live at `cfg.current` directly: what is
    tested here is serving, not receiving (and a 1 MB page in a package would be refused as a bomb)."""
    release = cfg.releases / "r1"
    make_site(release, 1, T0, pages=pages)
    (release / BIG.lstrip("/")).write_bytes(bytes(range(256)) * (1_000_000 // 256))
    cfg.current.symlink_to(release.relative_to(cfg.current.parent))


def served_site(base: Path, pages: int, institute: Path | None = None):
    """A difusor under `base` with a published release (see publish), and its difusor.toml: (cfg, toml)."""
    inst = Institute(institute or base / "institute")
    cfg = make_config(base / "difusor", inst)
    publish(cfg, pages=pages)
    toml = base / "difusor.toml"
    pub = inst.write_public_key(base / "instituto.pub")
    toml.write_text(f'[difusor]\nroot = "{cfg.root}"\npublic_keys = ["{pub}"]\n')
    return cfg, toml


class Server(Embedded):
    """`pregon difusor serve` with its limits given as CLI flags (header_timeout=1 -> --header-timeout 1).

    Started again on another port if it exits at once: a port from free_port() can be taken meanwhile (as
    some client's ephemeral port) when several runs share the machine."""

    def __init__(self, config: Path, workers: int = 1, access_log: Path | None = None, **limits):
        super().__init__(config, workers=workers, access_log=access_log)
        for name, value in limits.items():
            self.args += [f"--{name.replace('_', '-')}", str(value)]

    def __enter__(self):
        for _ in range(5):
            self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if self._listening():
                return self
            self.proc.kill()
            self.proc.wait()
            self.port = free_port()
            self.args[self.args.index("--port") + 1] = str(self.port)
        raise AssertionError(f"pregon difusor serve did not start: {self.proc.stderr.read().decode()}")

    def _listening(self, bound: float = 15.0) -> bool:
        deadline = time.monotonic() + bound
        while self.proc.poll() is None and time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        return False


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def connect(port: int, source: str = "127.0.0.1", timeout: float = 10.0) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def response(s: socket.socket) -> tuple[int, bytes]:
    """Read one response (Content-Length framed) from a raw socket."""
    r = http.client.HTTPResponse(s)
    r.begin()
    return r.status, r.read()


def read_response(f) -> tuple[int, bytes]:
    """One Content-Length-framed response from a buffered reader, on which more responses may follow."""
    status = int(f.readline().split()[1])
    length = 0
    while (line := f.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, f.read(length)


def until_closed(s: socket.socket, bound: float = 20.0) -> bytes:
    """All the server sends until it closes (EOF or reset); a socket timeout if it never does within `bound`."""
    s.settimeout(bound)
    got = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return got
        if not chunk:
            return got
        got += chunk


def request(path: str = "/", extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n".encode()


def server_pids(pid: int) -> list[int]:
    """The server and its worker processes."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [pid, *map(int, f.read().split())]
    except OSError:
        return [pid]


def server_rss_mb(pid: int) -> float:
    total = 0.0
    for p in server_pids(pid):
        try:
            total += rss_mb(p)
        except OSError:
            pass  # a worker just exited
    return total


class Hostile:
    """Background threads, each a kind of attack from its own loopback address, for the `with` block:
    pipelining without reading, slowloris, 100 KB heads, and a flood of idle connections."""

    KINDS = ("pipeliner cut", "slowloris cut", "431", "503")  # what the server did to each attack

    def __init__(self, port: int):
        self.port = port
        self.done = threading.Event()
        self.seen = dict.fromkeys(self.KINDS, 0)
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=f, daemon=True) for f in
                        [self._pipeliner] * 4 + [self._slowloris] * 4 + [self._huge_heads, self._flood]]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        for t in self.threads:
            t.join(timeout=30)

    def saw_all(self) -> bool:
        """Whether every defence has acted at least once."""
        return all(self.seen.values())

    def _saw(self, kind):
        with self._lock:
            self.seen[kind] += 1

    def _connect(self, source):
        try:
            return connect(self.port, source, timeout=5)
        except OSError:
            return None

    def _pipeliner(self):
        """Pipelines requests for the big page and reads nothing."""
        blob = request(BIG) * 200
        while not self.done.is_set():
            s = self._connect("127.0.0.2")
            if s is None:
                continue
            s.settimeout(0.2)
            try:
                while not self.done.is_set():
                    try:
                        s.send(blob)
                    except socket.timeout:
                        self.done.wait(0.1)
            except OSError:
                self._saw("pipeliner cut")  # by the server's send timeout: come back
            s.close()

    def _slowloris(self):
        while not self.done.is_set():
            s = self._connect("127.0.0.3")
            if s is None:
                continue
            try:
                s.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
                while not self.done.wait(0.1):
                    s.send(b"a")
            except OSError:
                self._saw("slowloris cut")
            s.close()

    def _huge_heads(self):
        head = request("/", "X-Big: " + "a" * 100_000 + "\r\n")
        while not self.done.is_set():
            s = self._connect("127.0.0.4")
            if s is None:
                continue
            try:
                s.sendall(head)
                if until_closed(s, 5).startswith(b"HTTP/1.1 431 "):
                    self._saw("431")
            except OSError:
                pass
            s.close()

    def _flood(self):
        """Holds as many idle connections as it can, far beyond the per-client cap."""
        held = []
        while not self.done.is_set():
            held = [s for s in held if s.fileno() >= 0]
            if len(held) < 200:
                s = self._connect("127.0.0.5")
                if s is not None:
                    held.append(s)
            r = select.select(held, [], [], 0.01)[0] if held else []
            for s in r:  # answered (503) or closed (idle timeout): make room
                try:
                    if s.recv(64).startswith(b"HTTP/1.1 503 "):
                        self._saw("503")
                except OSError:
                    pass
                s.close()
        for s in held:
            s.close()
