"""The early guard: the token and the body size are checked before any body is read.

FastAPI runs a route's dependencies (the per-router `require_token`) only after it has
parsed the body, so without this an unauthenticated 200 MB body is read into memory and
malformed JSON without a token gets a 422 and no audit entry. This pure-ASGI middleware
answers 401 from the headers alone and caps each route's body (413), counting streamed
bytes when there is no Content-Length. The dependency stays, so the OpenAPI document
shows which routes need the token; the gate is the same rule, applied first.

Refused requests are audited in bounded form (see `RefusalAudit`), so hostile clients
cannot fill the disk through the audit log.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stocklab.api import errors
from stocklab.api.auth import _WORDS
from stocklab.api.schemas import problems
from stocklab.store import Store

log = logging.getLogger("stocklab.api")

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_LIMIT = 64 * 1024
"""A JSON write (an order, the kill switch) is a few hundred bytes; 64 KB is ample."""
LIMITS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    # 5,000 codes of 6 characters, quoted and spaced, plus strategy parameters.
    ("POST", re.compile(r"^/api/backtests/?$"), 1024 * 1024),
)
"""Bodies larger than the default: (method, path, bytes)."""
PUBLIC = frozenset({"/api/openapi.json", "/api/docs", "/api/docs/oauth2-redirect"})
"""Reads that stay open even when reads need the token: the document and its viewer."""

FIELD_CHARS = 200
"""How much of a refused request's path, reason or client an audit entry keeps."""
INDIVIDUAL = 5
"""Refusals audited one by one per client per minute; the rest become one summary row."""
MAX_CLIENTS = 1_000
"""Clients tracked per minute; beyond that they share one bucket."""


def _cut(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= FIELD_CHARS else text[: FIELD_CHARS - 1] + "…"


def _limit_words(limit: int) -> str:
    return f"{limit // 1024} KB" if limit % 1024 == 0 else f"{limit:,} 바이트"


@dataclass
class _Bucket:
    minute: datetime
    count: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


class RefusalAudit:
    """Audits refused requests with truncated fields, at most `INDIVIDUAL` rows per client
    per minute (by the app's clock), then one summary row with the count when the minute
    is over (or at shutdown). 500 refusals in a minute are a handful of small rows."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()  # record() runs in the thread pool

    def _write(self, detail: dict[str, object]) -> None:
        try:
            self._store.audit_event("auth_failed", "api", detail)
        except Exception as exc:  # a broken store must not turn a 401 into a 500
            log.warning("refused request not audited: %s", type(exc).__name__)

    def record(self, method: str, path: str, reason: str, client: str | None) -> None:
        """Count one refusal; write it if it is among the first few of its minute."""
        minute = self._clock().replace(second=0, microsecond=0)
        with self._lock:
            self._record(minute, method, path, reason, client)

    def _record(
        self, minute: datetime, method: str, path: str, reason: str, client: str | None
    ) -> None:
        self._flush(before=minute)
        key = _cut(client) if client else "-"
        if key not in self._buckets and len(self._buckets) >= MAX_CLIENTS:
            key = "*"
        bucket = self._buckets.setdefault(key, _Bucket(minute))
        bucket.count += 1
        reason = _cut(reason)
        bucket.reasons[reason] = bucket.reasons.get(reason, 0) + 1
        if bucket.count <= INDIVIDUAL:
            self._write(
                {"method": _cut(method), "path": _cut(path), "reason": reason, "client": key}
            )

    def flush(self, before: datetime | None = None) -> None:
        """Write the summary row of every minute that is over (all of them if `before`
        is None): how many refusals were counted and not written one by one."""
        with self._lock:
            self._flush(before)

    def _flush(self, before: datetime | None) -> None:
        for key, bucket in list(self._buckets.items()):
            if before is not None and bucket.minute >= before:
                continue
            del self._buckets[key]
            if bucket.count > INDIVIDUAL:
                self._write(
                    {
                        "summary": True,
                        "client": key,
                        "minute": bucket.minute.isoformat(),
                        "count": bucket.count,
                        "not_listed": bucket.count - INDIVIDUAL,
                        "reasons": dict(list(bucket.reasons.items())[:10]),
                    }
                )


@dataclass(frozen=True)
class _Rule:
    token: bool
    limit: int | None


class Gate:
    """Pure ASGI: decides from the method, path and headers, before the body is read."""

    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api

    def _rule(self, scope: Scope) -> _Rule:
        """The same rule as the routers' `require_token` (see create_app): every write
        under /api, and every read under /api but the document when reads need it."""
        method: str = scope["method"]
        path: str = scope["path"]
        if not (path == "/api" or path.startswith("/api/")):
            return _Rule(token=False, limit=None)
        if method in MUTATING:
            limit = next((n for m, p, n in LIMITS if m == method and p.match(path)), None)
            return _Rule(token=True, limit=limit or DEFAULT_LIMIT)
        reads: bool = self.api.state.settings.api_auth_reads
        return _Rule(token=reads and method != "OPTIONS" and path not in PUBLIC, limit=None)

    def _authorized(self, headers: Headers) -> str | None:
        """None when the bearer token is right, else the refusal's reason."""
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        credentials = credentials.strip()
        if scheme.lower() != "bearer" or not credentials:
            return "missing"
        expected: str = self.api.state.token
        # Header bytes as sent (latin-1 round-trips them) against the token's UTF-8.
        given = credentials.encode("latin-1")
        if not secrets.compare_digest(given, expected.encode()):
            return "wrong"
        return None

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, reason: str, **extra: Any
    ) -> None:
        client = scope.get("client")
        refusals: RefusalAudit = self.api.state.refusals
        await run_in_threadpool(
            refusals.record, scope["method"], scope["path"], reason, client[0] if client else None
        )
        if status == 401:
            detail, headers = _WORDS[reason], {"WWW-Authenticate": "Bearer"}
        else:
            limit = extra["limit"]
            detail = (
                f"요청 본문이 너무 큽니다 — {scope['method']} {_cut(scope['path'])}의 한도는 "
                f"{_limit_words(limit)}입니다; 나눠서 보내세요"
            )
            headers = {}
        sent = Headers(scope=scope)
        if sent.get("content-length", "0") != "0" or "transfer-encoding" in sent:
            headers["Connection"] = "close"  # the body stays unread: end this connection
        response = errors.problem(status, detail, scope["path"], headers, **extra)
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._flushing(receive), send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule = self._rule(scope)
        headers = Headers(scope=scope)
        if rule.token:
            reason = self._authorized(headers)
            if reason is not None:
                await self._refuse(scope, receive, send, 401, reason)
                return
        if rule.limit is None:
            await self.app(scope, receive, send)
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > rule.limit:
            await self._refuse(scope, receive, send, 413, "too_large", limit=rule.limit)
            return
        body = await self._read(receive, rule.limit)
        if body is None:
            await self._refuse(scope, receive, send, 413, "too_large", limit=rule.limit)
            return
        await self.app(scope, _replay(body, receive), send)

    @staticmethod
    async def _read(receive: Receive, limit: int) -> bytes | None:
        """The whole body, or None as soon as it passes `limit` (chunked or lying
        Content-Length): at most one chunk more than the limit is ever held."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _flushing(self, receive: Receive) -> Receive:
        """At shutdown, write the summary rows of the minute that was still open."""

        async def wrapped() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                refusals: RefusalAudit | None = getattr(self.api.state, "refusals", None)
                if refusals is not None:
                    await run_in_threadpool(refusals.flush)
            return message

        return wrapped


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read by the gate, handed on as one message; then the real channel
    (for the disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _declare(document: dict[str, Any]) -> None:
    """Put 401 and 413 on every write under /api, so the document says what the gate
    may answer."""
    for path, operations in document.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            if method.upper() in MUTATING:
                responses = operation.setdefault("responses", {})
                for code, entry in problems(401, 413).items():
                    responses.setdefault(str(code), entry)


def install(app: FastAPI) -> None:
    """The gate and its bounded audit on `app` (whose state has the store and token)."""
    app.state.refusals = RefusalAudit(app.state.store, app.state.settings.now)
    app.add_middleware(Gate, api=app)
    openapi = app.openapi

    def documented() -> dict[str, Any]:
        fresh = app.openapi_schema is None
        document = openapi()
        if fresh:
            _declare(document)
        return document

    app.openapi = documented  # type: ignore[method-assign]
