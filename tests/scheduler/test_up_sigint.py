"""`stocklab up` stopped with Ctrl-C: the terminal sends SIGINT to its whole foreground
process group; every job process stops too and every run record is finished."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil

from stocklab.model import JobStatus
from stocklab.store.sqlite import SqliteStore
from tests.scheduler.test_up import free_port, wait_for
from tests.support.scheduling import JOB_MODULES, QUIET, child_pythonpath


def scheduler_alive(port: int) -> bool:
    """The server answers and its scheduler beats."""
    try:
        body = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).json()
    except httpx.HTTPError:
        return False
    return bool(body["scheduler"]["alive"])


def test_up_leaves_no_child_after_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    home = tmp_path / "home"
    jobs = {
        **QUIET,
        "test_hang": {"cron": "* * * * * *", "timeout": 600, "args": {"seconds": 600}},
    }
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")},
        "STOCKLAB_HOME": str(home),
        "STOCKLAB_JOB_MODULES": JOB_MODULES,
        "STOCKLAB_JOBS": json.dumps(jobs),
        "PYTHONPATH": child_pythonpath(),
    }
    up = subprocess.Popen(
        [sys.executable, "-m", "stocklab", "up", "--port", str(port), "--no-bootstrap"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a group of its own, as a shell's foreground job has
    )
    try:
        wait_for(lambda: scheduler_alive(port))
        me = psutil.Process(up.pid)
        children = wait_for(lambda: [p for p in me.children(recursive=True) if p.is_running()])
    finally:
        os.killpg(up.pid, signal.SIGINT)  # Ctrl-C
        output, _ = up.communicate(timeout=60)
    assert up.returncode == 0, output
    assert f"http://localhost:{port}/" in output
    assert str(home / "api-token") in output
    assert "종료하는 중" in output
    assert "Traceback" not in output
    assert "KeyboardInterrupt" not in output
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE, child
    assert not (home / "scheduler.json").exists()
    runs = SqliteStore(home / "stocklab.db").list_job_runs(limit=100)
    assert runs
    assert {r.job for r in runs} == {"test_hang"}
    assert all(r.status is JobStatus.INTERRUPTED and r.ended_at for r in runs), runs


def test_ctrl_c_with_twenty_queued_runs_leaves_none_running(tmp_path: Path) -> None:
    port = free_port()
    home = tmp_path / "home"
    hang = {"cron": "0 0 1 1 *", "enabled": False, "timeout": 60, "args": {"seconds": 600}}
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")},
        "STOCKLAB_HOME": str(home),
        "STOCKLAB_JOB_MODULES": JOB_MODULES,
        "STOCKLAB_JOBS": json.dumps({**QUIET, "test_hang": hang}),
        "STOCKLAB_JOB_QUEUE_LIMIT": "20",
        "PYTHONPATH": child_pythonpath(),
    }
    up = subprocess.Popen(
        [sys.executable, "-m", "stocklab", "up", "--port", str(port), "--no-bootstrap"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: scheduler_alive(port))
        token = (home / "api-token").read_text().strip()
        auth = {"Authorization": f"Bearer {token}"}
        answers = [
            httpx.post(f"{base}/api/jobs/test_hang/run", headers=auth, timeout=5) for _ in range(20)
        ]
        assert [a.status_code for a in answers] == [202] * 20
        refused = httpx.post(f"{base}/api/jobs/test_hang/run", headers=auth, timeout=5)
        assert refused.status_code == 429
        store = SqliteStore(home / "stocklab.db")
        wait_for(lambda: len([r for r in store.list_job_runs(limit=100) if r.pid]) >= 2)
    finally:
        os.killpg(up.pid, signal.SIGINT)  # Ctrl-C
        output, _ = up.communicate(timeout=60)
    assert up.returncode == 0, output
    assert "Traceback" not in output
    runs = SqliteStore(home / "stocklab.db").list_job_runs(limit=100)
    assert len(runs) == 20
    assert not [r for r in runs if r.status is JobStatus.RUNNING], runs
    assert {r.status for r in runs} == {JobStatus.INTERRUPTED}
    assert all(r.ended_at and r.error and "\n" not in r.error for r in runs)
    started = {r.pid for r in runs if r.pid is not None}
    assert len(started) >= 2  # some were running, the rest still queued
    assert not [pid for pid in started if psutil.pid_exists(pid)]
