"""Debian's OpenSSH server on a loopback high port for push tests and the distribution bench: now the
library's `pregon.simulacro.sshd` (the drill uses the same one); re-exported here for the tests."""

from __future__ import annotations

from pregon.simulacro.sshd import SSHD, Sshd, SshdError, free_port, keygen, wait_port

__all__ = ["SSHD", "Sshd", "SshdError", "free_port", "keygen", "wait_port"]
