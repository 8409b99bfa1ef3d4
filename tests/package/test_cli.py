"""`pregon package …`: the contract's commands, exit codes and one-line errors."""

from __future__ import annotations

import json

import pytest
from package.forge import write_site

from pregon.cli import main
from pregon.package.errors import REASONS

NOW = "2024-06-02T22:45:00-06:00"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def setup(tmp_path, capsys):
    code, out, _ = run(capsys, "package", "keygen", "--out", str(tmp_path / "keys"))
    assert code == 0 and "key id" in out
    write_site(tmp_path / "s1", sequence=1)
    s2 = write_site(tmp_path / "s2", sequence=2, instant="2024-06-02T23:00:00-06:00")
    (s2 / "index.html").write_bytes(b"<p>corte 2</p>")
    return tmp_path


def test_keygen_build_verify_commit_stage(setup, capsys):
    t = setup
    code, out, _ = run(capsys, "package", "build", str(t / "s1"), "--key", str(t / "keys"), "--sequence", "1",
                       "--out", str(t / "p1.tar.gz"), "--json")
    assert code == 0
    built = json.loads(out)
    assert built["kind"] == "full" and built["sequence"] == 1 and len(built["sha256"]) == 64
    code, out, _ = run(capsys, "package", "verify", str(t / "p1.tar.gz"), "--key", str(t / "keys/pregon.pub"),
                       "--state", str(t / "state"), "--commit", "--stage", str(t / "rel1"), "--now", NOW,
                       "--no-sync")
    assert code == 0 and out.startswith("ok: full package") and (t / "rel1/index.html").exists()
    code, out, _ = run(capsys, "package", "build", str(t / "s2"), "--key", str(t / "keys"), "--sequence", "2",
                       "--base", str(t / "s1"), "--out", str(t / "d2.tar.gz"))
    assert code == 0 and "delta" in out
    code, out, _ = run(capsys, "package", "verify", str(t / "d2.tar.gz"), "--key", str(t / "keys"),
                       "--state", str(t / "state"), "--stage", str(t / "rel2"), "--previous", str(t / "rel1"),
                       "--now", NOW, "--json", "--no-sync")
    assert code == 0
    result = json.loads(out)
    assert result["ok"] and result["kind"] == "delta" and result["staged"] == str(t / "rel2")
    assert (t / "rel2/index.html").read_bytes() == b"<p>corte 2</p>"


def test_refusal_is_one_line_exit_1(setup, capsys):
    t = setup
    run(capsys, "package", "build", str(t / "s1"), "--key", str(t / "keys"), "--sequence", "1", "--out", str(t / "p.tar.gz"))
    run(capsys, "package", "keygen", "--out", str(t / "other"))
    code, out, err = run(capsys, "package", "verify", str(t / "p.tar.gz"), "--key", str(t / "other"), "--now", NOW)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("pregon: error: package refused [unknown-key]")


def test_distinct_exit_codes_and_json_refusal(setup, capsys):
    t = setup
    run(capsys, "package", "build", str(t / "s1"), "--key", str(t / "keys"), "--sequence", "1", "--out", str(t / "p.tar.gz"))
    code, out, err = run(capsys, "package", "verify", str(t / "p.tar.gz"), "--key", str(t / "keys"),
                         "--now", "2030-01-01T00:00:00+00:00", "--distinct-exit-codes", "--json")
    assert code == REASONS["expired"][0] == 21
    assert json.loads(out) == {"ok": False, "reason": "expired", "detail": json.loads(out)["detail"], "exit_code": 21}
    assert "[expired]" in err


def test_limits_options(setup, capsys):
    t = setup
    run(capsys, "package", "build", str(t / "s1"), "--key", str(t / "keys"), "--sequence", "1", "--out", str(t / "p.tar.gz"))
    code, _, err = run(capsys, "package", "verify", str(t / "p.tar.gz"), "--key", str(t / "keys"), "--now", NOW,
                       "--max-files", "2")
    assert code == 1 and "[bomb]" in err
    code, _, err = run(capsys, "package", "verify", str(t / "p.tar.gz"), "--key", str(t / "keys"), "--now", NOW,
                       "--max-uncompressed", "lots")
    assert code == 2 and "--max-uncompressed" in err


@pytest.mark.parametrize("argv, words", [
    (["package", "verify", "{t}/missing.tar.gz", "--key", "{t}/keys"], "no such package file"),
    (["package", "verify", "{t}/p.tar.gz", "--key", "{t}/nokey.pub"], "no such public key"),
    (["package", "verify", "{t}/p.tar.gz", "--key", "{t}/keys", "--commit"], "--commit needs --state"),
    (["package", "verify", "{t}/p.tar.gz", "--key", "{t}/keys", "--now", "yesterday"], "--now"),
    (["package", "build", "{t}/s1", "--key", "{t}/nokeys", "--sequence", "1", "--out", "{t}/x"], "no such secret key"),
    (["package", "build", "{t}/s1", "--key", "{t}/keys", "--sequence", "1", "--out", "{t}/x", "--ttl", "soon"], "TTL"),
    (["package", "keygen", "--out", "{t}/keys"], "already exists"),
    (["package", "verify", "{t}/p.tar.gz"], "--key"),
    (["package", "fingerprint", "{t}/s1/index.html"], "neither"),
])
def test_usage_and_input_errors_exit_2(setup, capsys, argv, words):
    t = setup
    run(capsys, "package", "build", str(t / "s1"), "--key", str(t / "keys"), "--sequence", "1", "--out", str(t / "p.tar.gz"))
    code, _, err = run(capsys, *[a.format(t=t) for a in argv])
    assert code == 2 and words in err, err
    assert "Traceback" not in err


def test_notice_show_fingerprint(setup, capsys):
    t = setup
    code, out, _ = run(capsys, "package", "notice", "--key", str(t / "keys"), "--sequence", "5", "--election-id",
                       "MOR-2024", "--type", "not-official", "--message", "Este sitio ya no es difusor oficial",
                       "--to", "el-diario", "--created", "2024-06-02T22:41:00-06:00", "--out", str(t / "n.tar.gz"))
    assert code == 0
    code, out, _ = run(capsys, "package", "verify", str(t / "n.tar.gz"), "--key", str(t / "keys"), "--now", NOW)
    assert code == 0 and "notice (not-official): Este sitio ya no es difusor oficial" in out
    code, out, err = run(capsys, "package", "show", str(t / "n.tar.gz"))
    assert code == 0 and json.loads(out)["notice"]["to"] == ["el-diario"] and "NOT checked" in err
    code, out, _ = run(capsys, "package", "show", str(t / "n.tar.gz"), "--json")
    assert json.loads(out)["kind"] == "notice"
    code, pub_out, _ = run(capsys, "package", "fingerprint", str(t / "keys/pregon.pub"), "--json")
    code, sec_out, _ = run(capsys, "package", "fingerprint", str(t / "keys/pregon.key"), "--json")
    assert json.loads(pub_out) == json.loads(sec_out) and json.loads(pub_out)["fingerprint"].startswith("SHA256:")


def test_embargoed_package_is_accepted_and_flagged(setup, capsys):
    t = setup
    run(capsys, "package", "build", str(t / "s1"), "--key", str(t / "keys"), "--sequence", "1", "--out",
        str(t / "p.tar.gz"), "--not-before", "2024-06-02T23:59:00-06:00")
    code, out, _ = run(capsys, "package", "verify", str(t / "p.tar.gz"), "--key", str(t / "keys"), "--now", NOW)
    assert code == 0 and "embargoed: publish no earlier than 2024-06-02T23:59:00-06:00" in out


def test_verify_help_documents_exit_codes(capsys):
    code, out, _ = run(capsys, "package", "verify", "--help")
    assert code == 0
    for reason, (exit_code, _) in REASONS.items():
        assert f"{exit_code}  {reason}" in out
