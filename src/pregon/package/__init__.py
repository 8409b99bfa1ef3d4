"""The paquete de difusión: the protocol both sides share (docs/protocol.md is its contract).

Institute side: `generate`/`write_keypair`, `build_package`, `build_notice`.
Difusor side:   `load_public_key`, `load_state`, `verify_package` (pure) or `verify_and_stage`,
                `stage`, then `commit_state` once the release is live. Refusals are `PackageRefused`
                with a `.reason` from `REASONS`.
"""

from .build import DEFAULT_TTL, Built, build_notice, build_package, parse_ttl, read_identity, scan_site
from .errors import REASONS, PackageRefused
from .keys import PublicKey, SecretKey, generate, load_public_key, load_secret_key, write_keypair
from .limits import DEFAULT_LIMITS, Limits
from .manifest import FORMAT, FileEntry, Manifest, Notice, parse_manifest
from .state import EMPTY_STATE, TrustedState, commit_state, load_state
from .verify import Verified, read_unverified, stage, verify_and_stage, verify_package

__all__ = [
    "Built", "DEFAULT_LIMITS", "DEFAULT_TTL", "EMPTY_STATE", "FORMAT", "REASONS", "FileEntry", "Limits", "Manifest",
    "Notice", "PackageRefused", "PublicKey", "SecretKey", "TrustedState", "Verified", "build_notice",
    "build_package", "commit_state", "generate", "load_public_key", "load_secret_key", "load_state",
    "parse_manifest", "parse_ttl", "read_identity", "read_unverified", "scan_site", "stage",
    "verify_and_stage", "verify_package", "write_keypair",
]
