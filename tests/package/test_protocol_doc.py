"""docs/protocol.md's worked example is a contract: run it, as written, with the real tools."""

from __future__ import annotations

import gzip
import io
import os
import re
import subprocess
import tarfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from toolcheck import require_tool
from package.forge import read_tree, write_site

from pregon.package import build_notice, build_package, write_keypair

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def worked_example() -> str:
    text = DOC.read_text("utf-8")
    m = re.search(r"<!-- worked-example -->\n```bash\n(.*?)```", text, re.S)
    assert m, "docs/protocol.md lost its worked example"
    return m.group(1)


@pytest.fixture
def world(tmp_path, key):
    for tool in ("bash", "tar", "sha256sum", "minisign", "jq"):
        require_tool(tool)
    (tmp_path / "check.sh").write_text(worked_example())
    write_keypair(tmp_path / "keys", key)
    # real clock on purpose: the script judges expiry with `date`
    now = datetime.now(timezone.utc).replace(microsecond=0)
    instant = now.isoformat()
    s1 = write_site(tmp_path / "s1", sequence=1, instant=instant)
    s2 = write_site(tmp_path / "s2", sequence=2, instant=instant)
    (s2 / "index.html").write_bytes(b"<p>corte 2</p>")
    (s2 / "secciones/0002.html").unlink()
    (s2 / "nueva seccion.html").write_bytes(b"<p>nueva</p>")
    (s2 / "secciones/0001.html").write_bytes(b"<p>1 bis</p>")  # sorts after "nueva seccion.html"
    build_package(s1, key=key, sequence=1, out=tmp_path / "full1.tar.gz")
    build_package(s2, key=key, sequence=2, base=s1, out=tmp_path / "delta2.tar.gz")
    build_package(s2, key=key, sequence=2, base=s1, out=tmp_path / "delta2-format1.tar.gz", delta_format=1)
    build_notice(key=key, sequence=3, election="MOR-2024", notice_type="maintenance", message="Mantenimiento",
                 created=now, out=tmp_path / "notice3.tar.gz")
    (tmp_path / "state").mkdir()
    return tmp_path


def check(world, pkg, out, current=None):
    env = {**os.environ, "PKG": str(world / pkg), "PUB": str(world / "keys/pregon.pub"),
           "STATE": str(world / "state"), "OUT": str(world / out)}
    if current:
        env["CURRENT"] = str(world / current)
    return subprocess.run(["bash", str(world / "check.sh")], env=env, capture_output=True, text=True, cwd=world)


@pytest.mark.parametrize("delta", ["delta2.tar.gz", "delta2-format1.tar.gz"])
def test_worked_example_applies_full_delta_notice(world, delta):
    r = check(world, "full1.tar.gz", "rel1")
    assert r.returncode == 0, r.stderr
    assert read_tree(world / "rel1") == read_tree(world / "s1")
    r = check(world, delta, "rel2", current="rel1")
    assert r.returncode == 0, r.stderr
    assert ("pregon-package/2" in r.stdout) == (delta == "delta2.tar.gz")
    assert read_tree(world / "rel2") == read_tree(world / "s2")
    assert read_tree(world / "rel1") == read_tree(world / "s1")  # the live release was not written through
    assert os.stat(world / "rel2/css/prep.css").st_ino == os.stat(world / "rel1/css/prep.css").st_ino
    r = check(world, "notice3.tar.gz", "unused")
    assert r.returncode == 0 and "Mantenimiento" in r.stdout
    r = check(world, delta, "rel3", current="rel2")
    assert r.returncode == 1 and "replay" in r.stderr


def _rewrite(src: Path, dst: Path, change) -> None:
    """Re-pack a package with one member changed (what an attacker without the key can do)."""
    out = io.BytesIO()
    with tarfile.open(src) as tin, gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tout:
        for m in tin.getmembers():
            data = tin.extractfile(m).read()
            data = change(m.name, data)
            m.size = len(data)
            tout.addfile(m, io.BytesIO(data))
    dst.write_bytes(out.getvalue())


@pytest.mark.parametrize("damage, words", [
    (lambda w: _rewrite(w / "full1.tar.gz", w / "bad.tar.gz",
                        lambda n, d: d.replace(b"PREP", b"FAKE") if n == "site/index.html" else d), "differs"),
    (lambda w: _rewrite(w / "full1.tar.gz", w / "bad.tar.gz",
                        lambda n, d: d.replace(b'"sequence":1', b'"sequence":9') if n == "manifest.json" else d),
     "bad signature"),
    (lambda w: (w / "bad.tar.gz").write_bytes((w / "full1.tar.gz").read_bytes()[:-200]), "damaged or partial"),
])
def test_worked_example_refuses_damage(world, damage, words):
    damage(world)
    r = check(world, "bad.tar.gz", "rel")
    assert r.returncode != 0 and words in r.stderr, r.stderr
    assert not (world / "state/sequence").exists()


@pytest.mark.parametrize("change, words", [
    (lambda n, d: d.replace(b"1 bis", b"1 mal") if n == "site/secciones/0001.html" else d, "differs"),
    # a changed list: the new file's line dropped, so the tree would keep the old one
    (lambda n, d: b"".join(line for line in d.splitlines(keepends=True) if not line.endswith(b"0001.html\n"))
     if n == "SHA256SUMS" else d, "not the signed one"),
])
def test_worked_example_refuses_a_damaged_format_2_delta(world, change, words):
    assert check(world, "full1.tar.gz", "rel1").returncode == 0
    _rewrite(world / "delta2.tar.gz", world / "bad.tar.gz", change)
    r = check(world, "bad.tar.gz", "rel2", current="rel1")
    assert r.returncode != 0 and words in r.stderr, r.stderr
    assert (world / "state/sequence").read_text().strip() == "1"


def test_worked_example_refuses_a_symlink_member(world, key):
    raw = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar, \
            tarfile.open(world / "full1.tar.gz") as tin:
        for m in tin.getmembers():
            tar.addfile(m, tin.extractfile(m))
        link = tarfile.TarInfo("site/evil")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc"
        tar.addfile(link)
    (world / "bad.tar.gz").write_bytes(raw.getvalue())
    r = check(world, "bad.tar.gz", "rel")
    assert r.returncode == 1 and "not a regular file" in r.stderr
