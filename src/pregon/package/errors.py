"""Why a package was refused, as a stable code a receiver can journal and a script can branch on.

Every refusal is a `PackageRefused` (a `CheckFailed`, so the CLI exits 1 as the contract says). The code is
part of the protocol (docs/protocol.md lists it); the message is one line naming the member or field.
"""

from __future__ import annotations

from ..errors import CheckFailed

# reason code -> (distinct exit code for `verify --distinct-exit-codes`, what it means)
REASONS: dict[str, tuple[int, str]] = {
    "bad-signature": (10, "the manifest signature is missing, malformed or does not verify"),
    "unknown-key": (11, "signed by a key that is neither pinned nor announced"),
    "revoked-key": (12, "signed by a key the institute has retired"),
    "bad-manifest": (13, "the manifest does not parse or breaks the schema"),
    "unknown-format": (14, "the manifest declares a format version this verifier does not know"),
    "bad-layout": (15, "members out of the required order, or a control file missing"),
    "hash-mismatch": (16, "a file's bytes or size differ from the manifest"),
    "missing-file": (17, "a file the manifest lists is not in the package"),
    "extra-file": (18, "the package carries a file the manifest does not list"),
    "replay": (19, "the sequence is not greater than the last one applied (rollback or replay)"),
    "base-mismatch": (20, "a delta whose base is not the current tree"),
    "expired": (21, "the package is past its expiry (stale)"),
    "wrong-election": (22, "the package belongs to another election than the one applied so far"),
    "unsafe-member": (23, "an archive member that could escape or clobber on extraction"),
    "bomb": (24, "a size, count or compression ratio over the configured limits"),
    "truncated": (25, "the file ends early: a partial upload or a cut download"),
    "corrupt": (26, "the gzip or tar framing is damaged"),
}


def show(name: str | bytes, limit: int = 120) -> str:
    """Quote an untrusted name for a one-line message: no control characters, bounded length."""
    if isinstance(name, bytes):
        name = name.decode("utf-8", "backslashreplace")
    text = name.encode("unicode_escape").decode("ascii") if not name.isprintable() else name
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text)


class PackageRefused(CheckFailed):
    """A package failed a check; `reason` is one of REASONS."""

    def __init__(self, reason: str, detail: str):
        if reason not in REASONS:
            raise ValueError(f"unknown refusal reason {reason!r}")
        self.reason = reason
        self.detail = " ".join(detail.split())
        super().__init__(f"package refused [{reason}]: {self.detail}")

    @property
    def distinct_exit_code(self) -> int:
        return REASONS[self.reason][0]
