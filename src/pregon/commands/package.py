"""`pregon package …`: keys, building, verifying and inspecting paquetes de difusión (docs/protocol.md)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import click

from ..errors import InputError
from ..package import keys as keymod
from ..package.build import DEFAULT_TTL, build_notice, build_package, parse_ttl
from ..package.errors import REASONS, PackageRefused
from ..package.limits import DEFAULT_LIMITS, Limits
from ..package.manifest import NOTICE_TYPES
from ..package.state import commit_state, load_state
from ..package.verify import read_unverified, verify_and_stage, verify_package
from ..times import optional_instant, utc_now

_SIZE_RE = re.compile(r"(\d+)([KMG]?)(i?B)?", re.IGNORECASE)
_EXIT_TABLE = "\n".join(f"  {code:>3}  {reason:<15} {what}" for reason, (code, what) in REASONS.items())


def _size(text: str | None, what: str) -> int | None:
    if text is None:
        return None
    m = _SIZE_RE.fullmatch(text.strip())
    if not m:
        raise InputError(f"{what} {text!r}: expected a byte count such as 500M or 2G")
    return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2).upper()]


def _time(text: str | None, what: str, allow_now: bool = False) -> datetime | None:
    if allow_now and text == "now":
        return utc_now().replace(microsecond=0)
    return optional_instant(text, what)


def _emit(as_json: bool, obj: dict, lines: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(obj, ensure_ascii=False, indent=2))
    else:
        for line in lines:
            click.echo(line)


def _rotation(announce, revoke):
    add = [keymod.load_public_key(k) for k in announce]
    for r in revoke:
        keymod.parse_key_id(r)
    return add, list(revoke)


@click.group()
def package():
    """Paquetes de difusión: signed full, delta and notice packages (docs/protocol.md)."""


@package.command()
@click.option("--out", "keydir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for pregon.key (secret, mode 0600) and pregon.pub (publish this one).")
@click.option("--force", is_flag=True, help="Replace an existing key pair.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def keygen(keydir, force, as_json):
    """Generate an Ed25519 key pair in minisign's formats."""
    secret = keymod.generate()
    sk_path, pk_path = keymod.write_keypair(keydir, secret, force=force)
    pub = secret.public
    _emit(as_json, {"key_id": pub.key_id, "fingerprint": pub.fingerprint, "public_key": pub.line,
                    "secret_key_file": str(sk_path), "public_key_file": str(pk_path)},
          [f"key id       {pub.key_id}", f"fingerprint  {pub.fingerprint}", f"public key   {pub.line}",
           f"wrote {sk_path} (keep it secret) and {pk_path} (give it to every difusor)"])


def _common_build_options(f):
    for opt in reversed([
        click.option("--key", "keydir", required=True, help="Key directory (or pregon.key) that signs."),
        click.option("--sequence", type=click.IntRange(min=0), required=True,
                     help="Package sequence: strictly increasing over every package of the election."),
        click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                     help="The .tar.gz to write (replaced atomically)."),
        click.option("--issuer", help="Name of the institute, recorded in the manifest."),
        click.option("--not-before", help="Embargo: the difusor holds the package until this time "
                     "(ISO 8601 with offset; default: the creation time)."),
        click.option("--expires", help="Expiry (ISO 8601 with offset); default: creation + --ttl."),
        click.option("--ttl", help=f"Lifetime when --expires is not given, e.g. 90m, 24h, 14d "
                     f"(default {int(DEFAULT_TTL.total_seconds() // 3600)}h)."),
        click.option("--announce-key", multiple=True, help="Key rotation: a public key the difusores "
                     "must trust from this package on (file, key directory or base64 line)."),
        click.option("--revoke-key", multiple=True, help="Key rotation: a key id the difusores must "
                     "stop trusting after this package."),
        click.option("--json", "as_json", is_flag=True, help="Machine-readable output."),
    ]):
        f = opt(f)
    return f


def _report_built(out: Path, manifest, carried: int, as_json: bool, files: int = 0) -> None:
    size = out.stat().st_size
    from ..durable import sha256_file

    digest = sha256_file(out)[1]
    _emit(as_json, {"package": str(out), "kind": manifest.kind, "format": manifest.format,
                    "election": manifest.election, "sequence": manifest.sequence, "tree": manifest.tree,
                    "files": files,
                    "carried": carried, "removed": len(manifest.removed), "bytes": size, "sha256": digest,
                    "key_id": manifest.key_id, "not_before": manifest.not_before.isoformat(),
                    "expires": manifest.expires.isoformat()},
          [f"built {out}: {manifest.kind}, election {manifest.election}, sequence {manifest.sequence}, "
           + (f"{files} files ({carried} carried, {len(manifest.removed)} removed), "
              if manifest.kind != "notice" else "") + f"{size} bytes",
           f"tree {manifest.tree}" if manifest.tree else f"notice ({manifest.notice.type}): {manifest.notice.message}",
           f"package sha256 {digest}; key {manifest.key_id}; "
           f"not before {manifest.not_before.isoformat()}; expires {manifest.expires.isoformat()}"])


def _changed_paths(path: Path) -> list[str]:
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--changed {path}: cannot read it as UTF-8 text ({exc}); pass the file "
                         "`site build --changes-out` wrote") from None
    return [line for line in text.split("\n") if line]


@package.command()
@click.argument("site", type=click.Path(file_okay=False, path_type=Path))
@_common_build_options
@click.option("--base", type=click.Path(exists=True, path_type=Path),
              help="Build a delta against this earlier site directory, the earlier package file, or its tree "
                   "listing (.list, from --tree-out; give --base-sequence with it).")
@click.option("--base-sequence", type=click.IntRange(min=0),
              help="Sequence of the base package (default: the base package's own, or the base site's "
                   "corte.secuencia).")
@click.option("--election-id", help="Election process id (default: proceso.id of SITE/json/main.json).")
@click.option("--instant", help="Corte instant (default: corte.instante of SITE/json/main.json).")
@click.option("--corte-sequence", type=click.IntRange(min=0),
              help="Corte number shown by the site (default: corte.secuencia, else --sequence).")
@click.option("--created", help="Creation time recorded in the manifest (default: the corte instant; "
              "never the clock, so builds are reproducible).")
@click.option("--digest-cache", type=click.Path(dir_okay=False, path_type=Path),
              help="File remembering each file's SHA-256 by inode and stat, outside SITE: files unchanged since "
                   "the last build (hard-linked across by the incremental render) are not read again.")
@click.option("--delta-format", type=click.IntRange(1, 2), default=2, show_default=True,
              help="2: a delta's manifest lists only what changed (docs/protocol.md 3.5); 1: the whole tree, for "
                   "difusores whose verifier knows only pregon-package/1. Full packages are the same in both.")
@click.option("--tree-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the resulting tree's listing here: the next delta's --base, nothing hashed again.")
@click.option("--changed", "changed_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="With --base: the paths that changed since the base's site, one per line (`site build "
                   "--changes-out`); only those are read, every other file is taken to be the base's.")
def build(site, keydir, sequence, out, issuer, not_before, expires, ttl, announce_key, revoke_key, as_json,
          base, base_sequence, election_id, instant, corte_sequence, created, digest_cache, delta_format, tree_out,
          changed_file):
    """Build a full package of SITE, or a delta with --base. Same inputs, same bytes."""
    add, revoke = _rotation(announce_key, revoke_key)
    if changed_file is not None and base is None:
        raise InputError("package build: --changed needs --base (it lists what changed since the base)")
    changed = None if changed_file is None else _changed_paths(changed_file)
    built = build_package(
        site, key=keymod.load_secret_key(keydir), sequence=sequence, out=out, base=base,
        base_sequence=base_sequence, election=election_id, instant=_time(instant, "--instant"),
        corte_sequence=corte_sequence, issuer=issuer, created=_time(created, "--created"),
        not_before=_time(not_before, "--not-before"), expires=_time(expires, "--expires"),
        ttl=parse_ttl(ttl) if ttl else DEFAULT_TTL, add_keys=add, revoke_keys=revoke, digest_cache=digest_cache,
        delta_format=delta_format, changed=changed)
    if tree_out is not None:
        built.write_tree(tree_out)
    _report_built(out, built.manifest, len(built.carried), as_json, len(built.files))


@package.command()
@_common_build_options
@click.option("--election-id", required=True, help="Election process id the notice belongs to.")
@click.option("--type", "notice_type", type=click.Choice(NOTICE_TYPES), default="message", show_default=True,
              help="suspension, not-official (\"este sitio ya no es difusor oficial\"), maintenance, "
                   "withdrawal (take the results down), message, or clear (end the previous notice).")
@click.option("--message", required=True, help="The text the difusor must show (Spanish, as published).")
@click.option("--to", "to", multiple=True, help="Difusor id the notice is addressed to (default: all).")
@click.option("--created", required=True, help="Creation time (ISO 8601 with offset, or 'now').")
def notice(keydir, sequence, out, issuer, not_before, expires, ttl, announce_key, revoke_key, as_json,
           election_id, notice_type, message, to, created):
    """Build a signed notice package: an institute message the difusor must show, or a withdrawal."""
    add, revoke = _rotation(announce_key, revoke_key)
    built = build_notice(
        key=keymod.load_secret_key(keydir), sequence=sequence, election=election_id, notice_type=notice_type,
        message=message, to=to, created=_time(created, "--created", allow_now=True), out=out,
        issuer=issuer or "unspecified", not_before=_time(not_before, "--not-before"),
        expires=_time(expires, "--expires"), ttl=parse_ttl(ttl) if ttl else DEFAULT_TTL, add_keys=add,
        revoke_keys=revoke)
    _report_built(out, built.manifest, 0, as_json)


@package.command(epilog="\b\nExit codes: 0 accepted; 1 refused (the reason code is printed); 2 usage or input "
                 "error.\nWith --distinct-exit-codes a refusal exits with its own code instead of 1:\n"
                 + _EXIT_TABLE)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", "keys", multiple=True, required=True,
              help="Pinned institute public key: minisign .pub file, key directory or base64 line (repeatable).")
@click.option("--state", "state_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Trusted state directory: refuse replays, stale bases and retired keys.")
@click.option("--commit", is_flag=True, help="Record the package as applied in --state once it passed.")
@click.option("--stage", "staging", type=click.Path(path_type=Path),
              help="Also extract the resulting tree into this new directory (removed again on refusal).")
@click.option("--previous", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="The live release of the current tree: unchanged files are hard-linked from it "
                   "(needed to stage a delta).")
@click.option("--no-sync", is_flag=True, help="Skip syncing the file system after --stage (throwaway checks).")
@click.option("--now", "now_text", help="Judge expiry and embargo at this time instead of the clock.")
@click.option("--max-compressed", help=f"Limit (default {DEFAULT_LIMITS.max_compressed_bytes >> 20}M).")
@click.option("--max-uncompressed", help=f"Limit (default {DEFAULT_LIMITS.max_uncompressed_bytes >> 20}M).")
@click.option("--max-files", type=click.IntRange(min=1), help=f"Limit (default {DEFAULT_LIMITS.max_files}).")
@click.option("--max-ratio", type=click.IntRange(min=1), help=f"Limit (default {DEFAULT_LIMITS.max_ratio}).")
@click.option("--distinct-exit-codes", is_flag=True, help="Exit with the refusal's own code (listed below).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result (also on refusal).")
def verify(file, keys, state_dir, commit, staging, previous, no_sync, now_text, max_compressed, max_uncompressed,
           max_files, max_ratio, distinct_exit_codes, as_json):
    """Verify a package: signature, manifest, every file, order and freshness. Writes nothing unless
    --stage (a new directory) or --commit (the state) is given."""
    if commit and state_dir is None:
        raise InputError("--commit needs --state DIR")
    if previous is not None and staging is None:
        raise InputError("--previous is only used with --stage DIR")
    overrides = {k: v for k, v in {
        "max_compressed_bytes": _size(max_compressed, "--max-compressed"),
        "max_uncompressed_bytes": _size(max_uncompressed, "--max-uncompressed"),
        "max_files": max_files, "max_ratio": max_ratio}.items() if v is not None}
    try:
        limits = Limits(**{**vars(DEFAULT_LIMITS), **overrides})
    except ValueError as exc:
        raise InputError(str(exc)) from None
    pinned = [keymod.load_public_key(k) for k in keys]
    now = _time(now_text, "--now") or utc_now()
    state = load_state(state_dir)
    try:
        if staging is not None:
            verified = verify_and_stage(file, staging, trusted_keys=pinned, state=state,
                                        previous_release_dir=previous, limits=limits, now=now,
                                        durable=not no_sync)
        else:
            verified = verify_package(file, trusted_keys=pinned, state=state, limits=limits, now=now)
        if commit:
            commit_state(state_dir, verified)
    except PackageRefused as exc:
        if as_json:
            click.echo(json.dumps({"ok": False, "reason": exc.reason, "detail": exc.detail,
                                   "exit_code": exc.distinct_exit_code if distinct_exit_codes else 1}))
        if distinct_exit_codes:
            exc.exit_code = exc.distinct_exit_code
        raise
    m = verified.manifest
    out = {"ok": True, **verified.summary(), "embargoed": verified.embargoed(now),
           "staged": str(staging) if staging is not None else None, "committed": bool(commit)}
    lines = [f"ok: {m.kind} package, election {m.election}, sequence {m.sequence}, signed by {verified.signer.key_id}"]
    if m.kind != "notice":
        lines.append(f"tree {m.tree}: {len(verified.files)} files, {len(verified.carried)} carried, "
                     f"{len(verified.reused)} kept from the base, {len(m.removed)} removed")
    else:
        lines.append(f"notice ({m.notice.type}): {m.notice.message}")
    if verified.embargoed(now):
        lines.append(f"embargoed: publish no earlier than {m.not_before.isoformat()}")
    lines.append(f"expires {m.expires.isoformat()}")
    if staging is not None:
        lines.append(f"staged into {staging}")
    if commit:
        lines.append(f"state {state_dir} now at sequence {m.sequence}")
    _emit(as_json, out, lines)


@package.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="The manifest as shipped (one line).")
def show(file, as_json):
    """Print a package's manifest. The signature is NOT checked: use `verify` for that."""
    try:
        manifest, raw, _ = read_unverified(file)
    except PackageRefused as exc:
        raise InputError(f"{file}: cannot show the manifest: {exc.detail}") from None
    if as_json:
        click.echo(raw.decode("utf-8").rstrip("\n"))
    else:
        click.echo(f"# {file}: manifest as shipped; signature NOT checked", err=True)
        click.echo(json.dumps(manifest.to_json(), ensure_ascii=False, indent=2))


@package.command()
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def fingerprint(key, as_json):
    """Print a key's id and fingerprint (KEY: .pub or .key file, key directory, or base64 line)."""
    try:
        pub = keymod.load_public_key(key)
    except InputError:
        try:
            pub = keymod.load_secret_key(key).public
        except InputError:
            raise InputError(f"{key}: neither a minisign public key nor a secret key") from None
    _emit(as_json, {"key_id": pub.key_id, "fingerprint": pub.fingerprint, "public_key": pub.line},
          [f"key id       {pub.key_id}", f"fingerprint  {pub.fingerprint}", f"public key   {pub.line}"])
