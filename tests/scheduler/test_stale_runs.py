"""A restart ends the runs no live process stands behind: a pid that is gone, a pid that
now names another process, a run queued by a server that is gone, and a job process that
outlived the server that started it (stopped first). Runs that still have their process
(or their live server) are left alone. The API's start and the scheduler's both do it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from stocklab.config import Settings, load_settings
from stocklab.jobs.lifeline import process_stamp
from stocklab.model import JobRun, JobStatus, now_kst
from stocklab.scheduler.service import Scheduler
from stocklab.store import open_store
from tests.api.conftest import serve
from tests.support.scheduling import QUIET, poll


def _api_start(settings: Settings) -> None:
    for api in serve(settings):
        assert api.client.get("/api/jobs/runs").status_code == 200


def _scheduler_start(settings: Settings) -> None:
    scheduler = Scheduler(settings)
    scheduler.start()
    scheduler.shutdown()


@contextmanager
def sleeper(*, own_session: bool = False) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=own_session
    )
    try:
        poll(lambda: process_stamp(proc.pid), timeout=10)
        yield proc
    finally:
        proc.kill()
        proc.wait()


def _gone_pid() -> int:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    return gone.pid


@pytest.mark.parametrize("start", [_api_start, _scheduler_start], ids=["api", "scheduler"])
def test_a_start_interrupts_runs_whose_process_is_gone(
    tmp_path: Path, start: Callable[[Settings], None]
) -> None:
    settings = load_settings(home=tmp_path / "home", jobs=QUIET)
    settings.ensure_home()
    store = open_store(settings.store_url, actor="test")
    dead, dead_server = _gone_pid(), _gone_pid()

    def running(run_id: str, **fields: object) -> None:
        store.save_job_run(
            JobRun(
                run_id=run_id,
                job="collect_flows",
                status=JobStatus.RUNNING,
                trigger="api",
                started_at=now_kst(),
                **fields,
            )
        )

    with sleeper() as live, sleeper(own_session=True) as orphan:
        running("dead-pid", pid=dead, launcher_pid=dead_server)
        # the pid is live.pid's now, but the run's process started at another time
        host_boot, _ticks = (process_stamp(live.pid) or "").rsplit(":", 1)
        running("reused-pid", pid=live.pid, pid_stamp=f"{host_boot}:1")
        # a run of another machine sharing the store: not this machine's to judge
        running("another-machine", pid=dead, pid_stamp="elsewhere.example:b00t:1",
                launcher_pid=dead_server, launcher_stamp="elsewhere.example:b00t:0")  # fmt: skip
        running("queued-by-a-gone-server", launcher_pid=dead_server)
        running("queued-before-this-version")  # no pid, no launcher: today's 16 records
        running("orphan", pid=orphan.pid, pid_stamp=process_stamp(orphan.pid),
                launcher_pid=dead_server)  # fmt: skip
        running("still-alive", pid=live.pid, pid_stamp=process_stamp(live.pid))
        # its job process just ended, and its live starter is about to end the record
        running("ending", pid=dead, launcher_pid=live.pid, launcher_stamp=process_stamp(live.pid))
        running("queued-by-a-live-server", launcher_pid=live.pid,
                launcher_stamp=process_stamp(live.pid))  # fmt: skip

        start(settings)

        runs = {r.run_id: r for r in store.list_job_runs(limit=100)}
        interrupted = {
            "dead-pid",
            "reused-pid",
            "queued-by-a-gone-server",
            "queued-before-this-version",
            "orphan",
        }
        for run_id in interrupted:
            run = runs[run_id]
            assert run.status is JobStatus.INTERRUPTED, run
            assert run.ended_at is not None
            assert run.error
            assert "\n" not in run.error
        assert "끝나 있었습니다" in (runs["dead-pid"].error or "")
        assert "다른 프로세스" in (runs["reused-pid"].error or "")
        assert "멈춰 실행되지 않았습니다" in (runs["queued-by-a-gone-server"].error or "")
        assert str(orphan.pid) in (runs["orphan"].error or "")
        # the orphan was stopped, not just written off: it must not outlive its server
        assert orphan.wait(timeout=10) is not None
        assert live.poll() is None  # the process that now has the reused pid is not touched
        assert runs["still-alive"].status is JobStatus.RUNNING
        assert runs["another-machine"].status is JobStatus.RUNNING
        assert runs["ending"].status is JobStatus.RUNNING
        assert runs["queued-by-a-live-server"].status is JobStatus.RUNNING
