"""The browser's first requests after a restart, side by side, with a position held.

The web client asks for the account and the positions at the same moment; both reach the
simulator, which is cold after a restart and builds its history on first use. Each
restart here is a real `stocklab up` process (jobs off, the clock fixed by
`STOCKLAB_SIM_NOW`), so the simulator starts cold every time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from stocklab.agent.sim import SimMarketData
from stocklab.config import load_settings
from stocklab.model import KST, OrderRequest, OrderType, Quote, Side
from stocklab.runtime.trading import open_manager
from stocklab.scheduler.config import DEFAULTS
from stocklab.store import open_store
from tests.api.conftest import Api, filled_settings, serve

ROOT = Path(__file__).resolve().parents[2]
CODE = "005930"
QTY = 3
PLACED = datetime(2024, 11, 15, 10, 0, 30, tzinfo=KST)
LATER = datetime(2024, 11, 15, 10, 10, tzinfo=KST)  # the buy's minute (10:01) has ended
# Each start costs ~4 s (the KRX calendar is built on the first request), so the 54 rounds
# are spread over 6 starts: the first round of each meets a cold simulator.
RESTARTS = 6
ROUNDS = 9


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _hold_a_position(home: Path) -> None:
    """A market buy placed at PLACED and brought in by a reconcile at LATER."""
    settings = filled_settings(home, sim_now=PLACED.isoformat())
    store = open_store(settings.store_url, actor="test")
    try:
        m = open_manager(settings, store)
        m.account()  # the account record first, as the web client's first request makes it
        buy = OrderRequest(
            client_id="held-1", account_id=m.account_id, code=CODE, side=Side.BUY,
            qty=QTY, order_type=OrderType.MARKET,
        )  # fmt: skip
        m.submit(buy)
        later = load_settings(
            home=home, sim_codes=40, sim_start=date(2024, 6, 3), sim_now=LATER.isoformat()
        )
        report = open_manager(later, store).reconcile()
        assert (len(report.fills), report.corrections) == (1, [])
        (held,) = store.list_positions(m.account_id)
        assert held.qty == QTY
    finally:
        store.close()


@contextmanager
def _up(home: Path, log: Path) -> Iterator[str]:
    """`stocklab up` on a fresh port, no jobs, the clock at LATER; its base URL.

    Its output goes to `log` (a pipe nobody reads would fill up and stall the server)."""
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")},
        "STOCKLAB_HOME": str(home),
        "STOCKLAB_SIM_CODES": "40",
        "STOCKLAB_SIM_START": "2024-06-03",
        "STOCKLAB_SIM_NOW": LATER.isoformat(),
        "STOCKLAB_JOBS": json.dumps({name: {"enabled": False} for name in DEFAULTS}),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    }
    with log.open("w") as out:
        up = subprocess.Popen(
            [sys.executable, "-m", "stocklab", "up", "--no-bootstrap", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert up.poll() is None, log.read_text()
            try:  # /api/health touches neither the broker nor the simulator
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "stocklab up did not answer"
            time.sleep(0.05)
        yield base
    finally:
        up.send_signal(signal.SIGTERM)
        up.wait(timeout=30)
    assert up.returncode == 0, log.read_text()


def _together(base: str) -> dict[str, httpx.Response]:
    """GET /api/account and /api/positions at the same moment, as the browser does."""
    paths = ("/api/account", "/api/positions")
    start = threading.Barrier(len(paths))
    answers: dict[str, httpx.Response] = {}

    def get(path: str) -> None:
        with httpx.Client(base_url=base, timeout=15) as client:
            start.wait()
            try:
                answers[path] = client.get(path)
            except httpx.HTTPError as exc:  # no answer at all is an error too
                answers[path] = httpx.Response(599, text=repr(exc))

    threads = [threading.Thread(target=get, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_account_and_positions_side_by_side_after_each_restart_never_fail(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    _hold_a_position(home)
    price = (
        SimMarketData(seed=20240101, size=40, start=date(2024, 6, 3), now=lambda: LATER)
        .quote(CODE)
        .price
    )  # what a single-threaded simulator says, independently

    errors: list[str] = []
    tracebacks: list[str] = []
    seen: list[tuple[Any, Any]] = []
    for restart in range(RESTARTS):
        log = tmp_path / f"up-{restart}.log"
        with _up(home, log) as base:
            for round_ in range(ROUNDS):
                answers = _together(base)
                bad = [(p, r.status_code, r.text[:200]) for p, r in answers.items()
                       if r.status_code != 200]  # fmt: skip
                if bad:
                    errors.append(f"start {restart} round {round_}: {bad}")
                    continue
                account = answers["/api/account"].json()
                positions = answers["/api/positions"].json()
                seen.append((account, positions))
        if "Traceback" in (text := log.read_text()):
            tracebacks.append(f"start {restart}: {text[-1_500:]}")
    assert errors == [], f"{len(errors)} of {RESTARTS * ROUNDS} rounds failed: {errors[:3]}"
    assert tracebacks == []
    account, positions = seen[0]
    (held,) = positions
    assert (held["code"], held["qty"], held["price"]) == (CODE, QTY, price)
    assert held["value"] == price * QTY
    assert account["positions_value"] == held["value"]
    assert account["equity"] == account["cash"] + held["value"]
    assert all(s == seen[0] for s in seen)  # every round, every restart: the same answers


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    yield from serve(filled_settings(tmp_path / "home", sim_now=LATER.isoformat()))


def test_a_bad_record_made_by_the_server_is_a_plain_500_and_bad_input_stays_422(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: SimMarketData, code: str) -> Quote:
        return Quote(code=code, ts=self.now(), price=0, source="sim")  # price must be > 0

    with pytest.raises(ValidationError):
        broken(SimMarketData(now=lambda: LATER), CODE)
    monkeypatch.setattr(SimMarketData, "quote", broken)
    answer = api.client.get(f"/api/codes/{CODE}/quote")
    assert answer.status_code == 500, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["status"] == 500
    assert "서버 데이터 오류" in body["detail"]
    ref = body["correlation_id"]
    assert ref in body["detail"]  # the id to look for …
    logged = [r.getMessage() for r in caplog.records if ref in r.getMessage()]
    assert logged, "… and the log line that carries it"
    assert "greater_than" in logged[0]  # the log has the whole story, the answer none of it
    assert "validation" not in answer.text.lower()
    assert "greater_than" not in answer.text
    # the request's own mistakes are still the caller's: a 422 naming the parameter
    bad = api.client.get("/api/codes", params={"limit": "many"})
    assert bad.status_code == 422, bad.text
    assert bad.json()["param"] == "limit"


def test_a_bug_is_a_500_with_an_id_whose_traceback_is_in_the_log(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def bug(self: SimMarketData, code: str) -> Quote:
        raise RuntimeError("secret internals: token=abc")

    monkeypatch.setattr(SimMarketData, "quote", bug)
    answer = api.client.get(f"/api/codes/{CODE}/quote")
    assert answer.status_code == 500
    body = answer.json()
    assert body["correlation_id"].startswith("err-")
    assert body["correlation_id"] in body["detail"]
    assert "secret internals" not in answer.text
    (record,) = [r for r in caplog.records if body["correlation_id"] in r.getMessage()]
    assert record.exc_info is not None
    assert "secret internals" in str(record.exc_info[1])
