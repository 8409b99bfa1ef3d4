"""Per-difusor pull credentials: a secret path segment the institute's web server checks on every request, so
blocking a difusor closes its download link at once, with no reload.

Each pull difusor polls its own URL, `<site>/d/<token>/publicado/index.json` (the index's entries are relative,
so its packages resolve under the same prefix). The token is 256 random bits (43 URL-safe characters). Kept in
the institute's work directory, never in the registry record (difusores/<id>.json feeds the public list):

```
WORK/access/            0711  the web server may look names up here, never list them
  ids/<id>              0600  the difusor's token: `access` prints its URL from it, `unblock` restores it
  issued/<token>        0644  every token handed out and not rotated away: the index and notices
  live/<token>          0644  present while the difusor is active: its packages
```

The web server tests the mere existence of `issued/<token>` or `live/<token>` per request (nginx `-f`, Apache
`RewriteCond -f`). A blocked difusor keeps reaching the index and the notices (it must receive the signed
`not-official` notice addressed to it) but gets 403 for every full or delta package; unblocking puts the same
token back, so the difusor changes nothing. A leaked token is replaced with `rotate`.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path

from .. import durable
from ..errors import InputError
from .registry import ID_RE

TOKEN_PATTERN = r"[A-Za-z0-9_-]{43}"  # secrets.token_urlsafe(32); also in the web servers' regular expressions
TOKEN_RE = re.compile(TOKEN_PATTERN)
URL_PREFIX = "d"  # /d/<token>/publicado/
PULL_SEGMENT = "publicado"
INDEX_FILES = ("index.json", "index.json.minisig")
NOTICE_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*-notice\.tar\.gz"  # package_name(…, "notice")
PACKAGE_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*\.tar\.gz"
_NOTICE = re.compile("packages/" + NOTICE_NAME)
_PACKAGE = re.compile("packages/" + PACKAGE_NAME)


def check_token(token: str, what: str = "pull token") -> str:
    """The token if it has the exact shape of one; InputError otherwise (no path may be built from it)."""
    if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
        raise InputError(f"{what} {token!r}: expected 43 characters of A-Z a-z 0-9 _ - (as issued)")
    return token


def _check_id(ident: str) -> str:
    if not isinstance(ident, str) or not ID_RE.fullmatch(ident):
        raise InputError(f"difusor id {ident!r}: use lower-case letters, digits and '-'")
    return ident


def requested(rest: str) -> str | None:
    """What a path under `/d/<token>/publicado/` asks for: "index" (the index or its signature) or "notice",
    open to an issued token; "package", open to a live one; None for anything else (refused). The web server
    configurations (webconfig.py) say the same with these patterns."""
    if rest in INDEX_FILES:
        return "index"
    if _NOTICE.fullmatch(rest):
        return "notice"
    if _PACKAGE.fullmatch(rest):
        return "package"
    return None


def pull_path(token: str) -> str:
    """The path of a difusor's index under its credential (relative to the site's root URL)."""
    return f"{URL_PREFIX}/{check_token(token)}/{PULL_SEGMENT}/index.json"


class Access:
    """The credentials under WORK/access/."""

    def __init__(self, work: str | os.PathLike):
        self.root = Path(work) / "access"
        self.ids = self.root / "ids"
        self.issued = self.root / "issued"
        self.live = self.root / "live"

    def _dirs(self) -> None:
        for d, mode in ((self.root, 0o711), (self.ids, 0o700), (self.issued, 0o711), (self.live, 0o711)):
            d.mkdir(parents=True, exist_ok=True)
            os.chmod(d, mode)

    @contextlib.contextmanager
    def _lock(self):
        """One writer at a time; a directory the user cannot write is one line, never a traceback."""
        try:
            self._dirs()
            with durable.locked(self.root / ".lock"):
                yield
        except OSError as exc:
            raise InputError(f"{self.root}: cannot write the pull credentials: {exc.strerror or exc} "
                             "(run as the institute's user)") from None

    # --- reading --------------------------------------------------------------------------------------

    def token(self, ident: str) -> str | None:
        """The difusor's token, or None when none was issued."""
        try:
            text = (self.ids / _check_id(ident)).read_text("ascii").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{self.ids / ident}: unreadable pull credential: {exc}") from None
        return check_token(text, f"{self.ids / ident}: token")

    def identify(self, token: str) -> str | None:
        """The difusor an issued token belongs to; None for an unknown or malformed one (never a path)."""
        if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
            return None
        try:
            ident = (self.issued / token).read_text("ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return ident if ID_RE.fullmatch(ident) else None

    def is_live(self, token: str) -> bool:
        """Whether the token opens packages now (the web server's own test)."""
        return bool(isinstance(token, str) and TOKEN_RE.fullmatch(token) and (self.live / token).is_file())

    # --- writing --------------------------------------------------------------------------------------

    def _mark(self, directory: Path, token: str, ident: str) -> None:
        durable.atomic_write(directory / token, f"{ident}\n".encode("ascii"), 0o644)

    def _unmark(self, directory: Path, token: str) -> bool:
        try:
            os.unlink(directory / token)
        except FileNotFoundError:
            return False
        durable.fsync_dir(directory)
        return True

    def ensure(self, ident: str, *, active: bool) -> str:
        """The difusor's token, issued on first need; its package access matches `active` (the registry's
        state) afterwards, whatever it was."""
        _check_id(ident)
        with self._lock():
            return self._ensure(ident, active)

    def _ensure(self, ident: str, active: bool) -> str:
        token = self.token(ident)
        if token is None:
            token = check_token(secrets.token_urlsafe(32))
            self._mark(self.issued, token, ident)  # issued before it is handed out: never a dangling id
            durable.atomic_write(self.ids / ident, f"{token}\n".encode("ascii"), 0o600)
        elif not (self.issued / token).is_file():
            self._mark(self.issued, token, ident)
        if active:
            if not (self.live / token).is_file():
                self._mark(self.live, token, ident)
        else:
            self._unmark(self.live, token)
        return token

    def revoke(self, ident: str) -> bool:
        """Close the difusor's package access (block). False when it had no credential or it was closed."""
        with self._lock():
            token = self.token(ident)
            return token is not None and self._unmark(self.live, token)

    def restore(self, ident: str) -> bool:
        """Reopen the same credential (unblock). False when the difusor never had one."""
        with self._lock():
            token = self.token(ident)
            if token is None:
                return False
            self._mark(self.issued, token, ident)
            self._mark(self.live, token, ident)
            return True

    def rotate(self, ident: str, *, active: bool) -> str:
        """A new token for the difusor (the old one leaked): the old one stops working at once."""
        _check_id(ident)
        with self._lock():
            old = self.token(ident)
            if old is not None:
                self._unmark(self.live, old)
                self._unmark(self.issued, old)
                os.unlink(self.ids / ident)
            return self._ensure(ident, active)


def pull_url(base_url: str, token: str) -> str:
    """The URL a difusor puts in its difusor.toml `[pull] url`."""
    return base_url.rstrip("/") + "/" + pull_path(token)
