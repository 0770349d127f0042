"""The LS증권 OPEN API over HTTP: headers, token, per-TR rate limits, retries, continuation.

Every TR is a POST of `{"<TR>InBlock": {...}}` with the documented headers; the answer
is a flat JSON object with `rsp_cd`, `rsp_msg` and the out-blocks. This module turns the
ways a call can go wrong into the typed errors of `stocklab.agent.base`:

| what came back                               | what happens                                  |
|----------------------------------------------|-----------------------------------------------|
| `rsp_cd` starting with `00`                  | success                                       |
| `IGW00201` (usually HTTP 500)                | back off and retry, then `RateLimited`        |
| `IGW00121`                                   | re-issue the token once, retry once, `AuthError` |
| `IGW00001` / `IGW00103` / `IGW00105`         | `AuthError` (check the app key and secret)    |
| any other `IGW` code                         | `MaybeSent`                                   |
| `01900`                                      | `NotSupported` (not offered in paper trading) |
| any other `rsp_cd`                           | `TrRefused` (a `BadResponse`)                 |
| no connection: nothing was sent              | `SourceUnavailable`                           |
| sent, then a timeout or a dropped line       | `MaybeSent`                                   |
| 5xx without a code                           | `MaybeSent`                                   |
| a body that is not the documented JSON       | `BadResponse`                                 |

`MaybeSent` is a `SourceUnavailable` that matters for orders: the request left this
machine, so LS may have acted on it. Order calls pass `retries=0`, so an IGW00201 is
never answered by sending the order again.

The app key, secret and token never appear in logs, exceptions or reprs.
"""

from __future__ import annotations

import copy
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from stocklab.agent.base import (
    AuthError,
    BadResponse,
    NotSupported,
    RateLimited,
    SourceUnavailable,
)
from stocklab.agent.ls.codes import (
    AUTH_REFUSED,
    NOT_IN_PAPER,
    RATE_LIMITED,
    TOKEN_EXPIRED,
    TrRefused,
    is_success,
    read_answer,
)
from stocklab.agent.ls.token import KEY_HINT, Token, TokenManager
from stocklab.agent.ls.trs import per_second
from stocklab.agent.ratelimit import RateLimiter
from stocklab.model import now_kst

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://openapi.ls-sec.co.kr:8080"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
RETRY_HINT = (
    "LS증권 OPEN API의 초당 호출 한도를 넘었습니다. 같은 앱키를 쓰는 다른 프로그램이 "
    "있는지 확인하고 잠시 후 다시 실행하세요"
)

Payload = dict[str, Any]


class MaybeSent(SourceUnavailable):
    """The request went out but no definite answer came back: LS may have acted on it."""


class LsClient:
    """Calls LS TRs for one app key; safe to use from many processes at once.

    Tokens and rate-limit state live under `home`, which every process of one user
    shares: `<home>/ls-token.json` and `<home>/ratelimit/ls-<TR>`.
    """

    def __init__(
        self,
        *,
        appkey: str | SecretStr,
        appsecret: str | SecretStr,
        home: Path,
        base_url: str = DEFAULT_BASE_URL,
        corporate: bool = False,
        mac_address: str | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
        now: Callable[[], datetime] = now_kst,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.corporate = corporate
        self.retries = retries
        self.backoff = backoff
        # 법인 accounts must name the caller's MAC address (12 hex digits, no separators).
        self._mac = (mac_address or f"{uuid.getnode():012X}") if corporate else None
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            # Retries connection failures only: nothing was sent, so an order is never doubled.
            transport=httpx.HTTPTransport(retries=1),
        )
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._ratelimit_dir = home / "ratelimit"
        self._limiters: dict[str, RateLimiter] = {}
        self._tokens = TokenManager(self._http, home, _secret(appkey), _secret(appsecret), now)
        self._auth_broken = False

    def __repr__(self) -> str:
        kind = "corporate" if self.corporate else "personal"
        return f"LsClient({self.base_url!r}, {kind})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> LsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one call -------------------------------------------------------------------

    def call(
        self,
        tr_cd: str,
        path: str,
        body: Payload,
        *,
        cont: bool = False,
        cont_key: str = "",
        retries: int | None = None,
    ) -> tuple[Payload, httpx.Headers]:
        """One TR call: the answer's JSON body and headers, or a typed error.

        `cont`/`cont_key` continue a previous query (`tr_cont: Y` and the key its answer
        carried). Waits for the TR's rate limit, backs off on IGW00201 up to `retries`
        times (default: the client's; orders pass 0) and re-issues an expired token once.
        """
        retries = self.retries if retries is None else retries
        if self._auth_broken:
            raise AuthError(
                "LS증권이 새로 발급한 토큰도 거절해 더 호출하지 않습니다",
                hint=KEY_HINT,
                source="ls",
            )
        reissued = False
        attempt = 0
        while True:
            token = self._tokens.get()
            waited = self._limiter(tr_cd).acquire()
            response = self._post(tr_cd, path, body, token, cont, cont_key)
            payload, code = read_answer(response)
            log.debug(
                "LS %s → HTTP %d %s (한도 대기 %.2f초)", tr_cd, response.status_code, code, waited
            )
            if code == RATE_LIMITED:
                delay = self.backoff * 2**attempt
                if attempt >= retries:
                    raise RateLimited(
                        f"LS증권 {tr_cd} 호출이 {attempt + 1}번 연속 한도 초과(IGW00201)로 "
                        "거절되었습니다",
                        hint=RETRY_HINT,
                        source="ls",
                        retry_after=delay,
                    )
                log.warning(
                    "LS %s 호출 한도 초과(IGW00201): %.2f초 후 다시 시도합니다", tr_cd, delay
                )
                time.sleep(delay)
                attempt += 1
                continue
            if code == TOKEN_EXPIRED:
                if reissued:
                    self._auth_broken = True
                    raise AuthError(
                        f"LS증권이 새로 발급한 토큰도 거절했습니다 ({TOKEN_EXPIRED})",
                        hint=KEY_HINT,
                        source="ls",
                    )
                log.info("LS 접근토큰이 만료되었습니다(IGW00121): 한 번 다시 발급합니다")
                self._tokens.refresh(token)
                reissued = True
                continue
            return _judge(tr_cd, response, payload, code), response.headers

    def _limiter(self, tr_cd: str) -> RateLimiter:
        limiter = self._limiters.get(tr_cd)
        if limiter is None:
            limiter = RateLimiter(
                self._ratelimit_dir, f"ls-{tr_cd}", per_second(tr_cd, self.corporate)
            )
            self._limiters[tr_cd] = limiter
        return limiter

    def _post(
        self, tr_cd: str, path: str, body: Payload, token: Token, cont: bool, cont_key: str
    ) -> httpx.Response:
        headers = {
            "content-type": JSON_CONTENT_TYPE,
            "authorization": f"Bearer {token.value}",
            "tr_cd": tr_cd,
            "tr_cont": "Y" if cont else "N",
            "tr_cont_key": cont_key if cont else "",
        }
        if self._mac is not None:
            headers["mac_address"] = self._mac
        try:
            return self._http.post(path, json=body, headers=headers)
        except (httpx.ReadTimeout, httpx.WriteTimeout):
            raise MaybeSent(
                f"LS증권 {tr_cd} 응답이 제한 시간 안에 오지 않았습니다",
                hint="잠시 후 다시 시도하세요 (주문이었다면 다시 보내기 전에 체결내역을 보세요)",
                source="ls",
            ) from None
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
            raise MaybeSent(
                f"LS증권 {tr_cd} 요청 뒤 연결이 끊겼습니다 ({type(exc).__name__})",
                hint="잠시 후 다시 시도하세요 (주문이었다면 다시 보내기 전에 체결내역을 보세요)",
                source="ls",
            ) from None
        except httpx.HTTPError as exc:  # connect errors and timeouts: nothing was sent
            raise SourceUnavailable(
                f"LS증권 서버에 연결하지 못했습니다 ({type(exc).__name__})",
                hint="네트워크와 STOCKLAB_LS_BASE_URL을 확인하고 잠시 후 다시 시도하세요",
                source="ls",
            ) from None

    # -- continuation ---------------------------------------------------------------

    def pages(
        self,
        tr_cd: str,
        path: str,
        body: Payload,
        cursor_fields: tuple[str, ...] = (),
        limit: int = 100,
    ) -> Iterator[Payload]:
        """Every page of a query, first to last, at most `limit` pages.

        Continues while the answer's header says `tr_cont: Y`, sending its `tr_cont_key`
        and copying the out-block's cursor fields into the in-block. A server that points
        back at a page already asked for ends the query with `BadResponse`, not a loop.
        """
        request = copy.deepcopy(body)
        in_block = request.get(f"{tr_cd}InBlock", request.get(f"{tr_cd}InBlock1"))
        if not isinstance(in_block, dict):
            raise ValueError(f"{tr_cd} 요청 본문에 {tr_cd}InBlock(1) 객체가 필요합니다")
        cont, key = False, ""
        asked: set[tuple[str, ...]] = set()
        for _ in range(limit):
            payload, headers = self.call(tr_cd, path, request, cont=cont, cont_key=key)
            yield payload
            if headers.get("tr_cont", "N").strip().upper() != "Y":
                return
            key = headers.get("tr_cont_key", "").strip()
            in_block.update(_cursor(tr_cd, payload, cursor_fields))
            position = (key, *(str(in_block[name]) for name in cursor_fields))
            if position in asked:
                raise _bad_shape(tr_cd, f"연속조회가 같은 위치 {position}를 되풀이합니다")
            asked.add(position)
            cont = True
        log.warning("LS %s 연속조회를 %d쪽에서 멈췄습니다 (쪽 수 한도)", tr_cd, limit)


def _judge(tr_cd: str, response: httpx.Response, payload: Payload | None, code: str) -> Payload:
    """The payload of a successful answer, or the typed error for any other answer."""
    status = response.status_code
    if payload is None:
        if status >= 500:
            raise MaybeSent(
                f"LS증권 서버가 {tr_cd}에 응답하지 못했습니다 (HTTP {status})",
                hint="LS증권 서버 점검 중일 수 있습니다. 잠시 후 다시 시도하세요",
                source="ls",
            )
        raise _bad_shape(tr_cd, f"JSON 객체가 아닙니다 (HTTP {status})")
    message = str(payload.get("rsp_msg", "")).strip()
    if code in AUTH_REFUSED:
        raise AuthError(
            f"LS증권이 호출을 거절했습니다: [{code}] {message}", hint=KEY_HINT, source="ls"
        )
    if code.startswith("IGW") or (not code and status >= 500):
        raise MaybeSent(
            f"LS증권 게이트웨이가 {tr_cd}를 처리하지 못했습니다: [{code or status}] {message}",
            hint="잠시 후 다시 시도하고, 계속되면 LS증권 OPEN API 공지를 확인하세요",
            source="ls",
        )
    if not code:
        raise _bad_shape(tr_cd, f"rsp_cd가 없습니다 (HTTP {status})")
    if code == NOT_IN_PAPER:
        raise NotSupported(
            f"LS증권 모의투자에서는 {tr_cd}를 제공하지 않습니다: {message}",
            hint="실전투자 앱키를 쓰거나 다른 --source를 쓰세요",
            source="ls",
        )
    if not is_success(code):
        raise TrRefused(tr_cd, code, message)
    if status != 200:
        raise _bad_shape(tr_cd, f"성공 코드 {code}인데 HTTP {status}입니다")
    echoed = response.headers.get("tr_cd", tr_cd).strip()
    if echoed != tr_cd:
        raise _bad_shape(tr_cd, f"응답 헤더의 tr_cd가 {echoed}입니다")
    return payload


def _cursor(tr_cd: str, payload: Payload, fields: tuple[str, ...]) -> Payload:
    """The out-block's cursor fields, to be copied into the next in-block."""
    if not fields:
        return {}
    out = payload.get(f"{tr_cd}OutBlock")
    if not isinstance(out, dict):
        raise _bad_shape(tr_cd, f"연속조회 커서가 있는 {tr_cd}OutBlock 객체가 없습니다")
    missing = [name for name in fields if name not in out]
    if missing:
        raise _bad_shape(tr_cd, f"{tr_cd}OutBlock에 연속조회 커서 {', '.join(missing)}가 없습니다")
    return {name: out[name] for name in fields}


def _bad_shape(tr_cd: str, why: str) -> BadResponse:
    return BadResponse(
        f"LS증권 {tr_cd} 응답을 문서대로 읽을 수 없습니다: {why}",
        hint="잠시 후 다시 시도하고, 계속되면 LS증권 OPEN API 변경 공지를 확인하세요",
        source="ls",
    )


def _secret(value: str | SecretStr) -> SecretStr:
    return value if isinstance(value, SecretStr) else SecretStr(value)
