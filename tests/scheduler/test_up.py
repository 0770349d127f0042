"""`stocklab up` as a user runs it: it serves, schedules, and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil

from stocklab.model import JobStatus
from stocklab.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for[T](check: Callable[[], T | None], timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError("timed out waiting")


def test_up_serves_schedules_and_leaves_no_child_after_sigterm(tmp_path: Path) -> None:
    port = free_port()
    home = tmp_path / "home"
    jobs = {"test_hang": {"cron": "* * * * * *", "timeout": 600, "args": {"seconds": 600}}}
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")},
        "STOCKLAB_HOME": str(home),
        "STOCKLAB_SIM_CODES": "30",
        "STOCKLAB_SIM_START": "2024-06-03",
        "STOCKLAB_JOB_MODULES": "tests.support.extra_jobs",
        "STOCKLAB_JOBS": json.dumps(jobs),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    }
    up = subprocess.Popen(
        [sys.executable, "-m", "stocklab", "up", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> dict[str, Any] | None:
            try:
                body = httpx.get(f"{base}/api/health", timeout=2).json()
            except httpx.HTTPError:
                return None
            return body if body["scheduler"]["alive"] else None

        health = wait_for(healthy)
        assert health["store"]["reachable"] is True
        listed = httpx.get(f"{base}/api/jobs", timeout=5).json()
        by_name = {j["name"]: j for j in listed["jobs"]}
        for name in ("collect_codes", "collect_daily", "collect_minute", "collect_flows"):
            assert by_name[name]["next_run"], name
        # the first start fills the store from the simulator in the background
        wait_for(lambda: httpx.get(f"{base}/api/store/overview", timeout=5).json()["bars"] > 0)
        me = psutil.Process(up.pid)
        children = wait_for(lambda: [p for p in me.children(recursive=True) if p.is_running()])
        token = (home / "api-token").read_text().strip()
        assert len(token) >= 16
        assert (home / "api-token").stat().st_mode & 0o777 == 0o600
    finally:
        up.send_signal(signal.SIGTERM)
        output, _ = up.communicate(timeout=60)
    assert up.returncode == 0, output
    assert "종료하는 중" in output
    # the banner says where to point a browser and where the API token is
    assert f"http://localhost:{port}/" in output
    assert "API 토큰" in output
    assert str(home / "api-token") in output
    assert "Traceback" not in output
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE, child
    assert not (home / "scheduler.json").exists()
    runs = SqliteStore(home / "stocklab.db").list_job_runs(limit=500)
    assert runs
    assert not [r for r in runs if r.status is JobStatus.RUNNING]
    stopped = [r for r in runs if r.job == "test_hang"]
    assert stopped
    assert all(r.status is JobStatus.INTERRUPTED for r in stopped)
    assert {r.job for r in runs if r.status is JobStatus.SUCCEEDED} >= {
        "collect_codes",
        "collect_daily",
    }
