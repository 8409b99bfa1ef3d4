"""status.json: the operator's and the institute monitor's view of this difusor, replaced atomically."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ..durable import atomic_write
from .health import Runtime
from .layout import current_release
from .publication import corte_of, published_as
from .verdicts import utc_text
from .window import phase


def status_report(cfg, st, rt: Runtime, now: datetime, *, state_error: str | None = None) -> dict:
    """The status of a difusor whose trusted state is `st` (empty, with `state_error`, when it is damaged)."""
    current = current_release(cfg)
    published = published_as(current)
    corte = corte_of(cfg, current) if published == "corte" and st.tree is not None else None
    return {
        "difusor": cfg.id, "election": st.election, "sequence": st.sequence,
        "tree_sequence": st.tree_sequence, "tree": st.tree, "release": current, "published": published,
        "corte": corte, "expires": st.expires.isoformat() if st.expires else None,
        "stale": bool(st.expires and now >= st.expires), "window": phase(cfg, now),
        "notice": st.notice.to_json() if st.notice else None,
        "last_check": utc_text(rt.last_check) if rt.last_check else None,
        "last_activation": rt.last_activation, "last_error": state_error or rt.last_error,
        "incidents": sorted(rt.incidents), "clock": rt.clock_state, "updated": utc_text(now),
    }


def write_status(path: Path, status: dict) -> None:
    atomic_write(Path(path), (json.dumps(status, ensure_ascii=False, indent=1, sort_keys=True, default=str)
                              + "\n").encode("utf-8"))


def read_status(path: Path) -> dict | None:
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        return None


def format_status(st: dict) -> str:
    corte = st.get("corte") or {}
    lines = [
        f"difusor:        {st.get('difusor')}",
        f"election:       {st.get('election') or '-'}",
        f"published:      {st.get('published')} ({st.get('release') or '-'})",
        f"sequence:       {st.get('sequence') if st.get('sequence') is not None else '-'}",
        f"corte:          {corte.get('sequence', '-')} at {corte.get('instant', '-')}",
        f"expires:        {st.get('expires') or '-'}{'  STALE' if st.get('stale') else ''}",
        f"notice:         {(st.get('notice') or {}).get('type', '-')}",
        f"last check:     {st.get('last_check') or '-'}",
        f"last activation:{' ' + str(st.get('last_activation') or '-')}",
        f"last error:     {st.get('last_error') or '-'}",
        f"clock:          {st.get('clock') or '-'}",
        f"updated:        {st.get('updated')}",
    ]
    return "\n".join(lines)
