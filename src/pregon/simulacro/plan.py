"""The drill's layout and configuration, written for real so an operator can read (and reuse) every file.

```
OUT/
  simulacro.toml              what this drill is (preset or election, seed, scale, hours, speed, difusores, faults)
  eleccion/                   the election: synthetic (pregon simulate election) or a copy of --election DIR (a
                              replay of real databases, pregon simulate replay): catalog + whole night's actas
  instituto/
    instituto.toml            the institute's config (feed = ../eleccion)
    keys/pregon.key|.pub      package signing key (minisign)      keys/id_ed25519(.pub)  the push SSH key
    difusores/<id>.json       the registry (host keys pinned from each difusor's sshd)
    work/                     sites/, packages/, journal.jsonl, published.jsonl, deliveries.jsonl, official ->
    work/monitor/             observations.jsonl, alerts.jsonl, index.html (the dashboard)
    publicado/                pull index + packages
  difusores/<id>/
    difusor.toml              the difusor's own config (window, pinned key, serve port, pull url)
    sshd/                     its OpenSSH server (push difusores): sshd_config, host key, authorized_keys
    inbox/ archive/ releases/ current state/ journal.jsonl status.json access.log
    memoria/                  memoria técnica (HTML, PDF, logs bundle) written at the end
  resumen.json, resumen.txt   the drill's summary
```

Difusores take turns of method: 1 SFTP push, 2 rsync push, 3 pull, 4 SFTP… Ports: the institute's web
server (official site, /publicado/, /monitor/) on `--port`, difusor i on `--port + i`.
"""

from __future__ import annotations

import os
import shutil
import socket
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..configschema import B, I, L, N, S, T, Many
from ..configschema import check as check_schema
from ..errors import InputError

MARKER = "simulacro.toml"
NAMES = ("el-diario", "tv-norte", "uni-pull", "radio-sur", "la-voz", "canal-siete", "semanario-centro",
         "uni-tec", "noticias-hoy", "radio-uni")
NOMBRES = {"el-diario": "El Diario", "tv-norte": "TV Norte", "uni-pull": "Universidad (pull)",
           "radio-sur": "Radio Sur", "la-voz": "La Voz", "canal-siete": "Canal Siete",
           "semanario-centro": "Semanario del Centro", "uni-tec": "Universidad Tecnológica",
           "noticias-hoy": "Noticias Hoy", "radio-uni": "Radio Universidad"}
METHODS = ("sftp", "rsync", "pull")
INSTITUTOS = {"morelos": "IMPEPAC", "edomex": "IEEM", "nacional": "INE"}

CADENCE_MINUTES = 15
DRILL_ACTAS = 6000  # casillas × elections that a drill keeps up with on two cores at its default speed
DEFAULT_HOURS = 12.0
DEFAULT_SECONDS = 120.0  # real duration of the night with the default speed


@dataclass
class DifusorPlan:
    index: int  # 1-based, as in --fault
    id: str
    nombre: str
    method: str  # sftp | rsync | pull | frame (method 2: its page frames the official site; hosts no copy)
    root: Path
    port: int
    sshd_port: int = 0  # set when its OpenSSH server starts (push difusores)

    @property
    def toml(self) -> Path:
        return self.root / "difusor.toml"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def sshd_root(self) -> Path:
        return self.root / "sshd"

    @property
    def push(self) -> bool:
        return self.method in ("sftp", "rsync")

    @property
    def hosts(self) -> bool:
        """Whether it receives and serves packages (a framing difusor only serves its page around the frame)."""
        return self.method != "frame"


@dataclass
class Plan:
    out: Path
    preset: str = "morelos"
    seed: int = 1
    scale: float = 1.0
    hours: float = DEFAULT_HOURS
    speed: float = 0.0  # 0: computed so the night takes DEFAULT_SECONDS
    n: int = 3
    port: int = 8000
    cadence_minutes: float = CADENCE_MINUTES
    full_every: int = 8
    monitor_interval: float = 1.0  # real seconds between monitor rounds
    faults: list = field(default_factory=list)  # faults.Fault
    methods: tuple = METHODS  # taken in turns by difusor 1, 2, 3, …
    start: datetime | None = None  # from the simulated election's timeline
    difusores: list[DifusorPlan] = field(default_factory=list)
    source: Path | None = None  # --election DIR: an election directory (a replay) instead of the preset
    source_kind: str = "feed"  # --source: feed, or drops of the institute's own PREP system (database | site)
    final_cut: bool = True  # whether the drill's last cut is the último corte (a replay: as its databases)
    profile: str | None = None  # --perfil: an institute's call; its election, cadence, transport and web server
    web_server: str = "embedded"  # what serves each difusor's site: embedded | apache | nginx
    visitors_per_hour: float = 12.0  # --visitantes: visitor sessions per simulated hour per difusor (0: none)

    def __post_init__(self):
        self.out = Path(self.out).resolve()
        if self.profile is not None:
            self._apply_profile()
        if self.speed <= 0:
            self.speed = round(self.hours * 3600 / DEFAULT_SECONDS, 3)
        if not self.difusores:
            from .webservers import serving_base

            base = serving_base(self.out, self.web_server)
            self.difusores = [DifusorPlan(i, name, NOMBRES.get(name, name), self.methods[(i - 1) % len(self.methods)],
                                          base / name, self.port + i)
                              for i, name in enumerate(difusor_names(self.n), start=1)]

    def _apply_profile(self) -> None:
        """The call's rules: its election (preset = the profile id), cadence, transport methods taken in turns,
        and the web server it names; the night is cut to the call's window."""
        from .. import perfiles

        p = perfiles.load(self.profile)
        self.preset = p.id
        self.cadence_minutes = p.cadence.minutes
        if self.methods == METHODS:  # not chosen: the call's, in turns
            self.methods = p.transport.methods
        named = [s for s in p.web.servers if s in ("apache", "nginx")]
        self.web_server = named[0] if named else "embedded"
        window_h = (p.window.last_cut() - p.window.start).total_seconds() / 3600
        self.hours = min(self.hours, window_h)

    @property
    def rules(self):
        """The profile (pregon.perfiles.Profile) of a --perfil drill, else None."""
        if self.profile is None:
            return None
        from .. import perfiles

        return perfiles.load(self.profile)

    @property
    def tz(self):
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.rules.timezone if self.profile else "America/Mexico_City")

    # paths
    @property
    def election(self) -> Path:
        return self.out / "eleccion"

    @property
    def inst(self) -> Path:
        return self.out / "instituto"

    @property
    def inst_toml(self) -> Path:
        return self.inst / "instituto.toml"

    @property
    def work(self) -> Path:
        return self.inst / "work"

    @property
    def drops(self) -> Path:
        """Where the drill's stand-in for the institute's PREP system drops each corte (--source)."""
        return self.inst / "entregas"

    @property
    def official_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def dashboard_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/monitor/"

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=self.hours)

    @property
    def slot_seconds(self) -> float:
        """Real seconds between two cuts."""
        return self.cadence_minutes * 60 / self.speed

    @property
    def cuts(self) -> int:
        """Cuts of the night: every cadence from the start, and the final one at the end."""
        n = 0
        while n * self.cadence_minutes < self.hours * 60:
            n += 1
        return n + 1

    @property
    def lag_limit_real(self) -> float:
        """The drill's compliance limit in real seconds: a difusor must publish a cut before the next one
        (the seeds' 60 s against 15 min, compressed with the night)."""
        return self.slot_seconds

    def difusor(self, index: int) -> DifusorPlan:
        return self.difusores[index - 1]


def difusor_names(n: int) -> list[str]:
    return [NAMES[i] if i < len(NAMES) else f"difusor-{i + 1}" for i in range(n)]


def drill_scale(profile) -> float:
    """The default --scale of a profile's drill: the call's election shrunk to about DRILL_ACTAS actas per
    corte (IMPEPAC's and Durango's size), so a 20-minute cadence compressed to 20 real seconds still leaves
    time to render, package, verify and stage every cut. `--scale 1` rehearses the call's full size, which
    wants a slower `--speed` on a small machine (an Estado de México corte takes about a minute on two cores)."""
    from ..simulate import presets

    spec = presets.from_profile(profile)
    actas = sum(e.casillas for e in spec.entidades) * len(spec.elecciones)
    return min(1.0, round(DRILL_ACTAS / actas, 3))


def check_port_free(port: int, what: str) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise InputError(f"port {port} on 127.0.0.1 ({what}) is in use; choose another base with --port") from None


def check(plan: Plan) -> None:
    bad = [m for m in plan.methods if m not in METHODS + (("frame",) if plan.profile else ())]
    if bad or not plan.methods:
        raise InputError(f"--methods: {bad[0] if bad else 'empty'!r} is not one of {', '.join(METHODS)}")
    if not 1 <= plan.n <= 50:
        raise InputError(f"--difusores {plan.n}: between 1 and 50")
    if plan.port < 1024 or plan.port + plan.n > 65535:
        raise InputError(f"--port {plan.port}: between 1024 and {65535 - plan.n}")
    if not 0.25 <= plan.hours <= 24 * 14:
        raise InputError(f"--hours {plan.hours:g}: between 0.25 and 336")
    check_port_free(plan.port, "the institute's site")
    for d in plan.difusores:
        check_port_free(d.port, f"difusor {d.id}")
    if any(d.push for d in plan.difusores):
        from .sshd import SSHD

        for tool, path in (("sshd", SSHD), ("ssh-keygen", shutil.which("ssh-keygen")), ("ssh", shutil.which("ssh"))):
            if not path or not os.access(path, os.X_OK):
                raise InputError(f"{tool} is not installed; push difusores need OpenSSH "
                                 "(apt-get install openssh-server openssh-client), or run a pull-only drill with --methods pull")
        if any(d.method == "rsync" for d in plan.difusores) and not shutil.which("rsync"):
            raise InputError("rsync is not installed; the rsync difusor needs it (apt-get install rsync)")


def prepare_out(plan: Plan) -> None:
    """Make OUT ready: a directory this command made before is reset (the election is kept when it is the
    same preset, seed and scale); anything else that is not empty is refused."""
    out = plan.out
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise InputError(f"{out} exists and was not made by `pregon simulacro`; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    link = out / "difusores"
    if link.is_symlink():  # a previous drill's difusores lived where its web server could read them
        shutil.rmtree(link.resolve(), ignore_errors=True)
        link.unlink()
    for sub in ("instituto", "difusores"):
        shutil.rmtree(out / sub, ignore_errors=True)
    base = plan.difusores[0].root.parent if plan.difusores else link
    if base != link:  # kept readable for Apache (simulacro.webservers.serving_base); OUT/difusores points there
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
        os.chmod(base, 0o755)
        link.symlink_to(base)
    for f in ("resumen.json", "resumen.txt"):
        (out / f).unlink(missing_ok=True)


_COUNT = I(0)
SIMULACION_SCHEMA = {  # simulacion.toml, as 'pregon simulate election' and 'pregon simulate replay' write it
    "simulacion": {"preset": S(nonempty=True), "seed": I(0), "scale": N(0), "generador": S(), "actas": _COUNT,
                   "casillas": _COUNT, "fuentes": L},
    "timeline": {"timezone": S(nonempty=True), "cierre_casillas": T, "inicio_publicacion": T,
                 "fin_publicacion": T, "corte_de_la_base": T, "cadencia_minutos": N(1, 1440),
                 "primera_verificacion": T, "ultima_verificacion": T},
    "eleccion": Many({"clave": S(nonempty=True), "nombre": S(), "actas_esperadas": _COUNT,
                      "actas_en_feed": _COUNT, "actas_nunca_llegan": _COUNT, "sin_acta": _COUNT,
                      "todos_ilegibles": _COUNT, "algun_ilegible": _COUNT, "excede_lista_nominal": _COUNT,
                      "fuera_catalogo": _COUNT, "llegan_al_corte_sin_hora": _COUNT,
                      "hora_posterior_al_corte": _COUNT, "final": B, "encabezado": L}),
}


def read_simulacion(path: Path) -> dict:
    """simulacion.toml, checked against its schema (one line per wrong key, never a traceback)."""
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    check_schema(data, SIMULACION_SCHEMA, str(path))
    return data


def timeline(directory: Path) -> dict:
    """An election directory's [timeline] (simulacion.toml): publication start and end, and whether the
    databases a replay was made from are each a último corte."""
    path = Path(directory) / "simulacion.toml"
    try:
        data = read_simulacion(path)
    except FileNotFoundError:
        raise InputError(f"--election {directory}: no simulacion.toml; make the directory with 'pregon simulate "
                         "replay' or 'pregon simulate election'") from None
    tl = data.get("timeline", {})
    try:
        start, end = (t if isinstance(t, datetime) else datetime.fromisoformat(str(t))
                      for t in (tl["inicio_publicacion"], tl["fin_publicacion"]))
    except (KeyError, ValueError):
        raise InputError(f"{path}: [timeline] needs inicio_publicacion and fin_publicacion (ISO 8601)") from None
    finals = [e.get("final") for e in data.get("eleccion", []) if "final" in e]
    return {"start": start, "end": end, "final": all(finals) if finals else True}


def write_election(plan: Plan, log=lambda m: None) -> None:
    if plan.source is not None:
        _copy_election(plan, log)
        return
    sim_toml = plan.election / "simulacion.toml"
    same = False
    if sim_toml.exists():
        try:
            s = read_simulacion(sim_toml).get("simulacion", {})
            same = (s.get("preset"), s.get("seed"), s.get("scale")) == (plan.preset, plan.seed, float(plan.scale))
        except InputError:
            same = False  # not ours, or damaged: made again
    if not same:
        from ..simulate import generate, write

        shutil.rmtree(plan.election, ignore_errors=True)
        log(f"generando la elección sintética {plan.preset} (semilla {plan.seed}, escala {plan.scale:g})…")
        write(generate(plan.preset, seed=plan.seed, scale=plan.scale), plan.election)
    plan.start = timeline(plan.election)["start"]


def _copy_election(plan: Plan, log) -> None:
    """The drill works on its own copy of --election DIR (the institute appends nothing to it, but a drill
    must never touch the operator's files)."""
    src = Path(plan.source).resolve()
    if src != plan.election.resolve():
        shutil.rmtree(plan.election, ignore_errors=True)
        log(f"copiando la elección {src} …")
        shutil.copytree(src, plan.election)
    plan.start = timeline(plan.election)["start"]


def _toml_str(v: str) -> str:
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_instituto(plan: Plan) -> None:
    from ..package import keys as keys_mod
    from .sshd import keygen

    inst = plan.inst
    (inst / "keys").mkdir(parents=True, exist_ok=True)
    keys_mod.write_keypair(inst / "keys", keys_mod.generate())
    if any(d.push for d in plan.difusores):
        keygen(inst / "keys" / "id_ed25519", "instituto-simulacro")
    lag_limit_virtual = plan.lag_limit_real * plan.speed
    name = INSTITUTOS.get(plan.preset, "INSTITUTO") if plan.source is None else _instituto_of(plan.election)
    plan.inst_toml.write_text(
        "# Written by `pregon simulacro`: the institute of this drill (docs/instituto-operations.md).\n"
        "# Times are simulated election-night times; the drill's clock runs [simulacro] speed times faster.\n"
        f"[instituto]\nname = {_toml_str(name)}\nfeed = \"../eleccion\"\nwork = \"work\"\nregistry = \"difusores\"\n"
        "pull_dir = \"publicado\"\nkey = \"keys/pregon.key\"\n"
        f"site_url = \"{plan.official_url}\"\n"
        + ("ssh_key = \"keys/id_ed25519\"\n" if any(d.push for d in plan.difusores) else "")
        + f"\n[schedule]\nstart = \"{plan.start.isoformat()}\"\nend = \"{plan.end.isoformat()}\"\n"
        + ("" if plan.final_cut else "final_cut = false\n")
        + f"cadence_minutes = {plan.cadence_minutes:g}\nfull_every = {plan.full_every}\ncut_retries = 1\n"
        f"cut_retry_seconds = 20\nttl_hours = 48\n"
        + _source_table(plan)
        + "\n[push]\ntimeout_seconds = 20\nretries = 2\nbackoff_seconds = 0.25\nconcurrency = 64\n"
        f"\n[monitor]\ninterval_seconds = {plan.monitor_interval:g}\n"
        f"# in simulated seconds: {plan.lag_limit_real:.2f} real seconds (one cut's slot) at speed {plan.speed:g}\n"
        f"lag_limit_seconds = {lag_limit_virtual:.1f}\nsample_pages = 3\ntimeout_seconds = 3\n", "utf-8")


def _source_table(plan: Plan) -> str:
    """[source] for a drill whose cortes come from a PREP system's drops (prep_system.py)."""
    if plan.source_kind == "feed":
        return ""
    poll = max(0.5, round(plan.speed * 0.1, 1))  # a tenth of a real second, in simulated seconds
    text = (f"\n[source]\n# the drill's stand-in for the institute's own PREP system drops each corte here\n"
            f"kind = \"{plan.source_kind}\"\ndir = \"entregas\"\nready = \"rename\"\npoll_seconds = {poll:g}\n")
    if plan.source_kind == "site":
        text += 'instant = "json"\ninstant_file = "json/main.json"\ninstant_field = "corte.instante"\n'
    return text


def _instituto_of(election: Path) -> str:
    try:
        cat = tomllib.loads((election / "catalog.toml").read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return "INSTITUTO"
    return str(cat.get("proceso", {}).get("instituto") or "INSTITUTO")


def write_difusor(plan: Plan, d: DifusorPlan) -> None:
    d.root.mkdir(parents=True, exist_ok=True)
    (d.root / "inbox").mkdir(exist_ok=True)
    pub = plan.inst / "keys" / "pregon.pub"
    local = plan.start.astimezone(plan.tz)
    # the final cut (at `end`) must still go live: its window stays open two simulated hours, and at least ten
    # real minutes (a busy machine may take minutes to render and package a whole final site)
    end = (plan.end + max(timedelta(hours=2), timedelta(minutes=10 * plan.speed))).astimezone(plan.tz)
    pull = ""
    if d.method == "pull":
        from ..instituto.access import Access, pull_url  # its own credential (`difusores access`)

        url = pull_url(plan.official_url, Access(plan.work).ensure(d.id, active=True))
        pull = (f"\n[pull]\n# this difusor's own credential on the institute's server (drill faults act per link)\n"
                f"url = \"{url}\"\ninterval = 1\ntimeout = 10\n")
    d.toml.write_text(
        f"# Written by `pregon simulacro`: difusor {d.index} ({d.method}); see docs/difusor-operations.md.\n"
        f"[difusor]\nid = {_toml_str(d.id)}\nroot = \".\"\npublic_keys = [{_toml_str(str(pub))}]\n"
        "syslog = false\nmin_free_mb = 16\npoll_interval = 0.2\n"
        f"\n[window]\nstart = \"{local.strftime('%Y-%m-%dT%H:%M')}\"\nend = \"{end.strftime('%Y-%m-%dT%H:%M')}\"\n"
        f"tz = {_toml_str(plan.tz.key)}\n"
        f"\n[serve]\nhost = \"127.0.0.1\"\nport = {d.port}\nserver_name = \"{d.id}.simulacro.local\"\n"
        "access_log = \"access.log\"\n"
        + pull
        + f"\n[registro]\nnombre = {_toml_str(d.nombre)}\nsitio = \"https://{d.id}.example.mx\"\n"
        f"enlace = {_toml_str(d.url)}\n"
        f"contacto_tecnico = {{ nombre = \"Área de sistemas\", correo = \"ti@{d.id}.example.mx\" }}\n"
        f"contacto_legal = \"Jurídico <juridico@{d.id}.example.mx>\"\nip = \"127.0.0.1\"\n"
        "software = \"pregon difusor serve (simulacro)\"\n", "utf-8")
    if d.method == "frame":
        write_frame_page(plan, d)


def write_frame_page(plan: Plan, d: DifusorPlan) -> None:
    """A method-2 difusor's page: its own heading around the snippet the institute hands out (`pregon instituto
    difusores snippet`), served as its `current`; it receives no package."""
    import html

    from ..instituto.webconfig import frame_src, snippet

    page = d.root / "releases" / "enlace"
    page.mkdir(parents=True, exist_ok=True)
    name = INSTITUTOS.get(plan.preset) or (plan.rules.institute if plan.profile else "el instituto")
    (page / "index.html").write_text(
        "<!doctype html>\n<html lang=\"es-MX\">\n<head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{html.escape(d.nombre)}: resultados preliminares</title></head>\n<body>\n"
        f"<h1>{html.escape(d.nombre)}: resultados preliminares</h1>\n"
        + snippet(frame_src(plan.official_url), institute=name) + "</body>\n</html>\n", "utf-8")
    current = d.root / "current"
    if current.is_symlink() or current.exists():
        current.unlink()
    current.symlink_to(Path("releases") / "enlace")


def write_marker(plan: Plan) -> None:
    lines = ["# Written by `pregon simulacro`; this directory is reset by the next drill with the same --out.",
             "[simulacro]", f"preset = {_toml_str(plan.preset)}", f"seed = {plan.seed}", f"scale = {plan.scale}",
             f"election = {_toml_str(str(plan.source) if plan.source else '')}",
             f"source = {_toml_str(plan.source_kind)}",
             f"hours = {plan.hours}", f"speed = {plan.speed}", f"cadence_minutes = {plan.cadence_minutes}",
             f"port = {plan.port}", f"start = \"{plan.start.isoformat() if plan.start else ''}\"",
             "faults = [" + ", ".join(_toml_str(f.spec) for f in plan.faults) + "]", ""]
    for d in plan.difusores:
        lines += ["[[difusor]]", f"index = {d.index}", f"id = {_toml_str(d.id)}", f"method = {_toml_str(d.method)}",
                  f"url = {_toml_str(d.url)}", f"config = {_toml_str(str(d.toml))}", ""]
    (plan.out / MARKER).write_text("\n".join(lines), "utf-8")


def write_all(plan: Plan, log=lambda m: None) -> None:
    """Every file of the drill except the registry (which pins host keys of servers not started yet)."""
    prepare_out(plan)
    (plan.out / MARKER).write_text("# pregon simulacro (being prepared)\n", "utf-8")
    write_election(plan, log)
    write_instituto(plan)
    for d in plan.difusores:
        write_difusor(plan, d)
    write_marker(plan)


def register(plan: Plan, d: DifusorPlan, host_key: str | None, user: str | None) -> None:
    from ..instituto.registry import Contact, Difusor, Registry, Server, Transfer

    if d.push:
        t = Transfer(method=d.method, host="127.0.0.1", port=d.sshd_port, user=user, path=str(d.root / "inbox"),
                     host_key=host_key)
    else:
        t = Transfer(method=d.method)  # pull | frame
    Registry(plan.inst / "difusores").add(Difusor(
        id=d.id, nombre=d.nombre, sitio=f"https://{d.id}.example.mx", enlace=d.url,
        tecnico=Contact("Área de sistemas", f"ti@{d.id}.example.mx"), legal=Contact("Jurídico", f"juridico@{d.id}.example.mx"),
        servidor=Server(host="127.0.0.1", software="pregon difusor serve (simulacro)"), transfer=t,
        carta_recibida=True))
