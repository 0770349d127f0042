"""More test-only jobs for the scheduler tests: one that takes a while, and two whose
process dies abnormally (a hard exit, and SIGKILL of itself) before it can end its run
record. Loaded through STOCKLAB_JOB_MODULES, like tests.support.extra_jobs."""

from __future__ import annotations

import os
import signal
import time

from stocklab.jobs.context import JobContext
from stocklab.jobs.registry import Job, register


def slow(ctx: JobContext, seconds: int = 3) -> None:
    ctx.log.info("slow for %d s", seconds)
    time.sleep(seconds)
    ctx.count("slow", 1)


def hard_exit(ctx: JobContext, code: int = 3) -> None:
    ctx.log.info("exiting with code %d", code)
    os._exit(code)  # no cleanup, no run record from the child


def self_kill(ctx: JobContext) -> None:
    ctx.log.info("killing myself")
    os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(60)  # not reached


register(Job("test_slow", slow, "test: sleep a few seconds"))
register(Job("test_exit", hard_exit, "test: os._exit"))
register(Job("test_selfkill", self_kill, "test: SIGKILL itself"))
