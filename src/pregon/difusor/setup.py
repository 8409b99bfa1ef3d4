"""`pregon difusor init --perfil P DIR`: a difusor's server ready for its institute's call, from the profile.

It writes difusor.toml (the call's window, the "kept until" date, the pinned key), the web-server
configuration the call names (Apache for IEEM, IMPEPAC and Durango), an nftables ruleset that lets SSH and
rsync in only from the institute's addresses, and checks the two things the calls ask of the host itself:
a synchronised clock (NTP) and a syslog to write to.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..perfiles import Profile
from .window import clock_synchronised

SERVER_FILES = {"apache": "apache-pregon.conf", "nginx": "nginx-pregon.conf", "iis": "web.config"}


def server_for(p: Profile, chosen: str | None = None) -> str:
    """The web server to configure: the one asked for (if the call allows it), else the call's first."""
    allowed = [s for s in p.web.servers if s != "any"] or ["nginx", "apache", "iis"]
    if chosen is None:
        return allowed[0]
    if chosen not in allowed and "any" not in p.web.servers:
        raise InputError(f"--server {chosen}: the call of {p.institute} names {', '.join(p.web.servers)}")
    return chosen


def _q(s: str) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def difusor_toml(p: Profile, root: Path, *, ident: str, public_key: str | None, official_url: str | None,
                 server_name: str = "_", pull_url: str | None = None) -> str:
    w = p.window
    local = w.start.astimezone(p.tz)
    lines = [f"# Written by `pregon difusor init --perfil {p.id}`: {p.call}, {p.name}.",
             "# docs/difusor-operations.md explains every key; docs/institutos.md what the call asks of you.", "",
             "[difusor]", f"id = {_q(ident)}", f"root = {_q(root)}", f"election = {_q(p.proceso_id)}"]
    if public_key:
        lines.append(f"public_keys = [{_q(public_key)}]")
    else:
        lines.append("public_keys = []                 # pin the institute's key: its instituto.pub, checked by "
                     "fingerprint (pregon package fingerprint)")
    lines += ["min_free_mb = 1024", "syslog = true                    # the journal also goes to syslog (journald)", "",
              "[window]", f"start = {_q(local.strftime('%Y-%m-%dT%H:%M'))}",
              f"end = {_q(w.last_cut().astimezone(p.tz).strftime('%Y-%m-%dT%H:%M'))}"]
    if w.keep_until is not None:
        lines.append(f"keep_until = {_q(w.keep_until.astimezone(p.tz).strftime('%Y-%m-%dT%H:%M'))}"
                     "   # the call: the last results stay published until then")
    if official_url:
        lines.append(f"official_url = {_q(official_url)}")
    lines += [f"tz = {_q(p.timezone)}", ""]
    if pull_url:
        lines += ["[pull]", f"url = {_q(pull_url)}", "interval = 30", ""]
    lines += ["[serve]", f"server_name = {_q(server_name)}", 'access_log = "access.log"', ""]
    return "\n".join(lines)


def nftables(p: Profile, sources: list[str]) -> str:
    """An nftables ruleset: the web to everyone, the call's SSH/rsync ports only from `sources` (the
    institute's addresses and the difusor's own administrators': anyone else is dropped)."""
    ports = sorted(set(p.transport.ports) - {80, 443}) or [22]
    v4, v6 = [], []
    for s in sources:
        try:
            net = ipaddress.ip_network(s, strict=False)
        except ValueError:
            raise InputError(f"--instituto-ip {s!r}: not an IP address or network (e.g. 203.0.113.10)") from None
        (v4 if net.version == 4 else v6).append(str(net))
    plist = ", ".join(str(x) for x in ports)
    lines = ["#!/usr/sbin/nft -f",
             f"# Written by `pregon difusor init --perfil {p.id}`: the web (80, 443) open to everyone; SSH/rsync",
             f"# ({plist}) only from the institute's (and your administrators') addresses.",
             "# Load with: nft -f nftables-pregon.conf (check first: nft -c -f nftables-pregon.conf)",
             "table inet pregon {"]
    if v4:
        lines += ["    set instituto4 {", "        type ipv4_addr; flags interval",
                  f"        elements = {{ {', '.join(v4)} }}", "    }"]
    if v6:
        lines += ["    set instituto6 {", "        type ipv6_addr; flags interval",
                  f"        elements = {{ {', '.join(v6)} }}", "    }"]
    lines += ["    chain input {", "        type filter hook input priority 0; policy accept;",
              "        tcp dport { 80, 443 } accept"]
    if v4:
        lines.append(f"        ip saddr @instituto4 tcp dport {{ {plist} }} accept")
    if v6:
        lines.append(f"        ip6 saddr @instituto6 tcp dport {{ {plist} }} accept")
    lines += [f"        tcp dport {{ {plist} }} drop", "    }", "}", ""]
    return "\n".join(lines)


@dataclass
class Check:
    what: str
    ok: bool | None  # None: could not tell
    detail: str


SYSLOG_SOCKET = "/dev/log"


def host_checks(syslog_socket: str | None = None) -> list[Check]:
    """NTP and syslog on this host: what every call asks of the difusor's server."""
    syslog_socket = syslog_socket or SYSLOG_SOCKET
    sync = clock_synchronised()
    out = [Check("NTP", sync, {True: "the kernel reports the clock synchronised",
                               False: "the clock is not synchronised: timedatectl set-ntp true (or chrony)",
                               None: "cannot tell (adjtimex unavailable)"}[sync])]
    ok = False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.connect(syslog_socket)
            ok = True
    except OSError:
        pass
    out.append(Check("syslog", ok, f"{syslog_socket} accepts messages" if ok else
                     f"nothing listens on {syslog_socket}: install rsyslog or run under systemd-journald"))
    return out


def init(p: Profile, directory: Path, *, ident: str, public_key: str | None = None, official_url: str | None = None,
         server: str | None = None, institute_ips: list[str] = (), admin_ips: list[str] = (), server_name: str = "_",
         pull_url: str | None = None, force: bool = False) -> list[Path]:
    """Write difusor.toml, the web-server configuration and the firewall rules into `directory`."""
    from ..serve.webconfig import render
    from .config import load_config

    directory = Path(os.path.abspath(directory))
    toml = directory / "difusor.toml"
    if toml.exists() and not force:
        raise InputError(f"{toml}: already exists; choose another directory (or --force to rewrite it)")
    if "pull" not in p.transport.methods and pull_url:
        raise InputError(f"--pull-url: the call of {p.institute} does not distribute by pull")
    name = server_for(p, server)
    if any(m in ("sftp", "rsync") for m in p.transport.methods) and not institute_ips:
        raise InputError(f"--instituto-ip: the call of {p.institute} pushes over SSH; give the address(es) the "
                         "institute pushes from (the firewall lets SSH/rsync in only from them)")
    directory.mkdir(parents=True, exist_ok=True)
    for sub in ("inbox", "archive", "releases"):
        (directory / sub).mkdir(exist_ok=True)
    toml.write_text(difusor_toml(p, directory, ident=ident, public_key=public_key, official_url=official_url,
                                 server_name=server_name, pull_url=pull_url), "utf-8")
    cfg = load_config(toml)  # what was written reads back, and the web config is made from it
    conf = directory / SERVER_FILES[name]
    conf.write_text(render(name, cfg), "utf-8")
    fw = directory / "nftables-pregon.conf"
    fw.write_text(nftables(p, [*institute_ips, *admin_ips]), "utf-8")
    return [toml, conf, fw]
