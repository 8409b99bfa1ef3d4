"""The drill's stand-in for the institute's web server (instituto/webconfig.py writes the real one): the
official site with its frame-ancestors, the public pull index, /monitor/, and each pull difusor's credential
`/d/<token>/publicado/`, checked per request as nginx does; where a pull difusor downloads, its link's faults
act (delay, corruption). A thread of the drill's process."""

from __future__ import annotations

import http.server
import os
import threading
import time
from pathlib import Path

from ..instituto.registry import Registry
from . import faults as faults_mod


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Per request: the index and notices while a credential is issued, packages only while it is live (403
    once blocked). `drill` is anything with `plan` (inst, work), `faults` and `note`."""

    drill = None  # set on the subclass

    def log_message(self, fmt, *args):  # the institute's server log is not the point of the drill
        pass

    def _route(self) -> tuple[Path | None, str, str | None, bool]:
        """(base directory, path inside it, difusor id for /d/<token>/publicado/, refused with 403)."""
        from ..instituto.access import Access, requested

        path = self.path.split("?", 1)[0].split("#", 1)[0]
        plan = self.drill.plan
        pull_dir = plan.inst / "publicado"
        if path.startswith("/d/"):
            parts = path.split("/", 4)  # '', 'd', token, 'publicado', rest
            rest = parts[4] if len(parts) > 4 else ""
            access = Access(plan.work)
            ident = access.identify(parts[2]) if len(parts) >= 4 and parts[3] == "publicado" else None
            if ident is None:
                return None, path, None, True
            wanted = requested(rest)
            if wanted in ("index", "notice") or (wanted == "package" and access.is_live(parts[2])):
                return pull_dir, "/" + rest, ident, False
            return None, path, ident, True
        if path == "/publicado" or path.startswith("/publicado/"):
            rest = path[len("/publicado/"):]
            if rest in ("index.json", "index.json.minisig") or rest.startswith("difusores/"):
                return pull_dir, "/" + rest, None, False
            return None, path, None, True  # packages only through a live credential
        if path == "/monitor" or path.startswith("/monitor/"):
            return plan.work / "monitor", path[len("/monitor"):] or "/", None, False
        official = plan.work / "official"
        return (Path(os.path.realpath(official)) if official.exists() else None), path, None, False

    def translate_path(self, path):
        base, rel, _, refused = self._route()
        if base is None or refused:
            return "/nonexistent"
        self.directory = str(base)
        return super().translate_path(rel)

    def end_headers(self):
        p = self.path.split("?", 1)[0]
        if p.endswith("index.json") or p.endswith(".minisig") or p.endswith("main.json") or p.startswith("/monitor") \
                or p == "/corte.html":  # the corte stamp every page frames, never cached (serve/policy.py)
            self.send_header("Cache-Control", "no-cache, no-store, must-revalidate")
        if not p.startswith(("/d/", "/publicado", "/monitor")):  # the official site: framed by exactly these
            from ..instituto.webconfig import frame_ancestors

            self.send_header("Content-Security-Policy",
                             "frame-ancestors " + frame_ancestors(Registry(self.drill.plan.inst / "difusores")))
        super().end_headers()

    def do_GET(self):
        base, rel, ident, refused = self._route()
        if refused:
            return self.send_error(403)
        if ident is not None and rel.startswith("/packages/") and base is not None:
            return self._package(base, rel, ident)
        return super().do_GET()

    def do_HEAD(self):
        if self._route()[3]:
            return self.send_error(403)
        return super().do_HEAD()

    def _package(self, base: Path, rel: str, ident: str):
        """A pull difusor downloading a package: where its link's faults act (delay, corruption)."""
        f = base / rel.lstrip("/")
        if not f.is_file() or f.name.startswith("."):
            self.send_error(404)
            return
        data = f.read_bytes()
        faults = self.drill.faults
        delay = faults.delay(ident)
        if delay:
            time.sleep(delay)
        if faults.count_and_tamper(ident):
            data = faults_mod.corrupt_bytes(data)
            self.drill.note(f"  ! falla inyectada: {f.name} a {ident} se altera en tránsito (descarga)")
        self.send_response(200)
        self.send_header("Content-Type", "application/gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class InstituteServer:
    def __init__(self, drill, port: int):
        handler = type("DrillHandler", (_Handler,), {"drill": drill})
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                       name="institute-http", daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
