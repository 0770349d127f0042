"""The gate: the token is checked before the body is read, bodies are capped per route,
and refused requests leave a bounded audit trail (a real server on loopback, a real store)."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from stocklab.api.gate import RefusalAudit
from stocklab.config import Settings, load_settings
from stocklab.model import KST, AuditEntry
from stocklab.store.sqlite import SqliteStore
from tests.api.conftest import SIM_NOW, Api, serve

MB = 1024 * 1024


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def _settings(home: Path) -> Settings:
    return load_settings(home=home, sim_now=SIM_NOW)


@pytest.fixture
def api(home: Path) -> Iterator[Api]:
    yield from serve(_settings(home))


def refusals(home: Path) -> list[AuditEntry]:
    store = SqliteStore(home / "stocklab.db", readonly=True)
    try:
        return store.list_audit(operation="auth_failed", limit=100_000)
    finally:
        store.close()


def _post_streamed(base: str, path: str, total: int, headers: dict[str, str]) -> tuple[str, int]:
    """POST a `total`-byte body over a raw socket, 64 KB at a time, stopping as soon as
    the server answers; returns the status line and how many body bytes were sent."""
    url = urlsplit(base)
    head = [f"POST {path} HTTP/1.1", f"Host: {url.netloc}", f"Content-Length: {total}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    chunk = b" " * (64 * 1024)
    sent = 0
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        while sent < total:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        sock.settimeout(10)
        answer = sock.recv(4096).decode("latin-1")
    return answer.split("\r\n", 1)[0], sent


def _raw_post(base: str, path: str) -> str:
    """One bodiless POST on its own connection; the answer's status line."""
    url = urlsplit(base)
    request = f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Length: 0\r\n"
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall((request + "Connection: close\r\n\r\n").encode())
        return sock.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def test_a_200_mb_body_without_a_token_is_refused_before_it_is_read(api: Api, home: Path) -> None:
    status, sent = _post_streamed(
        api.base, "/api/kill", 200 * MB, {"Content-Type": "application/json"}
    )
    assert status.startswith("HTTP/1.1 401"), status
    assert sent < 8 * MB, f"the server read {sent / MB:.0f} MB before refusing"
    assert refusals(home)[0].detail["path"] == "/api/kill"


def test_a_200_mb_body_with_the_token_meets_the_limit_before_it_is_read(api: Api) -> None:
    status, sent = _post_streamed(
        api.base, "/api/orders", 200 * MB, {"Authorization": f"Bearer {api.token}"}
    )
    assert status.startswith("HTTP/1.1 413"), status
    assert sent < 8 * MB


def test_malformed_json_without_a_token_is_401_and_audited(api: Api, home: Path) -> None:
    for path, headers, reason in (
        ("/api/kill", {}, "missing"),
        ("/api/orders", {"Authorization": "Bearer not-the-token-at-all"}, "wrong"),
    ):
        answer = api.client.post(
            path, content=b'{"on": tru', headers={"Content-Type": "application/json", **headers}
        )
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.json()["detail"].startswith("API 토큰이")
        latest = refusals(home)[0].detail
        assert (latest["path"], latest["reason"], latest["method"]) == (path, reason, "POST")


def test_bodies_are_capped_per_route_with_content_length_or_streamed(api: Api) -> None:
    auth = {**api.auth(), "Content-Type": "application/json"}
    padded = b'{"on": true' + b" " * (100 * 1024) + b"}"
    too_big = api.client.post("/api/kill", content=padded, headers=auth)
    assert too_big.status_code == 413, too_big.text
    problem = too_big.json()
    assert problem["limit"] == 64 * 1024
    assert "64 KB" in problem["detail"]
    assert "/api/kill" in problem["detail"]
    assert too_big.headers["content-type"] == "application/problem+json"

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer
        yield b'{"on": true'
        for _ in range(100):
            yield b" " * 1024
        yield b"}"

    streamed = api.client.post("/api/kill", content=chunks(), headers=auth)
    assert streamed.status_code == 413, streamed.text

    small = api.client.post("/api/kill", json={"on": False}, headers=auth)
    assert small.status_code == 200, small.text
    # A backtest request may name 5,000 codes: its route takes more than 64 KB …
    wide = b'{"strategy": "no_such_strategy"' + b" " * (200 * 1024) + b"}"
    allowed = api.client.post("/api/backtests", content=wide, headers=auth)
    assert allowed.status_code in (400, 422), allowed.text
    # … but not without end.
    huge = b'{"strategy": "x"' + b" " * (2 * MB) + b"}"
    assert api.client.post("/api/backtests", content=huge, headers=auth).status_code == 413


def test_a_flood_of_refused_requests_leaves_a_bounded_audit_trail(home: Path) -> None:
    # About the longest request line uvicorn's parser (httptools) takes: it answers 400
    # itself past 64 KB, and h11 past its own (smaller) buffer.
    name = "j" * (62 * 1024)
    before = 0
    for api in serve(_settings(home)):
        before = len(refusals(home))
        for _ in range(500):  # raw: httpx refuses a URL this long
            status = _raw_post(api.base, f"/api/jobs/{name}/run")
            assert status.startswith("HTTP/1.1 401"), status
        during = refusals(home)[: len(refusals(home)) - before]
        assert len(during) <= 5
    rows = refusals(home)[: len(refusals(home)) - before]
    size = sum(len(r.model_dump_json()) for r in rows)
    assert len(rows) <= 6, len(rows)
    assert size < 6 * 1024, f"{size} bytes of audit for 500 refusals"
    assert all(len(r.detail.get("path", "")) <= 200 for r in rows)
    summary = [r.detail for r in rows if r.detail.get("summary")]
    assert len(summary) == 1, summary
    assert summary[0]["count"] == 500
    assert summary[0]["client"] == "127.0.0.1"


def test_the_document_declares_401_and_413_where_they_can_occur(api: Api) -> None:
    paths = api.client.get("/api/openapi.json").json()["paths"]
    for path, ops in paths.items():
        for method, op in ops.items():
            if method in ("post", "put", "patch", "delete"):
                assert {"401", "413"} <= set(op["responses"]), (method, path)
    kill = paths["/api/kill"]["post"]["responses"]["413"]
    assert "application/problem+json" in kill["content"]


def test_reads_stay_open_and_a_write_to_no_route_needs_the_token(api: Api) -> None:
    assert api.client.get("/api/health").status_code == 200
    assert api.client.post("/api/nowhere").status_code == 401
    assert api.client.post("/api/nowhere", headers=api.auth()).status_code in (404, 405)


def test_reads_need_the_token_before_anything_when_configured(home: Path) -> None:
    settings = load_settings(home=home, sim_now=SIM_NOW, api_auth_reads=True)
    for api in serve(settings):
        refused = api.client.get("/api/codes")
        assert refused.status_code == 401
        assert api.client.get("/api/codes", headers=api.auth()).status_code == 200
        assert api.client.get("/api/openapi.json").status_code == 200  # the document is public


def test_refusals_are_summarised_per_client_per_minute_by_the_injected_clock(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "audit.db")
    now = [datetime(2024, 11, 15, 16, 0, 5, tzinfo=KST)]
    log = RefusalAudit(store, lambda: now[0])
    try:
        for _ in range(40):
            log.record("POST", "/api/kill" + "x" * 5_000, "missing", "10.0.0.1")
        log.record("POST", "/api/kill", "wrong", "10.0.0.2")
        rows = store.list_audit(operation="auth_failed")
        assert len(rows) == 6  # five of the first client, one of the second
        assert all(len(r.detail["path"]) <= 200 for r in rows)
        now[0] += timedelta(minutes=1)  # the next minute: the last one's summary is written
        log.record("POST", "/api/kill", "missing", "10.0.0.1")
        summaries = [r.detail for r in store.list_audit(operation="auth_failed")]
        summaries = [d for d in summaries if d.get("summary")]
        assert summaries == [
            {
                "summary": True,
                "client": "10.0.0.1",
                "minute": "2024-11-15T16:00:00+09:00",
                "count": 40,
                "not_listed": 35,
                "reasons": {"missing": 40},
            }
        ]
        assert len(store.list_audit(operation="auth_failed")) == 8
    finally:
        store.close()
