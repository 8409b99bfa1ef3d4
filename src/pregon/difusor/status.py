"""status.json: the operator's and the institute monitor's view of this difusor, replaced atomically."""

from __future__ import annotations

import json
from pathlib import Path

from ..durable import atomic_write


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
