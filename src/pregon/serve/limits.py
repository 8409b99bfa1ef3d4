"""What one client may hold of a serving worker: the embedded server's bounds against hostile clients.

Set in difusor.toml's [serve] table and overridden by `pregon difusor serve`'s flags; a small module of its
own so the difusor's configuration can name them without importing the server.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClientLimits:
    header_timeout: float = 10.0  # a request head must be complete this long after its first byte
    idle_timeout: float = 15.0  # a keep-alive connection with no request this long is closed
    send_timeout: float = 60.0  # a client that reads nothing of a pending response this long is cut (nginx: 60)
    max_per_client: int = 64  # simultaneous connections per client address, per worker process

    def __post_init__(self):
        if min(self.header_timeout, self.idle_timeout, self.send_timeout, self.max_per_client) <= 0:
            raise ValueError(f"limits must be positive: {self}")
