"""`stocklab up` killed with SIGKILL while a job runs: nothing is left to clean up, so the
job process must stop on its own (its parent died) well within its time limit, and after
a restart its run reads `interrupted`, not `running`, forever."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.scheduler.test_up import free_port
from tests.support.scheduling import JOB_MODULES, QUIET, child_pythonpath, poll

TIMEOUT = 25
"""The job's time limit; it must be gone well before it."""


def _env(home: Path) -> dict[str, str]:
    jobs = {
        **QUIET,
        "test_hang": {
            "cron": "0 0 1 1 *",
            "enabled": False,
            "timeout": TIMEOUT,
            "args": {"seconds": 600},
        },
    }
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")},
        "STOCKLAB_HOME": str(home),
        "STOCKLAB_JOB_MODULES": JOB_MODULES,
        "STOCKLAB_JOBS": json.dumps(jobs),
        "PYTHONPATH": child_pythonpath(),
    }


@contextmanager
def up(home: Path) -> Iterator[tuple[subprocess.Popen[str], httpx.Client]]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "stocklab", "up", "--port", str(port), "--no-bootstrap"],
        env=_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:

            def alive() -> bool:
                try:
                    return bool(client.get("/api/health").json()["scheduler"]["alive"])
                except httpx.HTTPError:
                    return False

            poll(alive, timeout=30, every=0.2)
            yield proc, client
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def test_a_sigkilled_up_leaves_no_job_process_and_an_interrupted_run(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with up(home) as (server, client):
        token = (home / "api-token").read_text().strip()
        started = client.post(
            "/api/jobs/test_hang/run", headers={"Authorization": f"Bearer {token}"}
        )
        assert started.status_code == 202, started.text
        run_id = started.json()["run_id"]

        def job_pid() -> int | None:
            run: dict[str, Any] = client.get(f"/api/jobs/runs/{run_id}").json()
            return run["pid"] if run["status"] == "running" else None

        job = psutil.Process(poll(job_pid, timeout=20, every=0.1))
        assert job.ppid() == server.pid
        os.kill(server.pid, signal.SIGKILL)  # no handler runs, no shutdown, no cleanup
        server.wait(timeout=10)
        killed = time.monotonic()
        gone, _alive = psutil.wait_procs([job], timeout=TIMEOUT)
        assert gone, f"the job process {job.pid} outlived stocklab up"
        assert time.monotonic() - killed < TIMEOUT / 2  # the parent's death, not the timeout
    with up(home) as (_server, client):
        run = client.get(f"/api/jobs/runs/{run_id}").json()
        assert run["status"] == "interrupted", run
        assert run["ended_at"]
        assert run["error"]
        assert "\n" not in run["error"]
        listed = client.get("/api/jobs/runs", params={"status": "running"}).json()
        assert listed == []
