"""`stocklab up` is SIGKILLed with order POSTs in flight; each client then retries its
order as a browser (our web ticket) does — the same body, the same key — until it gets an
answer from the restarted server. Every order must exist once: in the store and in the
paper broker's book, whatever instant the kill hit (before the record, between the record
and the broker, after the broker, before the answer).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from stocklab.api.auth import token_path
from stocklab.config import load_settings
from stocklab.scheduler.config import DEFAULTS
from tests.api.conftest import _free_port, filled_settings

ROOT = Path(__file__).resolve().parents[2]
SESSION_NOW = "2024-11-15T10:30:00+09:00"  # the simulator's clock: a session is open
PER_ROUND = 4
LOST_ROUNDS = 3
"""Rounds in which the kill cut at least one request after it reached the server."""
MAX_ROUNDS = 40


@dataclass
class Up:
    proc: subprocess.Popen[bytes]
    base: str


def start(home: Path, port: int, log: Path) -> Up:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")}
    env.update(
        STOCKLAB_HOME=str(home),
        STOCKLAB_SIM_CODES="40",
        STOCKLAB_SIM_START="2024-06-03",
        STOCKLAB_SIM_NOW=SESSION_NOW,
        # The simulator's clock stands still: every order counts in the same minute.
        STOCKLAB_RISK_MAX_ORDERS_PER_MINUTE="100000",
        STOCKLAB_JOBS=json.dumps({name: {"enabled": False} for name in DEFAULTS}),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    )
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "stocklab", "up", "--port", str(port), "--no-bootstrap"],
            cwd=home.parent, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    up = Up(proc, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            if httpx.get(f"{up.base}/api/health", timeout=2).status_code == 200:
                return up
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "stocklab up did not answer in 60 s"
        time.sleep(0.05)


def kill(up: Up) -> None:
    os.killpg(up.proc.pid, signal.SIGKILL)
    up.proc.wait(timeout=10)


@dataclass
class Client:
    """One order as the web ticket sends it: the same body (the same client_id) until an
    answer; `lost` counts tries that reached the server and got no answer."""

    port: int
    body: dict[str, object]
    token: str
    answer: httpx.Response | None = None
    lost: int = 0

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                res = httpx.post(
                    f"http://127.0.0.1:{self.port}/api/orders",
                    json=self.body, headers=headers, timeout=10,
                )  # fmt: skip
            except httpx.ConnectError:  # no server yet: never reached it
                time.sleep(0.05)
                continue
            except httpx.TransportError:  # reached it, then the answer was cut
                self.lost += 1
                time.sleep(0.05)
                continue
            if res.status_code < 500:
                self.answer = res
                return
            time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_orders_in_flight_when_up_is_killed_exist_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    filled_settings(home, sim_now=SESSION_NOW)
    port = _free_port()
    log = tmp_path / "up.log"
    rng = random.Random(7)
    up = start(home, port, log)
    token = token_path(load_settings(home=home)).read_text(encoding="utf-8").strip()
    quote = httpx.get(f"{up.base}/api/codes/005930/quote", timeout=30).json()
    clients: list[Client] = []
    lost_rounds = 0
    for round_ in range(MAX_ROUNDS):
        batch = [
            Client(
                port,
                {
                    "code": "005930",
                    "side": "buy",
                    "qty": 1 + i,
                    "order_type": "limit",
                    # Below the market: the orders stay open, each holding its cash on the book.
                    "price": quote["lower"] + quote["tick"] * (round_ % 20 + 1),
                    "client_id": f"web-kill-{round_:02d}-{i}",
                },
                token,
            )
            for i in range(PER_ROUND)
        ]
        threads = [threading.Thread(target=c.run) for c in batch]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.005, 0.12))  # the kill lands anywhere in the requests' work
        kill(up)
        up = start(home, port, log)  # the restart the clients retry against
        for t in threads:
            t.join(timeout=150)
        clients += batch
        lost_rounds += any(c.lost for c in batch)
        if lost_rounds >= LOST_ROUNDS:
            break
    try:
        assert lost_rounds >= LOST_ROUNDS, "the kills never cut a request in flight"
        keys = [str(c.body["client_id"]) for c in clients]
        answers = [c.answer for c in clients if c.answer is not None]
        assert len(answers) == len(keys), "a client got no answer"
        assert [a.status_code for a in answers if a.status_code not in (200, 201)] == []
        answered = Counter(a.json()["request"]["client_id"] for a in answers)
        assert answered == Counter(keys)

        # Every answer is the order at the broker, open: none left unsent or unknown.
        assert {a.json()["status"] for a in answers} == {"accepted"}
        orders = httpx.get(f"{up.base}/api/orders", params={"limit": 1000}).json()
        stored = Counter(o["request"]["client_id"] for o in orders)
        assert stored == Counter(keys), "an order is missing or stored twice"
        assert {o["status"] for o in orders} == {"accepted"}
        book = json.loads((home / "paper" / "paper.json").read_text(encoding="utf-8"))
        placed = Counter(o["client_id"] for o in book["orders"].values())
        assert placed == Counter(keys), f"placed twice or lost: {placed.most_common(3)}"
        account = httpx.get(f"{up.base}/api/account").json()
        held = sum(
            o["request"]["qty"] * o["request"]["price"] for o in orders if o["status"] == "accepted"
        )
        assert account["cash"] - account["orderable"] >= held  # each open buy holds its cash once
    finally:
        kill(up)
