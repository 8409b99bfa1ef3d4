"""Fault injection for drills: what `--fault` accepts and where each fault acts.

    down:I:A-B     difusor I goes down from simulated minute A to B after the first cut (20:00): its web
                   server, its receiver and (push) its SSH server stop, then start again; the institute's
                   pushes fail meanwhile and its catch-up sends what the difusor lacks once it is back.
    tamper:I:N     the N-th package sent to difusor I is corrupted on the wire (push: the bytes uploaded;
                   pull: the bytes downloaded). The receiver (push) refuses it and journals the reason; the
                   difusor reports it and the institute sends again what it lacks. A pull difusor's
                   client catches it against the signed index's SHA-256 and downloads it again.
    slow:I:S       a real delay of S seconds before every delivery to difusor I (push: before each upload;
                   pull: before each package download).

I counts from 1 in the order `pregon simulacro` lists the difusores (1 SFTP, 2 rsync, 3 pull, …).
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import InputError

_RE = {
    "down": re.compile(r"^down:(\d+):(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$"),
    "tamper": re.compile(r"^tamper:(\d+):(\d+)$"),
    "slow": re.compile(r"^slow:(\d+):(\d+(?:\.\d+)?)$"),
}
USAGE = "expected down:I:A-B (simulated minutes), tamper:I:N (N-th package) or slow:I:SECONDS"


@dataclass(frozen=True)
class Fault:
    kind: str  # down | tamper | slow
    difusor: int  # 1-based
    spec: str
    start_min: float = 0.0  # down
    end_min: float = 0.0
    nth: int = 0  # tamper
    delay: float = 0.0  # slow

    def describe(self, name: str) -> str:
        if self.kind == "down":
            return f"{name} caído del minuto simulado {self.start_min:g} al {self.end_min:g}"
        if self.kind == "tamper":
            return f"el paquete n.º {self.nth} enviado a {name} se altera en tránsito"
        return f"enlace lento a {name}: {self.delay:g} s reales antes de cada entrega"


def parse(spec: str, n_difusores: int) -> Fault:
    spec = spec.strip()
    kind = spec.split(":", 1)[0]
    rx = _RE.get(kind)
    m = rx.match(spec) if rx is not None else None
    if m is None:
        raise InputError(f"--fault {spec!r}: {USAGE}")
    i = int(m.group(1))
    if not 1 <= i <= n_difusores:
        raise InputError(f"--fault {spec!r}: difusor {i} does not exist (1..{n_difusores})")
    if kind == "down":
        a, b = float(m.group(2)), float(m.group(3))
        if b <= a:
            raise InputError(f"--fault {spec!r}: the end minute must be later than the start")
        return Fault("down", i, spec, start_min=a, end_min=b)
    if kind == "tamper":
        nth = int(m.group(2))
        if nth < 1:
            raise InputError(f"--fault {spec!r}: packages count from 1")
        return Fault("tamper", i, spec, nth=nth)
    delay = float(m.group(2))
    if delay > 60:
        raise InputError(f"--fault {spec!r}: at most 60 s of delay")
    return Fault("slow", i, spec, delay=delay)


def parse_all(specs, n_difusores: int) -> list[Fault]:
    return [parse(s, n_difusores) for s in specs]


def corrupt_bytes(data: bytes) -> bytes:
    """The same length, a few bytes flipped in the middle (what a bad link or a meddler would do)."""
    if not data:
        return data
    b = bytearray(data)
    mid = len(b) // 2
    for k in range(min(16, len(b) - mid)):
        b[mid + k] ^= 0x5A
    return bytes(b)


def corrupt_copy(src: Path, dest_dir: Path) -> Path:
    """A corrupted copy of package `src` under `dest_dir`, with the same file name."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / Path(src).name
    tmp = dest.with_name("." + dest.name + ".tmp")
    tmp.write_bytes(corrupt_bytes(Path(src).read_bytes()))
    os.replace(tmp, dest)
    return dest


class Faults:
    """The faults of one drill, looked up by difusor id, and the counters they need."""

    def __init__(self, faults: list[Fault], ids: list[str]):
        self.faults = faults
        self.ids = ids
        self.sent: dict[str, int] = {}  # packages sent (push) or downloaded (pull) per difusor id
        self.fired: list[tuple[str, str]] = []  # (difusor id, message) for the progress display

    def _of(self, ident: str, kind: str) -> list[Fault]:
        return [f for f in self.faults if f.kind == kind and self.ids[f.difusor - 1] == ident]

    def delay(self, ident: str) -> float:
        return sum(f.delay for f in self._of(ident, "slow"))

    def count_and_tamper(self, ident: str) -> bool:
        """Count one package going to `ident`; True when this one must be corrupted."""
        n = self.sent.get(ident, 0) + 1
        self.sent[ident] = n
        return any(f.nth == n for f in self._of(ident, "tamper"))

    def downs(self) -> list[Fault]:
        return [f for f in self.faults if f.kind == "down"]


class PushLink:
    """The institute's push link with the drill's faults, as the `link` of instituto.push.Pusher: a delay
    before each package, and the tampered one replaced by a corrupted copy on its way (the record's name and
    size stay: the difusor's receiver is what must notice)."""

    def __init__(self, faults: Faults, work: Path, note):
        self.faults, self.work, self.note = faults, Path(work), note

    async def __call__(self, d, rec):
        delay = self.faults.delay(d.id)
        if delay:
            await asyncio.sleep(delay)
        if rec.kind != "notice" and self.faults.count_and_tamper(d.id):
            bad = corrupt_copy(Path(rec.file), self.work / "simulacro-alterados" / d.id)
            self.note(f"  ! falla inyectada: el paquete {rec.sequence} ({rec.kind}) a {d.id} se altera en "
                      "tránsito (envío)")
            return replace(rec, file=str(bad))
        return rec
