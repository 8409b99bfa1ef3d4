"""difusor.toml parsing and the CLI's one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from difusor.kit import Institute
from pregon.cli import main
from pregon.difusor.config import load_config
from pregon.errors import InputError


def _write(tmp_path, body: str) -> Path:
    p = tmp_path / "difusor.toml"
    p.write_text(body)
    return p


def test_full_config(tmp_path):
    inst = Institute(tmp_path / "inst")
    inst.write_public_key(tmp_path / "i.pub")
    cfg = load_config(_write(tmp_path, f'''
[difusor]
id = "el-diario"
root = "var"
election = "MOR-2024"
public_keys = ["i.pub", "{inst.public.line}"]
[window]
start = "2024-06-02T20:00"
end = "2024-06-03T23:59"
tz = "America/Mexico_City"
[pull]
url = "https://prep.example.mx/publicado/index.json"
interval = 15
[hooks]
on_activate = "true"
[serve]
port = 8081
frame_ancestors = "'self' https://www.example.mx"
'''))
    assert cfg.root == tmp_path / "var" and cfg.inbox == tmp_path / "var" / "inbox"
    assert len(cfg.public_keys) == 2 and cfg.public_keys[0] == inst.public
    assert cfg.window_start.utcoffset().total_seconds() == -6 * 3600
    assert cfg.pull.interval == 15 and cfg.serve.port == 8081


@pytest.mark.parametrize("body,needle", [
    ('[difusor]\nbogus = 1\n', "unknown key 'bogus'"),
    ('[window]\nstart = "2024-06-03T20:00"\nend = "2024-06-02T20:00"\n', "end must be later"),
    ('[window]\ntz = "Mars/Base"\n', "unknown time zone"),
    ('[pull]\nurl = "http://example.mx/index.json"\n', "use https"),
    ('[difusor]\npublic_keys = ["nope.pub"]\n', "neither a key file"),
    ('not toml [', "not valid TOML"),
])
def test_config_errors_name_the_key(tmp_path, body, needle):
    with pytest.raises(InputError, match=needle):
        load_config(_write(tmp_path, body))


def test_cli_errors_are_one_line(tmp_path, capsys):
    rc = main(["difusor", "status", "--config", str(tmp_path / "missing.toml")])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "no such file" in err
    cfg = _write(tmp_path, f'[difusor]\nroot = "{tmp_path / "r"}"\n')
    rc = main(["difusor", "status", "--config", str(cfg)])
    assert rc == 2 and "no status yet" in capsys.readouterr().err
    rc = main(["difusor", "run", "--config", str(cfg), "--once"])
    assert rc == 2 and "public_keys is empty" in capsys.readouterr().err


def test_cli_webconfig(tmp_path, capsys):
    cfg = _write(tmp_path, f'[difusor]\nroot = "{tmp_path / "r"}"\n[serve]\nrate_limit = 5\n')
    assert main(["difusor", "webconfig", "nginx", "--config", str(cfg)]) in (0, None)
    out = capsys.readouterr().out
    assert "location = /json/main.json" in out and "no-cache, no-store, must-revalidate" in out
    assert "open_file_cache off" in out and "limit_req zone=pregon_rl" in out
    assert main(["difusor", "webconfig", "apache", "--config", str(cfg)]) in (0, None)
    assert "mod_evasive" in capsys.readouterr().out
    assert main(["difusor", "webconfig", "nginx", "--config", str(cfg), "--standalone"]) == 2
    assert "--runtime-dir" in capsys.readouterr().err


def test_generated_configs_carry_absolute_paths(tmp_path, capsys, monkeypatch):
    """`root = "."` (as a drill writes it) read through a relative --config: nginx and Apache must still get
    absolute paths, or they resolve them against their own prefix and serve 404s."""
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "difusor.toml").write_text('[difusor]\nroot = "."\n[serve]\naccess_log = "access.log"\n')
    monkeypatch.chdir(tmp_path)
    for server, directive in (("nginx", "root "), ("apache", "DocumentRoot ")):
        assert main(["difusor", "webconfig", server, "--config", "d/difusor.toml"]) in (0, None)
        out = capsys.readouterr().out
        (line,) = [ln.strip() for ln in out.splitlines() if ln.strip().startswith(directive)]
        assert line.split(None, 1)[1].strip('";') == str(tmp_path / "d" / "current"), line
        assert str(tmp_path / "d" / "access.log") in out
