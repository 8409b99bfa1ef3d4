"""`pregon instituto init --perfil P DIR`: an institute's directory ready for its call, from the profile.

It writes instituto.toml with the call's window, end rule, cadence, lag limit and dates, the signing key (and
the SSH key when the call pushes), an empty registry and work directory. What the call does not state (the
registration deadline, the official site's address) is written as a commented line for the operator to fill.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..errors import InputError
from ..package import keys as keys_mod
from ..perfiles import Profile

PUSH = ("sftp", "rsync")


def _q(s: str) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def instituto_toml(p: Profile, *, feed: str = "eleccion", push: bool = True) -> str:
    w = p.window
    # a package must not expire while the call keeps the last results public (Chiapas: two weeks)
    ttl = max(48.0, (w.published_until() - w.start).total_seconds() / 3600 + 24)
    lines = [
        f"# Written by `pregon instituto init --perfil {p.id}`: {p.call}, {p.name}.",
        f"# The rules are pregon/perfiles/{p.id}.toml; docs/institutos.md says how pregon meets each one.",
        "", "[instituto]", f"name = {_q(p.institute)}",
        f"feed = {_q(feed)}                     # the election directory the capture system appends actas to",
        'work = "work"', 'registry = "difusores"', 'pull_dir = "publicado"', 'key = "keys/pregon.key"',
    ]
    if push:
        lines.append('ssh_key = "keys/id_ed25519"          # the key the institute pushes with (key auth only)')
    lines += [f"election = {_q(p.proceso_id)}", "", "[profile]", f"id = {_q(p.id)}", "",
              "[schedule]", f"start = {_q(w.start.isoformat())}", f"end = {_q(w.last_cut().isoformat())}"]
    if w.end_rule == "hours_or_captured":
        lines.append("end_when_captured = true             # or earlier: 100 % captured + recovery declared "
                     "exhausted (pregon instituto recovery-exhausted)")
    if w.end_rule == "at_least":
        lines.append("# the call asks publication at least until `end`: a later end is allowed")
    lines += [f"cadence_minutes = {p.cadence.minutes:g}", "full_every = 8", "cut_retries = 3",
              "cut_retry_seconds = 20", f"ttl_hours = {ttl:g}", "", "[calendar]"]
    if p.drills:
        lines.append("drills = [" + ", ".join(d.isoformat() for d in p.drills) + "]"
                     + (f"   # {p.drill_hours}" if p.drill_hours else ""))
    if p.memoria.due:
        lines.append(f"memoria_due = {p.memoria.due.isoformat()}")
    lines += ["# registration_until = YYYY-MM-DD     the call's dates it states elsewhere: set them",
              "# infrastructure_ready = YYYY-MM-DD", "# list_published = YYYY-MM-DD", "",
              "[push]", "timeout_seconds = 60", "retries = 3", "backoff_seconds = 2.0", "concurrency = 64", "",
              "[monitor]", "interval_seconds = 30",
              f"lag_limit_seconds = {p.cadence.lag_limit_seconds or 60:g}"
              + ("                # the call: a difusor at most this far behind" if p.cadence.lag_limit_seconds
                 else ""),
              "sample_pages = 4", "timeout_seconds = 10", ""]
    return "\n".join(lines)


def init(p: Profile, directory: Path, *, feed: str = "eleccion", force: bool = False) -> list[Path]:
    """Write the institute's directory; refuses to overwrite an instituto.toml or a key unless `force`."""
    directory = Path(directory)
    toml = directory / "instituto.toml"
    if toml.exists() and not force:
        raise InputError(f"{toml}: already exists; choose another directory (or --force to rewrite it and keep "
                         "the keys)")
    push = any(m in PUSH for m in p.transport.methods)
    written = []
    directory.mkdir(parents=True, exist_ok=True)
    for sub in ("difusores", "work", "publicado"):
        (directory / sub).mkdir(exist_ok=True)
    keydir = directory / "keys"
    if not (keydir / keys_mod.SECRET_KEY_FILE).exists():
        written += list(keys_mod.write_keypair(keydir, keys_mod.generate()))
    if push and not (keydir / "id_ed25519").exists():
        written.append(_ssh_keygen(keydir / "id_ed25519", f"{p.institute} (pregon)"))
    toml.write_text(instituto_toml(p, feed=feed, push=push), "utf-8")
    return [toml, *written]


def _ssh_keygen(path: Path, comment: str) -> Path:
    tool = shutil.which("ssh-keygen")
    if tool is None:
        raise InputError("ssh-keygen is not installed; the call pushes over SSH (apt-get install openssh-client)")
    r = subprocess.run([tool, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise InputError(f"ssh-keygen: {r.stderr.strip() or 'failed'}")
    return path
