"""What a request was (page, JSON poll, download, asset, other) and who made it (a person, a bot, the
institute's monitor).

Every function here is called once per *distinct* path or user agent (the engine caches the answers), so
clarity wins over speed.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from ..errors import InputError

# Request kinds. Every hit is exactly one of them, so hits = pages + json + downloads + assets + other.
PAGE, JSON, DOWNLOAD, ASSET, OTHER = range(5)
KIND_NAMES = ("pages", "json", "downloads", "assets", "other")

# Client classes. A client is one (IP, user agent); the monitor wins over bot, bot over human.
HUMAN, BOT, MONITOR = range(3)
CLASS_NAMES = ("humans", "bots", "monitor")

PAGE_EXTENSIONS = frozenset(b"html htm shtml xhtml php asp aspx jsp".split())
JSON_EXTENSIONS = frozenset([b"json"])
# The institute's database (CSV/TXT, zipped), its hash and signature files, and office/PDF documents.
DOWNLOAD_EXTENSIONS = frozenset(
    b"zip csv tsv txt gz tgz bz2 xz 7z rar tar sha256 sha512 md5 sig minisig asc pdf xls xlsx ods".split()
)
ASSET_EXTENSIONS = frozenset(
    b"css js mjs map png jpg jpeg gif svg webp avif ico bmp woff woff2 ttf otf eot mp4 webm mp3 ogg "
    b"webmanifest".split()
)
# Files a site serves for machines, not people; `.txt` would otherwise make robots.txt a download.
ASSET_NAMES = frozenset(
    b"robots.txt humans.txt security.txt ads.txt sitemap.xml browserconfig.xml crossdomain.xml".split()
)


def path_kind(path: bytes) -> int:
    """The kind a successful GET of `path` (query string already removed) is: a directory or an extensionless
    name is a page (`/`, `/distrito/7`), otherwise the extension decides; unknown extensions are other."""
    name = path.rsplit(b"/", 1)[-1].lower()
    if not name:
        return PAGE
    if name in ASSET_NAMES:
        return ASSET
    dot = name.rfind(b".")
    if dot < 0:
        return PAGE
    ext = name[dot + 1:]
    if ext in PAGE_EXTENSIONS:
        return PAGE
    if ext in JSON_EXTENSIONS:
        return JSON
    if ext in DOWNLOAD_EXTENSIONS:
        return DOWNLOAD
    if ext in ASSET_EXTENSIONS:
        return ASSET
    return OTHER


def is_success(status: int) -> bool:
    """2xx, or 304 (the browser's cached copy was still good: the document was shown)."""
    return 200 <= status < 300 or status == 304


def request_kind(method: bytes, path: bytes, status: int) -> int:
    """Only a successful GET is a page, poll, download or asset; errors, redirects, HEAD, POST are other."""
    if method == b"GET" and is_success(status):
        return path_kind(path)
    return OTHER


# User-agent tokens of crawlers, link previewers, scripts, scanners and uptime checkers (case-insensitive).
# Browsers embedded in apps (Facebook's FBAN, Instagram) are people and do not match.
BOT_TOKENS = (
    "bot", "crawl", "spider", "slurp", "scrap", "archiver", "facebookexternalhit", "facebookcatalog",
    "meta-externalagent", "whatsapp", "telegram", "skypeuripreview", "discord", "slack", "embedly",
    "preview", "curl/", "wget/", "libwww", "lwp-", "python-", "python/", "aiohttp", "httpx", "urllib",
    "go-http-client", "java/", "okhttp", "apache-httpclient", "httpclient", "node-fetch", "axios/",
    "undici", "guzzle", "ruby", "perl", "php/", "postman", "insomnia", "headless", "phantomjs",
    "selenium", "puppeteer", "playwright", "lighthouse", "pagespeed", "gtmetrix", "pingdom", "uptime",
    "statuscake", "site24x7", "monitor", "check_http", "nagios", "zabbix", "prometheus", "blackbox",
    "feedfetcher", "mediapartners", "adsbot", "google-inspectiontool", "google-read-aloud",
    "google-safety", "googleother", "bingpreview", "yahoo", "baidu", "yandex", "duckduck", "petalbot",
    "bytespider", "gptbot", "chatgpt", "oai-searchbot", "claude", "anthropic", "ccbot", "perplexity",
    "amazonbot", "applebot", "semrush", "ahrefs", "mj12", "dotbot", "dataforseo", "seznam", "qwant",
    "ia_archiver", "zgrab", "masscan", "nmap", "nuclei", "sqlmap", "nikto", "censys", "expanse",
    "internetmeasurement", "scanner", "httrack",
)
# "bot" but not the CUBOT phone brand.
_BOT_RE = re.compile("|".join(r"(?<!cu)bot" if t == "bot" else re.escape(t) for t in BOT_TOKENS), re.I)
_NAME_RE = re.compile(r"[A-Za-z0-9_.\-]*$")
_NAME_TAIL_RE = re.compile(r"[A-Za-z0-9_.\-]*")


def bot_name(agent: str) -> str | None:
    """A short name for a bot's user agent (`Googlebot`, `curl`, `python-requests`), None for a person.
    An empty agent (`-`) is a script: browsers always send one."""
    agent = agent.strip()
    if agent in ("", "-"):
        return "(no user agent)"
    m = _BOT_RE.search(agent)
    if m is None:
        return None
    left = _NAME_RE.search(agent, 0, m.start()).group()
    right = _NAME_TAIL_RE.match(agent, m.end()).group()
    name = (left + m.group() + right).split("/")[0].strip("-_.") or m.group()
    return name


def is_bot(agent: str) -> bool:
    return bot_name(agent) is not None


@dataclass(frozen=True)
class Monitor:
    """How to recognise the institute's compliance monitor: user-agent substrings and/or addresses
    (single IPs or CIDR networks). Its requests are counted apart so they do not inflate the visitors."""

    agents: tuple[str, ...] = ("pregon-monitor",)
    networks: tuple = ()

    @classmethod
    def build(cls, agents=("pregon-monitor",), ips=()) -> Monitor:
        nets = []
        for ip in ips:
            try:
                nets.append(ipaddress.ip_network(str(ip).strip(), strict=False))
            except ValueError:
                raise InputError(f"monitor IP {ip!r}: not an IP address or network; give e.g. 200.38.120.5 or 200.38.120.0/24") from None
        return cls(tuple(a.lower() for a in agents if a), tuple(nets))

    def agent_matches(self, agent: str) -> bool:
        low = agent.lower()
        return any(a in low for a in self.agents)

    def ip_matches(self, client: str) -> bool:
        if not self.networks:
            return False
        try:
            addr = ipaddress.ip_address(client)
        except ValueError:
            return False
        return any(addr in net for net in self.networks)


def agent_class(agent: str, monitor: Monitor) -> int:
    """Class from the user agent alone (the monitor's IPs are checked separately, per address)."""
    if monitor.agent_matches(agent):
        return MONITOR
    if bot_name(agent) is not None:
        return BOT
    return HUMAN


def client_class(client: str, agent: str, monitor: Monitor) -> int:
    if monitor.ip_matches(client):
        return MONITOR
    return agent_class(agent, monitor)
