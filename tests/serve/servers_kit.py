"""Run the real Debian nginx/apache2 (and the embedded server) on loopback for tests and benches."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pregon.serve.webconfig import make_runtime_dir, render_apache, render_nginx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def world_readable_tmp(prefix: str) -> Path:
    """apache2 drops to www-data: its document root must be readable by it (pytest's tmp is 0700)."""
    d = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chmod(d, 0o755)
    return d


def wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listening on 127.0.0.1:{port}")


def wait_gone(pid: int | None, timeout: float = 10.0) -> None:
    """Until process `pid` has exited (a server stopped by its own command), at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while pid is not None and time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def get(port: int, path: str, headers: dict | None = None, method: str = "GET"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        c.close()


class Nginx:
    def __init__(self, cfg, runtime: Path, nginx: str, port: int | None = None, workers: str = "2"):
        self.port = port or free_port()
        self.runtime = make_runtime_dir(runtime)
        self.access_log = self.runtime / "access.log"
        self.conf = self.runtime / "nginx.conf"
        user = "root" if os.geteuid() == 0 else None
        self.conf.write_text(render_nginx(cfg, listen=f"127.0.0.1:{self.port}", access_log=str(self.access_log),
                                          standalone=True, runtime_dir=self.runtime, user=user, workers=workers))
        self.nginx = nginx

    def __enter__(self):
        check = subprocess.run([self.nginx, "-t", "-p", str(self.runtime), "-c", str(self.conf)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        subprocess.run([self.nginx, "-p", str(self.runtime), "-c", str(self.conf)], check=True)
        wait_port(self.port)
        return self

    def __exit__(self, *exc):
        subprocess.run([self.nginx, "-p", str(self.runtime), "-c", str(self.conf), "-s", "quit"],
                       capture_output=True)
        pidfile = self.runtime / "nginx.pid"
        deadline = time.monotonic() + 10
        while pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.05)


class Apache:
    def __init__(self, cfg, runtime: Path, apache: str, port: int | None = None):
        self.port = port or free_port()
        self.runtime = make_runtime_dir(runtime)
        self.access_log = self.runtime / "access.log"
        self.conf = self.runtime / "apache2.conf"
        self.conf.write_text(render_apache(cfg, listen=f"127.0.0.1:{self.port}", access_log=str(self.access_log),
                                           standalone=True, runtime_dir=self.runtime))
        self.apache = apache

    def _run(self, *args):
        env = {**os.environ, "APACHE_LOG_DIR": str(self.runtime)}
        return subprocess.run([self.apache, "-f", str(self.conf), *args], capture_output=True, text=True, env=env)

    def __enter__(self):
        check = self._run("-t")
        assert check.returncode == 0, check.stderr
        r = self._run("-k", "start")
        assert r.returncode == 0, r.stderr + (self.runtime / "error.log").read_text() if (self.runtime / "error.log").exists() else r.stderr
        wait_port(self.port)
        return self

    def __exit__(self, *exc):
        pidfile = self.runtime / "apache2.pid"
        pid = None
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            pass
        self._run("-k", "stop")
        wait_gone(pid)


class Embedded:
    """`pregon difusor serve` as a subprocess."""

    def __init__(self, config: Path, port: int | None = None, workers: int = 1, access_log: Path | None = None):
        self.port = port or free_port()
        self.args = [str(Path(sys.executable).with_name("pregon")), "difusor", "serve", "--config", str(config),
                     "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)]
        if access_log:
            self.args += ["--access-log", str(access_log)]
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_port(self.port)
        return self

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
