"""Ed25519 keys and signatures in minisign's file formats, so a difusor can check with `minisign -V`.

Implemented here with `cryptography` and hashlib's BLAKE2b rather than by calling the binary, so the institute
and the receiver need no external tool; the tests check both directions against the real minisign.

Formats (https://jedisct1.github.io/minisign/):
  public key  "untrusted comment: ...\n" + base64("Ed" | key_id[8] | pk[32]) + "\n"
  secret key  "untrusted comment: ...\n" + base64("Ed" | kdf[2] | "B2" | salt[32] | ops[8] | mem[8]
                                                   | key_id[8] | sk[64] | chk[32]) + "\n"
  signature   "untrusted comment: ...\n" + base64(alg[2] | key_id[8] | sig[64]) + "\n"
              "trusted comment: <text>\n" + base64(global_sig[64]) + "\n"
  alg "ED": sig = Ed25519(BLAKE2b-512(message)) (minisign's default); alg "Ed": sig = Ed25519(message).
  global_sig = Ed25519(sig | trusted comment text): it authenticates the trusted comment.
The key id is 8 random bytes, shown as 16 upper-case hex digits of their little-endian value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import InputError

PUBLIC_KEY_FILE = "pregon.pub"
SECRET_KEY_FILE = "pregon.key"
_MAX_COMMENT = 1024  # minisign's COMMENTMAXBYTES


class SignatureError(ValueError):
    """A signature file that does not parse or does not verify."""


def _b64(data: str, what: str, exc=InputError) -> bytes:
    try:
        return base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise exc(f"{what}: not valid base64") from None


def format_key_id(raw: bytes) -> str:
    return raw[::-1].hex().upper()


def parse_key_id(text: str) -> bytes:
    """A key id as shown by minisign (16 hex digits) back to its 8 raw bytes."""
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 8 or len(text) != 16:
        raise InputError(f"key id {text!r}: expected 16 hexadecimal digits")
    return raw[::-1]


@dataclass(frozen=True)
class PublicKey:
    key_id_bytes: bytes
    key: bytes

    @property
    def key_id(self) -> str:
        return format_key_id(self.key_id_bytes)

    @property
    def line(self) -> str:
        """The base64 line minisign shows and accepts with -P."""
        return base64.b64encode(b"Ed" + self.key_id_bytes + self.key).decode("ascii")

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the raw key: what two people read to each other to pin it (the id alone is random)."""
        return "SHA256:" + hashlib.sha256(self.key).hexdigest()

    def file_text(self) -> str:
        return f"untrusted comment: minisign public key {self.key_id}\n{self.line}\n"

    def verify(self, message: bytes, sig: "Signature") -> None:
        """Check both signatures minisign checks; raise SignatureError unless both hold."""
        if sig.key_id_bytes != self.key_id_bytes:
            raise SignatureError(f"signature is by key {sig.key_id}, not {self.key_id}")
        if sig.algorithm == b"ED":
            signed = hashlib.blake2b(message, digest_size=64).digest()
        elif sig.algorithm == b"Ed":
            signed = message
        else:  # parse_signature admits no other
            raise SignatureError("unsupported signature algorithm")
        pk = Ed25519PublicKey.from_public_bytes(self.key)
        try:
            pk.verify(sig.signature, signed)
        except InvalidSignature:
            raise SignatureError("signature does not verify") from None
        try:
            pk.verify(sig.global_signature, sig.signature + sig.trusted_comment.encode("utf-8"))
        except InvalidSignature:
            raise SignatureError("trusted comment signature does not verify") from None


@dataclass(frozen=True)
class SecretKey:
    key_id_bytes: bytes
    seed: bytes

    @property
    def public(self) -> PublicKey:
        pk = Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes_raw()
        return PublicKey(self.key_id_bytes, pk)

    @property
    def key_id(self) -> str:
        return format_key_id(self.key_id_bytes)

    def file_text(self) -> str:
        """Unencrypted minisign secret key (as `minisign -G -W` writes: kdf none, zero checksum)."""
        sk = self.seed + self.public.key
        blob = b"Ed" + b"\0\0" + b"B2" + bytes(32 + 8 + 8) + self.key_id_bytes + sk + bytes(32)
        return "untrusted comment: minisign encrypted secret key\n" + base64.b64encode(blob).decode() + "\n"

    def sign(self, message: bytes, trusted_comment: str,
             untrusted_comment: str = "signature from pregon secret key") -> bytes:
        """A prehashed ("ED") minisign signature file for `message`; deterministic (Ed25519 is)."""
        for c in (trusted_comment, untrusted_comment):
            if "\n" in c or "\r" in c or len(c.encode()) > _MAX_COMMENT:
                raise ValueError("a minisign comment is one line of at most 1024 bytes")
        priv = Ed25519PrivateKey.from_private_bytes(self.seed)
        sig = priv.sign(hashlib.blake2b(message, digest_size=64).digest())
        global_sig = priv.sign(sig + trusted_comment.encode("utf-8"))
        return (
            f"untrusted comment: {untrusted_comment}\n"
            + base64.b64encode(b"ED" + self.key_id_bytes + sig).decode() + "\n"
            + f"trusted comment: {trusted_comment}\n"
            + base64.b64encode(global_sig).decode() + "\n"
        ).encode("utf-8")


@dataclass(frozen=True)
class Signature:
    algorithm: bytes
    key_id_bytes: bytes
    signature: bytes
    trusted_comment: str
    global_signature: bytes

    @property
    def key_id(self) -> str:
        return format_key_id(self.key_id_bytes)


def generate() -> SecretKey:
    return SecretKey(os.urandom(8), os.urandom(32))


def parse_public_key(text: str, where: str = "public key") -> PublicKey:
    """A minisign public key file's text, or the bare base64 line `minisign -P` takes."""
    lines = [ln.strip() for ln in text.strip().splitlines()]
    if len(lines) == 2 and lines[0].startswith("untrusted comment:"):
        lines = lines[1:]
    if len(lines) != 1:
        raise InputError(f"{where}: not a minisign public key (an optional comment line, then one base64 line)")
    raw = _b64(lines[0], where)
    if len(raw) != 42 or raw[:2] != b"Ed":
        raise InputError(f"{where}: not an Ed25519 minisign public key")
    return PublicKey(raw[2:10], raw[10:])


def load_public_key(path: str | os.PathLike) -> PublicKey:
    """A public key file, a key directory holding pregon.pub, or the base64 line itself."""
    p, text = _key_file(path, PUBLIC_KEY_FILE, "public key")
    if text is None:
        if str(path).startswith("RW") and "/" not in str(path)[:4]:
            return parse_public_key(str(path), "public key argument")
        raise InputError(f"{p}: no such public key file")
    return parse_public_key(text, str(p))


def _key_file(path: str | os.PathLike, name: str, what: str) -> tuple[Path, str | None]:
    """(the file, its text or None when it does not exist) of a key given as a file or a key directory."""
    p = Path(path)
    if p.is_dir():
        p = p / name
    try:
        return p, p.read_text("utf-8")
    except FileNotFoundError:
        return p, None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read {what}: {exc}") from None


def parse_secret_key(text: str, where: str = "secret key") -> SecretKey:
    lines = [ln.strip() for ln in text.strip().splitlines()]
    if lines and lines[0].startswith("untrusted comment:"):
        lines = lines[1:]
    if len(lines) != 1:
        raise InputError(f"{where}: not a minisign secret key")
    raw = _b64(lines[0], where)
    if len(raw) != 158 or raw[:2] != b"Ed" or raw[4:6] != b"B2":
        raise InputError(f"{where}: not an Ed25519 minisign secret key")
    if raw[2:4] != b"\0\0":
        raise InputError(
            f"{where}: the key is password-protected; pregon signs unattended and needs an unencrypted key "
            f"(remove the password with `minisign -C -W -s {where}` on the signing host)"
        )
    key_id, sk = raw[54:62], raw[62:126]
    secret = SecretKey(key_id, sk[:32])
    if secret.public.key != sk[32:]:
        raise InputError(f"{where}: damaged secret key (its public half does not match)")
    return secret


def load_secret_key(path: str | os.PathLike) -> SecretKey:
    """A minisign secret key file, or a key directory holding pregon.key."""
    p, text = _key_file(path, SECRET_KEY_FILE, "secret key")
    if text is None:
        raise InputError(f"{p}: no such secret key file (create one with `pregon package keygen`)")
    return parse_secret_key(text, str(p))


def write_keypair(keydir: str | os.PathLike, secret: SecretKey, *, force: bool = False) -> tuple[Path, Path]:
    """Write pregon.key (0600) and pregon.pub into `keydir`; never overwrite a key unless forced."""
    d = Path(keydir)
    d.mkdir(parents=True, exist_ok=True)
    sk_path, pk_path = d / SECRET_KEY_FILE, d / PUBLIC_KEY_FILE
    if not force:
        for p in (sk_path, pk_path):
            if p.exists():
                raise InputError(f"{p}: already exists; a key is not overwritten (pass --force to replace it)")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    fd = os.open(sk_path, flags, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secret.file_text())
    os.chmod(sk_path, 0o600)
    pk_path.write_text(secret.public.file_text(), "utf-8")
    return sk_path, pk_path


def parse_signature(data: bytes) -> Signature:
    """A minisign signature file; raise SignatureError on any deviation from the format."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SignatureError("signature file is not UTF-8") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    if len(lines) != 4:
        raise SignatureError("signature file must have 4 lines")
    if not lines[0].startswith("untrusted comment:"):
        raise SignatureError("signature file lacks its untrusted comment line")
    if not lines[2].startswith("trusted comment: "):
        raise SignatureError("signature file lacks its trusted comment line")
    raw = _b64(lines[1], "signature", SignatureError)
    if len(raw) != 74 or raw[:2] not in (b"ED", b"Ed"):
        raise SignatureError("not an Ed25519 minisign signature")
    global_sig = _b64(lines[3], "trusted comment signature", SignatureError)
    if len(global_sig) != 64:
        raise SignatureError("trusted comment signature has the wrong length")
    return Signature(raw[:2], raw[2:10], raw[10:], lines[2][len("trusted comment: "):], global_sig)
