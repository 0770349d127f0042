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

        def alive() -> bool:
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).json()
            except httpx.HTTPError:
                return False
            return bool(body["scheduler"]["alive"])

        wait_for(alive)
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
    assert all(r.status is JobStatus.FAILED and r.ended_at for r in runs), runs
