"""What the public sees: which release `current` should point at, and the operator's hook after a swap.

The choice depends only on the trusted state, the publication window and the time: a replacing notice
addressed to this difusor wins; outside the window a placeholder or the closing page; otherwise the state's
tree, or the placeholder when that tree is missing on disk (an incident the caller reports).
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime

from ..package.state import TrustedState
from . import layout
from .journal import Journal
from .window import REPLACING_NOTICES, phase

HOOK_TIMEOUT_S = 30


def desired_release(cfg, state: TrustedState, now: datetime) -> tuple[str, str | None]:
    """(the release to publish, None) or (the placeholder, why the state's own release cannot be shown)."""
    notice = state.notice
    if notice is not None and notice.type in REPLACING_NOTICES and (not notice.to or cfg.id in notice.to):
        return layout.notice_release(cfg, notice, state.notice_sequence), None
    if phase(cfg, now) == "closed":
        return layout.closing_release(cfg, cfg.keep_until), None
    if phase(cfg, now) == "before" or state.tree is None:
        return layout.placeholder_release(cfg, cfg.window_start), None
    name = layout.release_name(state.tree_sequence, state.tree)
    if not (cfg.releases / name).is_dir():
        return (layout.placeholder_release(cfg, cfg.window_start),
                f"the release {name} of the trusted state is missing; showing the placeholder")
    return name, None


def run_hook(cfg, journal: Journal, target: str) -> None:
    """`on_activate`, with PREGON_RELEASE and PREGON_CURRENT; a failure is journaled, never raised."""
    if not cfg.on_activate:
        return
    env = {**os.environ, "PREGON_RELEASE": target, "PREGON_CURRENT": str(cfg.current)}
    try:
        r = subprocess.run(cfg.on_activate, shell=True, env=env, timeout=HOOK_TIMEOUT_S, capture_output=True,
                           text=True)
        if r.returncode != 0:
            journal.write("hook-failed", "error", command=cfg.on_activate, code=r.returncode,
                          stderr=r.stderr.strip()[-500:])
    except subprocess.TimeoutExpired:
        journal.write("hook-failed", "error", command=cfg.on_activate, detail=f"timed out after {HOOK_TIMEOUT_S} s")


def published_as(current: str | None) -> str:
    """What kind of page `current` shows: nothing, placeholder, notice, closed or corte."""
    if current is None:
        return "nothing"
    for prefix, kind in ((layout.PLACEHOLDER_PREFIX, "placeholder"), (layout.NOTICE_PREFIX, "notice"),
                         (layout.CLOSING_PREFIX, "closed")):
        if current.startswith(prefix):
            return kind
    return "corte"


def corte_of(cfg, release: str) -> dict | None:
    """The corte a published release shows (its json/main.json), or None when it cannot be read."""
    try:
        data = json.loads((cfg.releases / release / "json" / "main.json").read_text("utf-8"))
        return {"sequence": data["corte"]["secuencia"], "instant": data["corte"]["instante"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None
