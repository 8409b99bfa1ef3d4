"""The web server a drill's difusor runs: pregon's embedded one, or the real Apache or nginx its institute's
call names (`--perfil`), from the configuration `pregon difusor webconfig` writes, in the foreground as a child
of the drill. Apache logs through the drill's clock (simulacro.child logclock) so the memoria reads one
timeline; nginx, which cannot pipe its log, writes real time.

Apache drops to www-data when started as root, so the difusor's tree must be readable by it: a drill run by
root from a private directory keeps its difusores in a world-readable one (`serving_base`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from ..errors import InputError

BINARIES = {"apache": "apache2", "nginx": "nginx"}


def binary(server: str) -> str:
    """The server's executable, or one line saying how to install it."""
    path = shutil.which(BINARIES[server]) or shutil.which(f"/usr/sbin/{BINARIES[server]}")
    if path is None:
        raise InputError(f"{BINARIES[server]} is not installed; this call's difusores serve with it "
                         f"(apt-get install {BINARIES[server]})")
    return path


def others_can_reach(path: Path) -> bool:
    """Whether a user other than the owner can traverse every directory down to `path`."""
    p = Path(path).resolve()
    for d in [p, *p.parents]:
        try:
            if not os.stat(d).st_mode & 0o001:
                return False
        except FileNotFoundError:
            continue
    return True


def serving_base(out: Path, server: str) -> Path:
    """Where the drill's difusores live: OUT/difusores, or, when Apache (as www-data) could not read it,
    a world-readable directory of its own under the system's temporary directory."""
    here = Path(out) / "difusores"
    if server != "apache" or os.geteuid() != 0 or others_can_reach(Path(out)):
        return here
    digest = hashlib.sha256(str(Path(out).resolve()).encode()).hexdigest()[:12]
    base = Path(tempfile.gettempdir()) / f"pregon-simulacro-{digest}"
    base.mkdir(mode=0o755, exist_ok=True)
    os.chmod(base, 0o755)
    return base / "difusores"


def argv(server: str, cfg, port: int, runtime: Path, clock_argv: list[str], config: Path) -> tuple[list[str], dict]:
    """(command, extra environment) of the difusor's web server; writes its standalone configuration."""
    from ..serve.webconfig import make_runtime_dir, render

    rt = make_runtime_dir(runtime)
    listen = f"127.0.0.1:{port}"
    if server == "apache":
        relay = " ".join([sys.executable, "-m", "pregon.simulacro.child", "logclock", "--config", str(config),
                          *clock_argv])
        conf = rt / "apache2.conf"
        conf.write_text(render("apache", cfg, listen=listen, access_log=f"|{relay}", standalone=True,
                               runtime_dir=rt), "utf-8")
        return [binary("apache"), "-f", str(conf), "-DFOREGROUND"], {"APACHE_LOG_DIR": str(rt)}
    from .child import NGINX_LINE

    conf = rt / "nginx.conf"
    user = "root" if os.geteuid() == 0 else None
    fifo = rt / "access.fifo"  # relayed onto the drill's clock into [serve] access_log (child.py `nginx`)
    conf.write_text(render("nginx", cfg, listen=listen, access_log=str(fifo), standalone=True, runtime_dir=rt,
                           user=user, workers="1", log_format=NGINX_LINE), "utf-8")
    return [sys.executable, "-m", "pregon.simulacro.child", "nginx", "--config", str(config), "--fifo", str(fifo),
            *clock_argv, "--", binary("nginx"), "-p", str(rt), "-c", str(conf), "-g", "daemon off;"], {}
