"""The access logs of the memoria: which files (globs, or the config's log and its rotations), which of them
belong to the period, and what each is called in the bundle, so the memoria names no path of this machine."""

from __future__ import annotations

import glob
from datetime import datetime
from pathlib import Path

from ..errors import InputError


def expand_logs(patterns, cfg) -> list[Path]:
    """The access logs: each pattern a glob (a pattern that matches nothing is an error), or by default the
    config's [serve] access_log with its rotated siblings (access.log.1, access.log.2.gz, access.log-2024…)."""
    out = _globbed(patterns) if patterns else _configured(cfg)
    seen, unique = set(), []
    for p in out:
        if p.is_dir():
            raise InputError(f"{p}: is a directory; give the access log files inside it (e.g. {p}/access.log*)")
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def _globbed(patterns) -> list[Path]:
    out = []
    for pat in patterns:
        hits = sorted(glob.glob(pat))
        if not hits:
            raise InputError(f"--logs {pat}: no such file; give the access log(s) of the period, "
                             "e.g. --logs '/var/log/nginx/access.log*'")
        out += [Path(h) for h in hits]
    return out


def _configured(cfg) -> list[Path]:
    log = cfg.serve.access_log
    if log is None:
        raise InputError(f"{cfg.source}: [serve] access_log is not set; give the logs with --logs GLOB")
    if not log.exists():
        raise InputError(f"{log}: no such file ([serve] access_log); give the logs with --logs GLOB")
    return [log] + sorted(Path(p) for p in glob.glob(glob.escape(str(log)) + ".*") + glob.glob(
        glob.escape(str(log)) + "-*"))


def _overlaps(f: dict, start: datetime, end: datetime) -> bool:
    if not f.get("first") or not f.get("last"):
        return False
    return datetime.fromisoformat(f["first"]) < end and datetime.fromisoformat(f["last"]) >= start


def in_period(logs: list[Path], by_path: dict, start: datetime, end: datetime) -> list[Path]:
    """The logs with a request inside [start, end), by the analysis's first and last time of each file."""
    return [p for p in logs if _overlaps(by_path.get(str(p), {}), start, end)]


def bundle_names(logs: list[Path], bundled) -> dict[str, str]:
    """Each log's path -> its member name in the bundle (or its file name, for a log left out of it)."""
    names = {str(b.source): b.member for b in bundled}
    for src in logs:
        names.setdefault(str(src), src.name)
    return names


def portable_warnings(warnings: list[str], names: dict) -> list[str]:
    """Warnings with the logs named as in the bundle, not as on this machine (longest path first)."""
    for key in sorted(names, key=len, reverse=True):
        warnings = [w.replace(key, names[key]) for w in warnings]
    return warnings


def portable(d: dict, names: dict) -> dict:
    """The analytics figures with this machine's log paths replaced by their names in the bundle."""
    for f in d.get("files", []):
        f["path"] = names.get(str(Path(f["path"])), Path(f["path"]).name)
    for e in d.get("malformed_examples", []):
        e["file"] = names.get(str(Path(e["file"])), Path(e["file"]).name)
    return d
