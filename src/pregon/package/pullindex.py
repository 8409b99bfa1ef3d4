"""The pull index: the small signed file that tells pulling difusores which packages exist.

Part of the protocol both sides share (docs/protocol.md), so the institute that signs it and the difusor that
checks it use the same code. `index.json` is canonical JSON with `format`, `election`, `latest` and the
entries; `index.json.minisig` signs it, its trusted comment repeating format, election and latest so a
signature cannot be moved onto another index.
"""

from __future__ import annotations

import json

from ..errors import CheckFailed
from .keys import SignatureError, parse_signature

FORMAT = "pregon-pull-index/1"
INDEX = "index.json"
SIGNATURE = "index.json.minisig"


class IndexRefused(CheckFailed):
    """The index or its signature does not check out; the last good index stays in force."""


def trusted_comment(election: str, latest: int) -> str:
    return f"{FORMAT} election={election} latest={latest}"


def sign_index(data: bytes, key, *, election: str, latest: int) -> bytes:
    """The minisign signature of an index's bytes."""
    return key.sign(data, trusted_comment(election, latest), untrusted_comment="pregon pull index signature")


def verify_index(data: bytes, signature: bytes, keys) -> dict:
    """The index as a dict when `signature` by one of `keys` covers `data`; IndexRefused otherwise."""
    try:
        sig = parse_signature(signature)
    except SignatureError as exc:
        raise IndexRefused(f"pull index signature: {exc}") from None
    for k in keys:
        if k.key_id_bytes == sig.key_id_bytes:
            try:
                k.verify(data, sig)
            except SignatureError as exc:
                raise IndexRefused(f"pull index: {exc} (caught mid-update? fetch index.json and its signature "
                                   "again)") from None
            break
    else:
        raise IndexRefused(f"pull index signed by unknown key {sig.key_id}")
    try:
        obj = json.loads(data)
    except ValueError:
        raise IndexRefused("pull index is not JSON") from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        found = obj.get("format") if isinstance(obj, dict) else None
        raise IndexRefused(f"pull index format {found!r}; expected {FORMAT}")
    if sig.trusted_comment != trusted_comment(obj.get("election"), obj.get("latest")):
        raise IndexRefused("pull index: the signed trusted comment disagrees with the index")
    return obj
