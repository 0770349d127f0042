"""Helpers for the scheduler tests: the test job modules, the default jobs switched off,
the `stocklab` command run as a user runs it, and polling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
JOB_MODULES = "tests.support.extra_jobs,tests.support.sched_jobs"
OFF = {"enabled": False}
QUIET = dict.fromkeys(
    ("collect_codes", "collect_daily", "collect_minute", "collect_flows", "trade", "reconcile"),
    OFF,
)
"""The default jobs switched off, so that only a test's own jobs run."""


def child_pythonpath() -> str:
    """A PYTHONPATH under which children import tests.support.* (and stocklab)."""
    return os.pathsep.join([str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])


@dataclass(frozen=True)
class Cli:
    pid: int
    code: int
    out: str
    err: str


def stocklab(*args: str, timeout: float = 60) -> Cli:
    """`python -m stocklab ARGS` in the current directory and environment (wide output)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "stocklab", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    out, err = proc.communicate(timeout=timeout)
    return Cli(proc.pid, proc.returncode, out, err)


def poll[T](check: Callable[[], T | None], timeout: float = 30.0, every: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {check}")


@contextmanager
def running_scheduler(env: Any, jobs: dict[str, dict[str, Any]]) -> Iterator[tuple[Any, Any]]:
    """A scheduler on `jobs` (env: the test's monkeypatch), started, and its store; shut
    down on the way out whatever the test did."""
    from stocklab.config import load_settings
    from stocklab.scheduler.service import Scheduler
    from stocklab.store import open_store

    env.setenv("STOCKLAB_JOBS", json.dumps(jobs))
    settings = load_settings()
    scheduler = Scheduler(settings)
    store = open_store(settings.store_url)
    scheduler.start()
    try:
        yield scheduler, store
    finally:
        scheduler.shutdown()
