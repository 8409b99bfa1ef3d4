"""Run a drill: start everything, watch the night, inject the faults, stop cleanly, write the memorias and
the summary.

In this process (asyncio): the institute (`instituto.scheduler.Scheduler` on the drill's clock, pushing
with a `DrillPusher`), the compliance monitor (`DrillMonitor`, one round every `monitor_interval` real
seconds, dashboard rewritten each round), the institute's web server (official site, /publicado/ for pull
difusores, /monitor/ dashboard; a thread), the progress display and the fault timers.
Child processes this command owns: one OpenSSH server per push difusor (`sshd.Sshd`), and per difusor its
receiver and its web server (`python -m pregon.simulacro.child run|serve`, on the same drill clock). Each
child is in its own session, dies with this process (PR_SET_PDEATHSIG) and is stopped by its pid
(SIGTERM to its group, SIGKILL after a grace period) on every way out: end of the night, Ctrl-C,
SIGTERM, an exception.

Lag is reported in REAL seconds: the wall-clock time between the institute recording a cut as published
(`work/published.jsonl`) and the difusor's `activated` journal entry. Both are stamped with the drill's
clock, so real seconds = simulated seconds / speed.
"""

from __future__ import annotations

import asyncio
import ctypes
import http.server
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .. import durable
from ..difusor.config import load_config as load_difusor_config
from ..instituto import dashboard
from ..instituto import packages as pk
from ..instituto import store
from ..instituto.config import load_config
from ..instituto.monitor import Monitor, summarize
from ..instituto.push import Pusher
from ..instituto.registry import Registry
from ..instituto.scheduler import Scheduler
from . import faults as faults_mod
from .clock import DrillClock
from .plan import Plan, register, write_all

# --- child processes -------------------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def _die_with_parent():  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


class Child:
    """One child process this drill owns; stopped by its pid (its own process group)."""

    def __init__(self, name: str, argv: list[str], log: Path, env: dict | None = None):
        self.name, self.argv, self.log_path = name, argv, log
        self.env = {**os.environ, **env} if env else None
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as logf:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                         start_new_session=True, preexec_fn=_die_with_parent, env=self.env)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace: float = 8.0) -> None:
        p = self.proc
        if p is None or p.poll() is not None:
            return
        try:
            os.killpg(p.pid, signal.SIGTERM)  # the child leads its own group: its pid is the group id
        except ProcessLookupError:
            return
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait(5)


# --- the institute's web server --------------------------------------------------------------------------


class _Handler(http.server.SimpleHTTPRequestHandler):
    """The drill's stand-in for the institute's web server (instituto/webconfig.py): the official site, the
    public index, /monitor/, and each pull difusor's credential `/d/<token>/publicado/` checked per request as
    nginx does (the index and notices while issued, packages only while live: 403 once blocked)."""

    drill: "Simulacro" = None  # set on the subclass

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
        if p.endswith("index.json") or p.endswith(".minisig") or p.endswith("main.json") or p.startswith("/monitor"):
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
    def __init__(self, drill: "Simulacro", port: int):
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


# --- the institute's side with the drill's faults --------------------------------------------------------


class DrillPusher(Pusher):
    """The institute's pusher, with the drill's link faults (delay, corruption on the wire) and the
    catch-up a difusor asks for when it refused a package: `resync(id, sequence, tree_sequence)`."""

    def __init__(self, *a, drill: "Simulacro", **kw):
        super().__init__(*a, **kw)
        self.drill = drill

    async def _with_retries(self, d, rec):
        faults = self.drill.faults
        delay = faults.delay(d.id)
        if delay:
            await asyncio.sleep(delay)
        if rec.kind != "notice" and faults.count_and_tamper(d.id):
            bad = faults_mod.corrupt_copy(Path(rec.file), self.drill.plan.work / "simulacro-alterados" / d.id)
            self.drill.note(f"  ! falla inyectada: el paquete {rec.sequence} ({rec.kind}) a {d.id} se altera en "
                            "tránsito (envío)")
            from dataclasses import replace

            return await super()._with_retries(d, replace(rec, file=str(bad)))
        return await super()._with_retries(d, rec)

    def resync(self, ident: str, sequence: int | None, tree_sequence: int | None) -> None:
        """Forget what was delivered after what the difusor says it holds: the next push sends the rest."""
        self.last_ok[ident] = int(sequence or 0)
        self.tree_seq[ident] = int(tree_sequence or 0)


class DrillMonitor(Monitor):
    """The monitor with lag figures in real seconds (the scheduler's records are in simulated time)."""

    def __init__(self, *a, speed: float, **kw):
        super().__init__(*a, **kw)
        self.speed = speed

    async def observe(self, client, d, cuts):
        o = await super().observe(client, d, cuts)
        if o.lag_s is not None:
            o.lag_s = round(o.lag_s / self.speed, 3)
            if o.status == "lagging":
                o.error = f"shows corte {o.corte_sequence}; corte {o.latest_corte} is out for {o.lag_s:.1f} real s"
        return o

    def _alerts(self, o):
        saved = o.lag_s
        if saved is not None:
            o.lag_s = saved * self.speed  # the limit in the config is in simulated seconds
        try:
            super()._alerts(o)
        finally:
            o.lag_s = saved


# --- the night, as the progress display sees it -----------------------------------------------------------


@dataclass
class CutSeen:
    corte: int
    sequence: int
    kind: str
    instant: datetime
    published: datetime
    percent: str | None = None
    clave: str | None = None
    printed: bool = False
    shown_at: float = 0.0  # wall time the progress first saw it


@dataclass
class DifusorSeen:
    id: str
    method: str
    journal: Path
    offset: int = 0
    activations: list = field(default_factory=list)  # (sequence, corte, virtual time)
    refused: list = field(default_factory=list)
    incidents: list = field(default_factory=list)  # (virtual time, event, detail)
    pending_recovery: str | None = None
    down: bool = False


def _percent(site: str | None) -> tuple[str | None, str | None]:
    try:
        main = json.loads((Path(site) / "json" / "main.json").read_text("utf-8"))
        e = main["elecciones"][0]
        return e["avance"]["porcentaje_actas_contabilizadas"], e.get("clave")
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None, None


def _weasyprint_works() -> bool:
    """WeasyPrint installed and its system libraries (Pango) loadable: then the memorias get a PDF too."""
    if importlib.util.find_spec("weasyprint") is None:
        return False
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


# --- the drill ---------------------------------------------------------------------------------------------


class Simulacro:
    def __init__(self, plan: Plan, *, echo=print, linger: bool = False, pdf: bool | None = None,
                 memoria: bool = True):
        self.plan = plan
        self.echo = echo
        self.linger = linger
        self.memoria = memoria
        self.pdf_requested = pdf
        self.pdf = _weasyprint_works() if pdf is None else pdf
        self.faults = faults_mod.Faults(plan.faults, [d.id for d in plan.difusores])
        self.children: dict[str, Child] = {}
        self.sshds: dict[str, object] = {}
        self.server: InstituteServer | None = None
        self.clock: DrillClock | None = None
        self.interrupted = False
        self.lock = threading.Lock()
        self.cuts: list[CutSeen] = []
        self.seen: dict[str, DifusorSeen] = {}
        self.monitor_alerts: list[str] = []
        self.summary: dict | None = None
        self.night_done = False

    # output
    def note(self, line: str) -> None:
        with self.lock:
            self.echo(line)

    # --- set up ---------------------------------------------------------------------------------------

    def prepare(self) -> None:
        plan = self.plan
        write_all(plan, log=self.note)
        user = None
        for d in plan.difusores:
            host_key = None
            if d.push:
                host_key, user = self._start_sshd(d)
            register(plan, d, host_key, user)
        self.cfg = load_config(plan.inst_toml)
        self._empty_index()
        self.seen = {d.id: DifusorSeen(d.id, d.method, d.root / "journal.jsonl") for d in plan.difusores}

    def _empty_index(self) -> None:
        """The institute's signed pull index exists before the first cut (no packages yet), so pull difusores
        polling early find an index, not a 404."""
        from ..instituto import pull
        from ..package.keys import load_secret_key
        election = self.cfg.election or self._election_id()
        pull.publish(self.cfg.pull_dir, [], key=load_secret_key(self.cfg.key), election=election,
                     issuer=self.cfg.name, updated=self.plan.start)

    def _election_id(self) -> str:
        import tomllib

        try:
            cat = tomllib.loads((self.plan.election / "catalog.toml").read_text("utf-8"))
            return str(cat.get("proceso", {}).get("id") or "SIMULACRO")
        except (OSError, tomllib.TOMLDecodeError):
            return "SIMULACRO"

    def _start_sshd(self, d):
        from .sshd import Sshd

        s = Sshd(d.sshd_root, self.plan.inst / "keys" / "id_ed25519.pub", port=d.sshd_port or None)
        d.sshd_port = s.port
        self.sshds[d.id] = s
        return s.host_pub_line, s.user

    def _child_argv(self, role: str, d) -> list[str]:
        argv = [sys.executable, "-m", "pregon.simulacro.child", role, "--config", str(d.toml), *self.clock.argv()]
        if role == "serve":
            argv += ["--port", str(d.port)]
        return argv

    def start_difusor(self, d, *, sshd: bool = False) -> None:
        if sshd and d.push and not self.sshds[d.id].running():
            self._start_sshd(d)
        for role in ("serve", "run") if d.hosts else ("serve",):  # a framing difusor only serves its page
            argv, env = self._child_argv(role, d), None
            if role == "serve" and self.plan.web_server != "embedded":  # the real server the call names
                from . import webservers

                argv, env = webservers.argv(self.plan.web_server, load_difusor_config(d.toml), d.port,
                                            d.root / self.plan.web_server, self.clock.argv(), d.toml)
            c = Child(f"{d.id}-{role}", argv, d.root / "logs" / f"{role}.log", env)
            self.children[c.name] = c
            c.start()

    def stop_difusor(self, d, *, sshd: bool = False) -> None:
        for role in ("run", "serve"):
            c = self.children.get(f"{d.id}-{role}")
            if c:
                c.stop()
        if sshd and d.id in self.sshds:
            self.sshds[d.id].stop()

    def wait_servers(self, timeout: float = 20.0) -> None:
        import socket

        deadline = time.monotonic() + timeout
        for d in self.plan.difusores:
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", d.port), timeout=0.5):
                        break
                except OSError:
                    c = self.children.get(f"{d.id}-serve")
                    if c and not c.running():
                        raise RuntimeError(f"the web server of {d.id} exited; see {c.log_path}")
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the web server of {d.id} did not start on port {d.port}")
                    time.sleep(0.05)

    # --- the whole drill ------------------------------------------------------------------------------------

    def run(self) -> dict:
        """Everything, start to end; returns the summary. Nothing this started survives it."""
        plan = self.plan
        old_term = signal.getsignal(signal.SIGTERM)

        def _term(signum, frame):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _term)
        try:
            self.prepare()
            self.header()
            # one clock for everyone, starting a moment before the first cut so the children are up
            lead = 2.5
            self.clock = DrillClock(plan.start, plan.speed, origin=time.time() + lead)
            self.server = InstituteServer(self, plan.port)
            self.server.start()
            for d in plan.difusores:
                self.start_difusor(d)
            self.wait_servers()
            try:
                asyncio.run(self.night())
            except KeyboardInterrupt:  # a second Ctrl-C: stop waiting for deliveries
                self.interrupted = True
            signal.signal(signal.SIGTERM, _term)  # the event loop reset it to the default on its way out
            self.finish()
            if self.linger and not self.interrupted:
                self.wait_for_ctrl_c()
            return self.summary
        finally:
            self.shutdown()
            signal.signal(signal.SIGTERM, old_term)

    def header(self) -> None:
        p = self.plan
        fin = p.end.strftime("%H:%M") + ("" if p.end.date() == p.start.date() else " del día siguiente")
        what = (f"{p.preset} (semilla {p.seed}, escala {p.scale:g})" if p.source is None
                else f"la elección {p.source} (repetición de una noche real)")
        self.note(f"pregon simulacro: {what}, {len(p.difusores)} "
                  f"difusores; noche de {p.start.strftime('%H:%M')} a {fin} ({_duration(p.hours)} simuladas, "
                  f"{p.cuts} cortes cada {p.cadence_minutes:g} min)")
        self.note(f"reloj a {p.speed:g}x: un corte cada {p.slot_seconds:.2f} s reales; la noche dura "
                  f"~{p.hours * 3600 / p.speed:.0f} s")
        if p.source_kind != "feed":
            what = "bases de datos" if p.source_kind == "database" else "un sitio terminado"
            self.note(f"  fuente             el sistema PREP del instituto deja {what} por corte en {p.drops}")
        self.note(f"  sitio oficial      {p.official_url}")
        self.note(f"  monitor            {p.dashboard_url}")
        for d in p.difusores:
            self.note(f"  {d.id:<18} {d.url}   ({d.method})")
        self.note(f"  archivos           {p.out}  (instituto/instituto.toml, difusores/*/difusor.toml)")
        for f in p.faults:
            self.note(f"  falla programada   {f.describe(p.difusor(f.difusor).id)}")
        self.note("retraso = segundos REALES entre la publicación del corte por el instituto y su activación "
                  "en cada difusor.  Ctrl-C detiene el simulacro limpiamente.")

    async def night(self) -> None:
        loop = asyncio.get_running_loop()
        main = asyncio.current_task()
        loop.add_signal_handler(signal.SIGTERM, main.cancel)
        plan = self.plan
        cfg = self.cfg
        pusher = DrillPusher(cfg.push, cfg.ssh_key, cfg.deliveries, cfg.work / "ssh", work=cfg.work, drill=self)
        self.scheduler = Scheduler(cfg, self.clock, pusher=pusher)
        self.pusher = pusher
        registry = Registry(cfg.registry)
        self.monitor = DrillMonitor(cfg.monitor, registry, clock=self.clock, work=cfg.work, speed=plan.speed,
                                    site_url=cfg.site_url, log=lambda m: self._monitor_log(m))
        tasks = [asyncio.create_task(self._monitor_loop()), asyncio.create_task(self._progress_loop()),
                 asyncio.create_task(self._down_faults())]
        if plan.source_kind != "feed":
            from .prep_system import PrepSystem

            tasks.append(asyncio.create_task(PrepSystem(plan, self.clock, log=self.note).run()))
        sched = asyncio.create_task(self.scheduler.run())
        try:
            await sched
            await self._wait_all_current(timeout=max(10.0, 4 * plan.slot_seconds))
        except asyncio.CancelledError:
            self.interrupted = True
            self.note("\nCtrl-C: deteniendo el simulacro (se terminan las entregas en curso)…")
            sched.cancel()
            try:
                await asyncio.wait_for(asyncio.shield(self.scheduler.drain()), timeout=15)
            except (asyncio.TimeoutError, asyncio.CancelledError, Exception):
                pass
        finally:
            self.night_done = True
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if not sched.done():
                sched.cancel()
                await asyncio.gather(sched, return_exceptions=True)
            self._poll_progress(final=True)
            try:  # one last monitor round
                await asyncio.wait_for(self._monitor_round(), timeout=10)
            except (asyncio.TimeoutError, Exception):
                pass
            loop.remove_signal_handler(signal.SIGTERM)

    async def _wait_all_current(self, timeout: float) -> None:
        last = [r for r in pk.published(self.cfg.work) if r.kind != "notice"]
        if not last:
            return
        target = last[-1].sequence
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._poll_progress()
            if all(s.activations and s.activations[-1][0] >= target for s in self.hosting()):
                return
            await asyncio.sleep(0.2)

    # --- monitor ------------------------------------------------------------------------------------------

    def _monitor_log(self, m: str) -> None:
        if m.startswith("ALERT") or m.startswith("resolved"):
            self.monitor_alerts.append(m)
            self.note(f"  monitor: {m}")

    async def _monitor_round(self) -> None:
        await self.monitor.round()
        rows = summarize(durable.read_jsonl(self.cfg.monitor.observations), self.monitor.registry.all())
        cuts = self.monitor.cuts()
        dashboard.write(self.cfg.monitor.dashboard, rows, generated=store.iso(self.clock.now()) + " (hora simulada)",
                        latest_corte=cuts[-1].corte_sequence if cuts else None, lag_limit=self.plan.lag_limit_real)

    async def _monitor_loop(self) -> None:
        for _ in range(100_000):  # once the first cut is out and live: before it nobody has a main.json
            if self.cuts and self.cuts[0].printed:
                break
            await asyncio.sleep(0.1)
        for _ in range(10_000_000):
            t0 = time.monotonic()
            try:
                await self._monitor_round()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the drill goes on; say it once per kind
                self.note(f"  monitor: error en la ronda: {type(exc).__name__}: {exc}")
            await asyncio.sleep(max(0.05, self.plan.monitor_interval - (time.monotonic() - t0)))

    # --- faults -----------------------------------------------------------------------------------------------

    async def _down_faults(self) -> None:
        from datetime import timedelta

        events = []
        for f in self.faults.downs():
            d = self.plan.difusor(f.difusor)
            events.append((self.plan.start + timedelta(minutes=f.start_min), "down", d, f))
            events.append((self.plan.start + timedelta(minutes=f.end_min), "up", d, f))
        events.sort(key=lambda e: (e[0], e[1] == "down"))
        for when, what, d, f in events:
            await self.clock.sleep_until(when)
            t = self.clock.now().strftime("%H:%M")
            if what == "down":
                await asyncio.to_thread(self.stop_difusor, d, sshd=True)
                self.seen[d.id].down = True
                self.seen[d.id].incidents.append((self.clock.now(), "down", f.spec))
                self.note(f"  ! falla inyectada {t}: {d.id} cae (servidor web, receptor"
                          + (" y SSH" if d.push else "") + " detenidos)")
            else:
                # from this (the main) thread: PR_SET_PDEATHSIG follows the thread that started the child
                self.start_difusor(d, sshd=True)
                self.seen[d.id].down = False
                self.seen[d.id].pending_recovery = "vuelve tras la caída"
                self.note(f"  ✓ {t}: {d.id} vuelve a arrancar; "
                          + ("el instituto le reenvía lo que le falta" if d.push else "descarga lo que le falta"))
                if d.push:
                    self.scheduler.distribute()

    # --- progress ---------------------------------------------------------------------------------------------

    async def _progress_loop(self) -> None:
        for _ in range(100_000_000):
            self._poll_progress()
            await asyncio.sleep(0.2)

    def _poll_progress(self, final: bool = False) -> None:
        known = {c.sequence for c in self.cuts}
        for r in pk.published(self.cfg.work):
            if r.kind == "notice" or r.sequence in known:
                continue
            pct, clave = _percent(r.site)
            self.cuts.append(CutSeen(r.corte_sequence, r.sequence, r.kind, datetime.fromisoformat(r.corte_instant),
                                     datetime.fromisoformat(r.published), pct, clave, shown_at=time.time()))
        for s in self.seen.values():
            entries, s.offset = durable.read_new_jsonl(s.journal, s.offset)
            for e in entries:
                self._journal_event(s, e)
        slot = self.plan.slot_seconds
        for c in self.cuts:
            if c.printed:
                continue
            lags = {s.id: self.lag(s.id, c) for s in self.hosting()}
            waited = time.time() - c.shown_at
            if all(v is not None for v in lags.values()) or final or waited > max(3.0, 2.5 * slot):
                c.printed = True
                self.note(self._cut_line(c, lags))
            else:
                break  # keep the lines in order

    def _journal_event(self, s: DifusorSeen, e: dict) -> None:
        ev = e.get("event")
        try:
            t = datetime.fromisoformat(e["time"])
        except (KeyError, ValueError):
            return
        if ev == "activated" and e.get("sequence") is not None:
            s.activations.append((int(e["sequence"]), (e.get("corte") or {}).get("sequence"), t))
            if s.pending_recovery:
                corte = (e.get("corte") or {}).get("sequence")
                self.note(f"  ✓ {s.id} al día de nuevo ({s.pending_recovery}): publica el corte {corte}")
                s.pending_recovery = None
        elif ev == "refused":
            s.refused.append(e)
            s.incidents.append((t, "refused", f"{e.get('package')}: {e.get('reason')}"))
            self.note(f"  ✗ {s.id} rechaza {e.get('package')}: [{e.get('reason')}] {str(e.get('detail'))[:90]}; "
                      "sigue publicando el corte anterior")
            s.pending_recovery = "tras rechazar un paquete alterado"
            if s.method in ("sftp", "rsync") and not self.night_done:
                self._resync(s.id)
        elif ev in ("pull-incident", "inbox-incident", "error", "disk", "disk-low", "stale", "archive-incident"):
            s.incidents.append((t, ev, str(e.get("detail"))[:200]))
            self.note(f"  ✗ {s.id}: {ev}: {str(e.get('detail'))[:110]}")
            if ev == "pull-incident":
                s.pending_recovery = "el cliente pull descarta la descarga y la repite"

    def _resync(self, ident: str) -> None:
        """The difusor reports the refusal; the institute sends again what it lacks (from its status)."""
        d = next(d for d in self.plan.difusores if d.id == ident)
        try:
            st = json.loads((d.root / "status.json").read_text("utf-8"))
        except (OSError, ValueError):
            st = {}
        self.pusher.resync(ident, st.get("sequence"), st.get("tree_sequence"))
        self.note(f"  → {ident} avisa al instituto; éste le reenvía desde el paquete {int(st.get('sequence') or 0) + 1}")
        try:
            reg = Registry(self.cfg.registry)
            loop = asyncio.get_running_loop()
            loop.create_task(self.pusher.push_difusor(reg.get(ident), pk.published(self.cfg.work)))
        except RuntimeError:
            pass

    def hosting(self) -> list:
        """What the drill watches of the difusores that receive packages (a framing one shows the official site)."""
        return [self.seen[d.id] for d in self.plan.difusores if d.hosts]

    def framed(self, ident: str) -> bool:
        """Whether the monitor's last observation of a framing difusor found the frame in order."""
        obs = [o for o in durable.read_jsonl(self.cfg.monitor.observations) if o.get("difusor") == ident]
        return bool(obs) and obs[-1].get("status") == "ok"

    def lag(self, ident: str, c: CutSeen) -> float | None:
        """Real seconds from the institute's publication of cut `c` to `ident` activating it or a later one."""
        for seq, _corte, t in self.seen[ident].activations:
            if seq >= c.sequence:
                return max(0.0, (t - c.published).total_seconds() / self.plan.speed)
        return None

    def _cut_line(self, c: CutSeen, lags: dict) -> str:
        pct = f"{c.clave or ''} {c.percent}%" if c.percent else "?"
        cells = []
        for ident, v in lags.items():
            if v is None:
                cells.append(f"{ident} " + ("caído" if self.seen[ident].down else "—"))
            else:
                cells.append(f"{ident} {v:.1f}s")
        kind = "F" if c.kind == "full" else "Δ"
        return (f"corte {c.corte:>3}  {c.instant.strftime('%H:%M')}  paquete {c.sequence:>3}{kind}  "
                f"contabilizadas {pct:<16} | " + "  ".join(cells))

    # --- the end ----------------------------------------------------------------------------------------------

    def finish(self) -> None:
        """Stop receivers, write memorias and the summary (servers keep serving for --linger)."""
        for d in self.plan.difusores:
            c = self.children.get(f"{d.id}-run")
            if c:
                c.stop()
        mem = {}
        if self.memoria:
            why = "" if self.pdf else (" (sin PDF: --no-pdf)" if self.pdf_requested is False else
                                       " (sin PDF: WeasyPrint o Pango no están instalados; pip install -e '.[pdf]')")
            self.note(f"escribiendo la memoria técnica de cada difusor{why}…")
            time.sleep(1.2)  # the servers flush their access logs every second
            for d in self.plan.difusores:
                mem[d.id] = self._memoria(d)
        self.summary = self._summarize(mem)
        if self.plan.profile is not None:
            from . import checklist

            rules = self.plan.rules
            self.summary["profile"] = rules.id
            self.summary["checklist"] = checklist.build(rules, self._facts(mem))
            self.summary["operator"] = checklist.operator_duties(rules)
        text = self._summary_text(self.summary)
        (self.plan.out / "resumen.json").write_text(json.dumps(self.summary, ensure_ascii=False, indent=1) + "\n")
        (self.plan.out / "resumen.txt").write_text(text)
        self.note(text.rstrip("\n"))

    def _memoria(self, d) -> dict:
        out = d.root / "memoria"
        argv = [sys.executable, "-m", "pregon.cli", "difusor", "memoria", "--config", str(d.toml), "--out", str(out),
                "--workers", "1", "--comments", str(self._comments(d))]
        if not self.pdf:
            argv.append("--no-pdf")
        if not d.hosts:
            argv.append("--frame")
        avail = self._availability(d)
        if avail is not None:
            argv += ["--availability", str(avail)]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        files = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
        if r.returncode != 0:
            self.note(f"  ✗ memoria de {d.id}: {(r.stderr or r.stdout).strip().splitlines()[-1:]}")
        return {"dir": str(out), "ok": r.returncode == 0, "files": files}

    def _availability(self, d) -> Path | None:
        """The institute's availability report for this difusor, as `monitor report --by day --format json`
        writes it, for its memoria's Disponibilidad table; None (and a note) when it cannot be made."""
        from ..errors import InputError
        from ..instituto import availability

        try:
            doc = availability.report(durable.read_jsonl(self.cfg.monitor.observations),
                                      tz=availability.institute_zone(self.cfg), by="day", only=(d.id,),
                                      threshold=availability.institute_threshold(self.cfg), difusores=(d.id,))
            p = d.root / "disponibilidad.json"
            p.write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n", "utf-8")
            return p
        except (InputError, OSError) as exc:
            self.note(f"  ✗ disponibilidad de {d.id}: {exc}")
            return None

    def _comments(self, d) -> Path:
        p = d.root / "comentarios.md"
        fs = [f.describe(d.id) for f in self.plan.faults if self.plan.difusor(f.difusor).id == d.id]
        what = (f"elección sintética {self.plan.preset}" if self.plan.source is None
                else f"repetición de la noche real de {self.plan.source}")
        text = (f"Simulacro de `pregon simulacro`: {what}, reloj acelerado "
                f"{self.plan.speed:g} veces. Las horas de esta memoria son las de la noche simulada y sus "
                f"duraciones están en segundos simulados: divídalas entre {self.plan.speed:g} para obtener "
                "segundos reales (un retraso de 360 s simulados son 1 s real a 360x). Por eso los retrasos "
                "«vs. corte» y «vs. instituto» incluyen el tiempo que el instituto tarda en producir cada corte, "
                "multiplicado por la velocidad, y casi todos superan el minuto simulado. El visitante de estas "
                "bitácoras es sobre todo el monitor del instituto.\n")
        if fs:
            text += "\nFallas inyectadas en este difusor:\n\n" + "\n".join(f"- {x}" for x in fs) + "\n"
        p.write_text(text, "utf-8")
        return p

    def _summarize(self, memorias: dict) -> dict:
        self._poll_progress(final=True)
        inst = durable.read_jsonl(self.cfg.journal)
        recs = [r for r in pk.published(self.cfg.work) if r.kind != "notice"]
        deliveries = durable.read_jsonl(self.cfg.deliveries)
        obs = durable.read_jsonl(self.cfg.monitor.observations)
        mon = {r["difusor"]: r for r in summarize(obs)}
        last = recs[-1] if recs else None
        out = {"preset": self.plan.preset, "election": str(self.plan.source or ""), "scale": self.plan.scale,
               "speed": self.plan.speed,
               "hours": self.plan.hours, "interrupted": self.interrupted,
               "cuts": len(recs), "cuts_planned": self.plan.cuts,
               "last_corte": last.corte_sequence if last else None, "last_sequence": last.sequence if last else None,
               "last_percent": self.cuts[-1].percent if self.cuts else None,
               "cut_skipped": sum(1 for e in inst if e.get("event") == "cut-skipped"),
               "cut_failed": sum(1 for e in inst if e.get("event") in ("cut-failed", "cut-abandoned")),
               "faults": [f.spec for f in self.plan.faults], "monitor_alerts": self.monitor_alerts,
               "lag_unit": "real seconds", "difusores": []}
        for d in self.plan.difusores:
            s = self.seen[d.id]
            lags = [v for c in self.cuts if (v := self.lag(d.id, c)) is not None]
            final_seq = s.activations[-1][0] if s.activations else None
            m = mon.get(d.id, {})
            out["difusores"].append({
                "id": d.id, "method": d.method, "url": d.url,
                "cuts_activated": len({a[0] for a in s.activations}),
                "final_sequence": final_seq,
                "current": final_seq == (last.sequence if last else None) if d.hosts else self.framed(d.id),
                "lag_max_s": round(max(lags), 3) if lags else None,
                "lag_mean_s": round(sum(lags) / len(lags), 3) if lags else None,
                "monitor_lag_max_s": m.get("lag_max_s"), "monitor_availability_pct": m.get("availability_pct"),
                "monitor_observations": m.get("observations"), "monitor_tampered": m.get("tampered"),
                "deliveries_failed": sum(1 for x in deliveries if x.get("difusor") == d.id and x.get("result") != "ok"),
                "incidents": [{"time": store.iso(t), "event": ev, "detail": det} for t, ev, det in s.incidents],
                "memoria": memorias.get(d.id)})
        return out

    def _facts(self, memorias: dict) -> dict:
        """What the drill saw, for the call's checklist (simulacro.checklist): the institute's cuts, and per
        difusor its corte, elections, lags, deliveries, archive, headers and memoria."""
        import http.client

        inst = durable.read_jsonl(self.cfg.journal)
        cuts = [{"corte": e["cut"], "instant": datetime.fromisoformat(e["instant"]), "final": bool(e.get("final")),
                 "sequence": e.get("sequence")} for e in inst if e.get("event") == "cut"]
        deliveries = durable.read_jsonl(self.cfg.deliveries)
        obs = durable.read_jsonl(self.cfg.monitor.observations)
        mon = {r["difusor"]: r for r in summarize(obs)}
        last = max((c["sequence"] for c in cuts), default=None)

        def claves(site: Path) -> list[str]:
            try:
                return [e["clave"] for e in json.loads((site / "json" / "main.json").read_text())["elecciones"]]
            except (OSError, ValueError, KeyError, TypeError):
                return []

        def head(d, path: str) -> dict:
            try:
                c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=5)
                c.request("GET", path)
                r = c.getresponse()
                r.read()
                c.close()
                return {k.lower(): v for k, v in r.getheaders()}
            except (OSError, http.client.HTTPException):
                return {}

        out = {"start": self.plan.start, "end": self.plan.end, "cuts": cuts,
               "skipped": sum(1 for e in inst if e.get("event") == "cut-skipped"),
               "failed": sum(1 for e in inst if e.get("event") in ("cut-failed", "cut-abandoned")),
               "official_elections": claves(self.cfg.work / "official"), "difusores": {}}
        for d in self.plan.difusores:
            s = self.seen[d.id]
            verdicts = [durable.read_json(v) or {} for v in sorted((d.root / "archive").glob("*.verdict.json"))]
            mine = [o for o in obs if o.get("difusor") == d.id]
            m = memorias.get(d.id) or {}
            datos = durable.read_json(Path(m["dir"]) / "datos.json") if m.get("dir") else None
            h = head(d, "/json/main.json")
            journal = durable.read_jsonl(d.root / "journal.jsonl")
            out["difusores"][d.id] = {
                "method": d.method, "elections": claves(d.root / "current"),
                "first_public": s.activations[0][2] if s.activations else None,
                "lags": [v for c in self.cuts if (v := self.lag(d.id, c)) is not None],
                "current": (bool(s.activations) and s.activations[-1][0] == last) if d.hosts else self.framed(d.id),
                "deliveries_ok": sum(1 for x in deliveries if x.get("difusor") == d.id and x.get("result") == "ok"),
                "deliveries_failed": sum(1 for x in deliveries if x.get("difusor") == d.id
                                         and x.get("result") != "ok"),
                "received": sum(1 for e in journal if e.get("event") == "received"),
                "archived": len(list((d.root / "archive").glob("*.tar.gz"))),
                "accepted_cuts": sum(1 for v in verdicts if v.get("verdict") == "accepted" and v.get("kind") != "notice"),
                "activated": sum(1 for e in journal if e.get("event") == "activated"),
                "main_json_cache_control": h.get("cache-control"), "server_header": h.get("server"),
                "response_max_s": max((o["response_s"] for o in mine if o.get("response_s") is not None), default=None),
                "availability_pct": (mon.get(d.id) or {}).get("availability_pct"),
                "frame_status": mine[-1].get("status") if mine else None,
                "memoria_ok": m.get("ok"), "memoria_files": m.get("files"), "memoria_datos": datos}
        return out

    def _summary_text(self, s: dict) -> str:
        lines = ["", "── resumen del simulacro " + "─" * 50,
                 f"cortes publicados: {s['cuts']} de {s['cuts_planned']}"
                 + (" (interrumpido)" if s["interrupted"] else "")
                 + f"; último corte {s['last_corte']} con {s['last_percent']}% de actas contabilizadas",
                 f"cortes omitidos por retraso del instituto: {s['cut_skipped']}; cortes fallidos: {s['cut_failed']}",
                 "retrasos en segundos REALES (publicación del instituto → activación en el difusor):",
                 f"  {'difusor':<18} {'método':<6} {'cortes':>6} {'al día':>6} {'máx':>7} {'medio':>7} "
                 f"{'monitor máx':>11} {'dispon.':>8}  incidentes"]
        for d in s["difusores"]:
            def f(v, fmt="{:.2f}"):
                return "—" if v is None else fmt.format(v)
            inc = ", ".join(f"{i['event']}" for i in d["incidents"]) or "—"
            lines.append(f"  {d['id']:<18} {d['method']:<6} {d['cuts_activated']:>6} {'sí' if d['current'] else 'NO':>6} "
                         f"{f(d['lag_max_s']):>7} {f(d['lag_mean_s']):>7} {f(d['monitor_lag_max_s']):>11} "
                         f"{f(d['monitor_availability_pct'], '{:.1f}%'):>8}  {inc}")
        mems = [d["memoria"] for d in s["difusores"] if d.get("memoria")]
        if mems:
            lines.append("memorias técnicas:")
            for d in s["difusores"]:
                m = d.get("memoria")
                if m:
                    lines.append(f"  {d['id']:<18} {m['dir']}/  ({', '.join(x for x in m['files'] if x.startswith('memoria'))})"
                                 + ("" if m["ok"] else "  FALLÓ"))
        if s.get("checklist") is not None:
            rules = self.plan.rules
            lines.append(f"lista de cumplimiento de la convocatoria de {rules.institute} ({rules.id}):")
            for item in s["checklist"]:
                lines.append(f"  {'✔' if item['ok'] else '✗'} {item['rule']}")
                lines.append(f"      {item['evidence']}")
            lines.append("lo que un simulacro no puede mostrar (a cargo del operador):")
            lines += [f"  · {x}" for x in s["operator"]]
        lines.append(f"resumen: {self.plan.out / 'resumen.txt'} y resumen.json")
        return "\n".join(lines) + "\n"

    def wait_for_ctrl_c(self) -> None:
        p = self.plan
        self.note("")
        self.note("Los sitios siguen disponibles (último corte):")
        if p.source_kind != "feed":
            what = "bases de datos" if p.source_kind == "database" else "un sitio terminado"
            self.note(f"  fuente             el sistema PREP del instituto deja {what} por corte en {p.drops}")
        self.note(f"  sitio oficial      {p.official_url}")
        self.note(f"  monitor            {p.dashboard_url}")
        for d in p.difusores:
            self.note(f"  {d.id:<18} {d.url}")
        self.note("Ctrl-C para terminar.")
        try:
            for _ in range(10 ** 9):
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.note("")

    def shutdown(self) -> None:
        for c in list(self.children.values()):
            try:
                c.stop(grace=5)
            except Exception:
                pass
        for s in list(self.sshds.values()):
            try:
                s.stop()
            except Exception:
                pass
        if self.server is not None:
            try:
                self.server.stop()
            except Exception:
                pass
            self.server = None


def run(plan: Plan, **kw) -> dict:
    return Simulacro(plan, **kw).run()


def _duration(hours: float) -> str:
    """12 -> '12 h'; 9.7833 -> '9 h 47 min' (a replay's night ends at its database's corte)."""
    minutes = round(hours * 60)
    h, m = divmod(minutes, 60)
    return f"{h} h" + (f" {m} min" if m else "")
