"""Errors as `application/problem+json` (RFC 9457) with a detail a person can act on.

Bad input is always a 4xx naming the parameter; a 500 means a bug, and says only that.
Routes check what the request brings and name the parameter themselves, so a pydantic
`ValidationError` that reaches the app was raised by a record the server made or read
(the store, a source, the broker): a 500 that says so, never the raw validation text.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from stocklab.errors import BrokerRejected, RateLimited, SourceError, StorageFailure, UnknownCode
from stocklab.store import NotFound, StoreError

log = logging.getLogger("stocklab.api")
PROBLEM = "application/problem+json"
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    409: "Conflict",
    413: "Content Too Large",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class BadParam(HTTPException):
    """A 4xx that names the query or path parameter at fault: 400 for a bad value, 404 for
    a well-formed one that names nothing (an unknown code)."""

    def __init__(self, param: str, detail: str, status: int = 400) -> None:
        super().__init__(status, detail=f"{param}: {detail}")
        self.param = param


class Refused(HTTPException):
    """An order a rule refused: `detail` is the rule's own words, `rule` its name."""

    def __init__(self, rule: str, detail: str, status: int = 409) -> None:
        super().__init__(status, detail=detail)
        self.rule = rule


def problem(
    status: int, detail: str, instance: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        extra: dict[str, str] = {}
        if isinstance(exc, BadParam):
            extra["param"] = exc.param
        if isinstance(exc, Refused):
            extra["rule"] = exc.rule
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"{request.url.path}: 없는 주소입니다 (API 문서: /api/docs)"
        return problem(exc.status_code, detail, request.url.path, exc.headers, **extra)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        found = exc.errors()
        # A misspelt name explains the value it left missing: name it first.
        first = next((e for e in found if e.get("type") == "extra_forbidden"), found[0])
        param, message = explain(first)
        return problem(422, f"{param}: {message}", request.url.path, param=param)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return problem(404, str(exc), request.url.path)

    @app.exception_handler(ValidationError)  # before ValueError, which it subclasses
    async def bad_record(request: Request, exc: ValidationError) -> JSONResponse:
        ref = correlation_id()
        log.error("[%s] invalid server-side record on %s: %s", ref, request.url.path, exc)
        return problem(
            500, f"서버 데이터 오류입니다 (요청의 잘못이 아닙니다); 로그에서 {ref}를 찾으세요",
            request.url.path, correlation_id=ref,
        )  # fmt: skip

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, exc: ValueError) -> JSONResponse:
        return problem(400, str(exc), request.url.path)

    @app.exception_handler(StoreError)
    @app.exception_handler(StorageFailure)  # a full disk, a corrupt file, a read-only home
    async def store_down(request: Request, exc: Exception) -> JSONResponse:
        log.error("store error on %s: %s", request.url.path, exc)
        return problem(503, f"저장소 오류: {exc}", request.url.path, error=type(exc).__name__)

    @app.exception_handler(SourceError)
    async def source_failed(request: Request, exc: SourceError) -> JSONResponse:
        return source_problem(exc, request.url.path)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        ref = correlation_id()
        log.exception("[%s] unhandled error on %s", ref, request.url.path)
        return problem(
            500, f"서버 내부 오류입니다; 로그에서 {ref}를 찾으세요 (traceback이 있습니다)",
            request.url.path, correlation_id=ref,
        )  # fmt: skip


def correlation_id() -> str:
    """A short id that ties a 500's answer to its traceback in the log: the answer says
    nothing of the bug, the log says everything."""
    return f"err-{secrets.token_hex(6)}"


_TAGS = {"limit", "market"}
"""Names of a union's branches that pydantic puts in an error's location (order tickets)."""
_HINTS = {
    "code": "KRX 단축코드는 영문 대문자·숫자 6자리입니다 (예: 005930, 00088K)",
    "names": "쉼표로 구분한 지표 이름입니다 (예: sma20,ema12,rsi14,macd,bb20)",
    "client_id": "영문·숫자로 시작하는 64자 이하의 영문·숫자·_.:- 입니다",
    "Idempotency-Key": "영문·숫자로 시작하는 64자 이하의 영문·숫자·_.:- 입니다",
}
"""What a value that misses its pattern should look like, by parameter."""


_BOUNDS = {
    "greater_than_equal": ("ge", "이상"),
    "less_than_equal": ("le", "이하"),
    "greater_than": ("gt", "초과"),
    "less_than": ("lt", "미만"),
}


def explain(error: Mapping[str, Any]) -> tuple[str, str]:
    """One line for one validation error: the parameter and what is wrong, in words —
    never pydantic's multi-line dump with its documentation address."""
    loc = [str(p) for p in error.get("loc", ())]
    if loc[:1] == ["body"] and len(loc) > 1 and loc[1] in _TAGS:
        loc.pop(1)
    where = [p for p in loc if p not in ("query", "path", "body", "header")]
    param = ".".join(where) or "request"
    kind = error.get("type", "")
    value = error.get("input")
    if kind == "extra_forbidden":  # a typo must not become a default
        message = "이 요청이 받지 않는 항목입니다 (이름을 확인하세요; 문서: /api/docs)"
    elif kind == "missing" and param == "price":
        message = "지정가 주문에는 가격(price)이 필요합니다 (시장가는 order_type: market)"
    elif kind == "missing":
        message = "필요한 값이 없습니다"
    elif kind == "bool_type":
        message = f"{value!r}: true 또는 false(JSON 불리언)여야 합니다"
    elif kind in ("int_parsing", "int_type", "int_from_float"):
        message = f"{str(value)[:40]!r}: 정수여야 합니다"
    elif kind in _BOUNDS:
        limit = error.get("ctx", {}).get(_BOUNDS[kind][0])
        message = f"{value!r}: {limit:,} {_BOUNDS[kind][1]}이어야 합니다"
    elif kind == "string_pattern_mismatch":
        hint = _HINTS.get(where[-1] if where else "", "형식이 맞지 않습니다 (문서: /api/docs)")
        message = f"{str(value)[:80]!r}: {hint}"
    else:
        message = str(error.get("msg", "잘못된 값")).splitlines()[0].removeprefix("Value error, ")
    return param, message


def source_problem(exc: SourceError, instance: str) -> JSONResponse:
    """A source's or broker's typed error: 404 for a code it does not have, 400 for a
    refusal, else 503 (with Retry-After when it said how long) — the server's trouble."""
    status = 503
    headers: dict[str, str] | None = None
    if isinstance(exc, UnknownCode):
        status = 404
    elif isinstance(exc, BrokerRejected):
        status = 400
    elif isinstance(exc, RateLimited) and exc.retry_after:
        headers = {"Retry-After": str(max(1, round(exc.retry_after)))}
    if status == 503:
        log.warning("source error on %s: %s", instance, exc)
    return problem(
        status, str(exc), instance, headers,
        source=exc.source or None, error=type(exc).__name__, hint=exc.hint or None,
    )  # fmt: skip
