"""`stocklab jobs …` and `stocklab schedule …`: run a job now, see and run the schedule."""

from __future__ import annotations

import json
import signal
import sys
import time
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stocklab.bounds import TIMEOUTS
from stocklab.cli import common
from stocklab.jobs.lifeline import Stopped, hold
from stocklab.jobs.registry import JOBS, coerce_args, get_job, load_job_modules
from stocklab.jobs.runner import end_run, run_job
from stocklab.model import KST, JobRun, JobStatus
from stocklab.runtime.store import store_for

jobs_app = typer.Typer(help="작업: 목록, 지금 한 번 실행.", no_args_is_help=True)
schedule_app = typer.Typer(help="일정: 목록과 다음 실행, 스케줄러 실행.", no_args_is_help=True)


def report(run: JobRun) -> None:
    """One line per run: status, duration, rows by kind; the error on stderr."""
    seconds = (run.ended_at - run.started_at).total_seconds() if run.ended_at else 0.0
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(run.counts.items())) or "변경 없음"
    marks = {
        JobStatus.SUCCEEDED: "[green]성공[/green]",
        JobStatus.SKIPPED: "[yellow]건너뜀[/yellow]",
        JobStatus.TIMED_OUT: "[red]시간 초과[/red]",
        JobStatus.INTERRUPTED: "[yellow]중단됨[/yellow]",
    }
    mark = marks.get(run.status, "[red]실패[/red]")
    Console().print(f"{mark} {run.job} ({seconds:.1f}초): {counts}", highlight=False)
    if run.error:
        common.err_console.print(f"[red]{escape(run.error)}[/red]", highlight=False)


def _pairs(values: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--arg {item!r}: 이름=값 형식이어야 합니다 (예: --arg codes=005930)")
        out[key.strip()] = value.strip()
    return out


@jobs_app.command("list", help="등록된 작업과 인자.")
def list_jobs() -> None:
    load_job_modules(common.settings().job_modules)
    table = Table("작업", "설명", "휴장일 건너뜀")
    for job in JOBS.values():
        table.add_row(job.name, job.description, "예" if job.trading_days_only else "")
    Console().print(table)


@jobs_app.command(
    "run", help="작업을 지금 한 번, 별도 프로세스에서 실행합니다 (스케줄러와 같은 방식)."
)
def run(
    name: Annotated[str, typer.Argument(help="작업 이름 (stocklab jobs list)")],
    arg: Annotated[list[str] | None, typer.Option("--arg", "-a", help="인자 이름=값")] = None,
    timeout: Annotated[float, typer.Option(help="제한 시간(초, 1~86,400)")] = 3600,
    inline: Annotated[bool, typer.Option(hidden=True)] = False,
    run_id: Annotated[str | None, typer.Option(hidden=True)] = None,
    trigger: Annotated[str, typer.Option(hidden=True)] = "cli",
    args_json: Annotated[str | None, typer.Option(hidden=True)] = None,
    parent: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    common.check_number(timeout, "--timeout", TIMEOUTS)
    settings = common.settings()
    load_job_modules(settings.job_modules)
    job = get_job(name)
    args = json.loads(args_json) if args_json else _pairs(arg)
    coerce_args(job, args, trusted=inline)  # refuse bad arguments before anything starts
    if inline:
        _run_inline(name, args, run_id, trigger, parent, timeout)
        return
    from stocklab.scheduler.process import run_in_process

    finished = run_in_process(settings, name, args, trigger="cli", timeout=timeout)
    report(finished)
    if finished.status is not JobStatus.SUCCEEDED:
        raise typer.Exit(1)


def _run_inline(
    name: str,
    args: dict[str, Any],
    run_id: str | None,
    trigger: str,
    parent: int | None,
    timeout: float,
) -> None:
    """The child side of the process model: record the run, exit 0 only on success. It
    dies with `parent` and keeps its own deadline, whatever becomes of the parent."""
    settings = common.settings()

    def stuck(stopped: Stopped) -> None:
        if run_id is not None:
            end_run(store_for(settings, actor=f"job:{name}"), run_id, stopped)

    try:
        hold(parent, timeout, on_stuck=stuck)
        finished = run_job(
            name, args, settings=settings, trigger=trigger, run_id=run_id, interactive=False
        )
    except Stopped as stopped:
        stuck(stopped)  # a no-op when run_job ended the record itself
        print(f"{stopped.status.value} {run_id}: {stopped.reason}", flush=True)
        sys.exit(128 + signal.SIGTERM)
    print(f"{finished.status.value} {finished.run_id}", flush=True)
    sys.exit(0 if finished.status is JobStatus.SUCCEEDED else 1)


@schedule_app.command("list", help="작업 일정: cron, 다음 실행(KST), 마지막 상태.")
def schedule_list() -> None:
    from stocklab.scheduler.config import load_schedules
    from stocklab.scheduler.service import read_heartbeat

    settings = common.settings()
    # The plan from the settings, not a Scheduler: that opens the store for writing, and
    # a list must create nothing on a fresh data directory.
    schedules = load_schedules(settings)  # a bad schedule is a settings error, said first
    reader = common.reader()
    alive = read_heartbeat(settings)
    now = datetime.now(KST)
    table = Table("작업", "cron", "다음 실행 (KST)", "휴장일", "제한", "마지막 실행", "상태")
    for p in schedules.values():
        last = reader.list_job_runs(job=p.name, limit=1)
        next_run = p.trigger().get_next_fire_time(None, now) if p.enabled else None
        table.add_row(
            p.name,
            p.cron if p.enabled else f"{p.cron} (꺼짐)",
            f"{next_run:%Y-%m-%d %H:%M}" if next_run else "-",
            "건너뜀" if p.trading_days_only else "",
            f"{p.timeout}s",
            f"{last[0].started_at:%m-%d %H:%M}" if last else "",
            last[0].status.value if last else "",
        )
    console = Console()
    console.print(table)
    state = (
        f"실행 중 (pid {alive['pid']})"
        if alive
        else "꺼져 있음 (`stocklab up` 또는 `stocklab schedule run`)"
    )
    console.print(f"스케줄러: {state}")


@schedule_app.command("run", help="스케줄러를 이 창에서 실행합니다 (Ctrl-C로 멈춤).")
def schedule_run() -> None:
    from stocklab.scheduler.service import Scheduler

    scheduler = Scheduler(common.settings())
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start()
    for p in scheduler.planned():
        when = f"{p.next_run:%Y-%m-%d %H:%M:%S}" if p.next_run else "꺼짐"
        Console().print(f"{p.name:16} {p.cron:22} 다음 {when}", highlight=False)
    try:
        while not stopping:
            time.sleep(0.2)
    finally:
        scheduler.shutdown()
