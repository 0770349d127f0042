"""`stocklab collect codes|daily|minute|flows`: one collection run now, with its history."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console

from stocklab.agent.sources import SOURCES
from stocklab.cli import common
from stocklab.jobs.runner import run_job
from stocklab.model import JobRun, JobStatus

collect_app = typer.Typer(help="데이터 수집: 종목, 일봉, 분봉, 수급.", no_args_is_help=True)

SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source", "-s", help=f"출처: {', '.join(SOURCES)} (기본: 키가 있으면 ls, 없으면 sim)"
    ),
]
CodesOpt = Annotated[
    list[str] | None,
    typer.Option("--codes", "-c", help="종목코드 (여러 번 또는 쉼표로; 기본: 저장소의 전 종목)"),
]
SinceOpt = Annotated[
    str | None, typer.Option("--since", help="이 날짜(YYYY-MM-DD)부터 다시 받기 (기본: 이어받기)")
]


def _codes(values: list[str] | None) -> list[str] | None:
    out = [c.strip() for v in values or [] for c in v.split(",") if c.strip()]
    return out or None


def _date(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} {text!r}: 날짜는 YYYY-MM-DD 형식이어야 합니다") from None


def _source(name: str | None) -> str | None:
    if name is not None and name not in SOURCES:
        raise ValueError(f"--source {name!r}: {', '.join(SOURCES)} 중 하나여야 합니다")
    return name


def _run(job: str, args: dict[str, Any]) -> None:
    run = run_job(job, {k: v for k, v in args.items() if v is not None}, settings=common.settings())
    _report(run)
    if run.status is not JobStatus.SUCCEEDED:
        raise typer.Exit(1)


def _report(run: JobRun) -> None:
    console = Console()
    seconds = (run.ended_at - run.started_at).total_seconds() if run.ended_at else 0.0
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(run.counts.items())) or "변경 없음"
    mark = "[green]성공[/green]" if run.status is JobStatus.SUCCEEDED else "[red]실패[/red]"
    console.print(f"{mark} {run.job} ({seconds:.1f}초): {counts}", highlight=False)
    if run.error:
        common.err_console.print(f"[red]{run.error}[/red]", highlight=False)


@collect_app.command(help="종목 목록을 받아 저장합니다.")
def codes(source: SourceOpt = None) -> None:
    _run("collect_codes", {"source": _source(source)})


@collect_app.command(help="일봉을 마지막으로 저장된 날 다음부터 마지막 장 마감일까지 받습니다.")
def daily(source: SourceOpt = None, codes: CodesOpt = None, since: SinceOpt = None) -> None:
    _run(
        "collect_daily",
        {"source": _source(source), "codes": _codes(codes), "since": _date(since, "--since")},
    )


@collect_app.command(help="한 거래일(기본: 오늘, 장중이면 지금까지)의 분봉을 받습니다.")
def minute(
    source: SourceOpt = None,
    codes: CodesOpt = None,
    day: Annotated[str | None, typer.Option(help="거래일 YYYY-MM-DD")] = None,
) -> None:
    _run(
        "collect_minute",
        {"source": _source(source), "codes": _codes(codes), "day": _date(day, "--day")},
    )


@collect_app.command(help="투자자별 매매, 신용잔고, 공매도를 받습니다.")
def flows(source: SourceOpt = None, codes: CodesOpt = None, since: SinceOpt = None) -> None:
    _run(
        "collect_flows",
        {"source": _source(source), "codes": _codes(codes), "since": _date(since, "--since")},
    )
