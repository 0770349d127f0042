"""Errors as `application/problem+json` (RFC 9457) with a detail a person can act on.

Bad input is always a 4xx naming the parameter; a 500 means a bug, and says only that.
Routes check what the request brings and name the parameter themselves, so a pydantic
`ValidationError` that reaches the app was raised by a record the server made or read
(the store, a source, the broker): a 500 that says so, never the raw validation text.
"""

from __future__ import annotations

import logging
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
    422: "Unprocessable Content",
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
    """An order a rule refused: `detail` is the rule's own words, `rule` its name. A 400,
    or 503 when the broker could not be reached (the order never left)."""

    def __init__(self, rule: str, detail: str, status: int = 400) -> None:
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
        first = exc.errors()[0]
        where = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body")]
        param = ".".join(where) or "request"
        message = first.get("msg", "잘못된 값")
        if first.get("type") == "extra_forbidden":  # a typo must not become a default
            message = "이 요청이 받지 않는 항목입니다 (이름을 확인하세요; 문서: /api/docs)"
        return problem(422, f"{param}: {message}", request.url.path, param=param)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return problem(404, str(exc), request.url.path)

    @app.exception_handler(ValidationError)  # before ValueError, which it subclasses
    async def bad_record(request: Request, exc: ValidationError) -> JSONResponse:
        log.error("invalid server-side record on %s: %s", request.url.path, exc)
        return problem(
            500, "서버 데이터 오류입니다 (요청의 잘못이 아닙니다); 로그를 확인하세요",
            request.url.path,
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
        log.exception("unhandled error on %s", request.url.path)
        return problem(500, "서버 내부 오류입니다; 로그를 확인하세요", request.url.path)


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
