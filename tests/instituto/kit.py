"""Shared by the instituto tests: a small synthetic election, an institute work tree, difusor receivers."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pregon.difusor.config import Config as DifusorConfig
from pregon.instituto.config import load_config
from pregon.instituto.registry import Contact, Difusor, Transfer
from pregon.package import keys as keys_mod

MX = timezone(timedelta(hours=-6))
START = datetime(2024, 6, 2, 20, 0, tzinfo=MX)
LOGO = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" '
        b'fill="#036"/></svg>\n')


def simulate(out: Path, scale: float = 0.03, seed: int = 1) -> Path:
    if not (out / "catalog.toml").exists():
        subprocess.run([sys.executable, "-m", "pregon.cli", "simulate", "election", "--preset", "morelos",
                        "--seed", str(seed), "--scale", str(scale), "--out", str(out)], check=True,
                       capture_output=True)
    return out


def institute(root: Path, feed: Path, *, full_every: int = 3, cadence: int = 15, ssh_key: Path | None = None,
              extra: str = "", end: str | None = None, timeout: float = 10, retries: int = 1) -> Path:
    """Write keys and instituto.toml under `root`; returns the config path."""
    root.mkdir(parents=True, exist_ok=True)
    secret = keys_mod.generate()
    keys_mod.write_keypair(root / "keys", secret)
    end_line = f'end = "{end}"\n' if end else ""
    cfg = root / "instituto.toml"
    cfg.write_text(
        f'[instituto]\nname = "IMPEPAC"\nfeed = "{feed}"\nwork = "work"\nregistry = "difusores"\n'
        f'pull_dir = "publicado"\nkey = "keys/pregon.key"\n'
        + (f'ssh_key = "{ssh_key}"\n' if ssh_key else "")
        + f'\n[schedule]\nstart = "{START.isoformat()}"\n{end_line}cadence_minutes = {cadence}\n'
        f'full_every = {full_every}\ncut_retries = 2\ncut_retry_seconds = 5\n'
        f'\n[push]\ntimeout_seconds = {timeout}\nretries = {retries}\nbackoff_seconds = 0.05\n'
        f'\n[monitor]\nlag_limit_seconds = 60\nsample_pages = 3\ntimeout_seconds = 5\n{extra}')
    return cfg


def difusor(ident: str, *, port: int | None = None, method: str = "pull", ssh=None, inbox: Path | None = None,
            nombre: str | None = None) -> Difusor:
    t = Transfer(method=method)
    if method != "pull":
        t = Transfer(method=method, host="127.0.0.1", port=ssh.port, user=ssh.user, path=str(inbox),
                     host_key=ssh.host_pub_line)
    return Difusor(id=ident, nombre=nombre or f"Medio {ident}", sitio=f"https://{ident}.example.mx",
                   enlace=f"http://127.0.0.1:{port or 9}/", tecnico=Contact("Ana", "ana@example.mx"),
                   legal=Contact("Luis", "luis@example.mx"), transfer=t)


def receiver_config(root: Path, ident: str, public_key) -> DifusorConfig:
    return DifusorConfig(root=root, id=ident, public_keys=[public_key], syslog=False, min_free_mb=1)


def public_key(cfg_path: Path):
    return keys_mod.load_public_key(Path(cfg_path).parent / "keys")


def load(cfg_path: Path):
    return load_config(cfg_path)


def add_argv(cfg, fields: dict) -> list[str]:
    """`pregon instituto difusores add --config CFG` with each option of `fields` whose value is not None."""
    out = ["instituto", "difusores", "add", "--config", str(cfg)]
    for k, v in fields.items():
        if v is not None:
            out += [k, v]
    return out
