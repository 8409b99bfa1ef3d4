"""`pregon site build`: from an election directory (catalog + feeds + instant) or a published CSV database;
`pregon site check`: a built site verified, a tampered one refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pregon.cli import main
from pregon.site.check import check_site
from realdata import QROO, real

AT = "2024-06-02T21:40:00-06:00"


def run(capsys, *args) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def test_build_from_an_election_directory(tiny_dir, tmp_path, capsys):
    out = tmp_path / "site"
    rc, stdout, err = run(capsys, "site", "build", "--election", str(tiny_dir), "--at", AT, "--out", str(out),
                          "--sequence", "5")
    assert rc == 0, err
    assert "full build of corte 5 (2024-06-02T21:40:00-06:00)" in stdout
    m = json.loads((out / "json/main.json").read_bytes())
    assert m["corte"] == {**m["corte"], "secuencia": 5, "instante": AT, "fecha_hora": "02/06/2024 21:40",
                          "final": False}
    assert m["proceso"]["id"] == "TST-2024"
    assert check_site(out) == []
    # the next corte, incrementally, reported as JSON
    out2 = tmp_path / "site2"
    rc, stdout, err = run(capsys, "site", "build", "--election", str(tiny_dir), "--at", "2024-06-02T22:10:00-06:00",
                          "--out", str(out2), "--previous", str(out), "--sequence", "6", "--final", "--json")
    assert rc == 0, err
    report = json.loads(stdout)
    assert report["incremental"] is True and report["secuencia"] == 6
    assert report["written"] + report["unchanged"] == report["files"]
    assert json.loads((out2 / "json/main.json").read_bytes())["corte"]["final"] is True


def test_a_delta_reads_only_what_the_render_changed(tiny_dir, tmp_path, capsys):
    """`site build --changes-out` then `package build --changed`: the delta the scheduler makes without walking
    the site, byte for byte the one a walk of the site gives."""
    assert run(capsys, "package", "keygen", "--out", str(tmp_path / "keys"))[0] == 0
    s1, s2 = tmp_path / "s1", tmp_path / "s2"
    assert run(capsys, "site", "build", "--election", str(tiny_dir), "--at", AT, "--out", str(s1))[0] == 0
    pkg = ["package", "build", "--key", str(tmp_path / "keys")]
    assert run(capsys, *pkg, str(s1), "--sequence", "1", "--out", str(tmp_path / "p1.tar.gz"),
               "--tree-out", str(tmp_path / "p1.list"))[0] == 0
    rc, _out, err = run(capsys, "site", "build", "--election", str(tiny_dir), "--at", "2024-06-02T22:10:00-06:00",
                        "--out", str(s2), "--previous", str(s1), "--sequence", "2",
                        "--changes-out", str(tmp_path / "changed.txt"))
    assert rc == 0, err
    changed = (tmp_path / "changed.txt").read_text().splitlines()
    assert "json/main.json" in changed and len(changed) < sum(1 for p in s2.rglob("*") if p.is_file())
    delta = [*pkg, str(s2), "--sequence", "2", "--base-sequence", "1"]
    rc, _out, err = run(capsys, *delta, "--base", str(tmp_path / "p1.list"), "--changed",
                        str(tmp_path / "changed.txt"), "--out", str(tmp_path / "d-changed.tar.gz"))
    assert rc == 0, err
    assert run(capsys, *delta, "--base", str(s1), "--out", str(tmp_path / "d-walked.tar.gz"))[0] == 0
    assert (tmp_path / "d-changed.tar.gz").read_bytes() == (tmp_path / "d-walked.tar.gz").read_bytes()
    rc, _out, err = run(capsys, *pkg, str(s2), "--sequence", "2", "--changed", str(tmp_path / "changed.txt"),
                        "--out", str(tmp_path / "x.tar.gz"))
    assert rc == 2 and "--changed needs --base" in err
    rc, _out, err = run(capsys, "site", "build", "--election", str(tiny_dir), "--at", AT, "--out",
                        str(tmp_path / "s3"), "--changes-out", str(tmp_path / "c3.txt"))
    assert rc == 2 and "--changes-out needs --previous" in err


def test_same_instant_from_files_and_from_memory_agree(tiny_dir, tiny_engine, tmp_path, capsys):
    from datetime import datetime

    from pregon.site import build

    run(capsys, "site", "build", "--election", str(tiny_dir), "--at", AT, "--out", str(tmp_path / "cli"))
    build(tiny_engine.corte(datetime.fromisoformat(AT), 1), tmp_path / "mem", jobs=1)
    for page in ("json/main.json", "GUB/17/secciones/17-101.html", "DIP_LOC/17-2/index.html"):
        assert (tmp_path / "cli" / page).read_bytes() == (tmp_path / "mem" / page).read_bytes(), page


@pytest.mark.parametrize("args, message", [
    (["--at", "2024-06-02T21:40:00"], "--at 2024-06-02T21:40:00: no UTC offset"),
    (["--at", "anoche"], "--at 'anoche': not an ISO 8601 time"),
    ([], "--at is required"),
])
def test_bad_instant_is_one_line_exit_2(tiny_dir, tmp_path, capsys, args, message):
    rc, _out, err = run(capsys, "site", "build", "--election", str(tiny_dir), "--out", str(tmp_path / "s"), *args)
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("pregon: error:") and message in err
    assert "Traceback" not in err


def test_bad_inputs_are_one_line_exit_2(tiny_dir, tmp_path, capsys):
    rc, _o, err = run(capsys, "site", "build", "--election", str(tmp_path / "nope"), "--at", AT, "--out",
                      str(tmp_path / "s"))
    assert rc == 2 and "not a directory" in err and err.count("\n") == 1
    rc, _o, err = run(capsys, "site", "build", "--out", str(tmp_path / "s"))
    assert rc == 2 and "either --election" in err
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x.txt").write_text("x")
    rc, _o, err = run(capsys, "site", "build", "--election", str(tiny_dir), "--at", AT, "--out", str(busy))
    assert rc == 2 and "not empty and not a pregon site" in err
    rc, _o, err = run(capsys, "site", "build", "--database", str(tmp_path / "missing.zip"), "--out",
                      str(tmp_path / "s"))
    assert rc == 2 and "not found" in err


def test_help_lists_build(capsys):
    rc, out, _err = run(capsys, "site", "--help")
    assert rc == 0 and "build" in out and "check" in out
    rc, out, _err = run(capsys, "site", "build", "--help")
    assert rc == 0 and "--previous" in out and "--database" in out


def test_check_passes_a_built_site_and_names_a_tampered_page(tiny_dir, tmp_path, capsys):
    out = tmp_path / "site"
    assert run(capsys, "site", "build", "--election", str(tiny_dir), "--at", AT, "--out", str(out))[0] == 0
    rc, stdout, err = run(capsys, "site", "check", str(out))
    assert rc == 0, err
    assert "every page well formed and stamped, every link resolving" in stdout
    rc, stdout, err = run(capsys, "site", "check", str(out), "--page", "index.html", "--json")
    assert rc == 0, err
    assert json.loads(stdout) == {"site": str(out), "ok": True, "problems": []}

    page = out / "GUB/17/secciones/17-101.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</table>", "", 1), encoding="utf-8")
    rc, stdout, err = run(capsys, "site", "check", str(out))
    assert rc == 1
    assert err.count("\n") == 1 and err.startswith("pregon: error: site check:") and "Traceback" not in err
    assert "GUB/17/secciones/17-101.html" in err and "GUB/17/secciones/17-101.html" in stdout
    (out / "DIP_LOC/index.html").write_bytes(b"\xff\xfe<html>")
    rc, stdout, err = run(capsys, "site", "check", str(out), "--json")
    assert rc == 1 and err.count("\n") == 1
    report = json.loads(stdout)
    assert report["ok"] is False and "DIP_LOC/index.html: not UTF-8 text" in report["problems"]


def test_check_refuses_what_is_not_a_site(tmp_path, capsys):
    rc, _o, err = run(capsys, "site", "check", str(tmp_path / "missing"))
    assert rc == 2 and "not a directory" in err and err.count("\n") == 1
    (tmp_path / "empty").mkdir()
    rc, _o, err = run(capsys, "site", "check", str(tmp_path / "empty"))
    assert rc == 2 and "no index.html" in err and err.count("\n") == 1
    (tmp_path / "empty" / "index.html").write_text("<!DOCTYPE html>")
    rc, _o, err = run(capsys, "site", "check", str(tmp_path / "empty"), "--page", "nope.html")
    assert rc == 2 and "--page 'nope.html'" in err and err.count("\n") == 1


def test_build_from_the_real_quintana_roo_database(tmp_path, capsys):
    """The 2019 Quintana Roo database: the site shows the very figures the institute published."""
    out = tmp_path / "qroo"
    rc, stdout, err = run(capsys, "site", "build", "--database", str(real(QROO)), "--out", str(out), "--final",
                          "--proceso-id", "QROO-2019", "--proceso-nombre", "Proceso Electoral Local 2018-2019",
                          "--instituto", "IEQROO")
    assert rc == 0, err
    m = json.loads((out / "json/main.json").read_bytes())
    assert m["proceso"]["id"] == "QROO-2019"
    assert m["corte"]["instante"] == "2019-06-03T05:47:00-05:00" and m["corte"]["fecha_hora"] == "03/06/2019 05:47"
    (el,) = m["elecciones"]
    assert el["clave"] == "DIP_LOC" and el["contiendas"] == 15
    a = el["avance"]
    # the published header: 2136|2136|0|2136|100.0000|2031|95.0842|23.0337|105|1187254|263005|262598|22.1523
    assert (a["actas_esperadas"], a["actas_capturadas"], a["actas_contabilizadas"]) == (2136, 2136, 2031)
    assert a["porcentaje_actas_contabilizadas"] == "95.0842"
    assert a["porcentaje_actas_inconsistencias"] == "23.0337"
    assert a["lista_nominal_actas_contabilizadas"] == 1187254
    assert (a["total_votos_c_cs"], a["total_votos_s_cs"]) == (263005, 262598)
    assert a["porcentaje_participacion_ciudadana"] == "22.1523"
    page = (out / "DIP_LOC/index.html").read_text()
    assert ("<dt>Actas esperadas</dt><dd><strong>2,136</strong>" in page
            and '<strong>2,136</strong> <span class="pct">100.0000%</span>' in page)
    assert '<strong>2,031</strong> <span class="pct">95.0842%</span>' in page and "<strong>22.1523%</strong>" in page
    assert '<td class="num">263,005</td>' in page
    assert (out / "DIP_LOC/15-1/index.html").is_file() or any((out / "DIP_LOC").glob("*/index.html"))
    secciones = list((out / "DIP_LOC").glob("*/secciones/*.html"))
    assert len(secciones) > 800
    assert check_site(out, pages=["index.html", "DIP_LOC/index.html", "descargas/index.html",
                                  secciones[0].relative_to(out).as_posix()]) == []


def test_the_installed_command_runs(tiny_dir, tmp_path):
    exe = Path(sys.executable).with_name("pregon")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "pregon.cli"]
    r = subprocess.run([*cmd, "site", "build", "--election", str(tiny_dir), "--at", AT, "--out",
                        str(tmp_path / "s")], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "s/json/main.json").is_file()
