"""`stocklab collect codes|daily|minute|flows`: one collection run now, with its history."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from stocklab.cli import common
from stocklab.cli.jobs import report
from stocklab.jobs.collect import CollectError, check_since
from stocklab.jobs.runner import run_job
from stocklab.model import JobStatus
from stocklab.runtime.sources import SOURCES

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


def _source(name: str | None) -> str | None:
    if name is not None and name not in SOURCES:
        raise ValueError(f"--source {name!r}: {', '.join(SOURCES)} 중 하나여야 합니다")
    return name


def _since(text: str | None) -> date | None:
    """`--since` as a date that is not after the last closed session (else exit 2)."""
    since = common.parse_date(text, "--since")
    try:
        check_since(since, common.settings().now())
    except CollectError as exc:
        raise typer.BadParameter(str(exc).removeprefix("--since "), param_hint="--since") from None
    return since


def _run(job: str, args: dict[str, Any]) -> None:
    """Collect in this process, with a progress bar on a terminal (see `jobs run` for a child)."""
    run = run_job(job, {k: v for k, v in args.items() if v is not None}, settings=common.settings())
    report(run)
    if run.status is not JobStatus.SUCCEEDED:
        raise typer.Exit(1)


@collect_app.command(help="종목 목록을 받아 저장합니다.")
def codes(source: SourceOpt = None) -> None:
    _run("collect_codes", {"source": _source(source)})


@collect_app.command(help="일봉을 마지막으로 저장된 날 다음부터 마지막 장 마감일까지 받습니다.")
def daily(source: SourceOpt = None, codes: CodesOpt = None, since: SinceOpt = None) -> None:
    _run(
        "collect_daily",
        {
            "source": _source(source),
            "codes": _codes(codes),
            "since": _since(since),
        },
    )


@collect_app.command(help="한 거래일(기본: 오늘, 장중이면 지금까지)의 분봉을 받습니다.")
def minute(
    source: SourceOpt = None,
    codes: CodesOpt = None,
    day: Annotated[str | None, typer.Option(help="거래일 YYYY-MM-DD")] = None,
) -> None:
    _run(
        "collect_minute",
        {"source": _source(source), "codes": _codes(codes), "day": common.parse_date(day, "--day")},
    )


@collect_app.command(help="투자자별 매매, 신용잔고, 공매도를 받습니다.")
def flows(source: SourceOpt = None, codes: CodesOpt = None, since: SinceOpt = None) -> None:
    _run(
        "collect_flows",
        {
            "source": _source(source),
            "codes": _codes(codes),
            "since": _since(since),
        },
    )
