"""Block and unblock a difusor: the registry changes, a signed notice is built, recorded (so pull difusores
find it in the index) and pushed at once to that difusor; later cuts skip it and the "Difusores oficiales"
page of the next cut no longer lists it.

The notice is a `not-official` package addressed to the difusor's id; its receiver replaces the public site
with the notice. Unblocking sends a `clear` notice and asks the scheduler for a full package at the next cut
(the difusor's tree is behind, and a full is the only package it can apply after the notices).

A pull difusor's credential (access.py) is revoked before anything else, so its next package request gets 403
even if a later step fails; it still reaches the index and the notice. Unblocking restores the same credential
once the registry says active again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from .. import durable
from ..errors import InputError
from . import packages as pk
from . import pull, store
from .access import Access
from .config import Config, require
from .push import Delivery, Pusher
from .registry import Registry


def notice_text(nombre: str, issuer: str) -> str:
    return (f"{nombre} ya no es difusor oficial del PREP. Consulte los resultados preliminares en el sitio "
            f"oficial de {issuer} y en su lista de difusores oficiales.")


@dataclass
class BlockResult:
    difusor: str
    notice: pk.PackageRecord
    deliveries: list[Delivery]


def _election(cfg: Config) -> str:
    if cfg.election:
        return cfg.election
    st = durable.read_json(cfg.state_file, {}) or {}
    if st.get("election"):
        return st["election"]
    raise InputError(f"{cfg.source or 'instituto.toml'}: no cut has been published yet and [instituto] election "
                     "is not set; set it so the notice names the election")


def _send(cfg: Config, key, ident: str, notice_type: str, message: str, now: datetime, push: bool,
          pusher: Pusher | None) -> BlockResult:
    registry = Registry(cfg.registry)
    d = registry.get(ident)
    election = _election(cfg)
    rec = pk.make_notice(work=cfg.work, packages_dir=cfg.packages, key=key, election=election, issuer=cfg.name,
                         notice_type=notice_type, message=message, to=(ident,), created=now, published_at=now)
    if cfg.pull_dir is not None:
        pull.publish(cfg.pull_dir, pk.published(cfg.work), key=key, election=election, issuer=cfg.name, updated=now)
    deliveries: list[Delivery] = []
    if push and d.transfer.method in ("sftp", "rsync"):
        pusher = pusher or Pusher(cfg.push, cfg.ssh_key, cfg.deliveries, cfg.work / "ssh")
        deliveries = asyncio.run(pusher.deliver(d, [rec]))
    return BlockResult(ident, rec, deliveries)


def block(cfg: Config, ident: str, reason: str, now: datetime, *, push: bool = True,
          pusher: Pusher | None = None) -> BlockResult:
    from ..package.keys import load_secret_key

    require(cfg, "key")
    key = load_secret_key(cfg.key)
    registry = Registry(cfg.registry)
    registry.get(ident)  # a registered difusor: its download link closes first, whatever happens next
    revoked = Access(cfg.work).revoke(ident)
    d = registry.block(ident, reason, now)
    res = _send(cfg, key, ident, "not-official", notice_text(d.nombre, cfg.name), now, push, pusher)
    registry.set_notice_sequence(ident, res.notice.sequence)
    durable.append_jsonl(cfg.journal, {"time": store.iso(now), "event": "blocked", "difusor": ident, "reason": reason,
                                     "notice_sequence": res.notice.sequence, "pull_access_revoked": revoked,
                                     "delivered": [x.result for x in res.deliveries]})
    return res


def unblock(cfg: Config, ident: str, now: datetime, *, push: bool = True, pusher: Pusher | None = None) -> BlockResult:
    from ..package.keys import load_secret_key

    require(cfg, "key")
    key = load_secret_key(cfg.key)
    registry = Registry(cfg.registry)
    d = registry.unblock(ident, now)
    restored = Access(cfg.work).restore(ident)
    res = _send(cfg, key, ident, "clear", f"{d.nombre} es nuevamente difusor oficial del PREP.", now, push, pusher)
    pk.request_full(cfg.work, f"difusor {ident} unblocked")
    durable.append_jsonl(cfg.journal, {"time": store.iso(now), "event": "unblocked", "difusor": ident,
                                     "notice_sequence": res.notice.sequence, "pull_access_restored": restored,
                                     "delivered": [x.result for x in res.deliveries]})
    return res
