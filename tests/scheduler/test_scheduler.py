"""The scheduler on real processes: runs in children, records every run, survives
jobs that raise or hang, and knows the KRX calendar."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

import psutil
import pytest

from stocklab.config import ConfigError, load_settings
from stocklab.model import KST, JobStatus
from stocklab.scheduler.config import load_schedules, make_trigger
from stocklab.scheduler.service import Scheduler, read_heartbeat
from stocklab.store import open_store

ROOT = Path(__file__).resolve().parents[2]
OFF = {"enabled": False}
QUIET = {"collect_codes": OFF, "collect_daily": OFF, "collect_minute": OFF, "collect_flows": OFF}


@pytest.fixture
def extra_jobs_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Make tests.support.extra_jobs importable here and in every child process."""
    path = os.pathsep.join([str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.setenv("STOCKLAB_JOB_MODULES", "tests.support.extra_jobs")
    return monkeypatch


def test_jobs_run_in_their_own_processes_and_failures_are_recorded(
    extra_jobs_env: pytest.MonkeyPatch,
) -> None:
    jobs = {
        **QUIET,
        "test_echo": {"cron": "* * * * * *", "timeout": 60, "trading_days_only": False},
        "test_raise": {"cron": "*/2 * * * * *", "timeout": 60},
        # 5 s: time enough, on a loaded machine, for the child to start and say it hangs
        "test_hang": {"cron": "*/3 * * * * *", "timeout": 5, "args": {"seconds": 600}},
    }
    extra_jobs_env.setenv("STOCKLAB_JOBS", json.dumps(jobs))
    settings = load_settings()
    scheduler = Scheduler(settings)
    scheduler.start()
    store = open_store(settings.store_url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runs = store.list_job_runs(limit=200)
            done = {(r.job, r.status) for r in runs}
            echoes = [r for r in runs if r.job == "test_echo" and r.status is JobStatus.SUCCEEDED]
            if (
                len(echoes) >= 2
                and ("test_raise", JobStatus.FAILED) in done
                and ("test_hang", JobStatus.TIMED_OUT) in done
            ):
                break
            time.sleep(0.5)
        assert read_heartbeat(settings) is not None
        hang_done = max(r.ended_at for r in runs if r.job == "test_hang" and r.ended_at is not None)
        # the scheduler keeps firing after a timeout
        time.sleep(4)
        later = [
            r for r in store.list_job_runs(job="test_echo", limit=200) if r.started_at > hang_done
        ]
        assert later, "the scheduler stopped running jobs after a timeout"
    finally:
        scheduler.shutdown()
    runs = store.list_job_runs(limit=500)
    echoes = [r for r in runs if r.job == "test_echo" and r.status is JobStatus.SUCCEEDED]
    assert len(echoes) >= 2
    assert all(r.pid is not None and r.pid != os.getpid() for r in echoes)
    assert len({r.pid for r in echoes}) == len(echoes)
    assert all("echo from pid" in r.log_tail for r in echoes)
    raised = next(r for r in runs if r.job == "test_raise" and "boom" in (r.error or ""))
    assert raised.status is JobStatus.FAILED
    assert "Traceback" in raised.log_tail
    hung = next(r for r in runs if r.job == "test_hang" and r.status is JobStatus.TIMED_OUT)
    assert all(
        r.status in (JobStatus.TIMED_OUT, JobStatus.INTERRUPTED)
        for r in runs
        if r.job == "test_hang"
    )
    assert hung.ended_at is not None
    assert "제한 시간" in (hung.error or "")
    assert "hanging for 600 s" in hung.log_tail
    assert not [r for r in runs if r.status is JobStatus.RUNNING]
    me = psutil.Process()
    assert me.children(recursive=True) == []


def test_trading_days_only_jobs_skip_krx_holidays(extra_jobs_env: pytest.MonkeyPatch) -> None:
    jobs = {**QUIET, "test_echo": {"cron": "40 15 * * 1-5", "timeout": 60}}
    extra_jobs_env.setenv("STOCKLAB_JOBS", json.dumps(jobs))
    settings = load_settings()
    scheduler = Scheduler(settings)
    trigger = scheduler.schedules["test_echo"].trigger()
    fired, at = [], datetime(2024, 9, 13, 16, 0, tzinfo=KST)  # Friday before 추석
    for _ in range(4):
        at = trigger.get_next_fire_time(None, at + timedelta(seconds=1))
        run = scheduler.fire("test_echo", at=at)
        assert run is not None
        fired.append((at, run))
    scheduler.shutdown()
    assert [(t.date().isoformat(), r.status) for t, r in fired] == [
        ("2024-09-16", JobStatus.SKIPPED),
        ("2024-09-17", JobStatus.SKIPPED),
        ("2024-09-18", JobStatus.SKIPPED),
        ("2024-09-19", JobStatus.SUCCEEDED),
    ]
    assert "휴장일" in (fired[1][1].error or "")
    history = open_store(settings.store_url).list_job_runs(job="test_echo")
    assert [r.status for r in history] == [
        JobStatus.SUCCEEDED, JobStatus.SKIPPED, JobStatus.SKIPPED, JobStatus.SKIPPED,
    ]  # fmt: skip


def test_cron_fields_and_bad_config() -> None:
    monday_first = make_trigger("0 9 * * 1")  # crontab: 1 = Monday, 0 = Sunday
    nxt = monday_first.get_next_fire_time(None, datetime(2024, 9, 20, 12, tzinfo=KST))
    assert nxt == datetime(2024, 9, 23, 9, 0, tzinfo=KST)
    sunday = make_trigger("0 9 * * 0").get_next_fire_time(None, datetime(2024, 9, 20, tzinfo=KST))
    assert sunday is not None
    assert sunday.date().isoformat() == "2024-09-22"
    every_5s = make_trigger("*/5 * * * * *")
    first = every_5s.get_next_fire_time(None, datetime(2024, 9, 20, 9, 0, 1, tzinfo=KST))
    assert first == datetime(2024, 9, 20, 9, 0, 5, tzinfo=KST)
    with pytest.raises(ValueError, match="필드"):
        make_trigger("* * *")


@pytest.mark.parametrize(
    ("jobs", "message"),
    [
        ({"nope": {"cron": "* * * * *"}}, "알 수 없는 작업"),
        ({"collect_daily": {"cron": "61 * * * *"}}, r"\[jobs.collect_daily\]"),
        ({"collect_daily": {"timeout": 0}}, "timeout"),
        ({"collect_daily": {"colour": "red"}}, "colour"),
    ],
)
def test_bad_schedules_are_config_errors(
    monkeypatch: pytest.MonkeyPatch, jobs: dict[str, object], message: str
) -> None:
    monkeypatch.setenv("STOCKLAB_JOBS", json.dumps(jobs))
    with pytest.raises(ConfigError, match=message):
        load_schedules(load_settings())
