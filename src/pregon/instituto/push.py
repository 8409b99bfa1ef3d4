"""Push: deliver packages to every registered difusor in parallel, over SFTP (asyncssh) or rsync over SSH.

Per difusor: the server's host key is pinned (from the registry; anything else is refused), the institute
authenticates with its key (never a password), each attempt has a timeout, failures are retried with
exponential backoff, and every package delivered or given up on is a line of the delivery log
(`work/deliveries.jsonl`: difusor, sequence, package, bytes, seconds, result, attempts, error).

Atomic arrival: SFTP uploads to `.<name>.part` and renames to `<name>` (posix-rename); rsync writes its own
`.<name>.XXXXXX` and renames. The receiver ignores dotfiles, so it only ever sees whole packages.

Difusores run as independent asyncio tasks: a slow or dead one costs only its own timeouts. Each difusor
has a lock, so two cuts never push to it at once; the later push sends whatever it still lacks
(`packages.pending_for`).

The one seam: `link`, an async `(difusor, record) -> record` consulted before each package goes out, is what
the wire does to it (a drill's delay or corruption); and `resync` forgets what a difusor says it lacks.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import durable
from . import store
from .config import PushConfig
from .packages import PackageRecord, pending_for
from .registry import Difusor, parse_host_key


@dataclass
class Delivery:
    difusor: str
    sequence: int
    package: str
    bytes: int
    seconds: float
    result: str  # ok | failed
    attempts: int
    method: str
    error: str | None = None
    time: str = ""

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


# AES-GCM first: with AES-NI it is several times cheaper than chacha20-poly1305 for bulk transfer, and every
# OpenSSH since 6.2 offers it; the rest of asyncssh's defaults follow for servers that do not.
_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com",
            "aes128-ctr", "aes256-ctr")


class TransferError(Exception):
    pass


def host_alias(d: Difusor) -> str:
    return f"pregon-difusor-{d.id}"


class Pusher:
    """Delivers records to difusores; remembers per difusor what was delivered (from the log on start)."""

    def __init__(self, cfg: PushConfig, ssh_key: Path | None, log_path: Path, ssh_dir: Path, *,
                 sleep=asyncio.sleep, rsync: str = "rsync", ssh: str = "ssh", work: Path | None = None,
                 link=None):
        self.cfg = cfg
        self.ssh_key = Path(ssh_key) if ssh_key else None
        self.log_path = Path(log_path)
        self.ssh_dir = Path(ssh_dir)
        self.sleep = sleep  # injectable: backoff waits go through it
        self.rsync, self.ssh = rsync, ssh
        self.link = link  # async (difusor, record) -> the record as it goes on the wire; None: as it is
        self.last_ok: dict[str, int] = {}
        self.tree_seq: dict[str, int] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._sem: asyncio.Semaphore | None = None
        self._client_key = None
        self.work = Path(work) if work is not None else None  # where to ask the scheduler for a full package
        self._resync_asked: dict[str, int] = {}
        # a full disk must not lose a delivery's record nor stop the round (durable.Log keeps it in memory)
        self._log = durable.Log(self.log_path, syslog_ident="pregon-instituto", fsync=False, sort_keys=True)
        for e in durable.read_jsonl(self.log_path):
            if e.get("result") == "ok":
                d, s = e["difusor"], int(e["sequence"])
                self.last_ok[d] = max(self.last_ok.get(d, 0), s)
                if e.get("kind") in ("full", "delta"):
                    self.tree_seq[d] = max(self.tree_seq.get(d, 0), s)

    # --- scheduling ---------------------------------------------------------------------------------------

    async def push_all(self, difusores: list[Difusor], records: list[PackageRecord]) -> list[Delivery]:
        """Every active push difusor gets what it lacks; returns the deliveries of this round."""
        self._bind_loop()
        targets = [d for d in difusores if d.active and d.transfer.method in ("sftp", "rsync")]
        results = await asyncio.gather(*(self.push_difusor(d, records) for d in targets))
        return [x for r in results for x in r]

    def _bind_loop(self) -> None:
        """asyncio locks belong to one event loop: make fresh ones when called from another."""
        loop = asyncio.get_running_loop()
        if getattr(self, "_loop", None) is not loop:
            self._loop = loop
            self._locks = {}
            self._sem = asyncio.Semaphore(self.cfg.concurrency)

    async def push_difusor(self, d: Difusor, records: list[PackageRecord]) -> list[Delivery]:
        self._bind_loop()
        lock = self._locks.setdefault(d.id, asyncio.Lock())
        async with lock:
            todo = pending_for(records, d.id, self.last_ok.get(d.id), self.tree_seq.get(d.id))
            self._maybe_request_full(d, records, todo)
            if not todo:
                return []
            async with self._sem:
                return await self.deliver(d, todo)

    def _maybe_request_full(self, d: Difusor, records: list[PackageRecord], todo: list[PackageRecord]) -> None:
        """A difusor whose tree no pending package can bring up to date needs a new full package."""
        behind = [r for r in records if r.kind != "notice" and r.sequence > (self.tree_seq.get(d.id) or 0)]
        if self.work is None or not behind or any(r.kind != "notice" for r in todo):
            return
        latest = behind[-1].sequence
        if self._resync_asked.get(d.id) != latest:
            self._resync_asked[d.id] = latest
            from .packages import request_full

            try:
                request_full(self.work, f"difusor {d.id} holds tree {self.tree_seq.get(d.id)}; no delta applies")
            except OSError:
                del self._resync_asked[d.id]  # the disk refused the request: ask again next round

    async def deliver(self, d: Difusor, todo: list[PackageRecord]) -> list[Delivery]:
        out: list[Delivery] = []
        for rec in todo:
            sent = rec if self.link is None else await self.link(d, rec)
            delivery = await self._with_retries(d, sent)
            out.append(delivery)
            entry = {**delivery.to_json(), "kind": rec.kind}
            self._log.append(entry)
            if delivery.result != "ok":
                break  # later packages may depend on this one; the next round starts again from here
            self.last_ok[d.id] = max(self.last_ok.get(d.id, 0), rec.sequence)
            if rec.kind in ("full", "delta"):
                self.tree_seq[d.id] = max(self.tree_seq.get(d.id, 0), rec.sequence)
        return out

    def resync(self, ident: str, sequence: int | None, tree_sequence: int | None) -> None:
        """Forget what was delivered after what the difusor says it holds: the next push sends the rest."""
        self.last_ok[ident] = int(sequence or 0)
        self.tree_seq[ident] = int(tree_sequence or 0)

    async def _with_retries(self, d: Difusor, rec: PackageRecord) -> Delivery:
        method = d.transfer.method
        attempts, error = 0, None
        t0 = time.perf_counter()
        for attempt in range(self.cfg.retries + 1):
            attempts = attempt + 1
            try:
                async with asyncio.timeout(self.cfg.timeout_seconds):
                    if method == "sftp":
                        await self._sftp(d, rec)
                    else:
                        await self._rsync(d, rec)
                return Delivery(d.id, rec.sequence, rec.name, rec.bytes, round(time.perf_counter() - t0, 3),
                                "ok", attempts, method, time=store.iso(store.utc_now()))
            except TimeoutError:
                error = f"timed out after {self.cfg.timeout_seconds:g} s"
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # network, auth, host key, remote file system: all retried
                error = _describe(exc)
            if attempt < self.cfg.retries:
                await self.sleep(self.cfg.backoff_seconds * (2 ** attempt))
        return Delivery(d.id, rec.sequence, rec.name, rec.bytes, round(time.perf_counter() - t0, 3), "failed",
                        attempts, method, error=error, time=store.iso(store.utc_now()))

    # --- SFTP ---------------------------------------------------------------------------------------------

    def _key(self):
        import asyncssh

        if self.ssh_key is None:
            raise TransferError("no [instituto] ssh_key configured: push needs the institute's SSH key")
        if self._client_key is None:
            try:
                self._client_key = asyncssh.read_private_key(str(self.ssh_key))
            except (OSError, asyncssh.KeyImportError) as exc:
                raise TransferError(f"cannot read the SSH key {self.ssh_key}: {exc}") from None
        return self._client_key

    async def _sftp(self, d: Difusor, rec: PackageRecord) -> None:
        import asyncssh

        pinned = parse_host_key(d.transfer.host_key)
        async with asyncssh.connect(
                d.push_host, port=d.transfer.port, username=d.transfer.user, client_keys=[self._key()],
                known_hosts=([pinned], [], []), password=None, kbdint_auth=False, agent_path=None,
                preferred_auth=("publickey",), connect_timeout=self.cfg.timeout_seconds,
                encryption_algs=_CIPHERS, compression_algs=("none",)) as conn:
            async with conn.start_sftp_client() as sftp:
                remote_dir = d.transfer.path.rstrip("/") or "/"
                tmp = f"{remote_dir}/.{rec.name}.part"
                final = f"{remote_dir}/{rec.name}"
                await sftp.put(rec.file, tmp, preserve=True)  # its time: the receiver tells a finished copy
                try:
                    await sftp.posix_rename(tmp, final)
                except asyncssh.SFTPOpUnsupported:
                    await sftp.rename(tmp, final)

    # --- rsync ----------------------------------------------------------------------------------------------

    def _known_hosts(self, d: Difusor) -> Path:
        self.ssh_dir.mkdir(parents=True, exist_ok=True)
        p = self.ssh_dir / f"known_hosts-{d.id}"
        key = " ".join(d.transfer.host_key.split()[:2])
        text = f"{host_alias(d)} {key}\n"
        if not p.exists() or p.read_text() != text:
            durable.atomic_write(p, text.encode(), sync_dir=False)
        return p

    def ssh_command(self, d: Difusor) -> list[str]:
        if self.ssh_key is None:
            raise TransferError("no [instituto] ssh_key configured: push needs the institute's SSH key")
        t = int(max(1, self.cfg.timeout_seconds))
        return [self.ssh, "-p", str(d.transfer.port), "-i", str(self.ssh_key), "-F", "/dev/null",
                "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no",
                "-o", "KbdInteractiveAuthentication=no", "-o", "StrictHostKeyChecking=yes",
                "-o", f"UserKnownHostsFile={self._known_hosts(d)}", "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", f"HostKeyAlias={host_alias(d)}", "-o", f"ConnectTimeout={t}",
                "-o", "Ciphers=" + ",".join(c for c in _CIPHERS if c.endswith("@openssh.com")), "-o", "Compression=no",
                "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=2", "-o", "LogLevel=ERROR"]

    async def _rsync(self, d: Difusor, rec: PackageRecord) -> None:
        host = d.push_host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        dest = f"{d.transfer.user}@{host}:{d.transfer.path.rstrip('/')}/"
        argv = [self.rsync, "--timeout", str(int(max(1, self.cfg.timeout_seconds))), "--chmod=F644", "--times",
                "-e", shlex.join(self.ssh_command(d)), rec.file, dest]
        proc = await asyncio.create_subprocess_exec(*argv, stdin=asyncio.subprocess.DEVNULL,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                    start_new_session=True)
        try:
            _out, err = await proc.communicate()
        except asyncio.CancelledError:  # the attempt timed out: do not leave rsync/ssh behind
            try:
                os.killpg(proc.pid, 9)
            except ProcessLookupError:
                pass
            await proc.wait()
            raise
        if proc.returncode != 0:
            msg = err.decode("utf-8", "replace").strip().splitlines()
            detail = "; ".join(m.strip() for m in msg if m.strip())[:400]
            raise TransferError(f"rsync exit {proc.returncode}: {detail}".strip())


def _describe(exc: Exception) -> str:
    import asyncssh

    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        return f"host key mismatch: the server's key is not the pinned one ({exc})"
    if isinstance(exc, asyncssh.PermissionDenied):
        return f"authentication refused: {exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"
