"""`pregon simulate election`."""

from __future__ import annotations

import json

from pregon.cli import main
from pregon.electionio import catalog_dir


def test_cli_writes_a_loadable_directory(tmp_path, capsys):
    out = tmp_path / "mor"
    rc = main(["simulate", "election", "--preset", "morelos", "--seed", "2", "--scale", "0.1", "--out", str(out),
               "--json"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["preset"] == "morelos" and set(summary["elecciones"]) == {"GUB", "DIP_LOC", "AYUN"}
    cat = catalog_dir.load(out)
    assert len(cat.casillas) == summary["casillas"]
    assert sorted(p.name for p in (out / "actas").iterdir()) == ["AYUN.csv", "DIP_LOC.csv", "GUB.csv"]
    # a previous simulation is replaced
    rc = main(["simulate", "election", "--preset", "edomex", "--seed", "2", "--scale", "0.02", "--out", str(out)])
    assert rc == 0
    assert sorted(p.name for p in (out / "actas").iterdir()) == ["AYUN.csv", "DIP_LOC.csv"]
    assert "edomex" in capsys.readouterr().out


def test_cli_bad_input(tmp_path, capsys):
    assert main(["simulate", "election", "--preset", "jalisco", "--out", str(tmp_path / "x")]) == 2
    assert main(["simulate", "election", "--preset", "morelos", "--seed", "-1", "--out", str(tmp_path / "x")]) == 2
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    capsys.readouterr()
    assert main(["simulate", "election", "--preset", "morelos", "--out", str(tmp_path / "busy")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pregon: error:") and "not empty" in err and len(err.strip().splitlines()) == 1
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"
