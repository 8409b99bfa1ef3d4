"""The institute's own web server in tests: `pregon instituto webconfig … --standalone` written by the CLI, run
with the real Debian nginx or apache2 on loopback, stopped by its pid file."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from toolcheck import require_tool
from pregon.cli import main
from serve.servers_kit import free_port, wait_gone, wait_port

BINARIES = {"nginx": "nginx", "apache": "apache2"}


def write_config(server: str, cfg_path: Path, runtime: Path, port: int, extra: tuple = ()) -> Path:
    """The standalone configuration, as an operator would generate it."""
    conf = runtime / f"{server}.conf"
    code = main(["instituto", "webconfig", server, "--config", str(cfg_path), "--standalone", "--runtime-dir",
                 str(runtime), "--listen", f"127.0.0.1:{port}", "--access-log", str(runtime / "access.log"),
                 "--out", str(conf), *extra])
    assert code == 0
    return conf


class WebServer:
    """nginx or apache2 serving one generated configuration; a context manager."""

    def __init__(self, server: str, cfg_path: Path, runtime: Path, port: int | None = None, extra: tuple = ()):
        self.server = server
        self.binary = require_tool(BINARIES[server])
        self.port = port or free_port()
        self.runtime = runtime
        runtime.mkdir(parents=True, exist_ok=True)
        os.chmod(runtime, 0o755)
        self.conf = write_config(server, cfg_path, runtime, self.port, extra)
        self.env = {**os.environ, "APACHE_LOG_DIR": str(runtime)}

    def _args(self, *more):
        if self.server == "nginx":
            return [self.binary, "-p", str(self.runtime), "-c", str(self.conf), *more]
        return [self.binary, "-f", str(self.conf), *more]

    def check(self) -> subprocess.CompletedProcess:
        return subprocess.run(self._args("-t"), capture_output=True, text=True, env=self.env)

    def __enter__(self):
        r = self.check()
        assert r.returncode == 0, r.stderr
        r = subprocess.run(self._args() if self.server == "nginx" else self._args("-k", "start"), capture_output=True,
                           text=True, env=self.env)
        assert r.returncode == 0, r.stderr
        wait_port(self.port)
        return self

    def __exit__(self, *exc):
        pidfile = self.runtime / ("nginx.pid" if self.server == "nginx" else "apache2.pid")
        try:
            pid = int(pidfile.read_text().strip())
        except (OSError, ValueError):
            pid = None
        subprocess.run(self._args("-s", "quit") if self.server == "nginx" else self._args("-k", "stop"),
                       capture_output=True, env=self.env)
        wait_gone(pid)

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in (self.runtime / "access.log", self.runtime / "error.log")
                       if p.exists())


def instituto_toml(root: Path, feed: Path, *, site_url: str | None, election: str | None = None) -> Path:
    """keys + instituto.toml (with site_url) under `root`, as tests/instituto/kit.institute but for the web."""
    from pregon.package import keys as keys_mod
    from instituto.kit import START

    root.mkdir(parents=True, exist_ok=True)
    keys_mod.write_keypair(root / "keys", keys_mod.generate())
    lines = ['[instituto]', 'name = "IMPEPAC"', f'feed = "{feed}"', 'work = "work"', 'registry = "difusores"',
             'pull_dir = "publicado"', 'key = "keys/pregon.key"']
    if site_url:
        lines.append(f'site_url = "{site_url}"')
    if election:
        lines.append(f'election = "{election}"')
    lines += ["", "[schedule]", f'start = "{START.isoformat()}"', "cadence_minutes = 15", "full_every = 8",
              "", "[monitor]", "sample_pages = 2", "timeout_seconds = 5", ""]
    cfg = root / "instituto.toml"
    cfg.write_text("\n".join(lines))
    return cfg
