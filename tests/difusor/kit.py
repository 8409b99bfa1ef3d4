"""Synthetic sites, packages and difusor configs for the receiver and serving tests."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pregon.difusor.config import Config
from pregon.package import keys as keys_mod
from pregon.package.build import build_notice, build_package

ELECTION = "MOR-2024"
T0 = datetime(2024, 6, 2, 20, 30, tzinfo=timezone(timedelta(hours=-6)))


def stamp(seq: int, instant: str) -> str:
    return f'<meta name="pregon-corte" content="{seq}|{instant}">'


def make_site(root: Path, seq: int, instant: datetime, *, election: str = ELECTION, pages: int = 5,
              changed: int | None = None, big: int = 0) -> Path:
    """A small site of corte `seq`: main.json, index + pages stamped with the corte, a content-hashed asset.

    Only the first `changed` pages (default: all) carry the new corte's numbers; the others keep the
    layout of corte 0 apart from their stamp, as a real site's pages all carry the cut time.
    """
    root = Path(root)
    inst = instant.isoformat()
    (root / "json").mkdir(parents=True, exist_ok=True)
    (root / "json" / "main.json").write_text(json.dumps(
        {"proceso": {"id": election, "instituto": "IMPEPAC"},
         "corte": {"secuencia": seq, "instante": inst}, "actas": {"capturadas": seq * 10}}), "utf-8")
    css = "body{font-family:sans-serif}\n"
    h = hashlib.sha256(css.encode()).hexdigest()[:10]
    (root / "assets").mkdir(exist_ok=True)
    (root / "assets" / f"app.{h}.css").write_text(css, "utf-8")
    (root / "assets" / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>\n", "utf-8")
    padding = "x" * big
    for i in range(pages):
        d = root / "distrito" / f"{i:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / "index.html").write_text(
            f"<!DOCTYPE html><html><head>{stamp(seq, inst)}<link rel=stylesheet href=/assets/app.{h}.css>"
            f"</head><body><p>Distrito {i} corte {seq}</p>{padding}</body></html>\n", "utf-8")
    (root / "index.html").write_text(
        f"<!DOCTYPE html><html><head>{stamp(seq, inst)}</head><body><h1>PREP</h1><p>Corte {seq} {inst}</p>"
        f"</body></html>\n", "utf-8")
    # a file that never changes between cortes (hard-linked by staging)
    (root / "csv").mkdir(exist_ok=True)
    (root / "csv" / "catalogo.csv").write_text("seccion,distrito\n1,1\n2,1\n3,2\n", "utf-8")
    return root


class Institute:
    """Builds the packages an institute would send: full, delta against the previous site, notice."""

    def __init__(self, work: Path, *, election: str = ELECTION, key=None):
        self.work = Path(work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.key = key or keys_mod.generate()
        self.election = election
        self.sequence = 0
        self.last_site: Path | None = None

    @property
    def public(self):
        return self.key.public

    def write_public_key(self, path: Path) -> Path:
        path.write_text(self.public.file_text(), "utf-8")
        return path

    def instant(self, seq: int) -> datetime:
        return T0 + timedelta(minutes=15 * seq)

    def full(self, seq: int | None = None, *, instant: datetime | None = None, delta: bool = False,
             expires: datetime | None = None, election: str | None = None, name: str | None = None,
             **site_kw) -> Path:
        seq = self.sequence + 1 if seq is None else seq
        instant = instant or self.instant(seq)
        site = make_site(self.work / f"site-{seq}", seq, instant, election=election or self.election, **site_kw)
        out = self.work / (name or f"{self.election}-{seq:06d}{'-delta' if delta else ''}.tar.gz")
        kw = {}
        if delta:
            kw["base"] = self.last_site
        build_package(site, key=self.key, sequence=seq, out=out, election=election or self.election,
                      instant=instant, expires=expires, **kw)
        self.sequence = max(self.sequence, seq)
        self.last_site = site
        return out

    def delta(self, seq: int | None = None, **kw) -> Path:
        return self.full(seq, delta=True, **kw)

    def notice(self, notice_type: str, message: str, seq: int | None = None, *, created: datetime | None = None,
               to=()) -> Path:
        seq = self.sequence + 1 if seq is None else seq
        out = self.work / f"{self.election}-{seq:06d}-notice.tar.gz"
        build_notice(key=self.key, sequence=seq, election=self.election, notice_type=notice_type, message=message,
                     created=created or self.instant(seq), out=out, to=to)
        self.sequence = max(self.sequence, seq)
        return out


def make_config(root: Path, institute: Institute, *, start: datetime | None = None, end: datetime | None = None,
                **kw) -> Config:
    return Config(root=root, id=kw.pop("id", "el-diario"), public_keys=[institute.public],
                  window_start=start, window_end=end, syslog=False, min_free_mb=kw.pop("min_free_mb", 1), **kw)


def write_config_toml(path: Path, root: Path, pubkey_file: Path, *, start: str | None = None, extra: str = "") -> Path:
    window = f'[window]\nstart = "{start}"\ntz = "America/Mexico_City"\n' if start else ""
    path.write_text(f'[difusor]\nid = "el-diario"\nroot = "{root}"\npublic_keys = ["{pubkey_file}"]\n'
                    f'syslog = false\nmin_free_mb = 1\npoll_interval = 0.2\n{extra}\n{window}', "utf-8")
    return path


def drop(package: Path, inbox: Path, name: str | None = None) -> Path:
    """Upload like rsync: write a dotted temporary name with the source's time (--times), then rename."""
    name = name or package.name
    tmp = inbox / f".{name}.XXXXXX"
    tmp.write_bytes(package.read_bytes())
    st = package.stat()
    os.utime(tmp, ns=(st.st_atime_ns, min(st.st_mtime_ns, tmp.stat().st_mtime_ns - 1_000_000_000)))
    final = inbox / name
    tmp.rename(final)
    return final


def served_corte(current: Path) -> tuple[int, str] | None:
    """(secuencia, instante) of the release `current` resolves to, checking every page agrees (resolved once:
    an agent may swap `current` to the next cut while the pages are read)."""
    if not current.exists():
        return None
    current = current.resolve()
    main = current / "json" / "main.json"
    if not main.exists():
        return None
    obj = json.loads(main.read_text("utf-8"))
    seq, inst = obj["corte"]["secuencia"], obj["corte"]["instante"]
    for page in current.rglob("*.html"):
        assert stamp(seq, inst) in page.read_text("utf-8"), f"{page} does not carry corte {seq}"
    return seq, inst
