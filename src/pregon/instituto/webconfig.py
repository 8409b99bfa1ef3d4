"""The institute's own web server: the official site, the pull directory behind per-difusor credentials, and the
monitor's dashboard, for nginx and Apache (`pregon instituto webconfig nginx|apache`).

What it serves, all from absolute paths:
- `/`: the official site, `WORK/official` itself (the symlink each cut swaps; resolved per request, no
  descriptor cache), with pregon's cache policy (serve/policy.py) and a `Content-Security-Policy:
  frame-ancestors` of 'self' plus exactly the active method-2 (`frame`) difusores' origins;
- `/publicado/index.json` and its signature: public (anyone may check what the institute published), as is
  `/publicado/difusores/` (the public list beside a site the institute's PREP system made); packages: 403;
- `/d/<token>/publicado/…`: one pull difusor's credential (access.py), checked per request by a file test,
  so blocking needs no reload: the index and notices while the token is issued, full and delta packages only
  while it is live. Credentialed packages are `private` (no shared cache keeps serving a revoked link), and the
  access log shows only the token's first 6 characters;
- `/monitor/`: the dashboard, to the loopback and the networks given (it is not for the public).

The frame-ancestors list is written into the configuration: after registering or blocking a frame difusor,
regenerate and reload (both servers reload gracefully); the monitor flags a stale list.

Method 2 also lives here: the snippet a framing difusor pastes (`snippet`), and the origins it is framed from.
"""

from __future__ import annotations

import html
import ipaddress
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import InputError
from ..serve import policy
from ..serve.limits import ClientLimits
from ..serve.webconfig import make_runtime_dir  # noqa: F401  (re-exported for `pregon instituto webconfig`)
from ..serve.webconfig import APACHE_SITE_CACHE, NGINX_STATIC, _ms, apache_standalone, nginx_site_locations, nginx_standalone
from . import dashboard
from . import pull
from .access import NOTICE_NAME, PACKAGE_NAME, TOKEN_PATTERN, Access
from .registry import Registry

PRIVATE_IMMUTABLE = "private, max-age=31536000, immutable"  # a credentialed package: never in a shared cache
NOT_STORED = "no-store"  # a refusal: an unblocked difusor must not meet a cached 403
LOGGED_TOKEN_CHARS = 6
_HOST_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")
_UNSAFE_PATH = re.compile(r"[\s\"'\\$;{}%#`]|[\x00-\x1f\x7f]")
_DASHBOARD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_LISTEN = re.compile(r"(?:(?:\[[0-9A-Fa-f:.]+\]|[0-9.]+|[A-Za-z0-9.-]+):)?[0-9]{1,5}")
_DEFAULT_PORTS = {"http": 80, "https": 443}


# --- origins and the official site's URL ---------------------------------------------------------------------


def origin(url: str, what: str) -> str:
    """`scheme://host[:port]` of an http(s) URL, lower-case, default port dropped; InputError for anything a
    header or a configuration line could be bent by (user info, odd host characters, a bad port)."""
    parts = urlsplit(url if isinstance(url, str) else "")
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        raise InputError(f"{what} {url!r}: expected an http:// or https:// URL with a host and no user name")
    host = parts.hostname.lower()
    try:
        port = parts.port
    except ValueError:
        raise InputError(f"{what} {url!r}: the port is not a number between 0 and 65535") from None
    if host.startswith("[") or ":" in host:
        try:
            host = f"[{ipaddress.IPv6Address(host.strip('[]')).compressed}]"
        except ValueError:
            raise InputError(f"{what} {url!r}: not a valid IPv6 address") from None
    elif not _HOST_RE.fullmatch(host):
        raise InputError(f"{what} {url!r}: the host may hold only letters, digits, '-' and '.'")
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != _DEFAULT_PORTS[scheme] else "")


def site_url(cfg) -> str:
    """The official site's public URL ([instituto] site_url), checked, ending in '/'."""
    where = f"{cfg.source or 'instituto.toml'}: [instituto] site_url"
    url = getattr(cfg, "site_url", None)
    if not url:
        raise InputError(f"{where} is required for this command: the official site's public URL, "
                         "e.g. \"https://prep.impepac.mx/\"")
    base = origin(url, where)
    parts = urlsplit(url)
    if parts.query or parts.fragment or _UNSAFE_PATH.search(parts.path) or "/../" in parts.path + "/":
        raise InputError(f"{where} {url!r}: expected a plain URL (no query, fragment, spaces or '..')")
    path = parts.path or "/"
    return base + (path if path.endswith("/") else path + "/")


def frame_origins(registry: Registry) -> list[str]:
    """The origins the official site may be framed from: every active `frame` difusor's sitio and enlace."""
    out = set()
    for d in registry.active():
        if d.transfer.method == "frame":
            where = f"{registry.root / (d.id + '.json')}:"
            out.add(origin(d.sitio, f"{where} sitio"))
            out.add(origin(d.enlace, f"{where} enlace"))
    return sorted(out)


def frame_ancestors(registry: Registry) -> str:
    """The CSP source list: 'self' and exactly the framing difusores (sorted: the same registry, the same
    bytes)."""
    return " ".join(["'self'", *frame_origins(registry)])


def frame_src(site: str, page: str = "") -> str:
    """The official page a difusor frames: the site's home, or a page under it (e.g. `embed/index.html`, the
    figures without the site's chrome)."""
    if page and (page.startswith("/") or "//" in page or ".." in page.split("/") or _UNSAFE_PATH.search(page)
                 or "?" in page or ":" in page.split("/")[0]):
        raise InputError(f"--page {page!r}: expected a page inside the official site, e.g. embed/index.html")
    return site + page


def snippet(src: str, *, institute: str, title: str | None = None) -> str:
    """The HTML a method-2 difusor pastes where the results go: an iframe of the official site, full width and
    most of the viewport tall, with an accessible title and a plain link for readers that do not frame."""
    href = html.escape(src, quote=True)
    label = html.escape(title or f"Resultados preliminares del PREP — sitio oficial de {institute}", quote=True)
    name = html.escape(institute)
    return (f"<!-- PREP de {name}: sitio oficial enmarcado (método 2). Péguelo sin cambios; el instituto "
            "verifica que el marco apunte a su sitio oficial. -->\n"
            "<div class=\"prep-oficial\" style=\"width:100%;max-width:100%\">\n"
            f"<iframe src=\"{href}\" title=\"{label}\" loading=\"eager\" "
            "referrerpolicy=\"strict-origin-when-cross-origin\" "
            "style=\"display:block;width:100%;height:85vh;min-height:36rem;border:0\"></iframe>\n"
            f"<p style=\"font-size:.875rem\"><a href=\"{href}\" rel=\"noopener\">Abrir el sitio oficial del PREP "
            f"de {name}</a></p>\n</div>\n")


# --- what the configuration is made of ------------------------------------------------------------------------


def _path(p, what: str) -> str:
    """An absolute path, lexically normalized (the `official` symlink is kept, never resolved), safe to write
    into a configuration line."""
    text = os.path.abspath(os.fspath(p))
    if _UNSAFE_PATH.search(text):
        raise InputError(f"{what} {text!r}: a path with spaces, quotes or any of $ ; {{ }} % # cannot go into a "
                         "web server configuration; move it")
    return text


@dataclass(frozen=True)
class Layout:
    official: str
    pull: str | None
    issued: str
    live: str
    monitor_dir: str
    dashboard: str
    frame_ancestors: str
    server_name: str
    monitor_allow: tuple[str, ...]
    tls_certificate: str | None
    tls_key: str | None

    @property
    def https(self) -> bool:
        return bool(self.tls_certificate)


def _listen(listen: str | None, https: bool) -> str:
    listen = listen or ("443" if https else "80")
    if not _LISTEN.fullmatch(listen) or not 0 < int(listen.rsplit(":", 1)[-1]) < 65536:
        raise InputError(f"--listen {listen!r}: expected PORT or ADDRESS:PORT, e.g. 443 or 127.0.0.1:8080")
    return listen


def layout(cfg, registry: Registry | None = None, *, server_name: str | None = None, monitor_allow=(),
           tls_certificate=None, tls_key=None) -> Layout:
    where = cfg.source or "instituto.toml"
    registry = registry or Registry(cfg.registry)
    access = Access(cfg.work)
    dash = Path(cfg.monitor.dashboard)
    if not _DASHBOARD_NAME.fullmatch(dash.name):
        raise InputError(f"{where}: [monitor] dashboard {dash.name!r}: use a plain file name such as index.html")
    if bool(tls_certificate) != bool(tls_key):
        raise InputError("--tls-certificate and --tls-key go together")
    allow = ["127.0.0.1", "::1"]
    for net in monitor_allow:
        try:
            allow.append(str(ipaddress.ip_network(net, strict=False)))
        except ValueError:
            raise InputError(f"--monitor-allow {net!r}: expected an IP address or network (e.g. 10.0.8.0/24)") from None
    if server_name is None:
        server_name = urlsplit(site_url(cfg)).hostname if getattr(cfg, "site_url", None) else "_"
    if server_name != "_" and not _HOST_RE.fullmatch(server_name):
        raise InputError(f"--server-name {server_name!r}: expected a host name")
    return Layout(
        official=_path(Path(cfg.work) / "official", f"{where}: [instituto] work"),
        pull=_path(cfg.pull_dir, f"{where}: [instituto] pull_dir") if cfg.pull_dir is not None else None,
        issued=_path(access.issued, f"{where}: [instituto] work"), live=_path(access.live, f"{where}: [instituto] work"),
        monitor_dir=_path(dash.parent, f"{where}: [monitor] dashboard"), dashboard=dash.name,
        frame_ancestors=frame_ancestors(registry), server_name=server_name,
        monitor_allow=tuple(dict.fromkeys(allow)),
        tls_certificate=_path(tls_certificate, "--tls-certificate") if tls_certificate else None,
        tls_key=_path(tls_key, "--tls-key") if tls_key else None)


# --- nginx ------------------------------------------------------------------------------------------------------


def _nginx_headers(cache: str, indent: str, sec) -> str:
    """The Cache-Control (a value, or a $variable) and the security headers, on every response."""
    lines = [f'{indent}add_header Cache-Control "{cache}" always;' if not cache.startswith("$") else
             f"{indent}add_header Cache-Control {cache} always;"]
    lines += [f'{indent}add_header {k} "{v}" always;' for k, v in sec]
    return "\n".join(lines)


def _nginx_top() -> str:
    """The http-level part: the connection limit, the access log that hides credentials, the package cache map."""
    return (f"# pregon instituto: the official site, per-difusor pull access, the monitor's dashboard\n"
            f"# (generated by `pregon instituto webconfig nginx`)\n"
            "limit_conn_zone $binary_remote_addr zone=pregon_inst_conn:10m;\nlimit_conn_status 503;\n"
            "# a credential never reaches the access log: only its first characters\n"
            f"map $uri $pregon_inst_log_uri {{\n"
            f"    \"~^/d/(?<pregon_tp>[^/]{{0,{LOGGED_TOKEN_CHARS}}})[^/]*(?<pregon_rest>/.*)?$\" \"/d/${{pregon_tp}}...${{pregon_rest}}\";\n"
            "    default $request_uri;\n}\n"
            "log_format pregon_instituto '$remote_addr - $remote_user [$time_local] "
            "\"$request_method $pregon_inst_log_uri $server_protocol\" $status $body_bytes_sent "
            "\"$http_referer\" \"$http_user_agent\"';\n"
            "map $status $pregon_inst_package_cache {\n"
            f"    200 \"{PRIVATE_IMMUTABLE}\";\n    206 \"{PRIVATE_IMMUTABLE}\";\n    304 \"{PRIVATE_IMMUTABLE}\";\n"
            f"    default \"{NOT_STORED}\";\n}}\n")


def _nginx_listen(lay: Layout, listen: str) -> str:
    if lay.https:  # `listen … ssl http2`: nginx 1.22 (Debian 12) and later; `http2 on` needs 1.25
        return (f"    listen {listen} ssl http2;\n    ssl_certificate {lay.tls_certificate};\n"
                f"    ssl_certificate_key {lay.tls_key};\n    ssl_protocols TLSv1.2 TLSv1.3;\n"
                "    ssl_session_cache shared:pregon_inst_ssl:10m;\n")
    return f"    listen {listen};\n"


def _nginx_pull(lay: Layout, headers, own_sec) -> str:
    """The pull directory: the signed index public, each package only through a live credential."""
    p, tok = lay.pull, TOKEN_PATTERN
    return f"""
    # --- pull: the signed index is public; packages only through a difusor's live credential ---
    location = /publicado/index.json {{
        alias {p}/index.json;
        default_type application/json;
{headers(pull.INDEX_CACHE, "        ", own_sec)}
    }}
    location = /publicado/index.json.minisig {{
        alias {p}/index.json.minisig;
        default_type text/plain;
{headers(pull.INDEX_CACHE, "        ", own_sec)}
    }}
    location ^~ /publicado/difusores/ {{
        alias {p}/difusores/;
        index index.html;
{headers(policy.HTML, "        ")}
    }}
    location ^~ /publicado/ {{
        return 403;
    }}
    location ^~ /d/ {{
        log_not_found off;
        types {{ }}
        location ~ "^/d/(?<pregon_token>{tok})/publicado/(?<pregon_file>index\\.json)$" {{
            if (!-f {lay.issued}/$pregon_token) {{ return 403; }}
            alias {p}/$pregon_file;
            default_type application/json;
{headers(pull.INDEX_CACHE, "            ", own_sec)}
        }}
        location ~ "^/d/(?<pregon_token>{tok})/publicado/(?<pregon_file>index\\.json\\.minisig)$" {{
            if (!-f {lay.issued}/$pregon_token) {{ return 403; }}
            alias {p}/$pregon_file;
            default_type text/plain;
{headers(pull.INDEX_CACHE, "            ", own_sec)}
        }}
        # notices reach a blocked difusor too: it must receive the one addressed to it
        location ~ "^/d/(?<pregon_token>{tok})/publicado/packages/(?<pregon_pkg>{NOTICE_NAME})$" {{
            if (!-f {lay.issued}/$pregon_token) {{ return 403; }}
            alias {p}/packages/$pregon_pkg;
            default_type application/gzip;
{headers("$pregon_inst_package_cache", "            ", own_sec)}
        }}
        location ~ "^/d/(?<pregon_token>{tok})/publicado/packages/(?<pregon_pkg>{PACKAGE_NAME})$" {{
            if (!-f {lay.live}/$pregon_token) {{ return 403; }}
            alias {p}/packages/$pregon_pkg;
            default_type application/gzip;
{headers("$pregon_inst_package_cache", "            ", own_sec)}
        }}
        return 403;
    }}
"""


def _nginx_monitor(lay: Layout, allow: str, headers, own_sec) -> str:
    """The monitor's dashboard, to the loopback and the networks allowed."""
    return f"""    # --- the monitor's dashboard: operations only ---
    location = /monitor {{
        return 301 /monitor/;
    }}
    location = /monitor/ {{
{allow}        alias {lay.monitor_dir}/;
        index {lay.dashboard};
{headers(policy.NO_STORE, "        ", own_sec)}
    }}
    location = /monitor/{lay.dashboard} {{
{allow}        alias {lay.monitor_dir}/{lay.dashboard};
        default_type text/html;
{headers(policy.NO_STORE, "        ", own_sec)}
    }}
    location = /monitor/{dashboard.TWIN} {{
{allow}        alias {lay.monitor_dir}/{dashboard.TWIN};
        default_type application/json;
{headers(policy.NO_STORE, "        ", own_sec)}
    }}
    location ^~ /monitor/ {{
        return 404;
    }}
"""


def _https_redirect_nginx(lay: Layout) -> str:
    return f"""server {{
    listen 80;
    server_name {lay.server_name};
    return 301 https://$host$request_uri;
}}
"""


def render_nginx(cfg, *, registry: Registry | None = None, listen: str | None = None, server_name: str | None = None,
                 access_log: str | None = None, monitor_allow=(), tls_certificate=None, tls_key=None,
                 standalone: bool = False, runtime_dir: Path | None = None, user: str | None = None,
                 workers: str = "auto") -> str:
    lay = layout(cfg, registry, server_name=server_name, monitor_allow=monitor_allow,
                 tls_certificate=tls_certificate, tls_key=tls_key)
    listen = _listen(listen, lay.https)
    log = _path(access_log or "/var/log/nginx/pregon-instituto.access.log", "--access-log")
    site_sec = policy.security_headers(lay.frame_ancestors, https=lay.https)
    own_sec = policy.security_headers(https=lay.https)  # pull and dashboard: never framed

    def headers(cache: str, indent: str, sec=site_sec) -> str:
        return _nginx_headers(cache, indent, sec)

    lim = ClientLimits()
    top = _nginx_top()
    listen_lines = _nginx_listen(lay, listen)
    allow = "".join(f"        allow {a};\n" for a in lay.monitor_allow) + "        deny all;\n"
    pull_part = _nginx_pull(lay, headers, own_sec) if lay.pull else ""
    server = f"""{top}server {{
{listen_lines}    server_name {lay.server_name};
    root {lay.official};
    index index.html;
    access_log {log} pregon_instituto buffer=64k flush=1s;
    # `official` changes by rename(2) at every cut; never cache descriptors across a swap
{NGINX_STATIC}    limit_conn pregon_inst_conn {lim.max_per_client};
    client_header_timeout {_ms(lim.header_timeout)};
    keepalive_timeout {_ms(lim.idle_timeout)};
    send_timeout {_ms(lim.send_timeout)};

    # --- the official site ---
{nginx_site_locations(headers)}{pull_part}
{_nginx_monitor(lay, allow, headers, own_sec)}}}
"""
    if lay.https:
        server += _https_redirect_nginx(lay)
    if not standalone:
        return server
    return nginx_standalone(server, runtime_dir=_path(runtime_dir or ".", "--runtime-dir"), user=user,
                            workers=workers)


# --- Apache -----------------------------------------------------------------------------------------------------


def _apache_headers(headers, indent: str) -> str:
    return "\n".join(f'{indent}Header always set {k} "{v}"' for k, v in headers)


def _apache_tls(lay: Layout) -> str:
    if not lay.https:
        return ""
    return (f"    SSLEngine on\n    SSLCertificateFile {lay.tls_certificate}\n"
            f"    SSLCertificateKeyFile {lay.tls_key}\n"
            "    SSLProtocol -all +TLSv1.2 +TLSv1.3\n    Protocols h2 http/1.1\n")


def _apache_directories(lay: Layout) -> str:
    """Who may read each directory: everyone the official site (and the pull directory), the dashboard only
    the networks allowed."""
    dirs = [f"""<Directory "{lay.official}">
    Options -Indexes +FollowSymLinks
    AllowOverride None
    Require all granted
</Directory>""", f"""<Directory "{lay.monitor_dir}">
    Options -Indexes
    AllowOverride None
    Require ip {" ".join(lay.monitor_allow)}
</Directory>"""]
    if lay.pull:
        dirs.append(f"""<Directory "{lay.pull}">
    Options -Indexes
    AllowOverride None
    Require all granted
</Directory>""")
    return "\n".join(dirs)


def _apache_pull(lay: Layout, own: str) -> str:
    """The pull directory: the signed index public, notices while a credential is issued, packages while live;
    the cache policy by response status."""
    p, tok = lay.pull, TOKEN_PATTERN
    ok_status = "%{REQUEST_STATUS} -in {'200', '206', '304'}"
    return f"""
    # --- pull: the signed index is public; packages only through a difusor's live credential ---
    RewriteRule "^/publicado/(index\\.json|index\\.json\\.minisig|difusores/.*)$" "{p}/$1" [L]
    RewriteRule "^/publicado(/|$)" - [F]
    # the index and notices while the credential is issued (a blocked difusor must receive its notice)
    RewriteCond "{lay.issued}/$1" !-f
    RewriteRule "^/d/({tok})/publicado/(index\\.json|index\\.json\\.minisig|packages/{NOTICE_NAME})$" - [F]
    RewriteRule "^/d/({tok})/publicado/(index\\.json|index\\.json\\.minisig|packages/{NOTICE_NAME})$" "{p}/$2" [L]
    # full and delta packages only while it is live
    RewriteCond "{lay.live}/$1" !-f
    RewriteRule "^/d/({tok})/publicado/packages/({PACKAGE_NAME})$" - [F]
    RewriteRule "^/d/({tok})/publicado/packages/({PACKAGE_NAME})$" "{p}/packages/$2" [L]
    RewriteRule "^/d/" - [F]
    <LocationMatch "^/(publicado|d)/">
{own}
    </LocationMatch>
    <LocationMatch "^/(d/[^/]+/)?publicado/index\\.json(\\.minisig)?$">
        Header always set Cache-Control "{pull.INDEX_CACHE}"
    </LocationMatch>
    <LocationMatch "^/publicado/difusores/">
        Header always set Cache-Control "{policy.HTML}"
    </LocationMatch>
    <LocationMatch "^/d/[^/]+/publicado/packages/">
        Header always set Cache-Control "{PRIVATE_IMMUTABLE}" "expr={ok_status}"
        Header always set Cache-Control "{NOT_STORED}" "expr=!({ok_status})"
    </LocationMatch>
"""


def _apache_modules(lay: Layout) -> list[str]:
    mods = ["mpm_event", "authz_core", "authz_host", "mime", "headers", "dir", "rewrite", "setenvif", "alias"]
    if lay.https:
        mods += ["ssl", "socache_shmcb", "http2"]
    return mods


def render_apache(cfg, *, registry: Registry | None = None, listen: str | None = None, server_name: str | None = None,
                  access_log: str | None = None, monitor_allow=(), tls_certificate=None, tls_key=None,
                  standalone: bool = False, runtime_dir: Path | None = None, user: str = "www-data",
                  group: str = "www-data") -> str:
    """The same policy as render_nginx in Apache 2.4's words: mod_rewrite tests each credential's file per
    request (`RewriteCond … -f`), mod_headers sets the cache policy by response status."""
    lay = layout(cfg, registry, server_name=server_name, monitor_allow=monitor_allow,
                 tls_certificate=tls_certificate, tls_key=tls_key)
    listen = _listen(listen, lay.https)
    port = listen.rsplit(":", 1)[-1]
    log = _path(access_log or "/var/log/apache2/pregon-instituto.access.log", "--access-log")
    lim = ClientLimits()
    own = _apache_headers(policy.security_headers(https=lay.https), "        ")  # nobody frames these
    tls = _apache_tls(lay)
    tp = LOGGED_TOKEN_CHARS
    dirs_text = _apache_directories(lay)
    pull_part = _apache_pull(lay, own) if lay.pull else ""
    vhost = f"""# pregon instituto: the official site, per-difusor pull access, the monitor's dashboard
# (generated by `pregon instituto webconfig apache`)
# needs: a2enmod headers mime dir rewrite setenvif authz_host alias{' ssl http2' if lay.https else ''}
{dirs_text}
<VirtualHost {'*:' + port if not standalone else listen}>
    ServerName {lay.server_name if lay.server_name != '_' else 'localhost'}
    DocumentRoot "{lay.official}"
    DirectoryIndex index.html
    # a credential never reaches the access log: only its first characters
    SetEnvIf Request_URI "^/d/([^/]{{0,{tp}}})[^/]*(/.*)?$" pregon_d=/d/$1...$2
    LogFormat "%h %l %u %t \\"%m %{{pregon_d}}e %H\\" %>s %O \\"%{{Referer}}i\\" \\"%{{User-Agent}}i\\"" pregon_instituto_d
    CustomLog "{log}" combined env=!pregon_d
    CustomLog "{log}" pregon_instituto_d env=pregon_d
    FileETag MTime Size
    AddType text/csv .csv
    AddType text/plain .minisig
    AddDefaultCharset utf-8
    Timeout {math.ceil(lim.send_timeout)}
    KeepAliveTimeout {_ms(lim.idle_timeout)}
    <IfModule reqtimeout_module>
        RequestReadTimeout header={math.ceil(lim.header_timeout)}
    </IfModule>
{tls}{_apache_headers(policy.security_headers(lay.frame_ancestors, https=lay.https), "    ")}
{APACHE_SITE_CACHE}    RewriteEngine On
    RewriteRule "/\\." - [R=404]
{pull_part}
    # --- the monitor's dashboard: operations only ---
    RewriteRule "^/monitor$" "/monitor/" [R=301,L]
    RewriteRule "^/monitor/$" "{lay.monitor_dir}/{lay.dashboard}" [L]
    RewriteRule "^/monitor/({re.escape(lay.dashboard)}|{re.escape(dashboard.TWIN)})$" "{lay.monitor_dir}/$1" [L]
    RewriteRule "^/monitor/" - [R=404]
    <LocationMatch "^/monitor/">
{own}
        Header always set Cache-Control "{policy.NO_STORE}"
    </LocationMatch>
</VirtualHost>
"""
    if lay.https:
        vhost += f"""<VirtualHost *:80>
    ServerName {lay.server_name}
    Redirect permanent / https://{lay.server_name}/
</VirtualHost>
"""
    if not standalone:
        return vhost
    return apache_standalone(vhost, runtime_dir=_path(runtime_dir or ".", "--runtime-dir"), listen=listen,
                             user=user, group=group, modules=_apache_modules(lay))


RENDERERS = {"nginx": render_nginx, "apache": render_apache}


def render(server: str, cfg, **kw) -> str:
    return RENDERERS[server](cfg, **kw)
