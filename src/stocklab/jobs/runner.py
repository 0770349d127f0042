"""Run one job and keep its history: a JobRun saved when it starts and when it ends.

Whatever happens inside the job, the run ends as a record (succeeded or failed, with
the error and the last lines of its log) and the exception stops here: a crash in one
job never takes down whoever started it. A run whose process died without ending its
record is found on the next start and marked failed.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import traceback
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from stocklab.agent.base import SourceError
from stocklab.config import Settings
from stocklab.jobs.collect import CollectError
from stocklab.jobs.context import JobContext
from stocklab.jobs.progress import Progress
from stocklab.jobs.registry import call, get_job
from stocklab.model import KST, JobRun, JobStatus, now_kst
from stocklab.store import Store, StoreError, open_store

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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_stale_runs(store: Store) -> int:
    """Mark 'running' records whose process is gone as failed; returns how many."""
    reaped = 0
    for run in store.list_job_runs(status=JobStatus.RUNNING, limit=1000):
        if run.pid is not None and run.pid != os.getpid() and not _alive(run.pid):
            store.save_job_run(
                run.model_copy(
                    update={
                        "status": JobStatus.FAILED,
                        "ended_at": now_kst(),
                        "error": f"프로세스 {run.pid}가 끝나 있었습니다 (강제 종료 추정)",
                    }
                )
            )
            reaped += 1
    return reaped


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
    store = open_store(settings.store_url, actor=f"job:{name}")
    reap_stale_runs(store)
    run = JobRun(
        run_id=run_id or new_run_id(name),
        job=name,
        status=JobStatus.RUNNING,
        trigger=trigger,
        started_at=now_kst(),
        pid=os.getpid(),
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
    except BaseException:
        store.save_job_run(_ended(run, ctx, tail, JobStatus.FAILED, "중단되었습니다 (신호)"))
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
