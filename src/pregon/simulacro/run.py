"""Run a drill: start everything, watch the night, inject the faults, stop cleanly, write the memorias and
the summary.

In this process (asyncio): the institute (`instituto.scheduler.Scheduler` on the drill's clock, pushing
through the drill's faulty link, `faults.PushLink`), the compliance monitor (its lags in real seconds:
`lag_scale` = speed; one round every `monitor_interval` real seconds, the dashboard rewritten each round),
the institute's web server (institute_server.py; a thread), the progress display (progress.py) and the fault
timers. Child processes this command owns (children.py): one OpenSSH server per push difusor (`sshd.Sshd`),
and per difusor its receiver and its web server (`python -m pregon.simulacro.child run|serve`, on the same
drill clock), each stopped by its pid on every way out: end of the night, Ctrl-C, SIGTERM, an exception.
At the end: memorias.py, summary.py and, under a call's profile, facts.py for its checklist.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import threading
import time
from pathlib import Path
from datetime import timedelta

from ..difusor.config import load_config as load_difusor_config
from ..instituto import monitor_loop
from ..instituto import packages as pk
from ..instituto import store
from ..instituto.config import load_config
from ..instituto.monitor import Monitor
from ..instituto.push import Pusher
from ..instituto.registry import Registry
from ..instituto.scheduler import Scheduler
from ..times import AcceleratedClock
from . import display, live, memorias
from . import faults as faults_mod
from . import summary as summary_mod
from .children import Child
from .institute_server import InstituteServer
from .plan import Plan, register, write_all
from .progress import Progress

LEAD_SECONDS = 2.5  # the clock starts a moment before the first cut so the children are up


class Simulacro:
    def __init__(self, plan: Plan, *, echo=print, linger: bool = False, pdf: bool | None = None,
                 memoria: bool = True, screen: live.Screen | None = None):
        self.plan = plan
        self.echo = echo
        self.screen = screen
        self.linger = linger
        self.memoria = memoria
        self.pdf_requested = pdf
        self.pdf = memorias.weasyprint_works() if pdf is None else pdf
        self.faults = faults_mod.Faults(plan.faults, [d.id for d in plan.difusores])
        self.children: dict[str, Child] = {}
        self.sshds: dict[str, object] = {}
        self.server: InstituteServer | None = None
        self.clock: AcceleratedClock | None = None
        self.interrupted = False
        self.lock = threading.Lock()
        self.progress: Progress | None = None
        self.monitor_alerts: list[str] = []
        self.summary: dict | None = None
        self.night_done = False

    def note(self, line: str) -> None:
        if self.screen is not None:
            self.screen.line(line)
            return
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
        self.progress = Progress(plan, self.cfg, self.note, refused=self._refused,
                                 draw=None if self.screen is None else self.screen.draw)

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

    def _child_argv(self, role: str, d) -> tuple[list[str], dict | None]:
        if role == "serve" and self.plan.web_server != "embedded":  # the real server the call names
            from . import webservers

            return webservers.argv(self.plan.web_server, load_difusor_config(d.toml), d.port,
                                   d.root / self.plan.web_server, self.clock.argv(), d.toml)
        argv = [sys.executable, "-m", "pregon.simulacro.child", role, "--config", str(d.toml), *self.clock.argv()]
        if role == "serve":
            argv += ["--port", str(d.port)]
        return argv, None

    def start_difusor(self, d, *, sshd: bool = False) -> None:
        if sshd and d.push and not self.sshds[d.id].running():
            self._start_sshd(d)
        for role in ("serve", "run") if d.hosts else ("serve",):  # a framing difusor only serves its page
            argv, env = self._child_argv(role, d)
            c = Child(f"{d.id}-{role}", argv, d.root / "logs" / f"{role}.log", env)
            self.children[c.name] = c
            c.start()

    def _start_visitors(self) -> None:
        """The night's visitors (visitors.py) in a child process of their own, on the drill's clock."""
        p = self.plan
        if p.visitors_per_hour <= 0:
            return
        argv = [sys.executable, "-m", "pregon.simulacro.child", "visitors", *self.clock.argv(), "--seed", str(p.seed),
                "--per-hour", repr(p.visitors_per_hour), "--hours", repr(p.hours), "--stats", str(self.visitor_stats)]
        for d in p.difusores:
            argv += ["--target", f"{d.id}={d.url}"]
        c = self.children["visitors"] = Child("visitors", argv, p.out / "visitantes.log")
        c.start()

    @property
    def visitor_stats(self) -> Path:
        return self.plan.out / "visitantes.json"

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
            display.header(plan, self.note)
            self.clock = AcceleratedClock(plan.start, plan.speed, origin=time.time() + LEAD_SECONDS)
            self.server = InstituteServer(self, plan.port)
            self.server.start()
            for d in plan.difusores:
                self.start_difusor(d)
            self.wait_servers()
            self._start_visitors()
            try:
                asyncio.run(self.night())
            except KeyboardInterrupt:  # a second Ctrl-C: stop waiting for deliveries
                self.interrupted = True
            signal.signal(signal.SIGTERM, _term)  # the event loop reset it to the default on its way out
            self.finish()
            if self.linger and not self.interrupted:
                display.wait_for_ctrl_c(plan, self.note)
            return self.summary
        finally:
            self.shutdown()
            signal.signal(signal.SIGTERM, old_term)

    def _institute(self) -> None:
        """The institute's scheduler pushing through the faulty link, and its monitor in real seconds."""
        cfg = self.cfg
        self.pusher = Pusher(cfg.push, cfg.ssh_key, cfg.deliveries, cfg.work / "ssh", work=cfg.work,
                             link=faults_mod.PushLink(self.faults, self.plan.work, self.note))
        self.scheduler = Scheduler(cfg, self.clock, pusher=self.pusher)
        self.monitor = Monitor(cfg.monitor, Registry(cfg.registry), clock=self.clock, work=cfg.work,
                               lag_scale=self.plan.speed, site_url=cfg.site_url, log=self._monitor_log)

    async def night(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, asyncio.current_task().cancel)
        self._institute()
        tasks = [asyncio.create_task(self._monitor_loop()), asyncio.create_task(self._progress_loop()),
                 asyncio.create_task(self._down_faults())]
        if self.plan.source_kind != "feed":
            from .prep_system import PrepSystem

            tasks.append(asyncio.create_task(PrepSystem(self.plan, self.clock, log=self.note).run()))
        sched = asyncio.create_task(self.scheduler.run())
        try:
            await sched
            await self._wait_all_current(timeout=max(10.0, 4 * self.plan.slot_seconds))
        except asyncio.CancelledError:
            self.interrupted = True
            self.note("\nCtrl-C: deteniendo el simulacro (se terminan las entregas en curso)…")
            sched.cancel()
            try:
                await asyncio.wait_for(asyncio.shield(self.scheduler.drain()), timeout=15)
            except (asyncio.TimeoutError, asyncio.CancelledError, Exception):
                pass
        finally:
            await self._end_of_night(tasks, sched)
            loop.remove_signal_handler(signal.SIGTERM)

    async def _end_of_night(self, tasks: list[asyncio.Task], sched: asyncio.Task) -> None:
        """Stop the night's tasks, show the last cuts and make one last monitor round."""
        self.night_done = True
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if not sched.done():
            sched.cancel()
            await asyncio.gather(sched, return_exceptions=True)
        self.progress.poll(final=True)
        if self.screen is not None:
            self.screen.release()  # the last table stays; what follows prints below it
        try:
            await asyncio.wait_for(self._monitor_round(), timeout=10)
        except (asyncio.TimeoutError, Exception):
            pass

    async def _wait_all_current(self, timeout: float) -> None:
        last = [r for r in pk.published(self.cfg.work) if r.kind != "notice"]
        if not last:
            return
        target = last[-1].sequence
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.progress.poll()
            if self.progress.all_current(target):
                return
            await asyncio.sleep(0.2)

    # --- monitor ------------------------------------------------------------------------------------------

    def _monitor_log(self, m: str) -> None:
        if m.startswith("ALERT") or m.startswith("resolved"):
            self.monitor_alerts.append(m)
            self.note(f"  monitor: {m}")

    def _monitor_round(self):
        return monitor_loop.observe_round(self.monitor, self.cfg.monitor.dashboard,
                                          generated=lambda: store.iso(self.clock.now()) + " (hora simulada)",
                                          lag_limit=self.plan.lag_limit_real)

    async def _monitor_loop(self) -> None:
        for _ in range(100_000):  # once the first cut is out and live: before it nobody has a main.json
            if self.progress.first_cut_shown():
                break
            await asyncio.sleep(0.1)

        def failed(exc: Exception) -> None:  # the drill goes on
            self.note(f"  monitor: error en la ronda: {type(exc).__name__}: {exc}")

        await monitor_loop.run_rounds(self._monitor_round, rounds=None, interval=self.plan.monitor_interval,
                                      min_wait=0.05, on_error=failed)

    # --- faults and catch-up ----------------------------------------------------------------------------------

    async def _down_faults(self) -> None:
        events = []
        for f in self.faults.downs():
            d = self.plan.difusor(f.difusor)
            events.append((self.plan.start + timedelta(minutes=f.start_min), "down", d, f))
            events.append((self.plan.start + timedelta(minutes=f.end_min), "up", d, f))
        events.sort(key=lambda e: (e[0], e[1] == "down"))
        for when, what, d, f in events:
            await self.clock.sleep_until(when)
            t = self.clock.now().strftime("%H:%M")
            seen = self.progress.seen[d.id]
            if what == "down":
                await asyncio.to_thread(self.stop_difusor, d, sshd=True)
                seen.down = True
                seen.incidents.append((self.clock.now(), "down", f.spec))
                self.note(f"  ! falla inyectada {t}: {d.id} cae (servidor web, receptor"
                          + (" y SSH" if d.push else "") + " detenidos)")
            else:
                # from this (the main) thread: PR_SET_PDEATHSIG follows the thread that started the child
                self.start_difusor(d, sshd=True)
                seen.down = False
                seen.pending_recovery = "vuelve tras la caída"
                self.note(f"  ✓ {t}: {d.id} vuelve a arrancar; "
                          + ("el instituto le reenvía lo que le falta" if d.push else "descarga lo que le falta"))
                if d.push:
                    self.scheduler.distribute()

    async def _progress_loop(self) -> None:
        for _ in range(100_000_000):
            self.progress.poll()
            await asyncio.sleep(0.2)

    def _refused(self, ident: str) -> None:
        """A push difusor refused a package: it reports it; the institute sends again what it lacks (from the
        difusor's status)."""
        if self.night_done:
            return
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

    # --- the end ----------------------------------------------------------------------------------------------

    def finish(self) -> None:
        """Stop receivers and visitors, write memorias and the summary (servers keep serving for --linger)."""
        if "visitors" in self.children:
            self.children["visitors"].stop()
        for d in self.plan.difusores:
            c = self.children.get(f"{d.id}-run")
            if c:
                c.stop()
        mem = (memorias.write_all(self.plan, self.cfg, pdf=self.pdf, pdf_requested=self.pdf_requested,
                                  note=self.note, end=self.clock.now() if self.night_done else None)
               if self.memoria else {})
        self.summary = summary_mod.summarize(self.plan, self.cfg, self.progress, interrupted=self.interrupted,
                                             monitor_alerts=self.monitor_alerts, memorias=mem)
        if self.plan.profile is not None:
            from . import checklist
            from .facts import facts

            rules = self.plan.rules
            self.summary["profile"] = rules.id
            self.summary["checklist"] = checklist.build(rules, facts(self.plan, self.cfg, self.progress, mem))
            self.summary["operator"] = checklist.operator_duties(rules)
        text = summary_mod.text(self.plan, self.summary)
        (self.plan.out / "resumen.json").write_text(json.dumps(self.summary, ensure_ascii=False, indent=1) + "\n")
        (self.plan.out / "resumen.txt").write_text(text)
        self.note(text.rstrip("\n"))

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
