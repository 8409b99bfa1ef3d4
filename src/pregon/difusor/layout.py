"""Where the receiver keeps things on disk, and the pages it writes itself (placeholder, notice).

```
ROOT/
  inbox/                          the institute uploads here (SFTP/rsync); only complete uploads are taken
  archive/<received>-<sha16>-<name>        every package as received, accepted or not
  archive/<...>.verdict.json               its verdict (pending, accepted, refused + reason, error, ignored)
  releases/<seq:08d>-<tree16>/    one complete, verified site tree per cut; unchanged files hard-linked
  releases/_placeholder-<h>/      the page shown before the publication window opens
  releases/_notice-<seq>/         the institute's notice, when it orders the site replaced
  releases/_closing-<h>/          after [window] keep_until: the page pointing at the official site
  releases/.staging-*             work in progress; removed on start, never served
  releases/.arboles/<release>.gz  each corte release's tree (path, size, SHA-256), written once it is live, so
                                  a later delta can be staged by patching that release (docs/difusor-operations.md)
  current -> releases/<...>       what the web server serves; swapped by one rename(2)
  state/                          the package layer's trusted state (pregon.package.state)
  journal.jsonl, status.json
```
"""

from __future__ import annotations

import gzip
import hashlib
import html
import os
import re
import shutil
import zlib
from datetime import datetime
from pathlib import Path

from ..durable import atomic_file, fsync_dir, swap_symlink
from ..package import treelist
from ..package.manifest import FileEntry, tree_digest

STAGING_PREFIX = ".staging-"
PLACEHOLDER_PREFIX = "_placeholder-"
CLOSING_PREFIX = "_closing-"
NOTICE_PREFIX = "_notice-"

_MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre")


def release_name(sequence: int, tree: str) -> str:
    return f"{sequence:08d}-{tree[:16]}"


def ensure_dirs(cfg) -> None:
    for d in (cfg.inbox, cfg.archive, cfg.releases, cfg.state):
        d.mkdir(parents=True, exist_ok=True)
    cfg.journal.parent.mkdir(parents=True, exist_ok=True)
    cfg.status.parent.mkdir(parents=True, exist_ok=True)
    cfg.current.parent.mkdir(parents=True, exist_ok=True)


def link_target(cfg, name: str) -> str:
    """The symlink text for `current` -> releases/<name>, relative when both share a parent."""
    rel = os.path.relpath(cfg.releases / name, cfg.current.parent)
    return rel


def current_release(cfg) -> str | None:
    """The release name `current` points at, or None when there is no `current` yet."""
    try:
        target = os.readlink(cfg.current)
    except (FileNotFoundError, OSError):
        return None
    return Path(target).name


def activate(cfg, name: str) -> bool:
    """Point `current` at releases/<name> with one rename(2). False when it already does."""
    if current_release(cfg) == name:
        return False
    if not (cfg.releases / name).is_dir():
        raise FileNotFoundError(f"release {name} does not exist")
    swap_symlink(cfg.current, link_target(cfg, name))
    return True


def clean_staging(cfg) -> list[str]:
    """Remove work in progress (and discarded staging) left by a crash, and trees of releases now gone."""
    removed = []
    for p in cfg.releases.iterdir():
        if p.name.startswith(STAGING_PREFIX):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p.name)
    trees = cfg.releases / TREES
    if trees.is_dir():
        for p in trees.iterdir():
            if not (cfg.releases / p.name.removesuffix(".gz")).is_dir():
                p.unlink(missing_ok=True)
    return removed


# --- recycling: a delta staged by patching an older release ------------------------------------------------

TREES = ".arboles"
_CORTE_RELEASE = re.compile(r"(\d{8})-([0-9a-f]{16})")


def save_tree(cfg, name: str, files) -> None:
    """The tree of release `name`, beside it: what makes it recyclable (durable; rewritten whole)."""
    d = cfg.releases / TREES
    d.mkdir(exist_ok=True)
    with atomic_file(d / f"{name}.gz") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=1,
                                                              mtime=0) as gz:
        treelist.write(gz, files)


def forget_tree(cfg, name: str) -> None:
    (cfg.releases / TREES / f"{name}.gz").unlink(missing_ok=True)


def load_tree(cfg, name: str, share=None) -> dict[str, FileEntry] | None:
    """The recorded tree of release `name`, or None when missing, unreadable or not the tree its name says.
    `share`: see treelist.read (the trusted state's tree, which the recorded one mostly repeats)."""
    m = _CORTE_RELEASE.fullmatch(name)
    if m is None:
        return None
    try:
        with gzip.open(cfg.releases / TREES / f"{name}.gz", "rb") as f:
            files = treelist.read(f, share)
    except (OSError, EOFError, ValueError, UnicodeDecodeError, zlib.error):
        return None
    if tree_digest(files.values())[:16] != m.group(2):
        return None
    return files


def recyclable(cfg, exclude: set[str]) -> str | None:
    """The newest corte release with a recorded tree that is neither served nor the trusted state's (`exclude`):
    the one a delta can be staged over. None when there is none (the delta is staged from nothing)."""
    trees = cfg.releases / TREES
    if not trees.is_dir():
        return None
    names = sorted((p.name.removesuffix(".gz") for p in trees.iterdir() if p.name.endswith(".gz")), reverse=True)
    for name in names:
        if name not in exclude and _CORTE_RELEASE.fullmatch(name) and (cfg.releases / name).is_dir():
            return name
    return None


def spanish_time(t: datetime) -> str:
    return f"{t.day} de {_MONTHS[t.month - 1]} de {t.year}, {t:%H:%M} h"


_PAGE = """<!DOCTYPE html>
<html lang="es-MX">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}}
h1{{font-size:1.5rem}}</style>
</head>
<body>
<h1>{title}</h1>
{body}
</body>
</html>
"""


def _write_release(cfg, prefix: str, files: dict[str, str]) -> str:
    digest = hashlib.sha256("".join(f"{k}\0{v}\0" for k, v in sorted(files.items())).encode()).hexdigest()[:16]
    name = f"{prefix}{digest}"
    final = cfg.releases / name
    if final.is_dir():
        return name
    tmp = cfg.releases / f"{STAGING_PREFIX}{name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    for rel, text in files.items():
        p = tmp / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    os.rename(tmp, final)
    fsync_dir(cfg.releases)
    return name


def placeholder_release(cfg, start: datetime | None) -> str:
    """A release that says when results begin (or that none has arrived yet)."""
    if start is not None:
        local = start.astimezone(cfg.tz)
        when = html.escape(spanish_time(local)) + f" (hora de {html.escape(str(cfg.tz.key))})"
        body = (f"<p>Los resultados preliminares (PREP) se publicarán en este sitio a partir del "
                f"<strong>{when}</strong>.</p>\n<p>Esta página se actualiza sola al comenzar la publicación.</p>")
    else:
        body = "<p>Todavía no se ha recibido ningún corte del PREP. Esta página se actualiza sola.</p>"
    page = _PAGE.format(title="Resultados preliminares: próximamente", body=body)
    page = page.replace("<meta charset=\"utf-8\">", "<meta charset=\"utf-8\">\n<meta http-equiv=\"refresh\" content=\"60\">")
    return _write_release(cfg, PLACEHOLDER_PREFIX, {"index.html": page})


def closing_release(cfg, until: datetime) -> str:
    """After the call's "last results kept until": the page that gives way to the institute's official site."""
    local = until.astimezone(cfg.tz)
    when = html.escape(spanish_time(local)) + f" (hora de {html.escape(str(cfg.tz.key))})"
    body = f"<p>La publicación de los resultados preliminares (PREP) en este sitio concluyó el {when}.</p>"
    if cfg.official_url:
        url = html.escape(cfg.official_url, quote=True)
        body += f'\n<p>Consulte los resultados en el sitio oficial del instituto: <a href="{url}">{url}</a>.</p>'
    page = _PAGE.format(title="Publicación del PREP concluida", body=body)
    return _write_release(cfg, CLOSING_PREFIX, {"index.html": page})


def notice_release(cfg, notice, sequence: int | None) -> str:
    """The institute's notice in place of the site (withdrawal, not-official, suspension, maintenance)."""
    titles = {"withdrawal": "Aviso del instituto", "not-official": "Este sitio ya no es difusor oficial",
              "suspension": "Publicación suspendida", "maintenance": "Sitio en mantenimiento"}
    title = titles.get(notice.type, "Aviso del instituto")
    body = f"<p>{html.escape(notice.message)}</p>"
    page = _PAGE.format(title=html.escape(title), body=body)
    return _write_release(cfg, NOTICE_PREFIX + f"{sequence or 0:08d}-", {"index.html": page})
