"""How "run now" and "start a backtest" start a job: checked, bounded, then recorded.

Everything that can refuse a run is checked before its record is written, so a refused
request leaves nothing behind: the job must be runnable here, and the API's queue (runs it
started that are still queued or running) must have room. The record exists before the
202 answer, so a client can follow it at once; it names this process as its launcher, so
that a later start can tell a run queued by a server that is gone.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, HTTPException

from stocklab.config import Settings
from stocklab.jobs.lifeline import process_stamp
from stocklab.jobs.runner import new_run_id
from stocklab.model import JobRun, JobStatus, now_kst
from stocklab.scheduler.config import JobSchedule, load_schedules

if TYPE_CHECKING:
    from stocklab.scheduler.service import Scheduler

RETRY_AFTER_SECONDS = 10
BACKTEST_TIMEOUT = 3600
"""A run with its own arguments (a backtest) has no schedule to take a time limit from."""


class QueueFull(HTTPException):
    """429: the API already has as many runs queued or running as it may."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            429,
            detail=(
                f"API로 시작한 작업 {limit}개가 이미 대기·실행 중입니다 (한도 {limit}); "
                f"{RETRY_AFTER_SECONDS}초쯤 뒤에 다시 시도하거나 STOCKLAB_JOB_QUEUE_LIMIT를 "
                "늘리세요"
            ),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


class Launcher:
    """Starts runs through the scheduler when it lives here, else in a thread that runs
    the job in a child process exactly as the scheduler would. A run with its own
    arguments (a backtest) always takes the thread, since the scheduler runs a job with
    its configured arguments; it is still one of the scheduler's children, stopped with it."""

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self._lock = threading.Lock()  # the count and the new record, one request at a time

    def schedules(self) -> dict[str, JobSchedule]:
        """The jobs "run now" may start, with their configured arguments and limits."""
        scheduler: Scheduler | None = self.app.state.scheduler
        return scheduler.schedules if scheduler is not None else load_schedules(self.settings)

    def _in_queue(self) -> int:
        store = self.app.state.store
        running = store.list_job_runs(status=JobStatus.RUNNING, limit=1_000)
        return sum(1 for r in running if r.trigger == "api")

    def __call__(self, name: str, args: dict[str, Any] | None = None) -> str:
        """Record and start one run of `name`; returns its run id. Raises ValueError for a
        job that cannot run now, QueueFull when the queue is full, 503 while shutting down —
        all before any record."""
        scheduler: Scheduler | None = self.app.state.scheduler
        if args is None:
            schedule = self.schedules().get(name)
            if schedule is None:
                raise ValueError(f"작업 {name!r}은 일정에 없어 지금 실행할 수 없습니다")
            run_args, timeout = schedule.args, float(schedule.timeout)
        else:
            run_args, timeout = args, float(BACKTEST_TIMEOUT)
        if scheduler is not None and scheduler.children.closing:
            raise HTTPException(503, detail="stocklab이 종료하는 중이라 작업을 시작하지 않습니다")
        limit = self.settings.job_queue_limit
        with self._lock:
            if self._in_queue() >= limit:
                raise QueueFull(limit)
            run_id = new_run_id(name)
            started = now_kst()
            self.app.state.store.save_job_run(
                JobRun(
                    run_id=run_id,
                    job=name,
                    status=JobStatus.RUNNING,
                    trigger="api",
                    started_at=started,
                    args=json.loads(json.dumps(run_args, default=str)),
                    launcher_pid=os.getpid(),
                    launcher_stamp=process_stamp(os.getpid()),
                    deadline=started + timedelta(seconds=timeout),
                )
            )
        if scheduler is not None and args is None:
            return scheduler.run_once(name, trigger="api", run_id=run_id)
        from stocklab.scheduler.process import run_in_process

        thread = threading.Thread(
            target=run_in_process,
            args=(self.settings, name, run_args),
            kwargs={
                "trigger": "api",
                "run_id": run_id,
                "timeout": timeout,
                "children": scheduler.children if scheduler is not None else None,
            },
            daemon=True,
        )
        thread.start()
        return run_id
