"""Configurations for the distribution's web servers, serving `current` with pregon's header policy.

`render(server, difusor)` gives the site configuration an operator drops into /etc/nginx/sites-available or
/etc/apache2/sites-available (or, for IIS on a Windows difusor, the web.config of the site that holds the
PREP copy as a virtual directory). `difusor` is the difusor's loaded difusor.toml, a
`pregon.difusor.config.Config`: its `current`, `releases` and [serve] table are all a renderer reads. `standalone=True` wraps it in a complete main configuration with its own
pid, logs and temporary paths under `runtime_dir` (how the tests run the real Debian binaries on loopback,
and a quick way for an operator to try it without touching the system server).

Choices that matter on election night:
- nginx `open_file_cache off`: a cached descriptor would keep serving the old release after the swap.
- the document root is the `current` symlink itself; both servers resolve it per request.
- nginx `add_header` does not inherit into a location that sets its own, so every location repeats the
  security headers; `always` so they are on errors too.
"""

from __future__ import annotations

import math
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from . import policy

if TYPE_CHECKING:  # the difusor's package imports this one (setup, the agent's command): no cycle at run time
    from ..difusor.config import Config

APACHE_MODULES = "/usr/lib/apache2/modules"
_HASHED = policy.HASHED_REGEX_TEXT


def _security(difusor: Config, https: bool) -> list[tuple[str, str]]:
    return policy.security_headers(difusor.serve.frame_ancestors, https=https)


def _ms(seconds: float) -> str:
    """A duration as nginx and Apache both read it (`KeepAliveTimeout 1500ms`, `send_timeout 60000ms`)."""
    return f"{round(seconds * 1000)}ms"


def _https(difusor: Config) -> bool:
    return bool(difusor.serve.tls_certificate and difusor.serve.tls_certificate_key)


# --- nginx ------------------------------------------------------------------------------------------------

# what a server serving a tree swapped by rename(2) must say, for the difusor's `current` and the official site
NGINX_STATIC = """    open_file_cache off;
    disable_symlinks off;
    etag on;
    server_tokens off;
    charset utf-8;
    charset_types text/css text/plain text/csv application/javascript;
    types { text/csv csv; }
"""


def nginx_site_locations(headers) -> str:
    """The locations of a published PREP site in nginx: main.json never cached, hashed assets immutable, pages
    short, dotfiles 404, the rest `policy.OTHER`; `headers(cache, indent)` writes a location's headers."""
    return f"""    location = /json/main.json {{
        default_type application/json;
        etag off;
        if_modified_since off;
{headers(policy.NO_STORE, "        ")}
    }}
    location = {policy.STAMP} {{
        etag off;
        if_modified_since off;
{headers(policy.NO_STORE, "        ")}
    }}
    location ~* "{_HASHED}" {{
{headers(policy.IMMUTABLE, "        ")}
    }}
    location ~* "(\\.html?|/)$" {{
{headers(policy.HTML, "        ")}
    }}
    location ~ "/\\." {{
        return 404;
    }}
    location / {{
{headers(policy.OTHER, "        ")}
    }}
"""


def render_nginx(difusor: Config, *, listen: str | None = None, access_log: str | None = None,
                 standalone: bool = False, runtime_dir: Path | None = None, user: str | None = None,
                 workers: str = "auto", log_format: str | None = None) -> str:
    """An nginx server block serving `difusor.current` (with the http-level limit zones it needs).

    `log_format`: the access log's line, unbuffered, in place of the combined format (the drill writes
    `[$msec]` where the time goes, for its relay to put the drill's clock there)."""
    https = _https(difusor)
    root = str(difusor.current)
    serve = difusor.serve
    listen = listen or (f"{serve.host}:{serve.port}" if serve.host not in ("0.0.0.0", "") else str(serve.port))
    log = access_log or (str(serve.access_log) if serve.access_log else "/var/log/nginx/pregon.access.log")
    sec = _security(difusor, https)

    def headers(cache: str, indent: str) -> str:
        lines = [f'{indent}add_header Cache-Control "{cache}" always;']
        lines += [f'{indent}add_header {k} "{v}" always;' for k, v in sec]
        return "\n".join(lines)

    lim = difusor.serve.limits  # the embedded server's bounds against hostile clients, in nginx's words
    limit_zone = "limit_conn_zone $binary_remote_addr zone=pregon_conn:10m;\nlimit_conn_status 503;\n"
    log_use = "combined buffer=64k flush=1s"
    if log_format is not None:
        limit_zone += f"log_format pregon_line '{log_format}';\n"
        log_use = "pregon_line"
    limit = (f"    limit_conn pregon_conn {lim.max_per_client};\n"
             f"    client_header_timeout {_ms(lim.header_timeout)};\n    keepalive_timeout {_ms(lim.idle_timeout)};\n"
             f"    send_timeout {_ms(lim.send_timeout)};\n")
    if difusor.serve.rate_limit:
        limit_zone += (f"limit_req_zone $binary_remote_addr zone=pregon_rl:10m rate={difusor.serve.rate_limit}r/s;\n"
                       "limit_req_status 429;\n")
        limit += f"    limit_req zone=pregon_rl burst={difusor.serve.rate_limit * 2} nodelay;\n"
    if https:
        listen_lines = (f"    listen {listen} ssl;\n    http2 on;\n"
                        f"    ssl_certificate {difusor.serve.tls_certificate};\n"
                        f"    ssl_certificate_key {difusor.serve.tls_certificate_key};\n"
                        "    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_session_cache shared:pregon_ssl:10m;\n")
    else:
        listen_lines = f"    listen {listen};\n"
    server = f"""# pregon difusor: serves {root} (generated by `pregon difusor webconfig nginx`)
{limit_zone}server {{
{listen_lines}    server_name {difusor.serve.server_name};
    root {root};
    index index.html;
    access_log {log} {log_use};
    # the release behind `current` changes by rename(2); never cache descriptors across a swap
{NGINX_STATIC}{limit}
{nginx_site_locations(headers)}}}
"""
    if https:
        server += f"""server {{
    listen 80;
    server_name {difusor.serve.server_name};
    return 301 https://$host$request_uri;
}}
"""
    if not standalone:
        return server
    return nginx_standalone(server, runtime_dir=Path(runtime_dir or "."), user=user, workers=workers)


def nginx_standalone(server: str, *, runtime_dir: Path | str, user: str | None = None, workers: str = "auto") -> str:
    """A whole nginx.conf around server blocks (and their http-level lines): its own pid, error log and
    temporary paths under runtime_dir, Debian's MIME map."""
    rt = runtime_dir
    user_line = f"user {user};\n" if user else ""
    # a `types {}` block inside server replaces the inherited map, so declare the full map at http level
    server = server.replace("    types { text/csv csv; }\n", "")
    return f"""{user_line}worker_processes {workers};
pid {rt}/nginx.pid;
error_log {rt}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    types {{ text/csv csv; }}
    default_type application/octet-stream;
    client_body_temp_path {rt}/client_body;
    proxy_temp_path {rt}/proxy;
    fastcgi_temp_path {rt}/fastcgi;
    uwsgi_temp_path {rt}/uwsgi;
    scgi_temp_path {rt}/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 100000;
{server}}}
"""


# --- Apache ------------------------------------------------------------------------------------------------

# a published PREP site's cache policy in Apache: main.json never cached, hashed assets immutable, pages short
APACHE_SITE_CACHE = f"""    Header always set Cache-Control "{policy.OTHER}"
    <LocationMatch "(\\.html?|/)$">
        Header always set Cache-Control "{policy.HTML}"
    </LocationMatch>
    <LocationMatch "{_HASHED}">
        Header always set Cache-Control "{policy.IMMUTABLE}"
    </LocationMatch>
    <LocationMatch "^/(json/main\\.json|corte\\.html)$">
        Header always set Cache-Control "{policy.NO_STORE}"
        Header unset ETag
        Header unset Last-Modified
        FileETag None
    </LocationMatch>
"""


def render_apache(difusor: Config, *, listen: str | None = None, access_log: str | None = None,
                  standalone: bool = False, runtime_dir: Path | None = None, user: str = "www-data",
                  group: str = "www-data") -> str:
    """An Apache virtual host serving `difusor.current`, with <Directory> grants for it and the releases."""
    https = _https(difusor)
    root = str(difusor.current)
    parent = str(Path(difusor.current).parent)
    releases = str(difusor.releases)
    listen = listen or f"{difusor.serve.host}:{difusor.serve.port}"
    port = listen.rsplit(":", 1)[-1]
    log = access_log or (str(difusor.serve.access_log) if difusor.serve.access_log
                         else "${APACHE_LOG_DIR}/pregon.access.log")
    sec = "\n".join(f'    Header always set {k} "{v}"' for k, v in _security(difusor, https))
    tls = ""
    if https:
        tls = (f"    SSLEngine on\n    SSLCertificateFile {difusor.serve.tls_certificate}\n"
               f"    SSLCertificateKeyFile {difusor.serve.tls_certificate_key}\n"
               "    SSLProtocol -all +TLSv1.2 +TLSv1.3\n    Protocols h2 http/1.1\n")
    lim = difusor.serve.limits
    rate = (f"    Timeout {math.ceil(lim.send_timeout)}\n    KeepAliveTimeout {_ms(lim.idle_timeout)}\n"
            f"    <IfModule reqtimeout_module>\n        RequestReadTimeout header={math.ceil(lim.header_timeout)}\n"
            "    </IfModule>\n"
            f"    # connections per client ({lim.max_per_client}): not in Apache's base modules; mod_qos or the balancer\n")
    if difusor.serve.rate_limit:
        rate += ("    # Apache has no per-client request-rate limit in its base modules; use mod_evasive\n"
                f"    # (DOSPageCount {difusor.serve.rate_limit}) or rate-limit at the balancer/CDN.\n")
    dirs = "\n".join(f"""<Directory "{d}">
    Options -Indexes +FollowSymLinks
    AllowOverride None
    Require all granted
</Directory>""" for d in dict.fromkeys([parent, releases]))
    vhost = f"""# pregon difusor: serves {root} (generated by `pregon difusor webconfig apache`)
# needs: a2enmod headers mime dir{' ssl http2' if https else ''}
{dirs}
<VirtualHost {'*:' + port if not standalone else listen}>
    ServerName {difusor.serve.server_name if difusor.serve.server_name != '_' else 'localhost'}
    DocumentRoot "{root}"
    DirectoryIndex index.html
    CustomLog "{log}" combined
    FileETag MTime Size
    AddType text/csv .csv
    AddDefaultCharset utf-8
{tls}{rate}{sec}
{APACHE_SITE_CACHE}    <LocationMatch "/\\.">
        Require all denied
    </LocationMatch>
</VirtualHost>
"""
    if https:
        vhost += f"""<VirtualHost *:80>
    ServerName {difusor.serve.server_name}
    Redirect permanent / https://{difusor.serve.server_name}/
</VirtualHost>
"""
    if not standalone:
        return vhost
    mods = ["mpm_event", "authz_core", "mime", "headers", "dir"]  # log_config, unixd: built in (Debian)
    if https:
        mods += ["ssl", "socache_shmcb", "http2"]
    return apache_standalone(vhost, runtime_dir=Path(runtime_dir or "."), listen=listen, user=user, group=group,
                             modules=mods)


def apache_standalone(vhost: str, *, runtime_dir: Path | str, listen, user: str, group: str, modules) -> str:
    """A whole apache2.conf around a vhost: its own ServerRoot, pid, mutex and error log under runtime_dir, the
    modules loaded by path, nothing of the file system served but what the vhost allows."""
    rt = runtime_dir
    load = "\n".join(f"LoadModule {m}_module {APACHE_MODULES}/mod_{m}.so" for m in modules)
    return f"""ServerRoot "{rt}"
{load}
Listen {listen}
PidFile "{rt}/apache2.pid"
Mutex file:{rt} default
ErrorLog "{rt}/error.log"
LogLevel warn
User {user}
Group {group}
ServerName localhost
TypesConfig /etc/mime.types
LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{{Referer}}i\\" \\"%{{User-Agent}}i\\"" combined
ServerTokens Prod
EnableSendfile On
KeepAlive On
MaxKeepAliveRequests 0
<Directory />
    AllowOverride None
    Require all denied
</Directory>
{vhost}"""


# --- Caddy ------------------------------------------------------------------------------------------------


def render_caddy(difusor: Config, **_ignored) -> str:
    """A Caddyfile with the same policy. Caddy is not packaged in Debian stable; not exercised by the tests."""
    name = difusor.serve.server_name if difusor.serve.server_name != "_" else f":{difusor.serve.port}"
    sec = "\n".join(f'\t\t{k} "{v}"' for k, v in _security(difusor, True))
    log = (f"\tlog {{\n\t\toutput file {difusor.serve.access_log}\n\t\tformat console\n\t}}\n"
           if difusor.serve.access_log else "")
    return f"""# pregon difusor: serves {difusor.current} (generated by `pregon difusor webconfig caddy`; untested by pregon's suite)
{name} {{
\troot * {difusor.current}
\tfile_server
\tencode gzip
{log}\theader {{
{sec}
\t\tCache-Control "{policy.OTHER}"
\t}}
\t@html path_regexp (\\.html?|/)$
\theader @html Cache-Control "{policy.HTML}"
\t@hashed path_regexp "{_HASHED}"
\theader @hashed Cache-Control "{policy.IMMUTABLE}"
\t@main path /json/main.json {policy.STAMP}
\theader @main {{
\t\tCache-Control "{policy.NO_STORE}"
\t\t-ETag
\t\t-Last-Modified
\t}}
\t@dot path_regexp /\\.
\trespond @dot 404
}}
"""


# --- IIS ------------------------------------------------------------------------------------------------

IIS_HIDDEN_SEGMENTS = (".git", ".svn", ".hg", ".htaccess", ".htpasswd", ".env", ".DS_Store", ".pregon")
IIS_DENIED_EXTENSIONS = (".part", ".tmp", ".partial", ".filepart")  # uploads in progress: never public


_IIS_PATH_RE = re.compile(r"([A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*)?")


def windows_path(p) -> str:
    """A path as Windows names it: /mnt/c/pregon/current (WSL) -> C:\\pregon\\current; others unchanged."""
    m = re.fullmatch(r"/mnt/([a-zA-Z])(/.*)?", str(p))
    if not m:
        return str(p)
    return f"{m.group(1).upper()}:" + (m.group(2) or "/").replace("/", "\\")


def _timespan(seconds: int) -> str:
    """IIS's timeSpan: `00:00:15`, `365.00:00:00`."""
    d, rest = divmod(int(seconds), 86400)
    h, rest = divmod(rest, 3600)
    m, sec = divmod(rest, 60)
    return (f"{d}." if d else "") + f"{h:02d}:{m:02d}:{sec:02d}"


def _max_age(cache: str) -> tuple[int, str]:
    """(max-age, the other directives) of one of policy's Cache-Control values."""
    parts = [p.strip() for p in cache.split(",")]
    age = next(int(p.split("=", 1)[1]) for p in parts if p.startswith("max-age="))
    return age, ", ".join(p for p in parts if not p.startswith("max-age="))


def render_iis(difusor: Config, *, path: str = "prep", **_ignored) -> str:
    """A web.config for IIS 10 (no URL Rewrite needed) with the nginx/Apache policy.

    IIS reads web.config from the folder it serves, and `current` is swapped at every corte, so the file
    cannot live inside the release: the PREP copy is a virtual directory (`path`, default `prep`) whose
    physical path is `current`, and this web.config goes in the parent site's root, its rules under
    `<location path="prep">`. IIS picks headers by path, not by extension, without URL Rewrite: everything
    gets the HTML policy (15 s) except json/ (120 s), json/main.json (no-store, set verbatim with the cache
    mode off so IIS adds nothing), and the content-hashed assets/ and difusores/logos/ (a year, immutable).
    """
    prefix = path.strip().strip("/")
    if not _IIS_PATH_RE.fullmatch(prefix) or ".." in prefix.split("/"):
        raise InputError(f"--iis-path {path!r}: expected a virtual directory path such as prep or elecciones/prep")
    root = ET.Element("configuration")
    ws = _web_server(_iis_top(root, prefix, windows_path(difusor.current)))
    _iis_documents(ws)
    _iis_content_types(_client_cache(ws, policy.HTML))
    _iis_headers(ws, difusor)
    _iis_request_filtering(ws)
    _iis_paths(root, prefix)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _xml_comment(text: str) -> ET.Element:
    return ET.Comment(" " + text.replace("--", "- -") + " ")  # "--" may not appear inside an XML comment


def _web_server(parent) -> ET.Element:
    return ET.SubElement(parent, "system.webServer")


def _client_cache(parent, cache: str | None) -> ET.Element:
    """staticContent with the clientCache for one of policy's Cache-Control values (None: IIS adds nothing)."""
    sc = ET.SubElement(parent, "staticContent")
    if cache is None:
        ET.SubElement(sc, "clientCache", cacheControlMode="NoControl")
        return sc
    age, rest = _max_age(cache)
    attrs = {"cacheControlMode": "UseMaxAge", "cacheControlMaxAge": _timespan(age)}
    if rest:
        attrs["cacheControlCustom"] = rest
    ET.SubElement(sc, "clientCache", attrs)
    return sc


def _iis_top(root: ET.Element, prefix: str, current: str) -> ET.Element:
    """The element the copy's own rules go in: `<location path=prefix>`, or the configuration itself at the
    site root, each with the comment that tells the operator where the file goes."""
    root.append(_xml_comment(f"pregon difusor: the PREP copy at /{prefix + '/' if prefix else ''} serves {current} "
                             "(generated by `pregon difusor webconfig iis`)"))
    if not prefix:
        root.append(_xml_comment("The site root is the PREP copy, but IIS reads web.config from the served folder, "
                                 "which changes at every corte: put these sections into applicationHost.config, "
                                 "each under <location path=\"SITE\"> (SITE/json, SITE/json/main.json...), or "
                                 "serve the copy as a virtual directory (the default, prep)"))
        return root
    root.append(_xml_comment(f"Put this file in the root folder of the IIS site and make /{prefix} a virtual "
                             f"directory whose physical path is {current} (see docs/difusor-operations.md)"))
    return ET.SubElement(root, "location", path=prefix, inheritInChildApplications="false")


def _iis_documents(ws: ET.Element) -> None:
    """No listings, index.html, and no server-side caching that would outlive a swap."""
    ET.SubElement(ws, "directoryBrowse", enabled="false")
    dd = ET.SubElement(ws, "defaultDocument", enabled="true")
    files = ET.SubElement(dd, "files")
    ET.SubElement(files, "clear")
    ET.SubElement(files, "add", value="index.html")
    ws.append(_xml_comment("no output or kernel cache: a cached response would outlive the swap of `current`"))
    ET.SubElement(ws, "caching", enabled="false", enableKernelCache="false")


def _iis_content_types(sc: ET.Element) -> None:
    for ext, mime in sorted(policy.CONTENT_TYPES.items()):
        ET.SubElement(sc, "remove", fileExtension=ext)
        ET.SubElement(sc, "mimeMap", fileExtension=ext, mimeType=mime)
    sc.append(_xml_comment("files without an extension (descargas/SHA256SUMS), as the embedded server types them"))
    ET.SubElement(sc, "remove", fileExtension=".")
    ET.SubElement(sc, "mimeMap", fileExtension=".", mimeType="application/octet-stream")


def _iis_headers(ws: ET.Element, difusor: Config) -> None:
    ch = ET.SubElement(ET.SubElement(ws, "httpProtocol"), "customHeaders")
    ET.SubElement(ch, "remove", name="X-Powered-By")
    for k, v in _security(difusor, _https(difusor)):
        ET.SubElement(ch, "remove", name=k)
        ET.SubElement(ch, "add", name=k, value=v)


def _iis_request_filtering(ws: ET.Element) -> None:
    """Dotfiles and uploads in progress are never served."""
    rf = ET.SubElement(ET.SubElement(ws, "security"), "requestFiltering")
    hs = ET.SubElement(rf, "hiddenSegments", applyToWebDAV="true")
    for seg in IIS_HIDDEN_SEGMENTS:
        ET.SubElement(hs, "add", segment=seg)
    fe = ET.SubElement(rf, "fileExtensions", allowUnlisted="true")
    for ext in IIS_DENIED_EXTENSIONS:
        ET.SubElement(fe, "add", fileExtension=ext, allowed="false")
    rf.append(_xml_comment("every other dotfile or dot-directory: 404, as nginx's location ~ /\\."))
    du = ET.SubElement(rf, "denyUrlSequences")
    ET.SubElement(du, "add", sequence="/.")


def _iis_paths(root: ET.Element, prefix: str) -> None:
    """The per-path cache policies: json/, the content-hashed assets, and main.json's no-store verbatim."""
    def location(sub: str) -> ET.Element:
        where = "/".join(x for x in (prefix, sub) if x)
        return ET.SubElement(root, "location", path=where, inheritInChildApplications="false")

    for sub, cache in (("json", policy.OTHER), ("assets", policy.IMMUTABLE), ("difusores/logos", policy.IMMUTABLE)):
        _client_cache(_web_server(location(sub)), cache)
    for uncached in policy.UNCACHED:  # main.json and the corte stamp
        main = location(uncached.lstrip("/"))
        main.append(_xml_comment("the seeds' rule, verbatim: no ETag removal without URL Rewrite, harmless under "
                                 "no-store"))
        mw = _web_server(main)
        _client_cache(mw, None)
        mch = ET.SubElement(ET.SubElement(mw, "httpProtocol"), "customHeaders")
        ET.SubElement(mch, "remove", name="Cache-Control")
        ET.SubElement(mch, "add", name="Cache-Control", value=policy.NO_STORE)


RENDERERS = {"nginx": render_nginx, "apache": render_apache, "caddy": render_caddy, "iis": render_iis}


def render(server: str, difusor: Config, **kw) -> str:
    """The configuration of `server` (nginx, apache, caddy, iis) for the difusor whose difusor.toml gave
    `difusor`: its `current` symlink and releases, and its [serve] table (names, TLS, limits, frame ancestors)."""
    return RENDERERS[server](difusor, **kw)


def make_runtime_dir(path: Path) -> Path:
    path = Path(path)
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o755)
    return path
