"""A job whose process dies abnormally — a hard exit, SIGKILL of itself — before it can
end its own run record: the record ends as failed with a clear error, and the scheduler
keeps running the next jobs."""

from __future__ import annotations

import os

import psutil
import pytest

from stocklab.config import load_settings
from stocklab.model import JobRun, JobStatus
from stocklab.scheduler.service import read_heartbeat
from stocklab.store import open_store
from tests.support.scheduling import QUIET, poll, running_scheduler, stocklab

DIED = "작업 프로세스가 비정상 종료했습니다"
REAPED = "끝나 있었습니다"  # another job's start may find the dead run first
STOPPED = ("stocklab이 종료되어", "SIGTERM 신호를 받아 중단했습니다")  # in flight at shutdown


def test_jobs_that_die_are_recorded_failed_and_the_scheduler_goes_on(
    job_env: pytest.MonkeyPatch,
) -> None:
    jobs = {
        **QUIET,
        "test_exit": {"cron": "*/2 * * * * *", "timeout": 30, "args": {"code": 3}},
        "test_selfkill": {"cron": "1/2 * * * * *", "timeout": 30},
        "test_echo": {"cron": "* * * * * *", "timeout": 30, "trading_days_only": False},
    }
    with running_scheduler(job_env, jobs) as (scheduler, store):

        def crashed_then_echoed() -> list[JobRun] | None:
            history = store.list_job_runs(limit=500)
            died = [
                r
                for r in history
                if r.job in ("test_exit", "test_selfkill")
                and r.status is JobStatus.FAILED
                and DIED in (r.error or "")
            ]
            if {r.job for r in died} != {"test_exit", "test_selfkill"}:
                return None
            last_death = max(r.ended_at for r in died if r.ended_at is not None)
            later = [
                r
                for r in history
                if r.job == "test_echo"
                and r.status is JobStatus.SUCCEEDED
                and r.started_at > last_death
            ]
            return history if later else None

        poll(crashed_then_echoed, timeout=40, every=0.2)
        assert read_heartbeat(scheduler.settings) is not None
    history = store.list_job_runs(limit=500)
    assert not [r for r in history if r.status is JobStatus.RUNNING]
    for run in history:
        if run.job == "test_echo":
            continue
        error = run.error or ""
        stopped = any(why in error for why in (REAPED, *STOPPED))
        assert run.status is (JobStatus.INTERRUPTED if stopped else JobStatus.FAILED), run
        assert run.ended_at is not None
        if not stopped or REAPED in error:  # one stopped at shutdown may not have got its pid
            assert run.pid not in (None, os.getpid())
        assert any(why in error for why in (DIED, REAPED, *STOPPED)), error
    exits = [r for r in history if r.job == "test_exit" and DIED in (r.error or "")]
    assert all("종료 코드 3" in (r.error or "") for r in exits)
    assert any("exiting with code 3" in r.log_tail for r in exits)  # from the job's log file
    kills = [r for r in history if r.job == "test_selfkill" and DIED in (r.error or "")]
    assert all("-9" in (r.error or "") for r in kills), [r.error for r in kills]
    assert any("killing myself" in r.log_tail for r in kills)
    assert psutil.Process().children(recursive=True) == []


def test_jobs_run_exits_1_when_the_job_process_dies(job_env: pytest.MonkeyPatch) -> None:
    done = stocklab("jobs", "run", "test_selfkill")
    assert done.code == 1
    assert DIED in done.err
    assert "Traceback" not in done.out + done.err
    [run] = open_store(load_settings().store_url).list_job_runs(job="test_selfkill")
    assert run.status is JobStatus.FAILED
    assert run.pid not in (None, done.pid)
