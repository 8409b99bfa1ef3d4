"""The registration forms complete: mobile phones and extensions, IEM's entidad/IP/test and official sites,
Chiapas's service diagram and staff list; the FTP-style account answered by the SSH key; logos as .ai."""

from __future__ import annotations

import json
import struct
import zlib
from datetime import datetime, timezone

import pytest
from toolcheck import require_tool

from instituto.kit import LOGO, add_argv, difusor, institute
from pregon.cli import main
from pregon.errors import InputError
from pregon.instituto import registry as registry_mod
from pregon.instituto.registry import Registry, check_diagram, entidad_name, logo_svg, parse_staff

HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHYdrNxKmU5wsLnlM3JByqNfZZgiQT0N7QgDTTRcHOkb host"


def pdf(content: bytes, *, extra: bytes = b"", fonts: bool = False) -> bytes:
    """A minimal valid one-page PDF (what Illustrator's 'PDF compatible' .ai starts as) drawing `content`."""
    res = b"<< /Font << /F1 5 0 R >> >>" if fonts else b"<< >>"
    objs = [b"<< /Type /Catalog /Pages 2 0 R" + extra + b" >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 120 60] /Contents 4 0 R /Resources " + res + b" >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offsets:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


AI_RECT = pdf(b"0 0.2 0.4 rg 10 10 100 40 re f")
AI_TEXT = pdf(b"0 0.2 0.4 rg 10 10 100 40 re f BT /F1 18 Tf 1 1 1 rg 20 22 Td (PREP) Tj ET", fonts=True)
AI_POSTSCRIPT = b"%!PS-Adobe-3.0\n%%Creator: Adobe Illustrator(R) 8.0\n%%BoundingBox: 0 0 120 60\n%%EOF\n"


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x00\x33\x66" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture
def cfg(tmp_path):
    return institute(tmp_path / "inst", tmp_path / "feed")


def cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def add_args(cfg, **over):
    base = {"--id": "la-voz", "--nombre": "La Voz de Michoacán", "--sitio": "https://lavoz.mx",
            "--enlace": "https://lavoz.mx/prep/", "--tecnico-nombre": "Ana López", "--tecnico-email": "ti@lavoz.mx",
            "--tecnico-telefono": "443 123 4567", "--tecnico-extension": "2105", "--tecnico-movil": "+52 443 555 0101",
            "--legal-nombre": "Luis Pérez", "--legal-email": "juridico@lavoz.mx", "--legal-movil": "4435550202",
            "--metodo": "sftp", "--servidor": "203.0.113.7", "--ssh-user": "prep", "--ssh-path": "/srv/prep/inbox",
            "--host-key": HOST_KEY, "--entidad": "michoacan", "--ip-registro": "203.0.113.7",
            "--url-pruebas": "https://pruebas.lavoz.mx/prep/", "--url-oficial": "https://lavoz.mx/prep/"}
    return add_argv(cfg, {**base, **over})


def test_every_form_field_roundtrips_and_show_explains_the_account(cfg, capsys, tmp_path):
    require_tool("pdftocairo")
    (tmp_path / "logo.ai").write_bytes(AI_TEXT)
    (tmp_path / "diagrama.png").write_bytes(png())
    code, out, err = cli(capsys, *add_args(cfg), "--logo", str(tmp_path / "logo.ai"),
                         "--diagrama", str(tmp_path / "diagrama.png"),
                         "--personal", "Ana López|Administradora de servidores|ana@lavoz.mx|443 555 0303",
                         "--personal", "Juan Ruiz|Guardia nocturna|443 555 0404")
    assert code == 0, err
    code, out, _ = cli(capsys, "instituto", "difusores", "show", "la-voz", "--config", str(cfg), "--json")
    d = json.loads(out)
    assert d["tecnico"] == {"nombre": "Ana López", "email": "ti@lavoz.mx", "telefono": "443 123 4567",
                            "movil": "+52 443 555 0101", "extension": "2105"}
    assert d["legal"]["movil"] == "4435550202"
    assert d["entidad"] == "Michoacán"  # normalised from "michoacan"
    assert (d["ip_registro"], d["url_pruebas"], d["url_oficial"]) == (
        "203.0.113.7", "https://pruebas.lavoz.mx/prep/", "https://lavoz.mx/prep/")
    assert d["diagrama"] == "la-voz.diagrama.png" and d["logo"] is True
    assert d["personal"] == [
        {"nombre": "Ana López", "cargo": "Administradora de servidores", "email": "ana@lavoz.mx",
         "telefono": "443 555 0303"},
        {"nombre": "Juan Ruiz", "cargo": "Guardia nocturna", "email": "", "telefono": "443 555 0404"}]
    assert "password" not in out and "contrase" not in out
    reg = cfg.parent / "difusores"
    assert (reg / "la-voz.diagrama.png").read_bytes() == png()
    svg = (reg / "la-voz.svg").read_text("utf-8")
    assert "<svg" in svg and "<path" in svg  # the .ai as SVG, not the PDF bytes
    code, out, _ = cli(capsys, "instituto", "difusores", "show", "la-voz", "--config", str(cfg))
    assert code == 0
    assert "técnico Ana López <ti@lavoz.mx>, tel. 443 123 4567 ext. 2105, móvil +52 443 555 0101" in out
    assert "entidad Michoacán; IP registrada 203.0.113.7" in out
    assert "sitio oficial https://lavoz.mx/prep/; sitio de pruebas https://pruebas.lavoz.mx/prep/" in out
    assert "cuenta FTP de los formatos: usuario SSH prep, sin contraseña" in out
    assert "diagrama del servicio: la-voz.diagrama.png (" in out
    assert "personal: Juan Ruiz (Guardia nocturna) 443 555 0404" in out


def test_from_file_carries_the_new_fields_and_their_files(cfg, capsys, tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "logo.svg").write_bytes(LOGO)
    (tmp_path / "files" / "red.pdf").write_bytes(AI_RECT)
    f = tmp_path / "registro.toml"
    f.write_text('id = "radio-sur"\nnombre = "Radio Sur"\nsitio = "https://radiosur.mx"\n'
                 'enlace = "https://radiosur.mx/prep/"\nentidad = "7"\nlogo = "files/logo.svg"\n'
                 'diagrama = "files/red.pdf"\n'
                 '[tecnico]\nemail = "ti@radiosur.mx"\nmovil = "961 100 2000"\n[legal]\nemail = "j@radiosur.mx"\n'
                 '[transfer]\nmethod = "frame"\n'
                 '[[personal]]\nnombre = "Eva"\ncargo = "Responsable técnica"\nemail = "eva@radiosur.mx"\n', "utf-8")
    code, _, err = cli(capsys, "instituto", "difusores", "add", "--config", str(cfg), "--from", str(f))
    assert code == 0, err
    d = Registry(cfg.parent / "difusores").get("radio-sur")
    assert d.entidad == "Chiapas" and d.tecnico.movil == "961 100 2000"
    assert d.diagrama == "radio-sur.diagrama.pdf" and d.logo
    assert [(p.nombre, p.cargo) for p in d.personal] == [("Eva", "Responsable técnica")]
    code, out, _ = cli(capsys, "instituto", "difusores", "show", "radio-sur", "--config", str(cfg))
    assert "cuenta FTP de los formatos: no aplica" in out


@pytest.mark.parametrize("over,message", [
    ({"--tecnico-movil": "llámenme"}, "tecnico.movil"),
    ({"--legal-movil": "12"}, "legal.movil"),
    ({"--tecnico-extension": "21a"}, "tecnico.extension"),
    ({"--tecnico-telefono": None}, "needs the tecnico contact's telefono"),
    ({"--entidad": "Narnia"}, "entidad"),
    ({"--entidad": "33"}, "entidad"),
    ({"--ip-registro": "999.1.1.1"}, "ip_registro"),
    ({"--ip-registro": "203.0.113.7/24"}, "ip_registro"),  # host bits set: not a network
    ({"--url-pruebas": "ftp://pruebas.lavoz.mx/"}, "url_pruebas"),
    ({"--url-oficial": "lavoz.mx"}, "url_oficial"),
    ({"--personal": "Ana|Admin|ana@"}, "personal #1 e-mail"),
    ({"--personal": "Ana||ana@lavoz.mx"}, "cargo"),
    ({"--personal": "|Admin|ana@lavoz.mx"}, "nombre is required"),
    ({"--personal": "solo un nombre"}, "NOMBRE|CARGO"),
    ({"--personal": "Ana|Admin|a@lavoz.mx|b@lavoz.mx"}, "two e-mails"),
    ({"--personal": "Ana|Admin|teléfono"}, "personal #1 telefono"),
])
def test_bad_form_fields_are_one_line_naming_the_field(cfg, capsys, over, message):
    code, _, err = cli(capsys, *add_args(cfg, **over))
    assert code == 2, err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not (cfg.parent / "difusores" / "la-voz.json").exists()


@pytest.mark.parametrize("data,message", [
    (b"GIF89a....", "not a PDF, SVG or PNG"),
    (b"", "empty"),
    (pdf(b"", extra=b" /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "scripts"),
    (AI_RECT[:-40], "truncated"),
    (png()[:-12], "damaged or truncated PNG"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>', "<script>"),
])
def test_the_service_diagram_is_checked_by_content(data, message):
    with pytest.raises(InputError, match=message):
        check_diagram(data)


def test_diagram_kinds_and_cap():
    assert check_diagram(AI_RECT) == "pdf" and check_diagram(png()) == "png" and check_diagram(LOGO) == "svg"
    with pytest.raises(InputError, match="over the limit"):
        check_diagram(b"%PDF-" + b"0" * registry_mod.DIAGRAM_MAX_BYTES)


def test_a_bad_diagram_writes_nothing(cfg, capsys, tmp_path):
    (tmp_path / "logo.svg").write_bytes(LOGO)
    (tmp_path / "d.gif").write_bytes(b"GIF89a")
    code, _, err = cli(capsys, *add_args(cfg), "--logo", str(tmp_path / "logo.svg"), "--diagrama", str(tmp_path / "d.gif"))
    assert code == 2 and "diagrama" in err
    assert list((cfg.parent / "difusores").glob("la-voz*")) == []


def test_records_of_the_first_release_still_read_and_save(tmp_path):
    reg = tmp_path / "reg"
    reg.mkdir()
    old = {"id": "viejo", "nombre": "El Viejo", "sitio": "https://viejo.mx", "enlace": "https://viejo.mx/prep/",
           "tecnico": {"nombre": "A", "email": "a@viejo.mx", "telefono": "lunes a viernes"},
           "legal": {"nombre": "B", "email": "b@viejo.mx", "telefono": ""},
           "servidor": {"host": "", "software": "", "hardware": "", "energia": "", "red": ""},
           "transfer": {"method": "pull", "host": "", "port": 22, "user": "", "path": "", "host_key": ""},
           "carta_recibida": False, "carta_fecha": None, "simulacros": [], "estado": "active", "bloqueo": None,
           "logo": False}
    (reg / "viejo.json").write_text(json.dumps(old), "utf-8")
    r = Registry(reg)
    d = r.get("viejo")
    assert (d.entidad, d.diagrama, d.personal, d.tecnico.movil) == ("", "", [], "")
    r.block("viejo", "prueba", datetime(2024, 6, 2, 22, tzinfo=timezone.utc))  # save() validates the old record
    saved = json.loads((reg / "viejo.json").read_text("utf-8"))
    assert saved["estado"] == "blocked" and saved["personal"] == [] and saved["tecnico"]["movil"] == ""


@pytest.mark.parametrize("where,record", [
    ("tecnico.password", {"tecnico": {"email": "a@x.mx", "password": "x"}}),
    ("contraseña", {"contraseña": "secreta"}),
    ("transfer.Passwd", {"transfer": {"method": "sftp", "Passwd": "x"}}),
])
def test_no_password_anywhere(where, record):
    d = {"id": "x", "nombre": "X", "sitio": "https://x.mx", "enlace": "https://x.mx/", **record}
    with pytest.raises(InputError, match=rf"{where}: passwords are not accepted"):
        registry_mod.Difusor.from_json(d, "x.json")


def test_entidad_names_and_codes():
    assert entidad_name("16") == "Michoacán" and entidad_name("ESTADO DE MÉXICO") == "México"
    assert entidad_name("Querétaro") == entidad_name("queretaro") == "Querétaro"
    assert entidad_name("CDMX") == "Ciudad de México"
    assert len(registry_mod.ENTIDADES) == 32


def test_parse_staff():
    assert parse_staff("Eva | Jefa | 961 000 0000 | eva@x.mx") == {"nombre": "Eva", "cargo": "Jefa",
                                                                    "telefono": "961 000 0000", "email": "eva@x.mx"}


# --- logos as .ai ---------------------------------------------------------------------------------------------


def test_pdf_compatible_ai_becomes_a_safe_svg():
    require_tool("pdftocairo")
    svg = logo_svg(AI_TEXT)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert 'viewBox="0 0 120 60"' in svg
    assert "<use" in svg and "#glyph" in svg  # the text as glyphs: internal references only
    assert registry_mod.check_logo(svg.encode("utf-8")) == svg  # it passes the same checks as an uploaded SVG
    assert logo_svg(AI_TEXT) == svg  # same file, same SVG


def test_a_real_generators_pdf_converts_too(tmp_path):
    require_tool("pdftocairo")
    weasyprint = pytest.importorskip("weasyprint")
    html = ('<html><head><style>@page{size:120px 60px;margin:0}body{margin:0}</style></head><body>'
            '<div style="width:120px;height:60px;background:#036;color:#fff">PREP</div></body></html>')
    data = weasyprint.HTML(string=html).write_pdf()
    svg = logo_svg(data)
    assert "<svg" in svg and "rgb(0%,19.999695%,39.99939%)" in svg


def test_postscript_only_ai_is_refused_with_one_line():
    with pytest.raises(InputError) as exc:
        logo_svg(AI_POSTSCRIPT)
    text = str(exc.value)
    assert "export the logo as SVG" in text and "PDF Compatible" in text and "\n" not in text


def test_ai_that_pdftocairo_cannot_read_is_refused():
    require_tool("pdftocairo")
    with pytest.raises(InputError, match="not a readable PDF-compatible .ai"):
        logo_svg(b"%PDF-1.4\nnothing here\n%%EOF\n")


def test_a_converted_svg_over_the_cap_is_refused(monkeypatch):
    require_tool("pdftocairo")
    monkeypatch.setattr(registry_mod, "LOGO_MAX_BYTES", 100)
    with pytest.raises(InputError, match="converted from .ai/PDF to SVG.*over the limit"):
        logo_svg(AI_RECT)


def test_without_pdftocairo_the_ai_is_refused_saying_what_to_install(monkeypatch):
    monkeypatch.setattr(registry_mod.shutil, "which", lambda name: None)
    with pytest.raises(InputError, match="poppler-utils"):
        logo_svg(AI_RECT)
    assert "<rect" in logo_svg(LOGO)  # an SVG needs no tool


def test_cli_refuses_a_postscript_ai_logo(cfg, capsys, tmp_path):
    (tmp_path / "logo.ai").write_bytes(AI_POSTSCRIPT)
    code, _, err = cli(capsys, *add_args(cfg), "--logo", str(tmp_path / "logo.ai"))
    assert code == 2 and "export the logo as SVG" in err and len(err.strip().splitlines()) == 1
    assert not (cfg.parent / "difusores" / "la-voz.json").exists()


def test_public_list_takes_the_converted_logo(tmp_path):
    require_tool("pdftocairo")
    from pregon.instituto.public_list import write_public_list

    reg = Registry(tmp_path / "reg")
    reg.add(difusor("alfa"), AI_RECT)
    site = tmp_path / "site"
    site.mkdir()
    write_public_list(site, reg, corte=("1", "2024-06-02T20:30:00-06:00"))
    logos = list((site / "difusores" / "logos").iterdir())
    assert len(logos) == 1 and logos[0].read_text("utf-8").count("<svg") == 1
