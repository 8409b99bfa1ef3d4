"""A private OpenSSH server (Debian's /usr/sbin/sshd) on a loopback high port: its own host key, config,
authorized_keys and pid, for the drill's push difusores and for the tests and benchmarks.

    server = Sshd(root, client_pub)      # started; server.port, server.host_pub_line, server.user
    server.stop()                        # SIGTERM to its own pid (never by name), SIGKILL after 10 s

Public-key authentication only (no password, no PAM), `internal-sftp`, and rsync over ssh work. The server
runs as the current user; it needs root or a user that may run sshd (privilege separation directory
/run/sshd is created when missing).
"""

from __future__ import annotations

import os
import pwd
import signal
import socket
import subprocess
import time
from pathlib import Path

SSHD = "/usr/sbin/sshd"


class SshdError(RuntimeError):
    pass


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it when the thread that started it dies (Linux prctl)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except OSError:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(path: Path, comment: str = "pregon") -> Path:
    """An ed25519 key pair without passphrase at `path` (+ `.pub`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in (path, path.with_name(path.name + ".pub")):
        if p.exists():
            p.unlink()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)], check=True,
                   stdout=subprocess.DEVNULL)
    return path


def wait_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise SshdError(f"sshd exited with {proc.returncode}: {err.strip()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise SshdError(f"nothing listening on 127.0.0.1:{port} after {timeout:g} s")


class Sshd:
    def __init__(self, root: Path, client_pub: Path, *, port: int | None = None, max_startups: int = 200,
                 sshd: str = SSHD):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.host_key = self.root / "ssh_host_ed25519_key"
        if not (self.host_key.exists() and self.host_key.with_name(self.host_key.name + ".pub").exists()):
            keygen(self.host_key, "host")  # kept across restarts: the institute pins it
        self.host_pub = self.root / "ssh_host_ed25519_key.pub"
        self.host_pub_line = self.host_pub.read_text().strip()
        auth = self.root / "authorized_keys"
        auth.write_text(Path(client_pub).read_text())
        os.chmod(auth, 0o600)
        self.config = self.root / "sshd_config"
        self.config.write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {self.host_key}\nPidFile {self.root}/sshd.pid\n"
            f"AuthorizedKeysFile {auth}\nStrictModes no\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\n"
            f"UsePAM no\nSubsystem sftp internal-sftp\nLogLevel ERROR\nMaxStartups {max_startups}\n"
            f"MaxSessions {max_startups}\nUseDNS no\n")
        try:
            os.makedirs("/run/sshd", exist_ok=True)  # privilege separation directory sshd insists on
        except OSError:
            pass
        self.proc = subprocess.Popen([sshd, "-D", "-e", "-f", str(self.config)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                     start_new_session=True,  # a terminal's Ctrl-C is for its owner
                                     preexec_fn=_die_with_parent)
        try:
            wait_port(self.port, self.proc)
        except BaseException:
            self.stop()
            raise

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def user(self) -> str:
        return pwd.getpwuid(os.getuid()).pw_name

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
