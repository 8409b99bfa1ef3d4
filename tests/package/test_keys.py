"""Keys and signatures: minisign's formats, checked against the real minisign in both directions."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import subprocess

import pytest
from toolcheck import require_tool

from pregon.errors import InputError
from pregon.package import keys
from pregon.package.keys import SignatureError, parse_signature


def test_sign_verify_roundtrip(key):
    sig = parse_signature(key.sign(b"manifest bytes", "trusted text"))
    assert sig.algorithm == b"ED" and sig.key_id == key.key_id and sig.trusted_comment == "trusted text"
    key.public.verify(b"manifest bytes", sig)


def test_signature_is_deterministic(key):
    assert key.sign(b"x", "c") == key.sign(b"x", "c")


@pytest.mark.parametrize("tamper", ["message", "comment", "global", "keyid"])
def test_tampering_is_detected(key, other_key, tamper):
    data = key.sign(b"the manifest", "sequence=3")
    lines = data.decode().split("\n")
    message = b"the manifest"
    if tamper == "message":
        message = b"the manifesT"
    elif tamper == "comment":
        lines[2] = "trusted comment: sequence=9"
    elif tamper == "global":
        g = bytearray(base64.b64decode(lines[3]))
        g[0] ^= 1
        lines[3] = base64.b64encode(bytes(g)).decode()
    else:
        raw = base64.b64decode(lines[1])
        lines[1] = base64.b64encode(raw[:2] + other_key.key_id_bytes + raw[10:]).decode()
    with pytest.raises(SignatureError):
        key.public.verify(message, parse_signature("\n".join(lines).encode()))


def test_wrong_key_is_rejected(key, other_key):
    with pytest.raises(SignatureError, match="not"):
        other_key.public.verify(b"m", parse_signature(key.sign(b"m", "c")))


def test_legacy_ed_signature_is_accepted(key):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    priv = Ed25519PrivateKey.from_private_bytes(key.seed)
    sig = priv.sign(b"legacy message")
    glob = priv.sign(sig + b"tc")
    text = (f"untrusted comment: x\n{base64.b64encode(b'Ed' + key.key_id_bytes + sig).decode()}\n"
            f"trusted comment: tc\n{base64.b64encode(glob).decode()}\n").encode()
    key.public.verify(b"legacy message", parse_signature(text))


@pytest.mark.parametrize("text", [
    b"", b"untrusted comment: x\n", b"\xff\xfe",
    b"untrusted comment: a\nAAAA\ntrusted comment: b\nAAAA\n",
    b"no comment\nAAAA\ntrusted comment: b\nAAAA\n",
])
def test_malformed_signatures(text):
    with pytest.raises(SignatureError):
        parse_signature(text)


def test_public_key_file_and_inline_forms(key, tmp_path):
    pub = key.public
    assert pub.file_text().startswith(f"untrusted comment: minisign public key {pub.key_id}\n")
    (tmp_path / "k.pub").write_text(pub.file_text())
    assert keys.load_public_key(tmp_path / "k.pub") == pub
    assert keys.load_public_key(pub.line) == pub
    assert keys.parse_public_key(pub.line) == pub
    assert pub.fingerprint == "SHA256:" + hashlib.sha256(pub.key).hexdigest()
    assert keys.parse_key_id(pub.key_id) == pub.key_id_bytes


@pytest.mark.parametrize("text", ["", "untrusted comment: x\n!!!notbase64\n", "RWQAAAA=",
                                  "untrusted comment: x\nRWQ=\nRWQ=\n"])
def test_bad_public_keys_are_input_errors(text):
    with pytest.raises(InputError):
        keys.parse_public_key(text)


def test_write_keypair(tmp_path, key):
    sk_path, pk_path = keys.write_keypair(tmp_path / "kd", key)
    assert stat.S_IMODE(os.stat(sk_path).st_mode) == 0o600
    assert keys.load_secret_key(tmp_path / "kd") == key
    assert keys.load_public_key(tmp_path / "kd") == key.public
    with pytest.raises(InputError, match="already exists"):
        keys.write_keypair(tmp_path / "kd", keys.generate())
    keys.write_keypair(tmp_path / "kd", keys.generate(), force=True)
    assert keys.load_secret_key(tmp_path / "kd") != key


def test_password_protected_key_is_refused_with_advice(key, tmp_path):
    raw = bytearray(base64.b64decode(key.file_text().splitlines()[1]))
    raw[2:4] = b"Sc"
    (tmp_path / "enc.key").write_text("untrusted comment: x\n" + base64.b64encode(bytes(raw)).decode() + "\n")
    with pytest.raises(InputError, match="minisign -C -W"):
        keys.load_secret_key(tmp_path / "enc.key")


def test_damaged_secret_key(key, tmp_path):
    raw = bytearray(base64.b64decode(key.file_text().splitlines()[1]))
    raw[100] ^= 1  # inside the public half of sk
    (tmp_path / "bad.key").write_text("untrusted comment: x\n" + base64.b64encode(bytes(raw)).decode() + "\n")
    with pytest.raises(InputError, match="damaged"):
        keys.load_secret_key(tmp_path / "bad.key")


# --- the real minisign -------------------------------------------------------------------------------------


def test_minisign_verifies_our_signatures(key, tmp_path):
    minisign = require_tool("minisign")
    (tmp_path / "m.json").write_bytes(b'{"sequence":1}\n')
    (tmp_path / "m.json.minisig").write_bytes(key.sign(b'{"sequence":1}\n', "pregon test comment"))
    (tmp_path / "k.pub").write_text(key.public.file_text())
    for extra in ([], ["-H"]):  # -H: insist on the prehashed form we emit
        out = subprocess.run([minisign, "-V", *extra, "-p", str(tmp_path / "k.pub"), "-m", str(tmp_path / "m.json")],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert "Trusted comment: pregon test comment" in out.stdout
    (tmp_path / "m.json").write_bytes(b'{"sequence":2}\n')
    out = subprocess.run([minisign, "-V", "-p", str(tmp_path / "k.pub"), "-m", str(tmp_path / "m.json")],
                         capture_output=True, text=True)
    assert out.returncode != 0


def test_minisign_signs_with_our_secret_key(key, tmp_path):
    minisign = require_tool("minisign")
    keys.write_keypair(tmp_path / "kd", key)
    (tmp_path / "m").write_bytes(b"payload")
    subprocess.run([minisign, "-S", "-s", str(tmp_path / "kd" / "pregon.key"), "-m", str(tmp_path / "m"),
                    "-t", "signed by minisign"], check=True, capture_output=True)
    sig = parse_signature((tmp_path / "m.minisig").read_bytes())
    assert sig.trusted_comment == "signed by minisign"
    key.public.verify(b"payload", sig)


@pytest.mark.parametrize("legacy", [False, True])
def test_minisign_generated_keys_and_signatures_are_accepted(tmp_path, legacy):
    minisign = require_tool("minisign")
    subprocess.run([minisign, "-G", "-W", "-p", str(tmp_path / "ms.pub"), "-s", str(tmp_path / "ms.key")],
                   check=True, capture_output=True)
    pub = keys.load_public_key(tmp_path / "ms.pub")
    secret = keys.load_secret_key(tmp_path / "ms.key")
    assert secret.public == pub
    (tmp_path / "f").write_bytes(b"data to sign" * 100)
    subprocess.run([minisign, "-S", *(["-l"] if legacy else []), "-s", str(tmp_path / "ms.key"),
                    "-m", str(tmp_path / "f"), "-t", "tc"], check=True, capture_output=True)
    sig = parse_signature((tmp_path / "f.minisig").read_bytes())
    assert sig.algorithm == (b"Ed" if legacy else b"ED")
    pub.verify(b"data to sign" * 100, sig)
    with pytest.raises(SignatureError):
        pub.verify(b"data to sign" * 99, sig)
    # and minisign accepts what pregon signs with minisign's own key
    (tmp_path / "g").write_bytes(b"other")
    (tmp_path / "g.minisig").write_bytes(secret.sign(b"other", "by pregon"))
    subprocess.run([minisign, "-V", "-p", str(tmp_path / "ms.pub"), "-m", str(tmp_path / "g")], check=True,
                   capture_output=True)
