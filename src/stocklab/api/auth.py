"""Bearer-token auth, attached once per router.

The token lives in `<home>/api-token` (0600), made on first start, or comes from
`STOCKLAB_API_TOKEN`. It is compared in constant time, never logged, never returned.
Every refused request leaves an audit entry, so a probing client shows up in the log.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from stocklab.config import ConfigError, Settings

TOKEN_FILE = "api-token"
MIN_LENGTH = 16
_WEAK = {"changeme", "change-me", "default", "secret", "password", "token", "stocklab", "admin"}

_bearer = HTTPBearer(auto_error=False, description="`<home>/api-token`의 토큰")


def token_path(settings: Settings) -> Path:
    return settings.home / TOKEN_FILE


def ensure_token(settings: Settings) -> str:
    """The API token: from settings, else the token file, made (0600) if missing."""
    if settings.api_token is not None:
        token = settings.api_token.get_secret_value().strip()
    else:
        path = token_path(settings)
        settings.ensure_home()
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(32) + "\n")
        token = path.read_text(encoding="utf-8").strip()
    check_token(token)
    return token


def check_token(token: str) -> None:
    """Refuse to serve with an empty, short or well-known token."""
    if len(token) < MIN_LENGTH or token.lower() in _WEAK:
        raise ConfigError(
            f"설정 오류: API 토큰이 비었거나 너무 약합니다 ({MIN_LENGTH}자 이상 필요) — "
            f"STOCKLAB_API_TOKEN을 바꾸거나 {TOKEN_FILE} 파일을 지우면 새로 만듭니다"
        )


def _refuse(request: Request, reason: str) -> HTTPException:
    store = request.app.state.store
    store.audit_event(
        "auth_failed",
        "api",
        {
            "method": request.method,
            "path": request.url.path,
            "reason": reason,
            "client": request.client.host if request.client else None,
        },
    )
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail=_WORDS[reason],
        headers={"WWW-Authenticate": "Bearer"},
    )


_WORDS = {
    "missing": "API 토큰이 없습니다 — 토큰은 데이터 디렉터리의 api-token 파일에 있습니다 "
    "(프로그램에서 부를 때는 Authorization: Bearer <토큰> 헤더로 보냅니다)",
    "wrong": "API 토큰이 맞지 않습니다 — 데이터 디렉터리의 api-token 파일에 있는 토큰을 "
    "그대로 넣으세요 (stocklab up이 시작할 때 위치를 알려 줍니다)",
}
"""What a person reads when refused: which of the two went wrong, in plain words."""


def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """For every mutating route: a valid bearer token, or 401 and an audit entry."""
    if credentials is None:
        raise _refuse(request, "missing")
    expected: str = request.app.state.token
    if not secrets.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise _refuse(request, "wrong")
