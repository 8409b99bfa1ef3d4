"""The compliance monitor: poll every difusor's public copy and check it against the official cut.

Per difusor and round (httpx, async, all difusores at once, user agent `pregon-monitor/<version>` so the
difusores' analytics can leave it out):
- up: `json/main.json` answers 200 within the timeout (else `down`, with the error);
- corte: which `corte.secuencia`/`instante` main.json shows, and since when (first seen by the monitor);
- lag: 0 when it shows the latest published cut; otherwise the time since the first newer cut was
  published (the rule is <= 60 s): `lagging` over the limit;
- integrity: SHA-256 of the served main.json and of a sample of pages against the official site's files of
  that very cut: `tampered` on any difference (or a corte the institute never published); the sample always
  holds the corte stamp `corte.html`, and the home page must frame it (stamp_check);
- headers: `Cache-Control` of main.json has no-cache, no-store and must-revalidate;
- TLS: an https URL must present a valid certificate (httpx verifies it): `tls-error` otherwise;
- a blocked difusor: its home page must show the notice ("ya no es difusor oficial");
- a method-2 (`frame`) difusor hosts nothing to compare: its `enlace` page must hold an iframe of the official
  site (same origin, under the path of `[instituto] site_url`) and the official site's `Content-Security-Policy:
  frame-ancestors` must let that page's origin frame it (`frame-missing`, `frame-elsewhere`, `frame-refused`;
  `frame-unchecked` without a site_url or when the official site does not answer). Blocked, it is in order
  (`notice-shown`) once the official site refuses to be framed by it, and `frame-allowed` while it does not.
Every observation is a line of observations.jsonl; availability (the seeds ask 99.9%) and lag percentiles
come from those lines. Alerts (a log line, and the optional `alert_command` with PREGON_ALERT_* variables)
fire when a condition starts, and a `resolved` line when it ends.

`lag_scale` is the one seam for a drill on an accelerated clock: simulated seconds per real second. Lags are
measured on the clock (simulated), judged against the limit in those seconds, and reported in real ones.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import ssl
import subprocess
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from .. import durable
from . import stamp_check, store
from .framing import ancestors_allow, frames_site, iframe_sources
from .packages import PackageRecord, published
from .registry import Difusor

NO_STORE_TOKENS = ("no-cache", "no-store", "must-revalidate")
NOTICE_TEXT = "ya no es difusor oficial"
IN_ORDER = ("ok", "notice-shown")  # the statuses of a difusor in compliance; every other one is a failure
FRAME_FAILURES = ("frame-missing", "frame-elsewhere", "frame-refused", "frame-allowed", "frame-unchecked")
MAX_FRAME_PAGE = 4 << 20  # bytes of a framing page read for its iframes


def user_agent() -> str:
    try:
        from importlib.metadata import version

        v = version("pregon")
    except Exception:
        v = "0"
    return f"pregon-monitor/{v}"


@dataclass
class Observation:
    time: str
    difusor: str
    url: str
    status: str  # ok | lagging | tampered | down | tls-error | headers | notice-shown | notice-missing | frame-*
    up: bool
    http_status: int | None = None
    corte_sequence: int | None = None
    corte_instant: str | None = None
    since: str | None = None
    lag_s: float | None = None
    latest_corte: int | None = None
    tampered: list[str] = field(default_factory=list)
    # per differing file: path, the official sha256 (`expected`), what was served (`found`, or None), HTTP status
    evidence: list[dict] = field(default_factory=list)
    headers_ok: bool | None = None
    error: str | None = None
    response_s: float | None = None

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None and v != []}


def sample_paths(site: Path, n: int) -> list[str]:
    """`index.html`, the difusores page, and n-2 more HTML pages spread evenly over the site (stable)."""
    pages = []
    for dirpath, _dirs, files in os.walk(site):
        for f in files:
            if f.endswith(".html"):
                pages.append(os.path.relpath(os.path.join(dirpath, f), site))
    pages.sort()
    first = [p for p in ("index.html", "difusores/index.html") if p in pages]
    rest = [p for p in pages if p not in first]
    k = max(0, n - len(first))
    picked = [rest[(i * len(rest)) // k] for i in range(k)] if rest and k else []
    return (first + sorted(set(picked)))[:max(n, 1)]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return None
    v = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(v)))
    return v[rank - 1]


class Monitor:
    def __init__(self, cfg, registry, *, clock=None, work: Path | None = None, log=None, verify_tls=True,
                 transport=None, site_url: str | None = None, lag_scale: float | None = None):
        self.cfg = cfg  # MonitorConfig
        self.registry = registry
        self.work = Path(work) if work is not None else None
        self.clock = clock
        self.log = log or (lambda msg: None)
        self.verify_tls = verify_tls
        self.transport = transport
        self.site_url = site_url  # the official site a frame difusor must frame ([instituto] site_url)
        # clock seconds per reported second: a drill's speed, its lags then in real seconds; None: the clock's
        self.lag_scale = None if lag_scale is None else float(lag_scale)
        self._policy_client = None
        self._policy_task = None
        self.first_seen: dict[str, tuple[int, str]] = {}  # difusor -> (corte, first seen iso)
        self.active_alerts: dict[str, set[str]] = {}
        self.last_failure: dict[str, dict] = {}
        self._samples: dict[int, list[str]] = {}
        self._official_hashes: dict[tuple[int, str], str | None] = {}
        self._state_path = Path(self.cfg.observations).with_name("monitor-state.json")
        # observations and alerts are the compliance record: a full disk keeps them in memory, never crashes
        self._observations = durable.Log(self.cfg.observations, syslog_ident="pregon-monitor", fsync=False,
                                         sort_keys=True)
        self._alerts_log = durable.Log(Path(self.cfg.observations).with_name("alerts.jsonl"),
                                       syslog_ident="pregon-monitor", fsync=False, sort_keys=True)
        saved = durable.read_json(self._state_path, {}) or {}
        self.active_alerts = {k: set(v) for k, v in saved.get("alerts", {}).items()}
        for o in durable.read_jsonl(self.cfg.observations):
            if o.get("status") not in ("ok",) and o.get("difusor"):
                self.last_failure[o["difusor"]] = {"time": o.get("time"), "status": o.get("status"),
                                                   "error": o.get("error") or ",".join(o.get("tampered", []))}
            if o.get("corte_sequence") is not None and o.get("since"):
                self.first_seen[o["difusor"]] = (o["corte_sequence"], o["since"])

    def now(self) -> datetime:
        return self.clock.now() if self.clock is not None else store.utc_now()

    # --- the official side ------------------------------------------------------------------------------

    def cuts(self) -> list[PackageRecord]:
        return [r for r in published(self.work) if r.kind != "notice"] if self.work else []

    def _official(self, rec: PackageRecord, rel: str) -> str | None:
        key = (rec.sequence, rel)
        if key not in self._official_hashes:
            try:
                self._official_hashes[key] = _sha((Path(rec.site) / rel).read_bytes())
            except (OSError, TypeError):
                self._official_hashes[key] = None
        return self._official_hashes[key]

    # --- a round ------------------------------------------------------------------------------------------

    def _identify(self, body: bytes, cuts: list[PackageRecord]) -> tuple[PackageRecord | None, int | None]:
        """The published cut a difusor's main file belongs to: the one its `corte.secuencia` names (pregon's
        own format), else the one whose official main file has these very bytes (a site that is not
        pregon's: the institute's own system names its cortes its own way). With the corte number the file
        names, if any."""
        try:
            seq = int(json.loads(body)["corte"]["secuencia"])
        except (ValueError, KeyError, TypeError):
            seq = None
        named = [c for c in cuts if c.corte_sequence == seq]
        if named:
            return named[-1], seq
        digest = _sha(body)
        for c in reversed(cuts):
            if self._official(c, self.cfg.main) == digest:
                return c, seq
        return None, seq

    async def round(self) -> list[Observation]:
        import httpx

        difusores = self.registry.all()
        cuts = self.cuts()
        kw = dict(timeout=self.cfg.timeout_seconds, headers={"User-Agent": user_agent()},
                  verify=self.verify_tls, follow_redirects=False)
        if self.transport is not None:
            kw["transport"] = self.transport
        async with httpx.AsyncClient(**kw) as client:
            try:
                obs = await asyncio.gather(*(self.observe(client, d, cuts) for d in difusores))
            finally:
                self._policy_client = self._policy_task = None
        for o in obs:
            self._observations.append(o.to_json())
            self._alerts(o)
        try:
            durable.write_json(self._state_path, {"alerts": {k: sorted(v) for k, v in self.active_alerts.items()}})
        except OSError as exc:
            self.log(f"cannot save {self._state_path}: {exc.strerror or exc}; the alerts stay in memory")
        return list(obs)

    async def observe(self, client, d: Difusor, cuts: list[PackageRecord]) -> Observation:
        """One look at a difusor. Pages that differ from the corte main.json showed may only mean the difusor
        activated the next corte between the two requests, so such a finding is checked once more: a real
        alteration is still there, a swap is not."""
        o = await self._observe_once(client, d, cuts)
        if o.status == "tampered" and o.tampered and o.tampered != ["json/main.json"]:
            again = await self._observe_once(client, d, cuts)
            if again.status != "tampered" or again.corte_sequence == o.corte_sequence:
                o = again
        return o

    async def _observe_once(self, client, d: Difusor, cuts: list[PackageRecord]) -> Observation:
        import httpx

        now = self.now()
        o = Observation(time=store.iso(now), difusor=d.id, url=d.enlace, status="ok", up=False)
        t0 = time.perf_counter()
        try:
            if d.transfer.method == "frame":
                return await self._observe_frame(client, d, o, t0)
            if not d.active:
                return await self._observe_blocked(client, d, o)
            return await self._observe_copy(client, d, o, t0, cuts, now)
        except httpx.ConnectError as exc:
            cause = exc.__cause__ or exc
            if isinstance(cause, ssl.SSLError) or "CERTIFICATE" in str(exc).upper() or "SSL" in str(exc).upper():
                o.status, o.error = "tls-error", f"TLS: {exc}"
            else:
                o.status, o.error = "down", f"cannot connect: {exc}"
        except httpx.TimeoutException:
            o.status, o.error = "down", f"no answer within {self.cfg.timeout_seconds:g} s"
        except httpx.HTTPError as exc:
            o.status, o.error = "down", f"{type(exc).__name__}: {exc}"
        finally:
            if o.response_s is None:
                o.response_s = round(time.perf_counter() - t0, 3)
        return o

    async def _observe_blocked(self, client, d: Difusor, o: Observation) -> Observation:
        """A blocked difusor hosting a copy: its home page must show the institute's notice."""
        r = await client.get(d.enlace)
        o.http_status, o.up = r.status_code, r.status_code == 200
        o.status = "notice-shown" if NOTICE_TEXT in r.text else "notice-missing"
        if o.status == "notice-missing":
            o.error = "blocked, but its portal does not show the institute's notice"
        return o

    async def _answer(self, client, o: Observation, url: str, t0: float, what: str):
        """GET the page a difusor is judged by, its time and status noted in `o`: the response when it answers
        200; None, and `o` down, otherwise."""
        r = await client.get(url)
        o.response_s = round(time.perf_counter() - t0, 3)
        o.http_status = r.status_code
        if r.status_code != 200:
            o.status, o.error = "down", f"HTTP {r.status_code} for {what}"
            return None
        o.up = True
        return r

    async def _observe_copy(self, client, d: Difusor, o: Observation, t0: float, cuts: list[PackageRecord],
                            now: datetime) -> Observation:
        """An active difusor hosting a copy: its main file names a published corte, it is that corte's to the
        byte (and so are the sampled pages), it is not behind, and main.json is served uncached."""
        main_path = self.cfg.main
        r = await self._answer(client, o, d.enlace + main_path, t0, main_path)
        if r is None:
            return o
        body = r.content
        cc = r.headers.get("cache-control", "").lower()
        o.headers_ok = all(t in cc for t in NO_STORE_TOKENS)
        rec, named = self._identify(body, cuts)
        if rec is None:
            o.status, o.tampered = "tampered", [main_path]
            o.error = (f"shows corte {named}, which the institute never published" if named is not None else
                       f"{main_path} is not the official file of any corte the institute published")
            return o
        latest, lag = self._corte_and_lag(d, o, rec, cuts, now)
        bad, unframed, o.evidence = await self._differences(client, d.enlace, rec, body)
        o.tampered = bad
        if bad:
            o.status = "tampered"
            o.error = f"differs from the official corte {rec.corte_sequence}: {', '.join(bad[:5])}"
            if unframed:
                o.error += f"; {unframed}"
        elif lag is not None and lag > self.cfg.lag_limit_seconds:
            o.status = "lagging"
            o.error = (f"shows corte {rec.corte_sequence}; corte {latest.corte_sequence} is out for "
                       f"{self._lag_text(o.lag_s)}")
        elif not o.headers_ok:
            o.status = "headers"
            o.error = f"json/main.json Cache-Control is {cc!r}; required: {', '.join(NO_STORE_TOKENS)}"
        return o

    def _corte_and_lag(self, d: Difusor, o: Observation, rec: PackageRecord, cuts: list[PackageRecord],
                       now: datetime) -> tuple[PackageRecord | None, float | None]:
        """Fill in the corte shown, since when, the latest public one and the lag (reported over `lag_scale`);
        returns (latest public cut, lag in clock seconds)."""
        seq = rec.corte_sequence
        o.corte_sequence, o.corte_instant = seq, rec.corte_instant
        prev = self.first_seen.get(d.id)
        if prev is None or prev[0] != seq:
            self.first_seen[d.id] = (seq, o.time)
        o.since = self.first_seen[d.id][1]
        public = [c for c in cuts if datetime.fromisoformat(c.published) <= now]
        latest = public[-1] if public else None
        o.latest_corte = latest.corte_sequence if latest else None
        if latest is None or seq >= latest.corte_sequence:
            lag = 0.0
        else:
            newer = [c for c in public if c.corte_sequence > seq]
            lag = round((now - datetime.fromisoformat(newer[0].published)).total_seconds(), 3)
        o.lag_s = lag if self.lag_scale is None else round(lag / self.lag_scale, 3)
        return latest, lag

    def _lag_text(self, reported: float) -> str:
        return f"{reported:.0f} s" if self.lag_scale is None else f"{reported:.1f} real s"

    async def _differences(self, client, base: str, rec: PackageRecord,
                           body: bytes) -> tuple[list[str], str | None, list[dict]]:
        """The files of the difusor's copy that are not the official corte's (main.json, the corte stamp and a
        stable sample), and the finding when its home page does not frame the stamp (that page counts too)."""
        bad, unframed, evidence = [], None, []
        if _sha(body) != self._official(rec, self.cfg.main):
            bad.append(self.cfg.main)
            evidence.append(self._evidence_of(self.cfg.main, rec, body, 200))
        paths = self._samples.get(rec.sequence)
        if paths is None:
            sample = sample_paths(Path(rec.site), self.cfg.sample_pages)
            paths = self._samples[rec.sequence] = stamp_check.with_stamp(sample, Path(rec.site))
        framing = stamp_check.page_to_check(paths) if stamp_check.STAMP in paths else None
        for rel in paths:
            pr = await client.get(base + rel)
            if pr.status_code != 200 or _sha(pr.content) != self._official(rec, rel):
                bad.append(rel)
                evidence.append(self._evidence_of(rel, rec, pr.content, pr.status_code))
            if rel == framing and pr.status_code == 200 and not stamp_check.frames_stamp(rel, pr.content):
                unframed = stamp_check.finding(rel)
                bad += [] if rel in bad else [rel]
        return bad, unframed, evidence[:10]

    def _evidence_of(self, rel: str, rec: PackageRecord, content: bytes, status: int) -> dict:
        """One differing file, for the alert: the official corte's sha256 and what was served instead."""
        return {"path": rel, "expected": self._official(rec, rel),
                "found": _sha(content) if status == 200 else None, "http_status": status}

    # --- method 2 -----------------------------------------------------------------------------------------

    async def _official_policy(self, client) -> tuple[list[str], str | None]:
        """The official site's CSP headers and X-Frame-Options, fetched once per round (all frame difusores
        share the answer); an httpx error or a non-200 propagates as RuntimeError."""
        if self._policy_task is None or self._policy_client is not client:
            self._policy_client = client

            async def fetch():
                import httpx

                try:
                    r = await client.get(self.site_url)
                except httpx.HTTPError as exc:
                    raise RuntimeError(f"the official site {self.site_url} does not answer: {exc}") from None
                if r.status_code != 200:
                    raise RuntimeError(f"the official site {self.site_url} answers HTTP {r.status_code}")
                return r.headers.get_list("content-security-policy"), r.headers.get("x-frame-options")

            self._policy_task = asyncio.ensure_future(fetch())
        return await self._policy_task

    async def _observe_frame(self, client, d: Difusor, o: Observation, t0: float) -> Observation:
        """A method-2 difusor: its page frames the official site, and the official site lets it (nothing of
        the difusor's own host is compared: it hosts no copy)."""
        if not self.site_url:
            o.status, o.error = "frame-unchecked", "[instituto] site_url is not set: which frame is the official site?"
            return o
        ancestor = d.enlace
        if not d.active:
            try:
                csp, xfo = await self._official_policy(client)
            except RuntimeError as exc:
                o.status, o.error = "frame-unchecked", str(exc)
                return o
            if ancestors_allow(csp, xfo, ancestor, self.site_url):
                o.status = "frame-allowed"
                o.error = ("blocked, but the official site still lets its page frame it: regenerate the web "
                           "configuration (`pregon instituto webconfig`) and reload the server")
            else:
                o.status = "notice-shown"
            return o
        r = await self._answer(client, o, d.enlace, t0, f"its framing page {d.enlace}")
        if r is None:
            return o
        try:
            page = r.content[:MAX_FRAME_PAGE].decode(r.encoding or "utf-8", "replace")
        except LookupError:  # a charset no codec knows
            page = r.content[:MAX_FRAME_PAGE].decode("utf-8", "replace")
        sources = iframe_sources(page, d.enlace)
        if not sources:
            o.status, o.error = "frame-missing", f"{d.enlace} holds no iframe of the official site {self.site_url}"
            return o
        if not any(frames_site(src, self.site_url) for src in sources):
            o.status = "frame-elsewhere"
            o.error = f"{d.enlace} frames {sources[0]}, not the official site {self.site_url}"
            return o
        try:
            csp, xfo = await self._official_policy(client)
        except RuntimeError as exc:
            o.status, o.error = "frame-unchecked", str(exc)
            return o
        if not ancestors_allow(csp, xfo, ancestor, self.site_url):
            o.status = "frame-refused"
            o.error = (f"the official site's frame-ancestors does not let {urlsplit(ancestor).netloc} frame it: "
                       "regenerate the web configuration (`pregon instituto webconfig`) and reload the server")
        return o

    # --- alerts -------------------------------------------------------------------------------------------

    def _alerts(self, o: Observation) -> None:
        kinds = set()
        if o.status in ("down", "tls-error"):
            kinds.add("down")
        if o.status == "tampered" or o.tampered:
            kinds.add("tampered")
        if o.lag_s is not None and o.lag_s * (self.lag_scale or 1) > self.cfg.lag_limit_seconds:  # in clock s
            kinds.add("lag")
        if o.headers_ok is False:
            kinds.add("headers")
        if o.status == "notice-missing":
            kinds.add("notice-missing")
        if o.status in FRAME_FAILURES:
            kinds.add("frame")
        if o.status not in IN_ORDER:
            self.last_failure[o.difusor] = {"time": o.time, "status": o.status, "error": o.error}
        before = self.active_alerts.get(o.difusor, set())
        for kind in sorted(kinds - before):
            self.alert(o, kind)
        for kind in sorted(before - kinds):
            self.log(f"resolved {o.difusor}: {kind}")
            self._alerts_log.append({"time": o.time, "difusor": o.difusor, "kind": kind, "state": "resolved"})
        self.active_alerts[o.difusor] = kinds

    def alert(self, o: Observation, kind: str) -> None:
        detail = o.error or kind
        self.log(f"ALERT {o.difusor}: {kind}: {detail}")
        self._alerts_log.append({"time": o.time, "difusor": o.difusor, "kind": kind, "state": "firing",
                                 "detail": detail}, level="warning", summary=f"ALERT {o.difusor}: {kind}: {detail}")
        if self.cfg.alert_command:
            env = {**os.environ, "PREGON_ALERT_DIFUSOR": o.difusor, "PREGON_ALERT_KIND": kind,
                   "PREGON_ALERT_DETAIL": detail, "PREGON_ALERT_TIME": o.time}
            try:
                subprocess.run(self.cfg.alert_command, shell=True, env=env, timeout=30, capture_output=True)
            except subprocess.TimeoutExpired:
                self.log(f"alert command timed out after 30 s: {self.cfg.alert_command}")


# --- summaries --------------------------------------------------------------------------------------------


def summarize(observations: list[dict], difusores: list[Difusor] | None = None) -> list[dict]:
    """Per difusor: observations, availability %, lag percentiles, tampering and downtime counts, current
    status and corte, last failure."""
    by: dict[str, list[dict]] = {}
    for o in observations:
        by.setdefault(o.get("difusor"), []).append(o)
    ids = sorted(set(by) | {d.id for d in (difusores or [])})
    out = []
    for ident in ids:
        obs = by.get(ident, [])
        n = len(obs)
        up = sum(1 for o in obs if o.get("up"))
        lags = [float(o["lag_s"]) for o in obs if o.get("lag_s") is not None]
        last = obs[-1] if obs else {}
        fails = [o for o in obs if o.get("status") not in IN_ORDER]
        lf = fails[-1] if fails else None
        out.append({
            "difusor": ident, "observations": n,
            "availability_pct": round(100.0 * up / n, 3) if n else None,
            "lag_p50_s": percentile(lags, 50), "lag_p90_s": percentile(lags, 90),
            "lag_p99_s": percentile(lags, 99), "lag_max_s": max(lags) if lags else None,
            "lag_over_limit": sum(1 for o in obs if o.get("status") == "lagging"),
            "tampered": sum(1 for o in obs if o.get("status") == "tampered"),
            "down": sum(1 for o in obs if o.get("status") in ("down", "tls-error")),
            "status": last.get("status"), "corte": last.get("corte_sequence"), "since": last.get("since"),
            "lag_s": last.get("lag_s"),
            "last_failure": ({"time": lf.get("time"), "status": lf.get("status"), "error": lf.get("error")}
                             if lf else None),
        })
    return out


CSV_FIELDS = ("difusor", "observations", "availability_pct", "lag_p50_s", "lag_p90_s", "lag_p99_s", "lag_max_s",
              "lag_over_limit", "tampered", "down", "status", "corte", "lag_s", "last_failure")


def to_csv(rows: list[dict]) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for r in rows:
        lf = r.get("last_failure")
        w.writerow(["" if r.get(k) is None else (f"{lf['time']} {lf['status']}: {lf['error']}" if k == "last_failure"
                                                 else r[k]) for k in CSV_FIELDS])
    return buf.getvalue()


def to_text(rows: list[dict]) -> str:
    def f(v, fmt="{}"):
        return "-" if v is None else fmt.format(v)

    lines = [f"{'difusor':<20} {'obs':>5} {'avail%':>8} {'lag p50':>8} {'p90':>7} {'p99':>7} {'max':>7} "
             f"{'tamper':>6} {'down':>5}  {'status':<14} {'corte':>5}  last failure"]
    for r in rows:
        lf = r.get("last_failure")
        lines.append(
            f"{r['difusor']:<20} {r['observations']:>5} {f(r['availability_pct'], '{:.3f}'):>8} "
            f"{f(r['lag_p50_s'], '{:.0f}'):>8} {f(r['lag_p90_s'], '{:.0f}'):>7} {f(r['lag_p99_s'], '{:.0f}'):>7} "
            f"{f(r['lag_max_s'], '{:.0f}'):>7} {r['tampered']:>6} {r['down']:>5}  {f(r['status']):<14} "
            f"{f(r['corte']):>5}  {(lf['time'] + ' ' + lf['status'] + ': ' + (lf['error'] or '')) if lf else '-'}")
    return "\n".join(lines) + "\n"
