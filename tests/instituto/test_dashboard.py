"""The operator's dashboard: Spanish, hora del Centro, one lag series per difusor with the limit, alerts with
their evidence, a JSON twin that agrees with the page, same inputs same bytes."""

import json
import re
from html.parser import HTMLParser

from hypothesis import given
from hypothesis import strategies as st

from pregon.instituto import dashboard
from pregon.instituto.monitor import summarize

SHA_A, SHA_B = "a" * 64, "b" * 64


def _obs():
    base = dict(url="http://127.0.0.1:9/", up=True, latest_corte=3)
    out = []
    for i, t in enumerate(("2024-06-03T02:00:00+00:00", "2024-06-03T02:15:00+00:00", "2024-06-03T02:30:00+00:00")):
        out.append({**base, "time": t, "difusor": "sano", "status": "ok", "corte_sequence": i + 1, "lag_s": 2.0 + i,
                    "since": t})
    out.append({**base, "time": "2024-06-03T02:00:00+00:00", "difusor": "lento", "status": "ok",
                "corte_sequence": 1, "lag_s": 5.0})
    for t in ("2024-06-03T02:15:00+00:00", "2024-06-03T02:30:00+00:00"):
        out.append({**base, "time": t, "difusor": "lento", "status": "lagging", "corte_sequence": 1, "lag_s": 95.0,
                    "error": "lagging — shows corte 1; corte 3 is out for 95 s"})
    out.append({**base, "time": "2024-06-03T02:30:00+00:00", "difusor": "alterado", "status": "tampered",
                "corte_sequence": 3, "lag_s": 1.0, "tampered": ["GUB/index.html"],
                "evidence": [{"path": "GUB/index.html", "expected": SHA_A, "found": SHA_B, "http_status": 200}],
                "error": "differs from the official corte 3: GUB/index.html"})
    return out


def _build(obs=None):
    obs = _obs() if obs is None else obs
    m = dashboard.model(summarize(obs), obs, generated="2024-06-03T02:31:00+00:00", latest_corte=3, lag_limit=60)
    return m, dashboard.render(m)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "code")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "code")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def test_the_page_speaks_spanish_and_no_english_error_leaks():
    _m, page = _build()
    p = _Text()
    p.feed(page)
    text = " ".join(p.parts)
    for english in ("lagging", "differs from", "shows corte", "is out for", "tampered", "down"):
        assert english not in text, english
    assert 'lang="es-MX"' in page and "Retrasado" in text and "Contenido alterado" in text
    assert "el corte 3 ya está publicado" in text


def test_times_are_hora_del_centro():
    _m, page = _build()
    # 02:30 UTC on 3 June 2024 is 20:30 in the Centro (UTC-6, no DST since 2022)
    assert "desde las 20:15:00" in page  # lento's lag began at 02:15 UTC
    assert "03/06/2024" not in page and "02/06/2024 20:31:00" in page
    assert "2024-06-03T02" not in re.sub(r"<code>.*?</code>", "", page)


def test_the_chart_has_one_series_per_difusor_and_the_limit():
    m, page = _build()
    svg = page[page.index("<svg class=\"grafica\""):page.index("</svg>", page.index("<svg class=\"grafica\""))]
    assert sorted(re.findall(r'data-difusor="([^"]+)"', svg)) == ["alterado", "lento", "sano"]
    assert svg.count("<polyline") == 3 and "límite 60 s" in svg
    lento = re.search(r'data-difusor="lento"><polyline points="([^"]+)"', svg).group(1).split()
    assert len(lento) == 3 and len(m["retrasos"]["lento"]) == 3


def test_each_alert_carries_file_hashes_and_since_when():
    m, page = _build()
    alerts = {a["difusor"]: a for a in m["alertas"]}
    assert set(alerts) == {"lento", "alterado"}
    a = alerts["alterado"]
    assert a["evidencia"] == [{"path": "GUB/index.html", "expected": SHA_A, "found": SHA_B, "http_status": 200}]
    assert a["desde"] == "2024-06-03T02:30:00+00:00"
    assert alerts["lento"]["desde"] == "2024-06-03T02:15:00+00:00"
    assert "GUB/index.html" in page and SHA_A[:16] in page and SHA_B[:16] in page


def test_the_json_twin_agrees_with_the_page_and_is_deterministic(tmp_path):
    obs = _obs()
    kw = dict(generated="2024-06-03T02:31:00+00:00", latest_corte=3, lag_limit=60)
    path = dashboard.write(tmp_path / "index.html", summarize(obs), obs, **kw)
    twin = json.loads((tmp_path / dashboard.TWIN).read_text())
    page = path.read_text()
    assert f'href="{dashboard.TWIN}"' in page and 'http-equiv="refresh"' in page
    for d in twin["difusores"]:
        assert f'id="d-{d["difusor"]}"' in page and d["estado_texto"] in page
    first = (path.read_bytes(), (tmp_path / dashboard.TWIN).read_bytes())
    dashboard.write(tmp_path / "index.html", summarize(obs), obs, **kw)
    assert (path.read_bytes(), (tmp_path / dashboard.TWIN).read_bytes()) == first


def test_no_observations_yet():
    m, page = _build([])
    assert m["difusores"] == [] and "Aún no hay mediciones" in page and "Sin alertas" in page


def test_a_blocked_difusor_still_allowed_to_frame_is_an_alert():
    obs = [{"time": "2024-06-03T02:30:00+00:00", "difusor": "marco", "status": "frame-allowed", "up": True,
            "url": "http://127.0.0.1:9/", "error": "blocked, but the official site still lets its page frame it"}]
    m, page = _build(obs)
    [a] = m["alertas"]
    assert a["difusor"] == "marco" and a["nivel"] == "grave" and "pregon instituto webconfig" in a["mensaje"]
    assert m["difusores"][0]["nivel"] == "grave"


@given(st.lists(st.floats(0, 600, allow_nan=False), min_size=1, max_size=3000))
def test_a_long_night_is_thinned_but_keeps_every_spike(lags):
    from pregon.instituto.dashboard_chart import MAX_POINTS, thin

    pts = list(enumerate(lags))
    kept = thin(pts)
    assert len(kept) <= MAX_POINTS + 3 and kept == sorted(kept)  # time order, a subset
    assert set(kept) <= set(pts) and kept[0] == pts[0] and kept[-1] == pts[-1]
    assert max(v for _t, v in kept) == max(lags)  # the worst lag of the night survives
    if len(pts) <= MAX_POINTS:
        assert kept == pts
    # every stretch of the night keeps its own worst: no bucket's spike is averaged away
    size = -(-len(pts) * 3 // MAX_POINTS)
    for i in range(0, len(pts), size):
        bucket = pts[i:i + size]
        if len(pts) > MAX_POINTS:
            assert max(bucket, key=lambda p: p[1])[1] in {v for t, v in kept if bucket[0][0] <= t <= bucket[-1][0]}


def test_the_dashboard_of_a_long_night_stays_small():
    obs = []
    for i in range(4000):  # 11 hours polled every 10 s
        t = f"2024-06-03T{2 + i // 360:02d}:{i // 6 % 60:02d}:{i % 6 * 10:02d}+00:00"
        obs.append({"url": "http://127.0.0.1:9/", "up": True, "latest_corte": 3, "time": t, "difusor": "sano",
                    "status": "ok", "corte_sequence": 3, "lag_s": 90.0 if i == 1234 else 2.0})
    _m, page = _build(obs)
    pts = re.search(r'data-difusor="sano"><polyline points="([^"]+)"', page).group(1).split()
    assert len(pts) <= 483 and len(page) < 60_000


def test_a_fractional_limit_is_written_as_it_is():
    """A drill's limit is one cut's slot in real seconds (2.5 s at 360x): the line and the text say 2,5, not 2."""
    obs = _obs()
    m = dashboard.model(summarize(obs), obs, generated="2024-06-03T02:31:00+00:00", latest_corte=3, lag_limit=2.5)
    page = dashboard.render(m)
    assert "Retraso máximo permitido: 2,5 s." in page and "límite 2,5 s" in page
