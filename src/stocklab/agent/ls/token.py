"""The LS OAuth token: issued once, cached in the data directory, shared by every process.

LS may invalidate a token when the same app key asks for another one, so processes must
share one token instead of each issuing its own. The cache `<home>/ls-token.json` (0600)
holds one entry per app key, filed under a hash of the base URL and the key, never the
key itself; `<home>/ls-token.lock` makes sure two processes never issue at once.

Lifetime: the response says `expires_in` (the docs' table says `expire_in`, so both are
read), and LS also ends every token at 07:00 KST; a token lives until the earlier of the
two, less a safety margin.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from stocklab.agent.base import AuthError, BadResponse, SourceUnavailable
from stocklab.agent.ls.codes import AUTH_REFUSED, read_answer
from stocklab.model import KST

log = logging.getLogger(__name__)

TOKEN_FILE = "ls-token.json"
LOCK_FILE = "ls-token.lock"
DAILY_RESET = time(7, 0)
"""LS's notice: a token is valid until 07:00 KST on the next day."""
EXPIRY_MARGIN = timedelta(minutes=5)
KEY_HINT = (
    "STOCKLAB_LS_APPKEY와 STOCKLAB_LS_APPSECRET에 LS증권 OPEN API 포털에서 발급받은 "
    "앱키·시크릿키를 넣으세요 (모의투자/실전은 앱키가 정합니다)"
)


@dataclass(frozen=True, slots=True)
class Token:
    """An access token; its value never shows in repr or logs."""

    value: str = field(repr=False)
    expires_at: datetime

    def valid_at(self, now: datetime) -> bool:
        return now < self.expires_at


def token_expiry(
    issued_at: datetime, expires_in: int, margin: timedelta = EXPIRY_MARGIN
) -> datetime:
    """When to stop using a token: min(issue + expires_in, next 07:00 KST) - margin.

    "Next 07:00" is the first 07:00 KST after issue (a token issued at 06:00 ends at 07:00
    the same morning), the cautious reading of LS's notice. When the margin would end the
    token before it was issued (issued just before 07:00), it is used up to the hard end.
    """
    local = issued_at.astimezone(KST)
    reset = datetime.combine(local.date(), DAILY_RESET, tzinfo=KST)
    if reset <= local:
        reset += timedelta(days=1)
    hard_end = min(issued_at + timedelta(seconds=expires_in), reset)
    return hard_end - margin if hard_end - margin > issued_at else hard_end


class TokenManager:
    """Hands out a valid token: from memory, else from the shared cache, else a new one."""

    def __init__(
        self,
        http: httpx.Client,
        home: Path,
        appkey: SecretStr,
        appsecret: SecretStr,
        now: Callable[[], datetime],
    ) -> None:
        self._http = http
        self._appkey = appkey
        self._appsecret = appsecret
        self._now = now
        self._path = home / TOKEN_FILE
        self._lock_path = home / LOCK_FILE
        scope = f"{http.base_url}\n{appkey.get_secret_value()}"
        self._key_id = hashlib.sha256(scope.encode()).hexdigest()
        self._token: Token | None = None

    def __repr__(self) -> str:
        return f"TokenManager(cache={str(self._path)!r})"

    def get(self) -> Token:
        """A token valid now; issues one only when no process has a valid one cached."""
        if self._token is not None and self._token.valid_at(self._now()):
            return self._token
        with self._locked():
            cached = self._cached()
            self._token = cached if cached is not None else self._issue_and_store()
        return self._token

    def refresh(self, rejected: Token) -> Token:
        """A replacement for a token LS refused (IGW00121).

        If another process already replaced it, that token is adopted instead of issuing
        again: issuing twice for one key could invalidate the other process's token.
        """
        with self._locked():
            cached = self._cached()
            if cached is not None and cached.value != rejected.value:
                self._token = cached
            else:
                self._token = self._issue_and_store()
        return self._token

    # -- the cache ------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _entries(self) -> dict[str, Any]:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
            entries = data["tokens"]
            if not isinstance(entries, dict):
                raise TypeError("tokens is not an object")
            return entries
        except FileNotFoundError:
            return {}
        except (ValueError, KeyError, TypeError):
            log.warning("토큰 캐시 %s를 읽을 수 없어 새로 씁니다", self._path)
            return {}

    def _cached(self) -> Token | None:
        return _entry_token(self._entries().get(self._key_id), self._now())

    def _issue_and_store(self) -> Token:
        token = self._issue()
        now = self._now()
        entries = {
            key: entry
            for key, entry in self._entries().items()
            if key != self._key_id and _entry_token(entry, now) is not None
        }
        entries[self._key_id] = {
            "access_token": token.value,
            "issued_at": now.isoformat(),
            "expires_at": token.expires_at.isoformat(),
        }
        _write_private(self._path, json.dumps({"tokens": entries}, indent=1))
        return token

    # -- issuing --------------------------------------------------------------------

    def _issue(self) -> Token:
        issued_at = self._now()
        try:
            response = self._http.post(
                "/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "appkey": self._appkey.get_secret_value(),
                    "appsecretkey": self._appsecret.get_secret_value(),
                    "scope": "oob",
                },
            )
        except httpx.HTTPError as exc:
            raise SourceUnavailable(
                f"LS증권 토큰 발급 서버에 연결하지 못했습니다 ({type(exc).__name__})",
                hint="네트워크와 STOCKLAB_LS_BASE_URL을 확인하고 잠시 후 다시 시도하세요",
                source="ls",
            ) from None
        payload, _ = read_answer(response)
        body = payload or {}
        value = body.get("access_token")
        if response.status_code != 200 or not isinstance(value, str) or not value.strip():
            raise _issue_error(response.status_code, body)
        lifetime = body.get("expires_in", body.get("expire_in"))
        try:
            seconds = int(str(lifetime).strip())
        except ValueError:
            seconds = 0
        if seconds <= 0:
            raise BadResponse(
                f"LS증권 토큰 응답의 유효기간(expires_in) {lifetime!r}을 읽을 수 없습니다",
                hint="잠시 후 다시 시도하고, 계속되면 LS증권 OPEN API 공지를 확인하세요",
                source="ls",
            )
        log.info("LS증권 접근토큰을 새로 발급했습니다 (유효기간 %d초)", seconds)
        return Token(value.strip(), token_expiry(issued_at, seconds))


def _issue_error(status: int, body: dict[str, Any]) -> Exception:
    code = str(body.get("rsp_cd", "")).strip()
    message = str(body.get("rsp_msg", "")).strip()
    # LS's own code and words first (IGW00103 says which key is wrong); the status only
    # when LS sent none.
    detail = f"[{code}] {message} (HTTP {status})" if code else f"HTTP {status}"
    if code in AUTH_REFUSED or status in (400, 401, 403):
        return AuthError(f"LS증권이 앱키를 거절했습니다: {detail}", hint=KEY_HINT, source="ls")
    if status >= 500:
        return SourceUnavailable(
            f"LS증권 토큰 발급이 실패했습니다: {detail}",
            hint="잠시 후 다시 시도하세요",
            source="ls",
        )
    return BadResponse(
        f"LS증권 토큰 응답을 읽을 수 없습니다: access_token이 없습니다 (HTTP {status})",
        hint="잠시 후 다시 시도하고, 계속되면 LS증권 OPEN API 공지를 확인하세요",
        source="ls",
    )


def _entry_token(entry: Any, now: datetime) -> Token | None:
    """The token of a cache entry if it is well-formed and still valid at `now`."""
    try:
        token = Token(str(entry["access_token"]), datetime.fromisoformat(entry["expires_at"]))
        return token if token.valid_at(now) else None  # naive stamps raise TypeError
    except (TypeError, KeyError, ValueError):
        return None


def _write_private(path: Path, text: str) -> None:
    """Replace `path` atomically with a 0600 file, so no reader sees half a token."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
