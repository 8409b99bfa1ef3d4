"""What a request is and who made it."""

from __future__ import annotations

import pytest

from pregon.analytics.classify import (
    ASSET,
    BOT,
    DOWNLOAD,
    HUMAN,
    JSON,
    MONITOR,
    OTHER,
    PAGE,
    Monitor,
    agent_class,
    bot_name,
    client_class,
    path_kind,
    request_kind,
)
from pregon.errors import InputError


@pytest.mark.parametrize("path,kind", [
    (b"/", PAGE), (b"/index.html", PAGE), (b"/diputaciones/distrito/07.HTM", PAGE), (b"/gubernatura/distrito/5/", PAGE),
    (b"/resultados", PAGE), (b"/json/main.json", JSON), (b"/json/distritos/07.json", JSON),
    (b"/datos/20240602_2330_PREP_DIP_MOR.zip", DOWNLOAD), (b"/datos/MOR_DIP_2024.csv", DOWNLOAD),
    (b"/datos/LEEME.txt", DOWNLOAD), (b"/datos/MOR.csv.sha256", DOWNLOAD), (b"/datos/x.tar.gz", DOWNLOAD),
    (b"/css/prep.css", ASSET), (b"/js/prep.js", ASSET), (b"/img/partidos/pan.PNG", ASSET),
    (b"/fonts/roboto.woff2", ASSET), (b"/favicon.ico", ASSET), (b"/robots.txt", ASSET), (b"/sitemap.xml", ASSET),
    (b"/feed.rss", OTHER), (b"/cgi-bin/x.cgi", OTHER),
])
def test_path_kinds(path, kind):
    assert path_kind(path) == kind


@pytest.mark.parametrize("method,status,kind", [
    (b"GET", 200, PAGE), (b"GET", 304, PAGE), (b"GET", 206, PAGE),
    (b"GET", 301, OTHER), (b"GET", 404, OTHER), (b"GET", 500, OTHER), (b"GET", 503, OTHER),
    (b"HEAD", 200, OTHER), (b"POST", 200, OTHER), (b"", 400, OTHER),
])
def test_only_successful_gets_are_pages(method, status, kind):
    assert request_kind(method, b"/index.html", status) == kind


@pytest.mark.parametrize("agent,name", [
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot"),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bingbot"),
    ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "facebookexternalhit"),
    ("WhatsApp/2.23.20.0", "WhatsApp"),
    ("curl/8.5.0", "curl"),
    ("python-requests/2.31.0", "python-requests"),
    ("Go-http-client/1.1", "Go-http-client"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/125.0.0.0 Safari/537.36", "HeadlessChrome"),
    ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", "GPTBot"),
    ("-", "(no user agent)"),
    ("", "(no user agent)"),
])
def test_bots_are_named(agent, name):
    assert bot_name(agent) == name
    assert agent_class(agent, Monitor.build()) == BOT


@pytest.mark.parametrize("agent", [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    # in-app browsers are people
    "Mozilla/5.0 (Linux; Android 13; SM-A536E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36 [FBAN/EMA;FBLC/es_LA;FBAV/409.0.0.12.108;]",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 330.0.3.31.90",
    # a phone brand whose name contains "bot"
    "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
])
def test_browsers_are_people(agent):
    assert bot_name(agent) is None
    assert agent_class(agent, Monitor.build()) == HUMAN


def test_monitor_by_agent_or_address():
    m = Monitor.build(agents=("pregon-monitor", "IEEM-vigia"), ips=("200.38.120.5", "10.9.0.0/16", "2001:db8::/32"))
    assert client_class("1.2.3.4", "pregon-monitor/0.1 (+https://x)", m) == MONITOR
    assert client_class("1.2.3.4", "Mozilla/5.0 ieem-VIGIA/2", m) == MONITOR  # case-insensitive
    assert client_class("200.38.120.5", "curl/8", m) == MONITOR  # the address wins over the bot agent
    assert client_class("10.9.200.1", "Mozilla/5.0 (X11) Firefox/126.0", m) == MONITOR
    assert client_class("2001:db8::7", "Mozilla/5.0 (X11) Firefox/126.0", m) == MONITOR
    assert client_class("10.8.0.1", "Mozilla/5.0 (X11) Firefox/126.0", m) == HUMAN
    assert client_class("not-an-ip", "Mozilla/5.0 (X11) Firefox/126.0", m) == HUMAN


def test_monitor_address_must_be_an_address():
    with pytest.raises(InputError, match="monitor IP 'example.org'"):
        Monitor.build(ips=("example.org",))
