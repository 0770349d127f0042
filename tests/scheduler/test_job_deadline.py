"""A job process keeps its own time limit: even when the process that started it can no
longer enforce it (frozen here with SIGSTOP; killed or restarted in real life), the job
stops at its deadline and its run ends `timed_out`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from stocklab.config import load_settings
from stocklab.model import JobRun, JobStatus
from stocklab.store import open_store
from tests.support.scheduling import poll

LIMIT = 3


def ended(proc: psutil.Process) -> bool:
    """Gone, or a zombie: it has exited, and only its (frozen) parent may reap it."""
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_the_job_keeps_its_deadline_when_its_parent_cannot(job_env: pytest.MonkeyPatch) -> None:
    cli = subprocess.Popen(
        [sys.executable, "-m", "stocklab", "jobs", "run", "test_hang",
         "--arg", "seconds=600", "--timeout", str(LIMIT)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    store = open_store(load_settings().store_url)
    try:

        def started() -> JobRun | None:
            runs = store.list_job_runs(job="test_hang")
            return runs[0] if runs and runs[0].pid not in (None, cli.pid) else None

        run = poll(started, timeout=20)
        assert run.pid is not None
        job = psutil.Process(run.pid)
        os.kill(cli.pid, signal.SIGSTOP)  # the parent is alive but does nothing any more
        frozen = time.monotonic()
        assert poll(lambda: ended(job), timeout=LIMIT + 10), "the job ran past its time limit"
        assert time.monotonic() - frozen < LIMIT + 5
        final = store.get_job_run(run.run_id)
        assert final is not None
        assert final.status is JobStatus.TIMED_OUT, final
        assert "제한 시간" in (final.error or "")
        assert final.ended_at is not None
    finally:
        os.kill(cli.pid, signal.SIGCONT)
        _out, err = cli.communicate(timeout=30)
    assert cli.returncode == 1
    assert "Traceback" not in err


def test_the_job_dies_with_the_process_that_started_it(job_env: pytest.MonkeyPatch) -> None:
    cli = subprocess.Popen(
        [sys.executable, "-m", "stocklab", "jobs", "run", "test_hang",
         "--arg", "seconds=600", "--timeout", "600"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    store = open_store(load_settings().store_url)

    def started() -> JobRun | None:
        runs = store.list_job_runs(job="test_hang")
        return runs[0] if runs and runs[0].pid not in (None, cli.pid) else None

    run = poll(started, timeout=20)
    assert run.pid is not None
    job = psutil.Process(run.pid)
    cli.kill()
    cli.wait()
    gone, _ = psutil.wait_procs([job], timeout=10)
    assert gone, "the job process outlived the process that started it"
    ended = store.get_job_run(run.run_id)
    assert ended is not None
    assert ended.status is JobStatus.INTERRUPTED, ended
    assert str(cli.pid) in (ended.error or "")
