"""Run one job and keep its history: a JobRun saved when it starts and when it ends.

Whatever happens inside the job, the run ends as a record (succeeded or failed, with
the error and the last lines of its log) and the exception stops here: a crash in one
job never takes down whoever started it. A run whose process died without ending its
record is found on the next start and marked interrupted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from stocklab.agent.base import SourceError
from stocklab.config import Settings
from stocklab.jobs.collect import CollectError
from stocklab.jobs.context import JobContext
from stocklab.jobs.lifeline import (
    GRACE_SECONDS,
    Stopped,
    elsewhere,
    process_alive,
    process_stamp,
)
from stocklab.jobs.progress import Progress
from stocklab.jobs.registry import call, get_job
from stocklab.model import KST, JobRun, JobStatus, now_kst
from stocklab.runtime.store import store_for
from stocklab.store import Store, StoreError

TAIL_LINES = 40
_EXPECTED = (CollectError, SourceError, StoreError, ValueError)
"""Failures with a message meant for the user; anything else is a bug and logs a traceback."""
_NOT_ROWS = {"unchanged", "failed_codes", "repaired", "future_stored"}


class _Tail(logging.Handler):
    """Keeps the last lines a job logged, for its run record."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: deque[str] = deque(maxlen=TAIL_LINES)
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
        formatter.converter = lambda seconds: datetime.fromtimestamp(seconds, KST).timetuple()
        self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def new_run_id(job: str) -> str:
    return f"{job}-{now_kst():%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


def _interrupt(store: Store, run: JobRun, reason: str, status: JobStatus) -> None:
    store.save_job_run(
        run.model_copy(update={"status": status, "ended_at": now_kst(), "error": reason})
    )


def _stop_orphan(store: Store, run: JobRun) -> None:
    """A job process whose starter is gone: stop its group (TERM, then KILL), and end its
    record unless the job ended it itself on the way out."""
    assert run.pid is not None
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(run.pid, sig)
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline and process_alive(run.pid, run.pid_stamp):
            time.sleep(0.05)
        if not process_alive(run.pid, run.pid_stamp):
            break
    now = store.get_job_run(run.run_id)
    if now is not None and now.status is JobStatus.RUNNING:
        _interrupt(
            store, now,
            f"작업을 시작한 프로세스(pid {run.launcher_pid})가 끝나 있어 작업 프로세스 "
            f"{run.pid}를 멈췄습니다",
            JobStatus.INTERRUPTED,
        )  # fmt: skip


def reap_stale_runs(store: Store) -> int:
    """End the 'running' records no live process stands behind; returns how many.

    A run whose starter (server, scheduler, CLI) still lives is its starter's to end. Of
    the others, one whose process is gone, or whose pid now names another process, ends
    `interrupted`; so does one its starter queued and never started. A job process still
    alive whose starter is gone is stopped first: it must not outlive it.
    """
    reaped = 0
    me, my_stamp = os.getpid(), process_stamp(os.getpid())
    for run in store.list_job_runs(status=JobStatus.RUNNING, limit=1000):
        if elsewhere(run.pid_stamp) or elsewhere(run.launcher_stamp):
            continue  # another machine's run: its pids mean nothing here
        if run.launcher_pid is not None and process_alive(run.launcher_pid, run.launcher_stamp):
            continue
        if run.pid is None:
            why = "시작하기 전에 그 작업을 받은 stocklab이 멈춰 실행되지 않았습니다"
        elif run.pid == me and run.pid_stamp in (None, my_stamp):
            continue
        elif not process_alive(run.pid, None):
            why = f"프로세스 {run.pid}가 끝나 있었습니다 (강제 종료 또는 재시작 추정)"
        elif not process_alive(run.pid, run.pid_stamp):
            why = (
                f"프로세스 {run.pid}가 끝나 있었습니다 "
                "(그 번호는 이제 다른 프로세스의 것입니다; 강제 종료 또는 재시작 추정)"
            )
        elif run.launcher_pid is not None and run.pid_stamp is not None:
            _stop_orphan(store, run)
            reaped += 1
            continue
        else:
            continue  # its own process, alive
        _interrupt(store, run, why, JobStatus.INTERRUPTED)
        reaped += 1
    return reaped


def end_unstarted_runs(store: Store, reason: str) -> int:
    """At shutdown: end the runs this process started (or queued) that no live process
    stands behind any more, so that none stays 'running'; returns how many."""
    me, my_stamp = os.getpid(), process_stamp(os.getpid())
    ended = 0
    for run in store.list_job_runs(status=JobStatus.RUNNING, limit=1000):
        if run.launcher_pid != me or run.launcher_stamp != my_stamp:
            continue
        if run.pid is not None and process_alive(run.pid, run.pid_stamp):
            continue
        _interrupt(store, run, reason, JobStatus.INTERRUPTED)
        ended += 1
    return ended


def end_run(store: Store, run_id: str, stopped: Stopped) -> None:
    """End run `run_id` as `stopped` says, unless it has ended already."""
    run = store.get_job_run(run_id)
    if run is not None and run.status is JobStatus.RUNNING:
        _interrupt(store, run, stopped.reason, stopped.status)


def _jsonable(args: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(args, default=str, ensure_ascii=False))


def run_job(
    name: str,
    args: dict[str, Any] | None = None,
    *,
    settings: Settings,
    trigger: str = "cli",
    now: Callable[[], datetime] | None = None,
    interactive: bool | None = None,
    run_id: str | None = None,
) -> JobRun:
    """Run job `name` in this process and return its finished record."""
    job = get_job(name)
    args = dict(args or {})
    settings.ensure_home()
    store = store_for(settings, actor=f"job:{name}")
    reap_stale_runs(store)
    queued = store.get_job_run(run_id) if run_id else None
    run = JobRun(
        run_id=run_id or new_run_id(name),
        job=name,
        status=JobStatus.RUNNING,
        trigger=trigger,
        started_at=now_kst(),
        pid=os.getpid(),
        pid_stamp=process_stamp(os.getpid()),
        launcher_pid=queued.launcher_pid if queued else None,
        launcher_stamp=queued.launcher_stamp if queued else None,
        deadline=queued.deadline if queued else None,
        args=_jsonable(args),
    )
    store.save_job_run(run)
    tail = _Tail()
    root = logging.getLogger("stocklab")
    root.addHandler(tail)
    log = logging.getLogger(f"stocklab.jobs.{name}")
    log.setLevel(min(logging.INFO, logging.getLevelName(settings.log_level)))  # the tail wants INFO
    ctx = JobContext(
        settings=settings,
        store=store,
        run_id=run.run_id,
        log=log,
        progress=Progress(log, interactive=interactive),
        now=now or settings.now,
    )
    status, error = JobStatus.SUCCEEDED, None
    try:
        call(job, ctx, args)
    except _EXPECTED as exc:
        status, error = JobStatus.FAILED, str(exc)
        log.error("실패: %s", error)
    except Exception as exc:  # a bug: keep the traceback in the run's log tail
        status, error = JobStatus.FAILED, f"{type(exc).__name__}: {exc}"
        log.error("예상하지 못한 오류\n%s", traceback.format_exc(limit=8))
    except Stopped as exc:  # a signal, its parent's death or its deadline
        store.save_job_run(_ended(run, ctx, tail, exc.status, exc.reason))
        raise
    except BaseException as exc:
        why = f"중단되었습니다 ({type(exc).__name__})"
        store.save_job_run(_ended(run, ctx, tail, JobStatus.INTERRUPTED, why))
        raise
    finally:
        root.removeHandler(tail)
        ctx.close()
    finished = _ended(run, ctx, tail, status, error)
    store.save_job_run(finished)
    store.close()
    return finished


def _ended(
    run: JobRun, ctx: JobContext, tail: _Tail, status: JobStatus, error: str | None
) -> JobRun:
    rows = sum(n for kind, n in ctx.counts.items() if kind not in _NOT_ROWS)
    return run.model_copy(
        update={
            "status": status,
            "ended_at": now_kst(),
            "rows": rows,
            "counts": dict(ctx.counts),
            "error": error,
            "log_tail": "\n".join(tail.lines),
        }
    )
