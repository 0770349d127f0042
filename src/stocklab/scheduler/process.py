"""Run a job in a process of its own, with a timeout, and always end its run record.

Why a process per job: a broker library or a runaway loop inside one job must not stall
or crash the scheduler, and a timeout must be able to stop it for sure. The child is
`python -m stocklab jobs run NAME --inline` in a new session (its own process group), so
killing the group stops anything it started. The parent writes the run record before the
child starts and finishes it if the child could not: timed out, killed, or crashed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from datetime import timedelta
from pathlib import Path
from typing import Any

from stocklab.config import Settings
from stocklab.jobs.lifeline import process_stamp
from stocklab.jobs.runner import new_run_id
from stocklab.model import JobRun, JobStatus, now_kst
from stocklab.runtime.store import store_for
from stocklab.store import Store

log = logging.getLogger("stocklab.scheduler")

GRACE_SECONDS = 5.0
"""How long a child gets between SIGTERM and SIGKILL."""
LOG_DAYS = 30


class Children:
    """The job processes running now, so that shutdown can stop every one of them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self.closing = False

    def add(self, run_id: str, proc: subprocess.Popen[bytes]) -> None:
        """Track `proc`; one that started while shutdown was taking its list is stopped
        at once, so that none outlives it."""
        with self._lock:
            self._procs[run_id] = proc
            late = self.closing
        if late:
            _signal_group(proc, signal.SIGTERM)

    def remove(self, run_id: str) -> None:
        with self._lock:
            self._procs.pop(run_id, None)

    def running(self) -> dict[str, subprocess.Popen[bytes]]:
        with self._lock:
            return dict(self._procs)

    def stop_all(self, grace: float = GRACE_SECONDS) -> list[str]:
        """Stop every child (TERM, then KILL after `grace`); returns their run ids."""
        self.closing = True
        procs = self.running()
        for proc in procs.values():
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in procs.values():
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
        return list(procs)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def log_path(settings: Settings, run_id: str) -> Path:
    return settings.home / "logs" / f"{run_id}.log"


def prune_logs(settings: Settings, days: int = LOG_DAYS) -> int:
    """Delete job logs older than `days`; the run history keeps their last lines anyway."""
    folder = settings.home / "logs"
    if not folder.is_dir():
        return 0
    cutoff = time.time() - days * 86_400
    old = [p for p in folder.glob("*.log") if p.stat().st_mtime < cutoff]
    for p in old:
        p.unlink(missing_ok=True)
    return len(old)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            return "".join(deque(f, maxlen=lines)).rstrip()
    except OSError:
        return ""


def _child_env(settings: Settings) -> dict[str, str]:
    """The parent's environment plus its settings, so the child sees exactly the same."""
    return {**os.environ, **settings.as_env(), "PYTHONUNBUFFERED": "1"}


def run_in_process(
    settings: Settings,
    name: str,
    args: dict[str, Any] | None = None,
    *,
    trigger: str = "schedule",
    timeout: float = 1800,
    children: Children | None = None,
    store: Store | None = None,
    run_id: str | None = None,
) -> JobRun:
    """Run job `name` in a child process and return its finished run record."""
    store = store or store_for(settings, actor="scheduler")
    run_id = run_id or new_run_id(name)
    path = log_path(settings, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = now_kst()
    store.save_job_run(
        JobRun(run_id=run_id, job=name, status=JobStatus.RUNNING, trigger=trigger,
               started_at=started, args=json.loads(json.dumps(args or {}, default=str)),
               launcher_pid=os.getpid(), launcher_stamp=process_stamp(os.getpid()),
               deadline=started + timedelta(seconds=timeout))
    )  # fmt: skip
    # The child keeps its own deadline and watches this process: neither a SIGKILL of
    # this process nor a restart lets it run on.
    command = [
        sys.executable, "-m", "stocklab", "jobs", "run", name, "--inline",
        "--run-id", run_id, "--trigger", trigger,
        "--args-json", json.dumps(args or {}, default=str),
        "--parent", str(os.getpid()), "--timeout", str(timeout),
    ]  # fmt: skip
    with path.open("ab") as out:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_child_env(settings),
            start_new_session=True,
        )
    if children is not None:
        children.add(run_id, proc)
    log.info("%s 시작: pid %d, 제한 %ds (%s)", name, proc.pid, timeout, run_id)
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        log.warning("%s가 %ds 안에 끝나지 않아 멈춥니다 (%s)", name, timeout, run_id)
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()
    finally:
        if children is not None:
            children.remove(run_id)
    return _settle(store, run_id, proc, path, timed_out, timeout, children)


def _settle(
    store: Store,
    run_id: str,
    proc: subprocess.Popen[bytes],
    path: Path,
    timed_out: bool,
    timeout: float,
    children: Children | None,
) -> JobRun:
    """The final record: the child's own if it wrote one, else one the parent writes."""
    run = store.get_job_run(run_id)
    assert run is not None
    if run.status is not JobStatus.RUNNING and not timed_out:
        return run
    if timed_out:
        status, error = (
            JobStatus.TIMED_OUT,
            f"제한 시간 {timedelta(seconds=timeout)}을 넘겨 멈췄습니다",
        )
    elif children is not None and children.closing:
        status, error = JobStatus.INTERRUPTED, "stocklab이 종료되어 중단했습니다"
    else:
        status = JobStatus.FAILED
        error = f"작업 프로세스가 비정상 종료했습니다 (종료 코드 {proc.returncode})"
    final = run.model_copy(
        update={
            "status": status,
            "ended_at": now_kst(),
            "pid": run.pid or proc.pid,
            "error": error,
            "log_tail": run.log_tail or _tail(path),
        }
    )
    store.save_job_run(final)
    return final
