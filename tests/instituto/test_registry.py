"""Registry of difusores: validation with clear errors, the CLI, and the public "Difusores oficiales" page."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from instituto.kit import LOGO, add_argv, difusor, institute
from pregon.cli import main
from pregon.errors import InputError
from pregon.instituto.public_list import PAGE, write_public_list
from pregon.instituto.registry import Registry, check_logo, validate

HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHYdrNxKmU5wsLnlM3JByqNfZZgiQT0N7QgDTTRcHOkb host"


@pytest.fixture
def cfg(tmp_path):
    return institute(tmp_path / "inst", tmp_path / "feed")


def cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def add_args(cfg, ident="el-diario", **over):
    base = {"--id": ident, "--nombre": "El Diario", "--sitio": "https://eldiario.mx",
            "--enlace": "https://eldiario.mx/prep/", "--tecnico-email": "ti@eldiario.mx",
            "--legal-email": "juridico@eldiario.mx", "--metodo": "sftp", "--servidor": "203.0.113.7",
            "--ssh-user": "prep", "--ssh-path": "/var/lib/pregon/inbox", "--host-key": HOST_KEY,
            "--carta-fecha": "2024-05-20", "--simulacro": "2024-05-12"}
    return add_argv(cfg, {**base, **over})


def test_add_list_show_roundtrip(cfg, capsys, tmp_path):
    logo = tmp_path / "logo.svg"
    logo.write_bytes(LOGO)
    code, out, err = cli(capsys, *add_args(cfg), "--logo", str(logo))
    assert code == 0, err
    assert "registered el-diario" in out
    code, out, _ = cli(capsys, "instituto", "difusores", "list", "--config", str(cfg), "--json")
    assert code == 0
    assert [d["id"] for d in json.loads(out)] == ["el-diario"]
    code, out, _ = cli(capsys, "instituto", "difusores", "show", "el-diario", "--config", str(cfg), "--json")
    shown = json.loads(out)
    assert shown["transfer"]["host_key_fingerprint"].startswith("SHA256:")
    assert shown["carta_recibida"] is True and shown["carta_fecha"] == "2024-05-20"
    assert shown["simulacros"] == ["2024-05-12"] and shown["logo"] is True
    assert (cfg.parent / "difusores" / "el-diario.svg").read_bytes() == LOGO
    # a second registration under the same id is refused, not overwritten
    code, _, err = cli(capsys, *add_args(cfg, **{"--nombre": "Otro"}))
    assert code == 2 and "already registered" in err


@pytest.mark.parametrize("over,message", [
    ({"--sitio": "eldiario.mx"}, "sitio"),
    ({"--enlace": "ftp://x.mx/"}, "enlace"),
    ({"--tecnico-email": "no-es-correo"}, "e-mail"),
    ({"--host-key": "ssh-ed25519 notbase64!!"}, "host key"),
    ({"--host-key": None}, "host key"),
    ({"--ssh-path": None}, "inbox directory"),
    ({"--id": "El Diario"}, "id"),
    ({"--carta-fecha": "20/05/2024"}, "carta_fecha"),
    ({"--servidor": "not a host!"}, "servidor"),
])
def test_add_refuses_bad_fields_with_one_line(cfg, capsys, over, message):
    code, out, err = cli(capsys, *add_args(cfg, **over))
    assert code == 2
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (cfg.parent / "difusores" / "el-diario.json").exists()


def test_passwords_are_refused(cfg, capsys, tmp_path):
    f = tmp_path / "d.toml"
    f.write_text('id = "radio"\nnombre = "Radio"\nsitio = "https://radio.mx"\nenlace = "https://radio.mx/prep/"\n'
                 '[tecnico]\nemail = "a@radio.mx"\n[legal]\nemail = "b@radio.mx"\n'
                 '[transfer]\nmethod = "sftp"\nhost = "radio.mx"\nuser = "prep"\npath = "/in"\npassword = "x"\n')
    code, _, err = cli(capsys, "instituto", "difusores", "add", "--config", str(cfg), "--from", str(f))
    assert code == 2 and "passwords are not accepted" in err


@pytest.mark.parametrize("svg,message", [
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "<script>"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "event handler"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
     b'<image x:href="https://evil.example/t.png"/></svg>', "external reference"),
    (b'<!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg"/>', "DTD"),
    (b'<html/>', "not <svg>"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><rect/>' + b" " * 200_000 + b"</svg>", "over the limit"),
    (b'<svg', "well-formed"),
])
def test_logo_sanity(svg, message):
    with pytest.raises(InputError, match=message):
        check_logo(svg)


def test_logo_accepts_plain_svg():
    assert "rect" in check_logo(LOGO)


def test_public_page_lists_active_only_deterministically(tmp_path):
    reg = Registry(tmp_path / "reg")
    reg.add(difusor("zeta", nombre="Zeta Noticias"), LOGO)
    reg.add(difusor("alfa", nombre="Alfa Radio"))
    reg.add(difusor("beta", nombre="Beta TV"), LOGO)
    site = tmp_path / "site"
    (site / "json").mkdir(parents=True)
    (site / "json" / "main.json").write_text('{"corte":{"secuencia":3,"instante":"2024-06-02T20:30:00-06:00"}}')
    assert write_public_list(site, reg) == ["alfa", "beta", "zeta"]
    page = (site / PAGE).read_text()
    assert 'lang="es-MX"' in page and "Difusores oficiales" in page
    assert '<meta name="pregon-corte" content="3|2024-06-02T20:30:00-06:00">' in page
    assert page.index("Alfa Radio") < page.index("Beta TV") < page.index("Zeta Noticias")
    assert 'href="http://127.0.0.1:9/"' in page
    logos = sorted(p.name for p in (site / "difusores" / "logos").iterdir())
    assert len(logos) == 2 and logos[0].startswith("beta.") and logos[1].startswith("zeta.")
    first = page
    assert write_public_list(site, reg) == ["alfa", "beta", "zeta"]
    assert (site / PAGE).read_text() == first  # same registry, same bytes
    reg.block("beta", "alteró resultados", datetime(2024, 6, 2, 21, tzinfo=timezone.utc))
    assert write_public_list(site, reg) == ["alfa", "zeta"]
    page = (site / PAGE).read_text()
    assert "Beta TV" not in page
    assert [p.name.split(".")[0] for p in (site / "difusores" / "logos").iterdir()] == ["zeta"]


def test_block_unblock_state(tmp_path):
    reg = Registry(tmp_path / "reg")
    reg.add(difusor("alfa"))
    when = datetime(2024, 6, 2, 21, tzinfo=timezone.utc)
    d = reg.block("alfa", "motivo", when)
    assert not d.active and reg.active() == []
    with pytest.raises(InputError, match="already blocked"):
        reg.block("alfa", "otra vez", when)
    reg.unblock("alfa", when)
    assert [x.id for x in reg.active()] == ["alfa"]
    with pytest.raises(InputError, match="not registered"):
        reg.get("nadie")


def test_validate_normalises_enlace():
    d = difusor("alfa")
    d.enlace = "https://alfa.mx/prep"
    assert validate(d).enlace == "https://alfa.mx/prep/"


def test_cli_errors_are_one_line(cfg, capsys, tmp_path):
    code, _, err = cli(capsys, "instituto", "difusores", "show", "nadie", "--config", str(cfg))
    assert code == 2 and "not registered" in err
    code, _, err = cli(capsys, "instituto", "monitor", "report", "--config", str(cfg))
    assert code == 2 and "no observations yet" in err
    code, _, err = cli(capsys, "instituto", "difusores", "list", "--config", str(tmp_path / "missing.toml"))
    assert code == 2 and "no such file" in err
    code, _, err = cli(capsys, "instituto", "difusores", "block", "nadie", "--config", str(cfg), "--reason", "x")
    assert code == 2 and "not registered" in err
