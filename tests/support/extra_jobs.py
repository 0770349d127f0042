"""Jobs that exist only for the scheduler tests: one that succeeds, one that raises, one
that hangs. Loaded through STOCKLAB_JOB_MODULES, the way a user adds their own jobs."""

from __future__ import annotations

import os
import time

from stocklab.jobs.context import JobContext
from stocklab.jobs.registry import Job, register


def echo(ctx: JobContext, note: str | None = None) -> None:
    ctx.log.info("echo from pid %d (%s)", os.getpid(), note)
    ctx.count("echo", 1)


def explode(ctx: JobContext) -> None:
    ctx.log.info("about to fail")
    raise RuntimeError("boom: a job that raises")


def hang(ctx: JobContext, seconds: int = 600) -> None:
    ctx.log.info("hanging for %d s", seconds)
    time.sleep(seconds)


register(Job("test_echo", echo, "test: succeed", trading_days_only=True))
register(Job("test_raise", explode, "test: raise"))
register(Job("test_hang", hang, "test: hang"))
