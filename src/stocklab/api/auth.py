"""Bearer-token auth, attached once per router.

The token lives in `<home>/api-token` (0600), made on first start, or comes from
`STOCKLAB_API_TOKEN`. It is compared in constant time, never logged, never returned.
A weak token (short, few characters, a word, a repeated pattern) or one that is not
plain ASCII is refused at start; a token file others can read is made 0600 (logged).
Every refused request leaves an audit entry, bounded per client and minute (api/gate.py),
so a probing client shows up in the log without filling the disk.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
from collections import Counter
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from stocklab.config import ConfigError, Settings

TOKEN_FILE = "api-token"
MIN_LENGTH = 16
MIN_DISTINCT = 5
MIN_BITS = 20
"""The pattern estimate's floor (see `_pattern_bits`). In 100,000 random draws of 16
characters, hex scored 24.5 at the lowest (none refused), letters and digits 36.6;
`passwordpassword`, `1234567890123456` and `Password1234567!` score under 5."""
MAKE_ONE = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
_WEAK = {"changeme", "change-me", "default", "secret", "password", "token", "stocklab", "admin"}
_WORDS_IN_TOKENS = (
    *sorted(_WEAK - {"change-me"}, key=len, reverse=True),
    "passwd", "qwerty", "letmein", "welcome", "login", "master", "iloveyou",
)  # fmt: skip
_KEYBOARD = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")

log = logging.getLogger("stocklab.api")
_bearer = HTTPBearer(auto_error=False, description="`<home>/api-token`의 토큰")


def token_path(settings: Settings) -> Path:
    return settings.home / TOKEN_FILE


def ensure_token(settings: Settings) -> str:
    """The API token: from settings, else the token file, made (0600) if missing."""
    if settings.api_token is not None:
        token = settings.api_token.get_secret_value().strip()
        where = "STOCKLAB_API_TOKEN"
    else:
        path = token_path(settings)
        settings.ensure_home()
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(32) + "\n")
        if not path.is_file():
            raise ConfigError(
                f"설정 오류: API 토큰 파일({path})이 일반 파일이 아닙니다 — 지우면 새로 만듭니다"
            )
        _owner_only(path)
        try:
            token = path.read_text(encoding="utf-8").strip()
        except UnicodeDecodeError:
            token = "\udcff"  # reported below as not UTF-8
        except OSError as exc:
            raise ConfigError(
                f"설정 오류: API 토큰 파일({path})을 읽을 수 없습니다 ({exc.strerror}) — "
                "파일을 지우면 새로 만듭니다"
            ) from None
        where = str(path)
    check_token(token, where)
    return token


def _owner_only(path: Path) -> None:
    """A token file others can read is made owner-only (0600), and the log says so: the
    token stays valid, but whoever could read it until now may still hold it."""
    mode = path.stat().st_mode & 0o777
    if mode & 0o077 == 0:
        return
    try:
        path.chmod(0o600)
    except OSError as exc:
        raise ConfigError(
            f"설정 오류: API 토큰 파일({path})을 다른 사용자도 읽을 수 있고({mode:04o}) 권한을 "
            f"바꿀 수 없습니다 ({exc.strerror}) — chmod 600 {path} 후 다시 시작하세요"
        ) from None
    log.warning(
        "API 토큰 파일(%s)을 다른 사용자도 읽을 수 있어(%04o) 0600으로 바꿨습니다 — "
        "누가 읽었을 수 있다면 파일을 지우고 다시 시작해 새 토큰을 만드세요",
        path,
        mode,
    )


def check_token(token: str, where: str = "STOCKLAB_API_TOKEN") -> None:
    """Refuse to serve with an empty, short, non-ASCII or guessable token: one line that
    says why and how to make a good one (the token itself is never shown)."""
    reason = _weakness(token)
    if reason is not None:
        fix = (
            "STOCKLAB_API_TOKEN에 넣거나, 지우면 토큰 파일을 새로 만듭니다"
            if where == "STOCKLAB_API_TOKEN"
            else "파일에 넣거나, 파일을 지우면 새로 만듭니다"
        )
        raise ConfigError(
            f"설정 오류: API 토큰({where})을 쓸 수 없습니다: {reason} — 좋은 토큰 만들기: "
            f"{MAKE_ONE} ({fix})"
        )


def _weakness(token: str) -> str | None:
    """Why `token` is unfit, or None. Cheap checks first, then the pattern estimate."""
    if any("\udc80" <= ch <= "\udcff" for ch in token):
        return "UTF-8이 아닌 바이트가 있습니다"
    if not token:
        return "비어 있습니다"
    if not all("!" <= ch <= "~" for ch in token):
        return "공백·제어 문자나 ASCII가 아닌 글자가 있습니다 (HTTP 헤더로 보낼 수 없음)"
    if len(token) < MIN_LENGTH:
        return f"{len(token)}자뿐입니다 ({MIN_LENGTH}자 이상 필요)"
    low = token.lower()
    if low in _WEAK:
        return "잘 알려진 단어입니다"
    distinct = len(set(low))
    if distinct < MIN_DISTINCT:
        return f"글자 종류가 {distinct}가지뿐입니다"
    period = _period(low)
    if period <= len(low) // 2:
        return f"{period}글자 패턴의 반복입니다"
    bits = _pattern_bits(token)
    if bits < MIN_BITS:
        return "단어·연속 글자(1234, abcd, qwerty)·반복으로 되어 있어 추측하기 쉽습니다"
    return None


def _period(text: str) -> int:
    """The shortest p with text[i] == text[i + p] everywhere (len(text) if none)."""
    n = len(text)
    return next(
        (p for p in range(1, n // 2 + 1) if all(text[i] == text[i + p] for i in range(n - p))),
        n,
    )


def _pattern_bits(token: str) -> float:
    """A pessimistic strength estimate: the token read as symbols, where a known word, a
    keyboard run or a run of 4+ equal or consecutive characters counts as one symbol;
    then the symbols' empirical Shannon entropy times their number."""
    symbols = _symbols(token.lower())
    counts = Counter(symbols)
    n = len(symbols)
    return -sum(c * math.log2(c / n) for c in counts.values())


def _symbols(low: str) -> list[str]:
    out: list[str] = []
    i, n = 0, len(low)
    while i < n:
        word = next((w for w in _WORDS_IN_TOKENS if low.startswith(w, i)), None)
        if word is not None:
            out.append(f"w:{word}")
            i += len(word)
            continue
        keys = max(_keyboard_run(low, i, row) for row in _KEYBOARD)
        if keys >= 4:
            out.append(f"k:{low[i : i + keys]}")
            i += keys
            continue
        j = i + 1
        if j < n and (step := ord(low[j]) - ord(low[i])) in (-1, 0, 1):
            while j + 1 < n and ord(low[j + 1]) - ord(low[j]) == step:
                j += 1
            if j - i + 1 >= 4:
                out.append(f"r:{low[i]}{step}")
                i = j + 1
                continue
        out.append(low[i])
        i += 1
    return out


def _keyboard_run(low: str, i: int, row: str) -> int:
    """How many characters from `i` on are consecutive keys of `row`."""
    length = 0
    while i + length < len(low) and low[i : i + length + 1] in row:
        length += 1
    return length


def _refuse(request: Request, reason: str) -> HTTPException:
    """401 with its audit entry, written through the app's bounded refusal log when it
    has one (the gate's; it truncates fields and counts floods)."""
    client = request.client.host if request.client else None
    refusals = getattr(request.app.state, "refusals", None)
    if refusals is not None:
        refusals.record(request.method, request.url.path, reason, client)
    else:
        request.app.state.store.audit_event(
            "auth_failed",
            "api",
            {
                "method": request.method,
                "path": request.url.path[:200],
                "reason": reason,
                "client": client,
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
