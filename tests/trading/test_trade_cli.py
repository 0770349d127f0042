"""`stocklab trade` as a user runs it: a trading loop that the kill switch stops within a
cycle, status, and the order commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from stocklab.model import JobStatus
from stocklab.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[2]


def env_for(home: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")}
    return {
        **base,
        "STOCKLAB_HOME": str(home),
        "STOCKLAB_SIM_CODES": "40",
        "STOCKLAB_SIM_START": "2024-06-03",
        "STOCKLAB_SIM_NOW": "2024-11-15T10:00:30+09:00",
        "STOCKLAB_STRATEGIES": json.dumps(
            [{"name": "ten_tick", "codes": ["00088K", "005930"], "params": {"qty": 5}}]
        ),
        "PYTHONPATH": str(ROOT / "src"),
    }


def stocklab(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stocklab", *args],
        env=env_for(home),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_kill_switch_stops_the_trading_loop_within_a_cycle(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert stocklab(home, "collect", "codes").returncode == 0
    loop = subprocess.Popen(
        [sys.executable, "-m", "stocklab", "trade", "run"],
        env=env_for(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    store = SqliteStore(home / "stocklab.db", readonly=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        runs = store.list_job_runs(job="trade")
        if runs and runs[0].status is JobStatus.SUCCEEDED:
            break
        time.sleep(0.2)
    assert runs[0].counts.get("orders") == 2  # one buy per code
    killed = stocklab(home, "trade", "kill")
    assert killed.returncode == 0, killed.stderr
    assert "긴급 정지를 켰습니다" in killed.stdout
    started = time.monotonic()
    _, err = loop.communicate(timeout=30)
    assert time.monotonic() - started < 5  # it was waiting for the next cycle: it stops now
    assert loop.returncode == 0
    assert "긴급 정지" in err
    assert len(store.list_job_runs(job="trade")) == 1
    orders = stocklab(home, "orders", "list")
    assert "ten_tick-00088K" in orders.stdout
    status = stocklab(home, "trade", "status")
    assert status.returncode == 0, status.stderr
    assert "긴급 정지 중" in status.stdout
    assert stocklab(home, "trade", "kill", "--off").returncode == 0
    assert "긴급 정지 중" not in stocklab(home, "trade", "status").stdout


def test_live_needs_keys_and_a_yes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    refused = stocklab(home, "trade", "run", "--live", "--once")
    assert refused.returncode == 1
    assert "STOCKLAB_LS_APPKEY" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_strategy_list_and_lookahead_check(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert stocklab(home, "collect", "codes").returncode == 0
    assert stocklab(home, "collect", "daily", "--codes", "005930,000660").returncode == 0
    listed = stocklab(home, "strategy", "list")
    assert "sma_cross" in listed.stdout
    assert "ten_tick" in listed.stdout
    checked = stocklab(home, "strategy", "check", "sma_cross", "--param", "fast=3")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.count("통과") == 2
    unknown = stocklab(home, "strategy", "check", "nope")
    assert unknown.returncode == 1
    assert "알 수 없는 전략" in unknown.stderr
