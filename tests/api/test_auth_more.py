"""The API token is never shown, and the server binds to loopback by default.

`stocklab up` runs as a user starts it (no bootstrap, no scheduled job, logging at DEBUG);
requests come with no token, a wrong one and the right one; then the token's text must
be nowhere a person or a program could read it: the server's output, any API answer,
the audit entries, or any other file in the data directory.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import httpx
import psutil
import pytest

from stocklab.api.auth import token_path
from stocklab.config import load_settings
from stocklab.scheduler.config import DEFAULTS
from stocklab.store.sqlite import SqliteStore
from tests.api.conftest import SIM_NOW, serve

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def near_miss(token: str) -> str:
    """A wrong token that differs from the right one in its last character only."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def fragments(token: str) -> list[str]:
    """The token and its halves: a log line folded or cut still shows one of them."""
    return [token, token[:16], token[-16:]]


def assert_nowhere(token: str, texts: Iterable[tuple[str, str]]) -> None:
    for where, text in texts:
        for piece in fragments(token):
            assert piece not in text, f"the API token shows in {where}"


def exercise(client: httpx.Client, token: str) -> list[tuple[str, str]]:
    """No token, a wrong one and the right one, on mutating routes and every plain read;
    returns every answer (status line, headers, body) for the scan."""
    wrong = near_miss(token)
    right = {"Authorization": f"Bearer {token}"}
    answers: list[httpx.Response] = []

    refused = client.post("/api/jobs/collect_codes/run")
    assert refused.status_code == 401
    assert refused.json()["detail"].startswith("API 토큰이 없습니다")
    answers.append(refused)
    refused = client.post(
        "/api/jobs/collect_codes/run", headers={"Authorization": f"Bearer {wrong}"}
    )
    assert refused.status_code == 401
    # A wrong token says so, in words a person reads: not the header's syntax.
    assert refused.json()["detail"].startswith("API 토큰이 맞지 않습니다")
    assert "Authorization" not in refused.json()["detail"]
    answers.append(refused)
    refused = client.post(
        "/api/kill", json={"on": True}, headers={"Authorization": f"Bearer {wrong}"}
    )
    assert refused.status_code == 401
    answers.append(refused)

    allowed = client.post("/api/kill", json={"on": False}, headers=right)
    assert allowed.status_code == 200, allowed.text
    answers.append(allowed)
    unknown_job = client.post("/api/jobs/no_such_job/run", headers=right)
    assert unknown_job.status_code == 400, unknown_job.text
    answers.append(unknown_job)
    unknown_order = client.delete("/api/orders/no-such-order", headers=right)
    assert unknown_order.status_code == 404, unknown_order.text
    answers.append(unknown_order)

    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    answers.append(schema)
    reads = [p for p, ops in schema.json()["paths"].items() if "get" in ops and "{" not in p]
    assert "/api/health" in reads
    for path in reads:
        for headers in (right, {}):
            read = client.get(path, headers=headers)
            assert read.status_code < 500, (path, read.text)
            answers.append(read)
    answers.append(client.get("/api/docs"))
    return [
        (
            f"{r.request.method} {r.request.url.path} -> {r.status_code}",
            f"{r.headers}\n{r.text}",
        )
        for r in answers
    ]


def audit_texts(home: Path) -> list[tuple[str, str]]:
    entries = SqliteStore(home / "stocklab.db", readonly=True).list_audit(limit=1_000)
    return [(f"audit {e.operation}", e.model_dump_json()) for e in entries]


def home_files(home: Path) -> list[tuple[str, str]]:
    """Every file in the data directory but the token file, as text (bytes kept)."""
    keep = token_path(load_settings(home=home)).resolve()
    return [
        (str(path), path.read_bytes().decode("latin-1"))
        for path in sorted(home.rglob("*"))
        if path.is_file() and path.resolve() != keep
    ]


def assert_refusals_audited(home: Path) -> None:
    entries = SqliteStore(home / "stocklab.db", readonly=True).list_audit(
        operation="auth_failed", limit=1_000
    )
    reasons = sorted(e.detail["reason"] for e in entries)
    assert reasons == ["missing", "wrong", "wrong"], reasons


def test_the_token_is_never_logged_answered_or_audited_in_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """A first start makes the token file (0600); DEBUG logs, answers and audit omit it."""
    home = tmp_path / "fresh"
    caplog.set_level(logging.DEBUG)
    settings = load_settings(home=home, sim_now=SIM_NOW, sim_codes=10)
    assert not token_path(settings).exists()
    for api in serve(settings):
        path = token_path(settings)
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.read_text(encoding="utf-8").strip() == api.token
        answers = exercise(api.client, api.token)
    out, err = capfd.readouterr()
    token = api.token
    for secret in (token, near_miss(token)):
        assert_nowhere(secret, answers)
        assert_nowhere(secret, [("logs", caplog.text), ("stdout", out), ("stderr", err)])
        assert_nowhere(secret, audit_texts(home))
        assert_nowhere(secret, home_files(home))
    assert caplog.records, "nothing was logged at DEBUG: the scan proves nothing"
    assert_refusals_audited(home)


def test_default_settings_bind_to_loopback(tmp_path: Path) -> None:
    assert load_settings(home=tmp_path / "home").api_host == "127.0.0.1"


def test_up_binds_loopback_and_never_shows_the_token(tmp_path: Path) -> None:
    """`stocklab up` with no --host listens on 127.0.0.1 only; at DEBUG its output, its
    answers, its audit entries and its data directory never contain the token."""
    port = _free_port()
    home = tmp_path / "home"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")},
        "STOCKLAB_HOME": str(home),
        "STOCKLAB_SIM_CODES": "10",
        "STOCKLAB_SIM_START": "2024-06-03",
        "STOCKLAB_LOG_LEVEL": "DEBUG",
        "STOCKLAB_JOBS": json.dumps({name: {"enabled": False} for name in DEFAULTS}),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        "COLUMNS": "250",
    }
    up = subprocess.Popen(
        [sys.executable, "-m", "stocklab", "up", "--port", str(port), "--no-bootstrap"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert up.poll() is None, "stocklab up exited early"
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "stocklab up did not answer in 60 s"
            time.sleep(0.2)
        listening = [
            c
            for c in psutil.Process(up.pid).net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN and c.laddr.port == port
        ]
        assert listening, "no listening socket on the API port"
        assert {c.laddr.ip for c in listening} == {"127.0.0.1"}
        path = home / "api-token"
        assert path.stat().st_mode & 0o777 == 0o600
        token = path.read_text(encoding="utf-8").strip()
        assert len(token) >= 32
        with httpx.Client(base_url=base, timeout=30) as client:
            answers = exercise(client, token)
    finally:
        up.send_signal(signal.SIGTERM)
        output, _ = up.communicate(timeout=60)
    assert up.returncode == 0, output
    assert f"http://localhost:{port}/" in output
    assert "외부에서 접속할 수 있는 주소" not in output
    assert "DEBUG" in output, "the server logged nothing at DEBUG: the scan proves nothing"
    for secret in (token, near_miss(token)):
        assert_nowhere(secret, answers)
        assert_nowhere(secret, [("stocklab up output", output)])
        assert_nowhere(secret, audit_texts(home))
        assert_nowhere(secret, home_files(home))
    assert_refusals_audited(home)
