"""The night as the drill's display sees it: each cut the institute publishes, each difusor's journal as it
grows (activations, refusals, incidents), one line per cut with every difusor's lag once all have it (or it
has waited long enough), and the lags the summary reports.

Lag is in REAL seconds: from the institute recording a cut as published to the difusor's `activated` entry,
both stamped with the drill's clock, so real seconds = simulated seconds / speed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .. import durable
from ..instituto import packages as pk
from . import live

INCIDENTS = ("pull-incident", "inbox-incident", "error", "disk", "disk-low", "stale", "archive-incident")


@dataclass
class CutSeen:
    corte: int
    sequence: int
    kind: str
    instant: datetime
    published: datetime
    percent: str | None = None
    clave: str | None = None
    printed: bool = False
    shown_at: float = 0.0  # wall time the progress first saw it


@dataclass
class DifusorSeen:
    id: str
    method: str
    journal: Path
    offset: int = 0
    activations: list = field(default_factory=list)  # (sequence, corte, virtual time)
    refused: list = field(default_factory=list)
    incidents: list = field(default_factory=list)  # (virtual time, event, detail)
    pending_recovery: str | None = None
    down: bool = False


def _percent(site: str | None) -> tuple[str | None, str | None]:
    try:
        main = json.loads((Path(site) / "json" / "main.json").read_text("utf-8"))
        e = main["elecciones"][0]
        return e["avance"]["porcentaje_actas_contabilizadas"], e.get("clave")
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None, None


class Progress:
    """What the drill has seen so far. `refused(ident)` is called when a difusor refuses a package (the
    drill then has the institute send again what it lacks)."""

    def __init__(self, plan, cfg, note, refused=lambda ident: None, draw=None):
        self.plan, self.cfg, self.note, self.refused = plan, cfg, note, refused
        self.draw = draw  # on a TTY: the live table's redraw instead of one line per cut
        self.cuts: list[CutSeen] = []
        self.seen = {d.id: DifusorSeen(d.id, d.method, d.root / "journal.jsonl") for d in plan.difusores}

    def hosting(self) -> list[DifusorSeen]:
        """The difusores that receive packages (a framing one shows the official site)."""
        return [self.seen[d.id] for d in self.plan.difusores if d.hosts]

    def first_cut_shown(self) -> bool:
        return bool(self.cuts) and self.cuts[0].printed

    def lag(self, ident: str, c: CutSeen) -> float | None:
        """Real seconds from the institute's publication of cut `c` to `ident` activating it or a later one."""
        for seq, _corte, t in self.seen[ident].activations:
            if seq >= c.sequence:
                return max(0.0, (t - c.published).total_seconds() / self.plan.speed)
        return None

    def lags(self, ident: str) -> list[float]:
        return [v for c in self.cuts if (v := self.lag(ident, c)) is not None]

    def framed(self, ident: str) -> bool:
        """Whether the monitor's last observation of a framing difusor found the frame in order."""
        obs = [o for o in durable.read_jsonl(self.cfg.monitor.observations) if o.get("difusor") == ident]
        return bool(obs) and obs[-1].get("status") == "ok"

    def all_current(self, target: int) -> bool:
        return all(s.activations and s.activations[-1][0] >= target for s in self.hosting())

    # --- polling ----------------------------------------------------------------------------------------------

    def poll(self, final: bool = False) -> None:
        """Read what is new (published cuts, journal entries) and print the cut lines that are due, in order."""
        known = {c.sequence for c in self.cuts}
        for r in pk.published(self.cfg.work):
            if r.kind == "notice" or r.sequence in known:
                continue
            pct, clave = _percent(r.site)
            self.cuts.append(CutSeen(r.corte_sequence, r.sequence, r.kind, datetime.fromisoformat(r.corte_instant),
                                     datetime.fromisoformat(r.published), pct, clave, shown_at=time.time()))
        for s in self.seen.values():
            entries, s.offset = durable.read_new_jsonl(s.journal, s.offset)
            for e in entries:
                self._journal_event(s, e)
        slot = self.plan.slot_seconds
        for c in self.cuts:
            if c.printed:
                continue
            lags = {s.id: self.lag(s.id, c) for s in self.hosting()}
            waited = time.time() - c.shown_at
            if all(v is not None for v in lags.values()) or final or waited > max(3.0, 2.5 * slot):
                c.printed = True
                if self.draw is None:
                    self.note(self._cut_line(c, lags))
            else:
                break  # keep the lines in order
        if self.draw is not None:
            self.draw(live.table(self.cuts[-1] if self.cuts else None, live.rows(self)))

    def _journal_event(self, s: DifusorSeen, e: dict) -> None:
        ev = e.get("event")
        try:
            t = datetime.fromisoformat(e["time"])
        except (KeyError, ValueError):
            return
        if ev == "activated" and e.get("sequence") is not None:
            s.activations.append((int(e["sequence"]), (e.get("corte") or {}).get("sequence"), t))
            if s.pending_recovery:
                corte = (e.get("corte") or {}).get("sequence")
                self.note(f"  ✓ {s.id} al día de nuevo ({s.pending_recovery}): publica el corte {corte}")
                s.pending_recovery = None
        elif ev == "refused":
            s.refused.append(e)
            s.incidents.append((t, "refused", f"{e.get('package')}: {e.get('reason')}"))
            self.note(f"  ✗ {s.id} rechaza {e.get('package')}: [{e.get('reason')}] {str(e.get('detail'))[:90]}; "
                      "sigue publicando el corte anterior")
            s.pending_recovery = "tras rechazar un paquete alterado"
            if s.method in ("sftp", "rsync"):
                self.refused(s.id)
        elif ev in INCIDENTS:
            s.incidents.append((t, ev, str(e.get("detail"))[:200]))
            self.note(f"  ✗ {s.id}: {ev}: {str(e.get('detail'))[:110]}")
            if ev == "pull-incident":
                s.pending_recovery = "el cliente pull descarta la descarga y la repite"

    def _cut_line(self, c: CutSeen, lags: dict) -> str:
        pct = f"{c.clave or ''} {c.percent}%" if c.percent else "?"
        cells = []
        for ident, v in lags.items():
            if v is None:
                cells.append(f"{ident} " + ("caído" if self.seen[ident].down else "—"))
            else:
                cells.append(f"{ident} {v:.1f}s")
        kind = "F" if c.kind == "full" else "Δ"
        return (f"corte {c.corte:>3}  {c.instant.strftime('%H:%M')}  paquete {c.sequence:>3}{kind}  "
                f"contabilizadas {pct:<16} | " + "  ".join(cells))
