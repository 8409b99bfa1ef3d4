"""Fixtures: one real OpenSSH server on loopback for the module, the institute's SSH client key."""

from __future__ import annotations

import pytest

from toolcheck import require_tool
from instituto.sshkit import SSHD, Sshd, keygen


@pytest.fixture(scope="module")
def ssh_server(tmp_path_factory):
    require_tool(SSHD)
    require_tool("ssh-keygen")
    root = tmp_path_factory.mktemp("sshd")
    client = keygen(root / "institute_ed25519", "instituto")
    server = Sshd(root / "server", root / "institute_ed25519.pub")
    server.client_key = client
    try:
        yield server
    finally:
        server.stop()
