"""The adversarial corpus: every refusal the issue lists, generated here, with the reason it must give.

Each case crafts a package (mostly signed by the trusted key, so the refusal comes from the check under
test and not from the signature), then verifies it twice: `verify_package` and `verify_and_stage` into a
scratch directory, which must be gone afterwards with nothing written anywhere else.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from package.forge import (NOW, SITE_FILES, encode, forge, main_json, manifest_dict, sign, sums_of, tar_gz,
                           tarinfo)

from pregon.package import EMPTY_STATE, Limits, PackageRefused, verify_and_stage, verify_package
from pregon.package.manifest import MANIFEST_NAME, SIGNATURE_NAME, SUMS_NAME
from pregon.package.state import TrustedState

FILES = {**SITE_FILES, "json/main.json": main_json()}


@dataclass
class Case:
    path: Path
    state: TrustedState = EMPTY_STATE
    limits: Limits = field(default_factory=Limits)


def control(files, key, **kw):
    m = manifest_dict(files, key=key, **kw)
    mb = encode(m)
    return [(MANIFEST_NAME, mb), (SIGNATURE_NAME, sign(mb, key)), (SUMS_NAME, sums_of(m["files"]))]


def site(files):
    return [("site/" + p, d) for p, d in sorted(files.items())]


def good(tmp, key):
    return forge(tmp / "good.tar.gz", FILES, key=key)


def state_at(sequence, files=None, election="MOR-2024"):
    from pregon.package.manifest import FileEntry, tree_digest

    if files is None:
        return TrustedState(election=election, sequence=sequence)
    entries = tuple(FileEntry(p, len(d), hashlib.sha256(d).digest()) for p, d in sorted(files.items()))
    return TrustedState(election=election, sequence=sequence, tree_sequence=sequence, tree=tree_digest(entries),
                        files={e.path: e for e in entries})


def cut(data: bytes, n: int) -> bytes:
    return data[:n]


def regzip(tar_bytes: bytes) -> bytes:
    raw = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz:
        gz.write(tar_bytes)
    return raw.getvalue()


def write(tmp, name, data):
    p = tmp / name
    p.write_bytes(data)
    return p


# --- the corpus: id -> (builder, reason, words the one-line message must contain) ---------------------------

def c_no_signature(tmp, key, other):
    mb = encode(manifest_dict(FILES, key=key))
    return write(tmp, "p", tar_gz([(MANIFEST_NAME, mb), (SUMS_NAME, b""), *site(FILES)]))


def c_unknown_key(tmp, key, other):
    return forge(tmp / "p", FILES, key=other)


def c_signature_garbage(tmp, key, other):
    return forge(tmp / "p", FILES, key=key, signature=b"untrusted comment: x\nnot base64!\n")


def c_manifest_altered_after_signing(tmp, key, other):
    m = manifest_dict(FILES, key=key)
    sig = sign(encode(m), key)
    m["expires"] = "2030-01-01T00:00:00-06:00"
    return forge(tmp / "p", FILES, key=key, manifest=m, signature=sig)


def c_trusted_comment_altered(tmp, key, other):
    mb = encode(manifest_dict(FILES, key=key))
    lines = sign(mb, key).decode().split("\n")
    lines[2] = lines[2].replace("sequence=1", "sequence=99")
    return forge(tmp / "p", FILES, key=key, manifest=manifest_dict(FILES, key=key), signature="\n".join(lines).encode())


def c_trusted_comment_disagrees(tmp, key, other):
    mb = encode(manifest_dict(FILES, key=key))
    return forge(tmp / "p", FILES, key=key, manifest=manifest_dict(FILES, key=key),
                 signature=sign(mb, key, "pregon-package/1 election=MOR-2024 sequence=99 kind=full"))


def c_manifest_not_json(tmp, key, other):
    mb = b"{this is not json"
    return write(tmp, "p", tar_gz([(MANIFEST_NAME, mb), (SIGNATURE_NAME, sign(mb, key, "x")), (SUMS_NAME, b"")]))


def c_unknown_format(tmp, key, other):
    m = manifest_dict(FILES, key=key)
    m["format"] = "pregon-package/3"
    return forge(tmp / "p", FILES, key=key, manifest=m)


def c_key_id_differs(tmp, key, other):
    m = manifest_dict(FILES, key=other)  # names the other key, signed by the trusted one
    return forge(tmp / "p", FILES, key=key, manifest=m)


def c_first_member_not_manifest(tmp, key, other):
    return write(tmp, "p", tar_gz([*site(FILES), *control(FILES, key)]))


def c_empty_archive(tmp, key, other):
    return write(tmp, "p", tar_gz([]))


def c_bytes_differ(tmp, key, other):
    bad = dict(FILES, **{"index.html": FILES["index.html"].replace(b"PREP", b"PRE!")})
    return write(tmp, "p", tar_gz([*control(FILES, key), *site(bad)]))


def c_size_differs(tmp, key, other):
    bad = dict(FILES, **{"index.html": FILES["index.html"] + b"<script>evil()</script>"})
    return write(tmp, "p", tar_gz([*control(FILES, key), *site(bad)]))


def c_sums_altered(tmp, key, other):
    return forge(tmp / "p", FILES, key=key, sums=b"0" * 64 + b"  index.html\n")


def c_missing_file(tmp, key, other):
    fewer = {k: v for k, v in FILES.items() if k != "css/prep.css"}
    return write(tmp, "p", tar_gz([*control(FILES, key), *site(fewer)]))


def c_extra_site_file(tmp, key, other):
    more = dict(FILES, **{"zz-injected.html": b"<p>hola</p>"})
    return write(tmp, "p", tar_gz([*control(FILES, key), *site(more)]))


def c_extra_top_level_file(tmp, key, other):
    return write(tmp, "p", tar_gz([*control(FILES, key), *site(FILES), ("README", b"x")]))


def c_unchanged_file_in_delta(tmp, key, other):
    new = dict(FILES, **{"index.html": b"<p>corte 2</p>"})
    m = manifest_dict(new, key=key, kind="delta", sequence=2, base={"sequence": 1, "tree": state_at(1, FILES).tree},
                      removed=[])
    mb = encode(m)
    p = write(tmp, "p", tar_gz([(MANIFEST_NAME, mb), (SIGNATURE_NAME, sign(mb, key)),
                                (SUMS_NAME, sums_of(m["files"])), *site(new)]))
    return Case(p, state=state_at(1, FILES))


def c_replay(tmp, key, other):
    return Case(good(tmp, key), state=state_at(1))


def c_rollback(tmp, key, other):
    return Case(good(tmp, key), state=state_at(5))


def c_delta_wrong_base(tmp, key, other):
    new = dict(FILES, **{"index.html": b"<p>corte 2</p>"})
    m = manifest_dict(new, key=key, kind="delta", sequence=2, base={"sequence": 1, "tree": "e" * 64}, removed=[])
    mb = encode(m)
    p = write(tmp, "p", tar_gz([(MANIFEST_NAME, mb), (SIGNATURE_NAME, sign(mb, key)),
                                (SUMS_NAME, sums_of(m["files"])), ("site/index.html", new["index.html"])]))
    return Case(p, state=state_at(1, FILES))


def c_expired(tmp, key, other):
    return forge(tmp / "p", FILES, key=key, expires="2024-06-02T22:44:00-06:00")


def c_wrong_election(tmp, key, other):
    return Case(forge(tmp / "p", FILES, key=key, sequence=2), state=state_at(1, election="IEEM-2024"))


def _member_case(tmp, key, member, data=b"x"):
    return write(tmp, "p", tar_gz([*control(FILES, key), *site(FILES), (member, data)]))


def c_absolute_path(tmp, key, other):
    return _member_case(tmp, key, tarinfo("/tmp/pregon-evil", 1))


def c_dotdot(tmp, key, other):
    return _member_case(tmp, key, tarinfo("../pregon-evil", 1))


def c_dotdot_inside_site(tmp, key, other):
    return _member_case(tmp, key, tarinfo("site/../../pregon-evil", 1))


def c_symlink(tmp, key, other):
    return _member_case(tmp, key, tarinfo("site/zz-link", type=tarfile.SYMTYPE, linkname="/etc/passwd"), None)


def c_hardlink(tmp, key, other):
    return _member_case(tmp, key, tarinfo("site/zz-link", type=tarfile.LNKTYPE, linkname="site/index.html"), None)


def c_char_device(tmp, key, other):
    return _member_case(tmp, key, tarinfo("site/zz-dev", type=tarfile.CHRTYPE), None)


def c_block_device(tmp, key, other):
    return _member_case(tmp, key, tarinfo("site/zz-dev", type=tarfile.BLKTYPE), None)


def c_fifo(tmp, key, other):
    return _member_case(tmp, key, tarinfo("site/zz-fifo", type=tarfile.FIFOTYPE), None)


def c_directory(tmp, key, other):
    return _member_case(tmp, key, tarinfo("site/zz-dir/", type=tarfile.DIRTYPE), None)


def c_duplicate_member(tmp, key, other):
    return write(tmp, "p", tar_gz([*control(FILES, key), *site(FILES), ("site/json/main.json", FILES["json/main.json"])]))


def c_duplicate_manifest(tmp, key, other):
    return _member_case(tmp, key, MANIFEST_NAME, b"{}")


def c_case_collision_in_manifest(tmp, key, other):
    files = dict(FILES, **{"INDEX.html": b"<p>otro</p>"})
    return forge(tmp / "p", files, key=key)


def c_nfd_collision_in_manifest(tmp, key, other):
    files = dict(FILES, **{unicodedata.normalize("NFC", "ñandú.html"): b"a",
                           unicodedata.normalize("NFD", "ñandú.html"): b"b"})
    return forge(tmp / "p", files, key=key)


def c_case_twin_member(tmp, key, other):
    # the listed name first, then a twin that lands on the same file on a case-insensitive disk
    return _member_case(tmp, key, "site/secciones/0002.HTML")


def c_long_component_member(tmp, key, other):
    return _member_case(tmp, key, "site/" + "x" * 300)


def c_long_path_in_manifest(tmp, key, other):
    return forge(tmp / "p", dict(FILES, **{"/".join(["d" * 200] * 6): b"x"}), key=key)


def c_non_utf8_name(tmp, key, other):
    return write(tmp, "p", tar_gz([*control(FILES, key), *site(FILES), ("site/caf\udce9.html", b"x")],
                                  format=tarfile.USTAR_FORMAT, encoding="utf-8"))


def c_gnu_longname(tmp, key, other):
    return write(tmp, "p", tar_gz([*control(FILES, key), ("site/" + "g" * 120, b"x")], format=tarfile.GNU_FORMAT))


def c_pax_linkpath(tmp, key, other):
    ti = tarinfo("site/zz.html", 1)
    ti.pax_headers = {"linkpath": "/etc/passwd"}
    return _member_case(tmp, key, ti)


def c_gzip_bomb_member(tmp, key, other):
    big = b"\0" * (64 << 20)
    files = dict(FILES, **{"zz-zeros.bin": big})
    return forge(tmp / "p", files, key=key)


def c_gzip_bomb_before_signature(tmp, key, other):
    # an unsigned attacker: a "manifest" of 64 MiB of zeros, caught before any signature work
    return write(tmp, "p", tar_gz([(MANIFEST_NAME, b"\0" * (64 << 20))]))


def c_uncompressed_limit(tmp, key, other):
    return Case(good(tmp, key), limits=Limits(max_uncompressed_bytes=8 << 10))


def c_file_count_limit(tmp, key, other):
    return Case(good(tmp, key), limits=Limits(max_files=3))


def c_compressed_limit(tmp, key, other):
    return Case(good(tmp, key), limits=Limits(max_compressed_bytes=512))


def c_file_size_limit(tmp, key, other):
    return Case(good(tmp, key), limits=Limits(max_file_bytes=1000))


def c_manifest_size_limit(tmp, key, other):
    return Case(good(tmp, key), limits=Limits(max_manifest_bytes=100))


def c_pax_header_limit(tmp, key, other):
    ti = tarinfo("site/zz.html", 1)
    ti.pax_headers = {"comment": "c" * 70000}
    return _member_case(tmp, key, ti)


def c_ratio_limit(tmp, key, other):
    return Case(good(tmp, key), limits=Limits(max_ratio=2, ratio_floor_bytes=1024))


def c_truncated_upload(tmp, key, other):
    data = good(tmp, key).read_bytes()
    return write(tmp, "p2", cut(data, len(data) * 2 // 3))


def c_truncated_trailer(tmp, key, other):
    data = good(tmp, key).read_bytes()
    return write(tmp, "p2", cut(data, len(data) - 3))


def c_truncated_tar_in_complete_gzip(tmp, key, other):
    tar = gzip.decompress(good(tmp, key).read_bytes())
    return write(tmp, "p2", regzip(tar[:len(tar) // 2 + 100]))


def c_no_end_of_archive(tmp, key, other):
    tar = gzip.decompress(good(tmp, key).read_bytes())
    end = len(tar.rstrip(b"\0"))
    end += -end % 512
    return write(tmp, "p2", regzip(tar[:end]))


def c_empty_file(tmp, key, other):
    return write(tmp, "p", b"")


def c_not_gzip(tmp, key, other):
    return write(tmp, "p", gzip.decompress(good(tmp, key).read_bytes()))


def c_gzip_header_with_name(tmp, key, other):
    tar = gzip.decompress(good(tmp, key).read_bytes())
    raw = io.BytesIO()
    with gzip.GzipFile(filename="paquete.tar", mode="wb", fileobj=raw, mtime=1717389600) as gz:
        gz.write(tar)
    return write(tmp, "p2", raw.getvalue())


def c_trailing_garbage(tmp, key, other):
    return write(tmp, "p2", good(tmp, key).read_bytes() + b"garbage")


def c_second_gzip_member(tmp, key, other):
    return write(tmp, "p2", good(tmp, key).read_bytes() + gzip.compress(b"\0" * 1024, mtime=0))


def c_bad_header_checksum(tmp, key, other):
    tar = bytearray(gzip.decompress(good(tmp, key).read_bytes()))
    tar[0] ^= 0x20  # first byte of the first member's name; its checksum no longer matches
    return write(tmp, "p2", regzip(bytes(tar)))


def c_data_after_end_of_archive(tmp, key, other):
    tar = gzip.decompress(good(tmp, key).read_bytes())
    return write(tmp, "p2", regzip(tar + b"hidden payload".ljust(512, b"\0")))


def c_sums_missing(tmp, key, other):
    mb = encode(manifest_dict(FILES, key=key))
    return write(tmp, "p", tar_gz([(MANIFEST_NAME, mb), (SIGNATURE_NAME, sign(mb, key)), *site(FILES)]))


def c_out_of_order(tmp, key, other):
    return write(tmp, "p", tar_gz([*control(FILES, key), *reversed(site(FILES))]))


def c_notice_with_files(tmp, key, other):
    m = manifest_dict({}, key=key, kind="notice", notice={"type": "message", "message": "hola"})
    mb = encode(m)
    return write(tmp, "p", tar_gz([(MANIFEST_NAME, mb), (SIGNATURE_NAME, sign(mb, key)), ("site/index.html", b"x")]))


def c_revoked_key(tmp, key, other):
    return Case(good(tmp, key), state=TrustedState(revoked=frozenset({key.key_id})))


CORPUS = {
    "no-signature": (c_no_signature, "bad-signature", "manifest.json.minisig"),
    "unknown-key": (c_unknown_key, "unknown-key", "trusted keys"),
    "signature-garbage": (c_signature_garbage, "bad-signature", "minisig"),
    "manifest-altered-after-signing": (c_manifest_altered_after_signing, "bad-signature", "does not verify"),
    "trusted-comment-altered": (c_trusted_comment_altered, "bad-signature", "trusted comment"),
    "trusted-comment-disagrees": (c_trusted_comment_disagrees, "bad-manifest", "trusted comment"),
    "manifest-not-json": (c_manifest_not_json, "bad-manifest", "not JSON"),
    "unknown-format": (c_unknown_format, "unknown-format", "pregon-package/3"),
    "key-id-differs": (c_key_id_differs, "bad-manifest", "names key"),
    "first-member-not-manifest": (c_first_member_not_manifest, "bad-manifest", "manifest.json"),
    "empty-archive": (c_empty_archive, "bad-manifest", "end of the archive"),
    "bytes-differ": (c_bytes_differ, "hash-mismatch", "site/index.html"),
    "size-differs": (c_size_differs, "hash-mismatch", "site/index.html"),
    "sums-altered": (c_sums_altered, "hash-mismatch", "SHA256SUMS"),
    "missing-file": (c_missing_file, "missing-file", "site/css/prep.css"),
    "extra-site-file": (c_extra_site_file, "extra-file", "site/zz-injected.html"),
    "extra-top-level-file": (c_extra_top_level_file, "extra-file", "README"),
    "unchanged-file-in-delta": (c_unchanged_file_in_delta, "extra-file", "unchanged"),
    "replay": (c_replay, "replay", "sequence 1"),
    "rollback": (c_rollback, "replay", "(5)"),
    "delta-wrong-base": (c_delta_wrong_base, "base-mismatch", "current tree"),
    "expired": (c_expired, "expired", "expired"),
    "wrong-election": (c_wrong_election, "wrong-election", "IEEM-2024"),
    "absolute-path": (c_absolute_path, "unsafe-member", "absolute"),
    "dotdot": (c_dotdot, "unsafe-member", "'..'"),
    "dotdot-inside-site": (c_dotdot_inside_site, "unsafe-member", "'..'"),
    "symlink": (c_symlink, "unsafe-member", "symbolic link"),
    "hardlink": (c_hardlink, "unsafe-member", "hard link"),
    "char-device": (c_char_device, "unsafe-member", "character device"),
    "block-device": (c_block_device, "unsafe-member", "block device"),
    "fifo": (c_fifo, "unsafe-member", "FIFO"),
    "directory": (c_directory, "unsafe-member", "directory"),
    "duplicate-member": (c_duplicate_member, "unsafe-member", "duplicate"),
    "duplicate-manifest": (c_duplicate_manifest, "unsafe-member", "duplicate"),
    "case-collision-in-manifest": (c_case_collision_in_manifest, "unsafe-member", "case"),
    "nfd-collision-in-manifest": (c_nfd_collision_in_manifest, "unsafe-member", "normalization"),
    "case-twin-member": (c_case_twin_member, "unsafe-member", "collides"),
    "long-component-member": (c_long_component_member, "unsafe-member", "longer than 255"),
    "long-path-in-manifest": (c_long_path_in_manifest, "unsafe-member", "longer than 1024"),
    "non-utf8-name": (c_non_utf8_name, "unsafe-member", "UTF-8"),
    "gnu-longname": (c_gnu_longname, "corrupt", "POSIX"),
    "pax-linkpath": (c_pax_linkpath, "unsafe-member", "linkpath"),
    "gzip-bomb-member": (c_gzip_bomb_member, "bomb", "ratio"),
    "gzip-bomb-before-signature": (c_gzip_bomb_before_signature, "bomb", "ratio"),
    "uncompressed-limit": (c_uncompressed_limit, "bomb", "limit"),
    "file-count-limit": (c_file_count_limit, "bomb", "files"),
    "compressed-limit": (c_compressed_limit, "bomb", "compressed"),
    "file-size-limit": (c_file_size_limit, "bomb", "limit"),
    "manifest-size-limit": (c_manifest_size_limit, "bomb", "manifest.json"),
    "pax-header-limit": (c_pax_header_limit, "bomb", "pax header"),
    "ratio-limit": (c_ratio_limit, "bomb", "ratio"),
    "truncated-upload": (c_truncated_upload, "truncated", "upload"),
    "truncated-trailer": (c_truncated_trailer, "truncated", "gzip"),
    "truncated-tar-in-complete-gzip": (c_truncated_tar_in_complete_gzip, "truncated", "inside"),
    "no-end-of-archive": (c_no_end_of_archive, "truncated", "end-of-archive"),
    "empty-file": (c_empty_file, "truncated", "gzip"),
    "not-gzip": (c_not_gzip, "corrupt", "not a gzip"),
    "gzip-header-with-name": (c_gzip_header_with_name, "corrupt", "canonical"),
    "trailing-garbage": (c_trailing_garbage, "corrupt", "after the end of the gzip"),
    "second-gzip-member": (c_second_gzip_member, "corrupt", "after the end of the gzip"),
    "bad-header-checksum": (c_bad_header_checksum, "corrupt", "checksum"),
    "data-after-end-of-archive": (c_data_after_end_of_archive, "corrupt", "end-of-archive"),
    "sums-missing": (c_sums_missing, "bad-layout", "SHA256SUMS"),
    "out-of-order": (c_out_of_order, "bad-layout", "order"),
    "notice-with-files": (c_notice_with_files, "extra-file", "site/index.html"),
    "revoked-key": (c_revoked_key, "revoked-key", "retired"),
}


def _case(name, tmp_path, key, other_key) -> Case:
    builder = CORPUS[name][0]
    made = builder(tmp_path, key, other_key)
    return made if isinstance(made, Case) else Case(made)


def _files_outside(tmp_path: Path) -> set[str]:
    return {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")}


@pytest.mark.parametrize("name", list(CORPUS))
def test_refusal(name, tmp_path, key, other_key):
    _, reason, words = CORPUS[name]
    case = _case(name, tmp_path, key, other_key)
    before = _files_outside(tmp_path)
    with pytest.raises(PackageRefused) as exc:
        verify_package(case.path, trusted_keys=[key.public], state=case.state, limits=case.limits, now=NOW)
    assert exc.value.reason == reason, str(exc.value)
    assert words in exc.value.detail, str(exc.value)
    assert "\n" not in str(exc.value)

    scratch = tmp_path / "scratch" / "staging"
    scratch.parent.mkdir()
    with pytest.raises(PackageRefused) as exc2:
        verify_and_stage(case.path, scratch, trusted_keys=[key.public], state=case.state, limits=case.limits,
                         now=NOW, durable=False)
    assert exc2.value.reason == reason
    assert not scratch.exists()
    assert _files_outside(tmp_path) == before | {"scratch"}
    assert not Path("/tmp/pregon-evil").exists()


def test_the_good_package_passes(tmp_path, key):
    """The corpus is derived from this package: without it passing, the refusals above would prove nothing."""
    v = verify_and_stage(good(tmp_path, key), tmp_path / "staged", trusted_keys=[key.public], now=NOW, durable=False)
    assert v.sequence == 1 and sorted(p.name for p in (tmp_path / "staged").iterdir()) == ["css", "datos", "index.html", "json", "secciones"]
    forged = tar_gz([*control(FILES, key), *site(FILES)])
    verify_package(write(tmp_path, "again", forged), trusted_keys=[key.public], now=NOW)


def test_every_refusal_reason_is_exercised():
    from pregon.package.errors import REASONS

    assert {reason for _, reason, _ in CORPUS.values()} == set(REASONS)


def test_bombs_are_stopped_early(tmp_path, key, other_key):
    """The ratio check fires after about a megabyte of output, not after inflating the 64 MiB."""
    for name in ("gzip-bomb-member", "gzip-bomb-before-signature"):
        (tmp_path / name).mkdir()
        case = _case(name, tmp_path / name, key, other_key)
        with pytest.raises(PackageRefused) as exc:
            verify_package(case.path, trusted_keys=[key.public], now=NOW)
        inflated = int(exc.value.detail.split("(")[1].split(" bytes")[0])
        assert inflated < 4 << 20, exc.value.detail


def test_compressed_size_is_checked_before_reading(tmp_path, key):
    """A file over the limit is refused from its size alone (a partial upload of a huge file, say)."""
    p = tmp_path / "huge"
    with open(p, "wb") as f:
        f.truncate(10 << 20)  # sparse: costs nothing, and would be 'corrupt' if it were read
    with pytest.raises(PackageRefused) as exc:
        verify_package(p, trusted_keys=[key.public], limits=Limits(max_compressed_bytes=1 << 20), now=NOW)
    assert exc.value.reason == "bomb"


def test_zlib_level_damage_is_corrupt_or_mismatch(tmp_path, key):
    data = bytearray(good(tmp_path, key).read_bytes())
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(PackageRefused) as exc:
        verify_package(write(tmp_path, "flipped", bytes(data)), trusted_keys=[key.public], now=NOW)
    assert exc.value.reason in {"corrupt", "hash-mismatch", "truncated", "bad-signature", "bad-manifest"}
    with pytest.raises(zlib.error):
        zlib.decompress(bytes(data), wbits=31)
