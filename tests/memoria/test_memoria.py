"""The memoria técnica end to end: a real receiver's journal and generated access logs in, HTML/PDF/bundle out.

The night: the window 20:00-02:00 (Mexico City); cuts 1-3 arrive ~20 s after their corte, a package signed
by an unknown key is refused at 21:45:10, the live cut goes stale at 21:50, the disk runs low from 21:51 to
22:01, and cut 5 goes live at 22:06:40 (over a minute late). The access logs: the day before (baseline),
election night, and an old rotated file that must stay out of the bundle.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import tarfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from toolcheck import require_tool
from difusor.kit import Institute, drop, make_config

from pregon.analytics import analyze, synthlog
from pregon.cli import main
from pregon.difusor.journal import Journal
from pregon.difusor.pipeline import Receiver
from pregon.memoria import render
from pregon.memoria.render import SECTIONS, comments_html
from pregon.package import keys as keys_mod
from pregon.times import ManualClock

MX = timezone(timedelta(hours=-6))
START = datetime(2024, 6, 2, 20, 0, tzinfo=MX)
END = datetime(2024, 6, 3, 2, 0, tzinfo=MX)


def _night(base: Path) -> dict:
    inst = Institute(base / "inst")
    pub = inst.write_public_key(base / "inst.pub")
    clock = ManualClock(START)
    cfg = make_config(base / "difusor", inst)
    r = Receiver(cfg, clock=clock, durable=False, check_clock=False)
    r.start()
    for seq in (1, 2, 3):  # instants 20:45, 21:00, 21:15
        clock.t = inst.instant(seq) + timedelta(seconds=20)
        drop(inst.full(seq), cfg.inbox)
        assert r.scan_inbox()[0].activated
    stranger = Institute(base / "stranger", key=keys_mod.generate())
    clock.t = datetime(2024, 6, 2, 21, 45, 10, tzinfo=MX)
    drop(stranger.full(4, name="MOR-2024-000004.tar.gz"), cfg.inbox)
    assert r.scan_inbox()[0].verdict == "refused"
    j = Journal(cfg.journal, clock=clock)
    clock.t = datetime(2024, 6, 2, 21, 50, tzinfo=MX)
    j.write("stale", "warning", sequence=3, expired=clock.t.isoformat(), detail="no new corte before the manifest's expiry")
    clock.t = datetime(2024, 6, 2, 21, 51, tzinfo=MX)
    j.write("disk-low", "error", detail="only 100 MiB free under /srv/difusor/releases (minimum 256 MiB)")
    clock.t = datetime(2024, 6, 2, 22, 1, tzinfo=MX)
    j.write("disk-low-resolved")
    clock.t = datetime(2024, 6, 2, 22, 6, 40, tzinfo=MX)
    drop(inst.full(5, instant=datetime(2024, 6, 2, 22, 5, tzinfo=MX)), cfg.inbox)
    assert r.scan_inbox()[0].activated

    logs = base / "logs"
    logs.mkdir()
    synthlog.generate(logs / "access.log.2", 200, seed=7, start=datetime(2024, 5, 20, 20, 0, tzinfo=MX), hours=2)
    synthlog.generate(logs / "access.log.1", 3000, seed=5, start=datetime(2024, 6, 1, 20, 0, tzinfo=MX), hours=23.5)
    synthlog.generate(logs / "access.log", 8000, seed=6, start=datetime(2024, 6, 2, 19, 30, tzinfo=MX), hours=7)
    config = base / "difusor.toml"
    config.write_text(f"""[difusor]
id = "el-diario"
root = "{cfg.root}"
public_keys = ["{pub}"]
syslog = false

[window]
start = "2024-06-02T20:00"
end = "2024-06-03T02:00"
tz = "America/Mexico_City"

[serve]
server_name = "prep.example.mx"
access_log = "logs/access.log"

[registro]
nombre = "El Diario de Morelos"
sitio = "https://www.eldiario.example.mx"
enlace = "https://prep.eldiario.example.mx"
contacto_tecnico = {{ nombre = "Ana López", correo = "ana@eldiario.example.mx", telefono = "777 123 4567" }}
contacto_legal = "Lic. Juan Pérez <juridico@eldiario.example.mx>"
ip = "203.0.113.10"
software = "Debian 12, nginx 1.22, pregon 0.1"
hardware = "2 VM de 4 vCPU y 8 GiB"
energia = "UPS de 3 kVA y planta de emergencia"
red = "Dos enlaces de 1 Gb/s"
""", "utf-8")
    comments = base / "comentarios.md"
    comments.write_text("# Observaciones\n\nEl sitio **no** dejó de servir.\n\n- Paquete con firma <desconocida>.\n"
                        "- Poco espacio en disco 10 min.\n", "utf-8")
    return {"config": config, "logs": logs, "comments": comments, "cfg": cfg}


def _run(argv, capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    return _night(tmp_path_factory.mktemp("night"))


def _args(night, out: Path, *extra) -> list[str]:
    return ["difusor", "memoria", "--config", str(night["config"]), "--out", str(out),
            "--baseline-from", "2024-06-01T20:00", "--baseline-to", "2024-06-02T19:30",
            "--comments", str(night["comments"]), "--workers", "1", *extra]


@pytest.fixture(scope="module")
def made(night, tmp_path_factory):
    out = tmp_path_factory.mktemp("memoria")
    code = main(_args(night, out))
    assert code == 0
    return out


def _pdftext(pdf: Path, layout: bool = True) -> str:
    tool = require_tool("pdftotext")
    argv = [tool, "-layout", str(pdf), "-"] if layout else [tool, str(pdf), "-"]
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def test_outputs_exist(made):
    for name in ("memoria.html", "memoria.pdf", "SHA256SUMS", "datos.json",
                 "logs-20240602T2000-20240603T0200.tar.gz"):
        assert (made / name).is_file() and (made / name).stat().st_size > 0, name
    assert (made / "memoria.pdf").read_bytes().startswith(b"%PDF-")


def test_pdf_has_the_headline_figures(made, night):
    expected = analyze([night["logs"] / n for n in ("access.log.2", "access.log.1", "access.log")],
                       start=START, end=END, workers=1, site_hosts=("prep.example.mx",))
    p = expected.period
    visitors, pages, hits = p.visitors, p.traffic["humans"].pages, p.traffic["all"].hits
    assert visitors > 100 and pages > visitors and hits > 1000  # figures big enough to carry a thousands comma
    text = _pdftext(made / "memoria.pdf")
    flat = re.sub(r"\s+", " ", text)
    visits = p.visits["count"]
    # the four boxes at the top of section 2: the figures on one line, their labels under them
    assert f"{visitors:,} {pages:,} {hits:,} {visits:,} visitantes páginas vistas hits visitas" in flat
    assert f"Visitantes distintos (personas) {visitors:,}" in flat
    assert f"Hits (todas las solicitudes) {hits:,}" in flat
    datos = json.loads((made / "datos.json").read_text("utf-8"))
    assert datos["headline"]["visitors"] == visitors and datos["headline"]["hits"] == hits
    # registration, period, cuts, incidents, comments all made it to the PDF (reading order, not layout)
    flat = re.sub(r"\s+", " ", _pdftext(made / "memoria.pdf", layout=False))
    for s in ("El Diario de Morelos", "Ana López", "203.0.113.10", "UPS de 3 kVA",
              "domingo 2 de junio de 2024, 20:00 h", "Paquete rechazado", "unknown-key",
              "Corte publicado vencido", "Poco espacio en disco", "Observaciones", "Paquete con firma <desconocida>",
              "Comparación con el tráfico habitual"):
        assert s in flat, s


def test_one_page_at_least_per_section(made, tmp_path):
    tool = require_tool("pdftoppm")
    subprocess.run([tool, "-r", "30", "-png", str(made / "memoria.pdf"), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) >= len(SECTIONS) + 1  # the cover, then every section starts a page
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    pages = _pdftext(made / "memoria.pdf").split("\f")
    assert len(pages) >= len(pngs)
    where = []
    for _key, title in SECTIONS:
        hits = [i for i, page in enumerate(pages) if re.search(rf"^\s*{re.escape(title)}\s*$", page, re.MULTILINE)]
        assert hits, f"section {title!r} has no page of its own"
        where.append(hits[-1])
    assert where == sorted(where) and len(set(where)) == len(where), where
    # the traffic page carries the bar chart: its blue is on the rendered page
    from PIL import Image

    img = Image.open(pngs[where[2]]).convert("RGB")
    blue = sum(n for n, color in img.getcolors(1 << 20) if color == (0x2F, 0x5D, 0x8A))
    assert blue > 50


def test_bundle_and_sums(made, night):
    sums = dict(reversed(line.split("  ", 1)) for line in (made / "SHA256SUMS").read_text().splitlines())
    bundle = made / "logs-20240602T2000-20240603T0200.tar.gz"
    assert sums[bundle.name] == hashlib.sha256(bundle.read_bytes()).hexdigest()
    with tarfile.open(bundle) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    # only the files with requests in the period: election night, not the day before nor May
    assert sorted(members) == ["logs-20240602T2000-20240603T0200/access.log"]
    for name, body in members.items():
        assert sums[name] == hashlib.sha256(body).hexdigest()
        assert body == (night["logs"] / Path(name).name).read_bytes()
    datos = json.loads((made / "datos.json").read_text("utf-8"))
    assert datos["logs"]["sha256"] == sums[bundle.name]
    assert datos["logs"]["analysed_not_bundled"] == ["access.log.1", "access.log.2"]
    assert str(night["logs"]) not in (made / "datos.json").read_text("utf-8")  # no paths of this machine


def test_same_inputs_same_bytes(made, night, tmp_path, capsys):
    code, _out, _err = _run(_args(night, tmp_path), capsys)
    assert code == 0
    for name in ("memoria.html", "logs-20240602T2000-20240603T0200.tar.gz", "SHA256SUMS", "datos.json"):
        assert (tmp_path / name).read_bytes() == (made / name).read_bytes(), name


def test_cuts_and_incidents(made):
    datos = json.loads((made / "datos.json").read_text("utf-8"))
    cuts = datos["cuts"]
    assert [c["sequence"] for c in cuts] == [1, 2, 3, 5]
    assert [c["lag_corte_s"] for c in cuts] == [20.0, 20.0, 20.0, 100.0]
    assert [c["late"] for c in cuts] == [False, False, False, True]
    assert cuts[0]["created"] is not None  # read from the archived package's manifest
    assert cuts[2]["published_s"] == (datetime(2024, 6, 2, 22, 6, 40, tzinfo=MX)
                                      - datetime(2024, 6, 2, 21, 15, 20, tzinfo=MX)).total_seconds()
    assert cuts[3]["published_until"] == END.isoformat()
    inc = {i["event"]: i for i in datos["incidents"]}
    assert set(inc) == {"refused", "stale", "disk-low"}
    assert inc["refused"]["data"]["reason"] == "unknown-key"
    assert inc["refused"]["duration_s"] == 21 * 60 + 30  # 21:45:10 until cut 5 at 22:06:40
    assert inc["stale"]["duration_s"] == 16 * 60 + 40
    assert inc["disk-low"]["duration_s"] == 600 and inc["disk-low"]["resolved"]
    html = (made / "memoria.html").read_text("utf-8")
    assert "16 min 40 s" in html and "&lt;desconocida&gt;" in html and "<desconocida>" not in html


def test_no_pdf_prints_a_note(night, tmp_path, capsys):
    code, _out, err = _run(_args(night, tmp_path, "--no-pdf"), capsys)
    assert code == 0, err
    assert (tmp_path / "memoria.html").exists() and not (tmp_path / "memoria.pdf").exists()
    assert len(err.strip().splitlines()) == 1 and "--no-pdf" in err


def test_missing_weasyprint_is_an_input_error(night, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(render, "weasyprint_available", lambda: False)
    code, _out, err = _run(_args(night, tmp_path), capsys)
    assert code == 2
    assert err.count("\n") == 1 and "WeasyPrint" in err and "--no-pdf" in err and "Traceback" not in err


@pytest.mark.parametrize("case", ["no-config", "no-log", "glob-empty", "bad-registro", "bad-time"])
def test_bad_input_exits_2_with_one_line(night, tmp_path, capsys, case):
    config = night["config"]
    extra = []
    if case == "no-config":
        config = tmp_path / "nope.toml"
    elif case == "no-log":
        text = config.read_text("utf-8").replace('access_log = "logs/access.log"', 'access_log = "logs/gone.log"')
        config = night["config"].parent / "gone.toml"
        config.write_text(text, "utf-8")
    elif case == "glob-empty":
        extra = ["--logs", str(tmp_path / "none*.log")]
    elif case == "bad-registro":
        config = night["config"].parent / "badreg.toml"
        config.write_text(night["config"].read_text("utf-8") + 'color = "azul"\n', "utf-8")
    elif case == "bad-time":
        extra = ["--from", "ayer"]
    argv = ["difusor", "memoria", "--config", str(config), "--out", str(tmp_path / "out"), "--no-pdf",
            "--workers", "1", *extra]
    code, _out, err = _run(argv, capsys)
    assert code == 2, err
    assert err.startswith("pregon: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out" / "memoria.html").exists()


def test_comments_markdown_is_escaped():
    html = comments_html("# Título\n\nUno <b>dos</b> **tres**\ncuatro\n\n- a & b\n- c\n")
    assert html == ("<h3>Título</h3>\n<p>Uno &lt;b&gt;dos&lt;/b&gt; <strong>tres</strong><br>\ncuatro</p>\n"
                    "<ul>\n<li>a &amp; b</li>\n<li>c</li>\n</ul>")
    assert comments_html("  \n") == ""


def test_registro_from_its_own_file(night, tmp_path, capsys):
    reg = tmp_path / "registro.toml"
    reg.write_text('[registro]\nnombre = "Radio \\"Sur\\" & TV </style>"\n', "utf-8")
    code, _out, err = _run(_args(night, tmp_path / "o", "--registro", str(reg)), capsys)
    assert code == 0, err
    html = (tmp_path / "o" / "memoria.html").read_text("utf-8")
    assert "Radio &#34;Sur&#34; &amp; TV &lt;/style&gt;" in html and "El Diario de Morelos" not in html
    assert html.count("</style>") == 1
    # the running header (a CSS string in @page) carries the name intact
    text = _pdftext(tmp_path / "o" / "memoria.pdf")
    assert 'Memoria técnica del PREP — Radio "Sur" & TV </style>' in text


def test_the_difusor_loader_accepts_registro(night):
    """difusor.toml may carry [registro]: `difusor run` must not refuse the file the memoria reads."""
    from pregon.difusor.config import load_config

    assert load_config(night["config"]).id


# --- Disponibilidad: the institute's availability report in the memoria ----------------------------------------


def _availability_file(path: Path, ident: str = "el-diario") -> Path:
    """The institute's `monitor report --by day --format json`: two nights, the first under 99.9 %."""
    from pregon.instituto import availability

    obs = []
    for day, down in ((datetime(2024, 6, 2, 20, 0, tzinfo=MX), {3, 4}), (datetime(2024, 6, 3, 20, 0, tzinfo=MX), set())):
        obs += [{"time": (day + timedelta(seconds=30 * i)).isoformat(), "difusor": ident, "up": i not in down,
                 "status": "down" if i in down else "ok"} for i in range(1000)]
    obs += [{"time": "2024-06-02T21:00:00-06:00", "difusor": "otro", "up": True, "status": "ok"}]
    doc = availability.report(obs, tz=availability.zone("America/Mexico_City"), threshold=99.9)
    path.write_text(json.dumps(doc), "utf-8")
    return path


def test_memoria_shows_disponibilidad_per_day_and_month(night, tmp_path, capsys):
    report = _availability_file(tmp_path / "disponibilidad.json")
    code, _out, err = _run(_args(night, tmp_path / "o", "--availability", str(report)), capsys)
    assert code == 0, err
    html = (tmp_path / "o" / "memoria.html").read_text("utf-8")
    assert "<h3>Disponibilidad</h3>" in html
    flat = re.sub(r"\s+", " ", _pdftext(tmp_path / "o" / "memoria.pdf", layout=False))
    assert "Disponibilidad" in flat and "Meta de la convocatoria: 99.9 %" in flat
    text = _pdftext(tmp_path / "o" / "memoria.pdf")
    rows = {line.split()[0]: line.split() for line in text.splitlines()
            if re.match(r"\s*(\d\d/\d\d/\d{4}|Mes:|Total)\s", line) and "99.9 %" in line}  # the table's rows
    # the first night: 480 of its 1000 observations fall on the 2nd (until local midnight), 2 of them down
    assert rows["02/06/2024"][1:] == ["480", "478", "2", "99.583", "%", "99.9", "%", "No"]
    assert rows["03/06/2024"][1:] == ["1,000", "1,000", "0", "100.000", "%", "99.9", "%", "Sí"]
    assert rows["04/06/2024"][1:] == ["520", "520", "0", "100.000", "%", "99.9", "%", "Sí"]
    assert rows["Mes:"][1:] == ["junio", "de", "2024", "2,000", "1,998", "2", "99.900", "%", "99.9", "%", "Sí"]
    assert rows["Total"][1:] == ["2,000", "1,998", "2", "99.900", "%", "99.9", "%", "Sí"]
    assert "1 día(s) por debajo de la meta" in flat
    datos = json.loads((tmp_path / "o" / "datos.json").read_text("utf-8"))
    assert datos["availability"]["total"]["availability_pct"] == 99.9
    assert [d["period"] for d in datos["availability"]["days"]] == ["2024-06-02", "2024-06-03", "2024-06-04"]


def test_memoria_without_availability_has_no_table(made):
    assert "Disponibilidad" not in (made / "memoria.html").read_text("utf-8")
    assert json.loads((made / "datos.json").read_text("utf-8"))["availability"] is None


@pytest.mark.parametrize("case,words", [
    ("missing", "no such file"),
    ("garbage", "not a readable JSON report"),
    ("other", "no availability for difusor 'el-diario'"),
    ("schema", "not an availability report"),
])
def test_bad_availability_report_is_one_line(night, tmp_path, capsys, case, words):
    p = tmp_path / "d.json"
    if case == "garbage":
        p.write_bytes(b"\x00{not json")
    elif case == "other":
        _availability_file(p, ident="otro-difusor")
    elif case == "schema":
        p.write_text('{"schema": "pregon.memoria/1"}', "utf-8")
    code, _out, err = _run(_args(night, tmp_path / "o", "--no-pdf", "--availability", str(p)), capsys)
    assert code == 2 and words in err and err.count("\n") == 1 and "Traceback" not in err, err
    assert not (tmp_path / "o" / "memoria.html").exists()


def test_a_framing_difusor_has_a_memoria_without_a_journal(night, tmp_path, capsys):
    """Method 2: the difusor's page framed the official site; it ran no receiver, so there is no journal. The
    memoria still reports its page's visitors and logs, and says its cuts were the official site's."""
    root = tmp_path / "marco"
    (root / "logs").mkdir(parents=True)
    (root / "logs" / "access.log").write_bytes((night["logs"] / "access.log").read_bytes())
    text = night["config"].read_text("utf-8").replace(f'root = "{night["cfg"].root}"', f'root = "{root}"')
    config = tmp_path / "marco.toml"
    config.write_text(text.replace('access_log = "logs/access.log"', f'access_log = "{root}/logs/access.log"'),
                      "utf-8")
    argv = ["difusor", "memoria", "--config", str(config), "--out", str(tmp_path / "out"), "--no-pdf",
            "--workers", "1"]
    code, _out, err = _run(argv, capsys)
    assert code == 2 and "journal" in err and "--frame" in err and err.count("\n") == 1
    assert not (tmp_path / "out" / "memoria.html").exists()
    code, out, err = _run(argv + ["--frame"], capsys)
    assert code == 0, err
    datos = json.loads((tmp_path / "out" / "datos.json").read_text())
    assert datos["frame"] is True and datos["cuts"] == [] and datos["headline"]["visitors"] > 0
    html = (tmp_path / "out" / "memoria.html").read_text()
    assert "método 2" in html and "No se activó ningún corte" not in html
    assert any(n.startswith("logs-") for n in (p.name for p in (tmp_path / "out").iterdir()))
