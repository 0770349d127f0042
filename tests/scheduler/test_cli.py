"""`stocklab jobs run` and `stocklab schedule list` as a user runs them: real processes,
the embedded store, schedules from a real `stocklab.toml` in the working directory."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from stocklab.config import load_settings
from stocklab.model import KST, JobRun, JobStatus
from stocklab.scheduler.config import load_schedules
from stocklab.scheduler.service import Scheduler
from stocklab.store import open_store
from tests.support.scheduling import child_pythonpath, stocklab


def runs(job: str | None = None) -> list[JobRun]:
    store = open_store(load_settings().store_url)
    try:
        return store.list_job_runs(job=job, limit=100)
    finally:
        store.close()


def test_jobs_run_runs_once_now_in_a_process_of_its_own(job_env: pytest.MonkeyPatch) -> None:
    done = stocklab("jobs", "run", "test_echo", "--arg", "note=hello")
    assert done.code == 0, done.err
    assert "성공 test_echo" in done.out
    # one run, now (test_echo is trading-days-only, but a run a person asks for runs any day)
    [run] = runs("test_echo")
    assert run.status is JobStatus.SUCCEEDED
    assert run.trigger == "cli"
    assert run.args == {"note": "hello"}
    assert run.counts == {"echo": 1}
    assert run.pid is not None
    assert run.pid != done.pid, "the job ran inside the CLI's own process"
    assert f"echo from pid {run.pid} (hello)" in run.log_tail  # the pid is the job's own


def test_jobs_run_exits_1_on_a_failed_run(job_env: pytest.MonkeyPatch) -> None:
    done = stocklab("jobs", "run", "test_raise")
    assert done.code == 1
    assert "실패 test_raise" in done.out
    assert "boom: a job that raises" in done.err
    assert "Traceback" not in done.out + done.err  # the traceback is in the run's log only
    [run] = runs("test_raise")
    assert run.status is JobStatus.FAILED
    assert run.pid not in (None, done.pid)
    assert "Traceback" in run.log_tail


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["test_echo", "--arg", "colour=red"], "'colour' 인자는 없습니다 (허용: note)"),
        (["test_echo", "--arg", "note"], "이름=값 형식"),
        (["test_slow", "--arg", "seconds=soon"], "seconds='soon'의 형식"),
        (["no_such_job"], "알 수 없는 작업 'no_such_job'"),
    ],
)
def test_jobs_run_refuses_a_bad_argument_in_one_line(
    job_env: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    done = stocklab("jobs", "run", *args)
    assert done.code in (1, 2), done
    assert done.out == ""
    assert len(done.err.strip().splitlines()) == 1, done.err
    assert message in done.err
    assert "Traceback" not in done.err
    assert runs() == [], "a refused run must not start"


def _next_daily(now: datetime, hour: int, minute: int, weekdays: range = range(7)) -> str:
    """The next `minute hour` on one of `weekdays` after `now`, worked out by hand in KST."""
    day = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    while day <= now or day.weekday() not in weekdays:
        day += timedelta(days=1)
    return f"{day:%Y-%m-%d %H:%M}"


def test_schedule_list_shows_the_schedules_of_stocklab_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The job modules come from the file too: nothing but PYTHONPATH in the environment.
    monkeypatch.setenv("PYTHONPATH", child_pythonpath())
    before = datetime.now(KST)
    # an hour already past today in KST: read in any other zone (UTC, the machine's), this
    # schedule's next run would fall on another date than the one worked out below
    hour = (before.hour - 1) % 24
    (tmp_path / "stocklab.toml").write_text(
        f"""
job_modules = ["tests.support.extra_jobs", "tests.support.sched_jobs"]

[jobs.test_echo]
cron = "0 {hour} * * *"
trading_days_only = false
args = {{ note = "from-toml" }}

[jobs.collect_daily]
cron = "20 19 * * 1-5"

[jobs.collect_flows]
enabled = false
""",
        encoding="utf-8",
    )
    store = open_store(load_settings().store_url)
    t = datetime(2024, 9, 19, 15, 40, tzinfo=KST)
    for run_id, job, status, at in [
        ("test_echo-1", "test_echo", JobStatus.FAILED, t),
        ("test_echo-2", "test_echo", JobStatus.SUCCEEDED, t + timedelta(days=1)),
        ("collect_daily-1", "collect_daily", JobStatus.TIMED_OUT, t),
    ]:
        store.save_job_run(
            JobRun(run_id=run_id, job=job, status=status, started_at=at, ended_at=at)
        )
    store.close()

    done = stocklab("schedule", "list")
    after = datetime.now(KST)
    assert done.code == 0, done.err
    assert "다음 실행 (KST)" in done.out
    rows = {line.split()[1]: line for line in done.out.splitlines() if line.count("│") > 2}
    echo = rows["test_echo"]
    assert f"0 {hour} * * *" in echo
    assert any(_next_daily(now, hour, 0) in echo for now in (before, after)), echo
    assert "09-20 15:40" in echo  # the latest run, and its status
    assert "succeeded" in echo
    assert "failed" not in echo
    daily = rows["collect_daily"]
    assert "20 19 * * 1-5" in daily  # crontab weekdays: 1-5 is Monday to Friday
    assert any(_next_daily(now, 19, 20, range(5)) in daily for now in (before, after)), daily
    assert "timed_out" in daily
    assert "(꺼짐)" in rows["collect_flows"]
    assert "30 18 * * mon-fri" in rows["collect_flows"]
    assert "0 8 * * mon-fri" in rows["collect_codes"]  # defaults stay where not overridden
    assert not [s for s in JobStatus if s.value in rows["collect_codes"]]  # no run yet
    assert "스케줄러: 꺼져 있음" in done.out

    # the args of [jobs.test_echo] reach the job when the scheduler runs it
    settings = load_settings()
    assert load_schedules(settings)["test_echo"].args == {"note": "from-toml"}
    scheduler = Scheduler(settings)
    try:
        run = scheduler.fire("test_echo")
    finally:
        scheduler.shutdown()
    assert run is not None
    assert run.status is JobStatus.SUCCEEDED, run.error
    assert run.args == {"note": "from-toml"}
    assert f"echo from pid {run.pid} (from-toml)" in run.log_tail


def test_a_bad_schedule_in_stocklab_toml_is_one_line_and_exit_2(
    tmp_path: Path, job_env: pytest.MonkeyPatch
) -> None:
    (tmp_path / "stocklab.toml").write_text(
        '[jobs.test_echo]\ncron = "61 * * * *"\n', encoding="utf-8"
    )
    done = stocklab("schedule", "list")
    assert done.code == 2
    [line] = done.err.strip().splitlines()
    assert line.startswith("설정 오류: stocklab.toml"), line
    assert "'61'" in line
    assert "Traceback" not in done.out + done.err


@pytest.mark.parametrize(
    ("toml", "args", "shown"),
    [
        ('[jobs.test_echo]\ncron = "61 * * * *"\n', ["schedule", "list"], "[jobs.test_echo]"),
        ("", ["jobs", "run", "test_echo", "--arg", "[/x]=1"], "'[/x]'"),
    ],
)
def test_an_error_line_shows_brackets_as_written(
    tmp_path: Path, job_env: pytest.MonkeyPatch, toml: str, args: list[str], shown: str
) -> None:
    (tmp_path / "stocklab.toml").write_text(toml, encoding="utf-8")
    done = stocklab(*args)
    assert done.code in (1, 2)
    [line] = done.err.strip().splitlines()
    assert shown in line
