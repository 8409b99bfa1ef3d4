"""`pregon difusor webconfig iis`: a well-formed web.config with the nginx/Apache policy, read back with
xml.etree and resolved per URL path the way IIS merges <location> sections (the most specific path wins)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pregon.cli import main
from pregon.difusor.config import load_config
from pregon.errors import InputError
from pregon.serve import policy
from pregon.serve.webconfig import render, render_iis, windows_path


def config(tmp_path: Path, frame="'self' https://www.eldiario.mx", tls=False) -> Path:
    p = tmp_path / "difusor.toml"
    tls_lines = 'tls_certificate = "/etc/ssl/c.pem"\ntls_certificate_key = "/etc/ssl/k.pem"\n' if tls else ""
    p.write_text(f'[difusor]\nid = "el-diario"\nroot = "{tmp_path / "pregon"}"\n'
                 f'[serve]\nserver_name = "prep.eldiario.mx"\nframe_ancestors = "{frame}"\n{tls_lines}', "utf-8")
    return p


class WebConfig:
    """What a parsed web.config says for a URL path."""

    def __init__(self, text: str):
        self.root = ET.fromstring(text.split("\n", 1)[1])  # without the XML declaration line
        assert self.root.tag == "configuration"
        self.locations = {loc.get("path"): loc.find("system.webServer") for loc in self.root.findall("location")}
        top = self.root.find("system.webServer")
        if top is not None:
            self.locations[""] = top

    def sections(self, url_path: str) -> list[ET.Element]:
        """The system.webServer sections that apply to `url_path`, least specific first."""
        url = url_path.strip("/")
        hits = [p for p in self.locations if p == "" or url == p or url.startswith(p + "/")]
        return [self.locations[p] for p in sorted(hits, key=len)]

    def cache_control(self, url_path: str) -> str | None:
        """The Cache-Control IIS sends: clientCache (most specific), or a customHeaders value with NoControl."""
        mode = custom = age = None
        header = None
        for ws in self.sections(url_path):
            cc = ws.find("staticContent/clientCache")
            if cc is not None:
                mode, custom, age = cc.get("cacheControlMode"), cc.get("cacheControlCustom"), cc.get("cacheControlMaxAge")
            for el in ws.findall("httpProtocol/customHeaders/*"):
                if el.get("name") == "Cache-Control":
                    header = el.get("value") if el.tag == "add" else None
        if mode == "UseMaxAge":
            d, _, hms = age.rpartition(".")
            h, m, s = (int(x) for x in hms.split(":"))
            seconds = int(d or 0) * 86400 + h * 3600 + m * 60 + s
            parts = [p.strip() for p in (custom or "").split(",") if p.strip()]
            return ", ".join(parts[:1] + [f"max-age={seconds}"] + parts[1:])
        return header

    def headers(self, url_path: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for ws in self.sections(url_path):
            for el in ws.findall("httpProtocol/customHeaders/*"):
                if el.tag == "remove":
                    out.pop(el.get("name"), None)
                elif el.tag == "add":
                    out[el.get("name")] = el.get("value")
        return out


@pytest.fixture
def wc(tmp_path):
    return WebConfig(render_iis(load_config(config(tmp_path))))


def test_well_formed_and_declared(tmp_path):
    text = render("iis", load_config(config(tmp_path)))
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<configuration>')
    ET.fromstring(text.encode("utf-8"))  # the whole document, declaration included


@pytest.mark.parametrize("path", ["json/main.json", "assets/pregon.0123456789ab.css", "assets/favicon.0123abcd.svg",
                                  "difusores/logos/alfa.89abcdef.svg", "index.html", "GUB/index.html", "prep/",
                                  "json/GUB/index.json", "descargas/index.html"])
def test_caching_follows_the_policy(wc, path):
    assert wc.cache_control("prep/" + path) == policy.cache_control("/" + path)


def test_what_iis_cannot_split_by_extension_gets_the_shorter_html_cache(wc):
    # no URL Rewrite: a download outside json/ gets HTML's 15 s, not the 120 s nginx gives it; never longer
    assert wc.cache_control("prep/descargas/GUB.zip") == policy.HTML
    assert policy.cache_control("/descargas/GUB.zip") == policy.OTHER


def test_main_json_carries_the_rule_verbatim(wc):
    main = wc.locations["prep/json/main.json"]
    assert main.find("staticContent/clientCache").get("cacheControlMode") == "NoControl"
    adds = [(e.get("name"), e.get("value")) for e in main.findall("httpProtocol/customHeaders/add")]
    assert adds == [("Cache-Control", "no-cache, no-store, must-revalidate")]
    assert wc.headers("prep/json/main.json")["Cache-Control"] == policy.NO_STORE


def test_security_headers_everywhere(tmp_path, wc):
    for path in ("prep/index.html", "prep/json/main.json", "prep/assets/pregon.0123456789ab.js"):
        h = wc.headers(path)
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert h["Content-Security-Policy"] == "frame-ancestors 'self' https://www.eldiario.mx"
        assert "X-Frame-Options" not in h and "Strict-Transport-Security" not in h
    (tmp_path / "b").mkdir()
    own = WebConfig(render_iis(load_config(config(tmp_path / "b", frame="'self'", tls=True))))
    h = own.headers("prep/index.html")
    assert h["X-Frame-Options"] == "SAMEORIGIN" and h["Strict-Transport-Security"] == "max-age=31536000"


def test_mime_types_dotfiles_and_directory_browsing(wc):
    ws = wc.locations["prep"]
    mimes = {m.get("fileExtension"): m.get("mimeType") for m in ws.findall("staticContent/mimeMap")}
    assert mimes[".csv"] == "text/csv; charset=utf-8" and mimes[".json"] == "application/json"
    assert mimes[".svg"] == "image/svg+xml" and mimes["."] == "application/octet-stream"
    removed = {m.get("fileExtension") for m in ws.findall("staticContent/remove")}
    assert set(mimes) <= removed  # each mapping replaces the server's own, never a duplicate entry (HTTP 500)
    assert ws.find("directoryBrowse").get("enabled") == "false"
    rf = ws.find("security/requestFiltering")
    assert {"git", ".git", ".htaccess"} & {e.get("segment") for e in rf.findall("hiddenSegments/add")} == {".git", ".htaccess"}
    assert [e.get("sequence") for e in rf.findall("denyUrlSequences/add")] == ["/."]
    assert {e.get("fileExtension") for e in rf.findall("fileExtensions/add") if e.get("allowed") == "false"} >= {".part"}
    assert ws.find("caching").get("enableKernelCache") == "false"


def test_the_comment_names_the_windows_folder(tmp_path):
    cfg = load_config(config(tmp_path))
    cfg.current = Path("/mnt/c/pregon/current")
    text = render_iis(cfg)
    assert "physical path is C:\\pregon\\current" in text
    cfg.current = Path("/srv/a--b/current")  # "--" may not appear inside an XML comment
    ET.fromstring(render_iis(cfg).split("\n", 1)[1])
    ET.fromstring(render_iis(cfg, path="").split("\n", 1)[1])
    assert windows_path("/mnt/d") == "D:\\" and windows_path("/var/lib/pregon/current") == "/var/lib/pregon/current"


def test_site_root_and_nested_virtual_directories(tmp_path):
    cfg = load_config(config(tmp_path))
    at_root = WebConfig(render_iis(cfg, path=""))
    assert at_root.root.find("system.webServer") is not None and "json/main.json" in at_root.locations
    assert at_root.cache_control("json/main.json") == policy.NO_STORE
    nested = WebConfig(render_iis(cfg, path="/elecciones/prep/"))
    assert nested.cache_control("elecciones/prep/json/main.json") == policy.NO_STORE
    assert nested.cache_control("elecciones/prep/assets/pregon.0123456789ab.css") == policy.IMMUTABLE
    for bad in ("../x", 'a"b', "a b", "x/../y"):
        with pytest.raises(InputError, match="--iis-path"):
            render_iis(cfg, path=bad)


def test_cli_writes_the_web_config(tmp_path, capsys):
    out = tmp_path / "web.config"
    code = main(["difusor", "webconfig", "iis", "--config", str(config(tmp_path)), "--out", str(out)])
    assert code == 0
    assert WebConfig(out.read_text("utf-8")).cache_control("prep/json/main.json") == policy.NO_STORE
    capsys.readouterr()
    code = main(["difusor", "webconfig", "iis", "--config", str(config(tmp_path)), "--standalone"])
    err = capsys.readouterr().err
    assert code == 2 and "for nginx and apache" in err and err.count("\n") == 1
