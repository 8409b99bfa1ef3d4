"""The drill's terminal on a TTY: a status table (the institute's last corte; per difusor its corte, lag and
state) redrawn in place under the lines that still scroll (faults, refusals, the monitor's alerts). Plain
lines, one per corte, when the output is not a terminal: logs and tests read those.

The table is a pure function of what the drill has seen (`rows`, `table`); `Screen` only moves the cursor."""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    difusor: str
    method: str
    corte: int | None  # the corte it publishes now
    lag_s: float | None  # real seconds it took for the institute's latest cut; None while waiting
    state: str


def state_of(seen, latest_sequence: int | None, waiting: bool) -> str:
    """A word for a difusor's state: caído, rechazó un paquete, al día, esperando, sin cortes."""
    if seen.down:
        return "caído"
    if seen.pending_recovery:
        return "recuperándose"
    if not seen.activations:
        return "sin cortes"
    if latest_sequence is not None and seen.activations[-1][0] >= latest_sequence:
        return "al día"
    return "esperando" if waiting else "atrasado"


def rows(progress) -> list[Row]:
    """One row per hosting difusor, from the drill's Progress."""
    last = progress.cuts[-1] if progress.cuts else None
    out = []
    for s in progress.hosting():
        lag = progress.lag(s.id, last) if last else None
        waiting = last is not None and not last.printed
        corte = s.activations[-1][1] if s.activations else None
        out.append(Row(s.id, s.method, corte, lag, state_of(s, last.sequence if last else None, waiting)))
    return out


def table(cut, rs: list[Row], width: int = 100) -> list[str]:
    """The lines of the table: a head line with the institute's last cut, then one per difusor."""
    if cut is None:
        head = "instituto: esperando el primer corte"
    else:
        pct = f"{cut.clave or ''} {cut.percent}%" if cut.percent else "?"
        head = (f"instituto: corte {cut.corte} de las {cut.instant.strftime('%H:%M')} · paquete {cut.sequence}"
                f"{'F' if cut.kind == 'full' else 'Δ'} · contabilizadas {pct}")
    lines = [head[:width], f"  {'difusor':<18} {'método':<7} {'corte':>5} {'retraso':>8}  estado"]
    for r in rs:
        lag = "—" if r.lag_s is None else f"{r.lag_s:.1f} s"
        corte = "—" if r.corte is None else str(r.corte)
        lines.append(f"  {r.difusor[:18]:<18} {r.method:<7} {corte:>5} {lag:>8}  {r.state}"[:width])
    return lines


class Screen:
    """Scrolling lines above, the table below, redrawn in place (ANSI: cursor up, erase to the end)."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.drawn: list[str] = []
        self.closed = False
        self.lock = threading.Lock()

    @staticmethod
    def wanted(stream=None) -> bool:
        s = stream or sys.stdout
        return hasattr(s, "isatty") and s.isatty()

    def _erase(self) -> str:
        return f"\x1b[{len(self.drawn)}F\x1b[J" if self.drawn else ""

    def line(self, text: str) -> None:
        with self.lock:
            self.stream.write(self._erase() + text + "\n" + "".join(x + "\n" for x in self.drawn))
            self.stream.flush()

    def draw(self, lines: list[str]) -> None:
        with self.lock:
            if self.closed or lines == self.drawn:
                return
            self.stream.write(self._erase() + "".join(x + "\n" for x in lines))
            self.stream.flush()
            self.drawn = list(lines)

    def release(self) -> None:
        """Leave the last table on screen as ordinary lines (what follows prints below it)."""
        with self.lock:
            self.drawn, self.closed = [], True
