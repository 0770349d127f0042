"""`stocklab backtest STRATEGY …`: run a backtest here with a progress bar and print its
summary; `stocklab backtest list` and `stocklab backtest show ID` read the stored results."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from stocklab.backtest.layout import MAX_CASH
from stocklab.backtest.report import (
    REPORT,
    RESULT,
    STAT_LABELS,
    TRADE_HEAD,
    export_json,
    format_stat,
    report_dir,
    trade_cells,
    write_report,
)
from stocklab.backtest.result import new_backtest_id
from stocklab.cli import common
from stocklab.cli.jobs import report
from stocklab.jobs.backtest import DEFAULT_CASH
from stocklab.jobs.runner import run_job
from stocklab.krx.fills import FillModel
from stocklab.model import BacktestResult, JobStatus, Timeframe
from stocklab.store import NotFound


class _StrategyFirst(TyperGroup):
    """`stocklab backtest sma_cross …` means `stocklab backtest run sma_cross …`."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().resolve_command(ctx, args)


backtest_app = typer.Typer(
    cls=_StrategyFirst,
    help="백테스트: `stocklab backtest STRATEGY --codes … --start … --end … [--cash …]`로 "
    "실행하고, `list`로 목록, `show ID`로 결과를 봅니다.",
    no_args_is_help=True,
)


def _params(items: list[str] | None) -> dict[str, Any]:
    """`--param fast=5`: numbers and true/false as JSON reads them, anything else as text."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--param {item!r}: 이름=값 형식이어야 합니다 (예: --param fast=5)")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value.strip()
    return out


def _summary(record: BacktestResult) -> None:
    console = Console()
    p = record.params
    model = "공유 자금" if p.get("shared_cash") else "종목별 계좌"
    args = ", ".join(f"{k}={v}" for k, v in p.get("strategy", {}).items())
    console.print(
        f"[bold]{record.backtest_id}[/bold] {record.strategy}({args}) "
        f"{record.start} ~ {record.end}, {len(record.codes):,}종목, {model}, "
        f"시작 자금 {p.get('cash', 0):,}원",
        highlight=False,
    )
    table = Table("지표", "값")
    for key, label in STAT_LABELS.items():
        if key in record.stats:
            table.add_row(label, format_stat(key, record.stats[key]))
    console.print(table)


def _files(settings_home: Path, backtest_id: str) -> None:
    folder = report_dir(settings_home, backtest_id)
    page = folder / REPORT
    if page.is_file():
        Console().print(f"보고서: {page}\nJSON:   {folder / RESULT}", highlight=False)
    else:
        Console().print(
            f"보고서 파일이 없습니다: `stocklab backtest show {backtest_id} --report`로 만드세요"
        )


@backtest_app.command(
    "run",
    help="전략을 저장된 봉으로 백테스트합니다 (`stocklab backtest STRATEGY …`와 같음). "
    "체결은 신호 다음 봉 시가, 수수료와 거래세(결제일 기준)는 원 단위 내림.",
)
def run(
    strategy: Annotated[str, typer.Argument(help="전략 이름 (sma_cross, ten_tick)")],
    codes: Annotated[
        list[str] | None,
        typer.Option("--codes", "-c", help="종목코드 (여러 번 또는 쉼표로; 기본: 저장된 전 종목)"),
    ] = None,
    start: Annotated[str | None, typer.Option(help="첫날 YYYY-MM-DD (포함)")] = None,
    end: Annotated[str | None, typer.Option(help="마지막 날 YYYY-MM-DD (포함)")] = None,
    cash: Annotated[
        int, typer.Option(help="시작 자금 (원): 종목별 계좌면 계좌마다, 공유 자금이면 전체")
    ] = DEFAULT_CASH,
    shared_cash: Annotated[
        bool, typer.Option("--shared-cash", help="한 계좌를 모든 종목이 나눠 씀")
    ] = False,
    participation: Annotated[
        str | None, typer.Option(help="한 봉 거래량 중 체결에 쓸 비율 (기본 0.1)")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="전략 인자 이름=값 (예: fast=5)")
    ] = None,
) -> None:
    common.check_number(cash, "--cash", (1, MAX_CASH))
    if participation is not None:  # the fill model's own rule, before a run is recorded
        try:
            FillModel(participation=Decimal(participation)).participation_units  # noqa: B018
        except ArithmeticError:
            raise common.BadOption(
                f"--participation {participation!r}: 0 초과 1 이하의 소수여야 합니다 (예: 0.1)"
            ) from None
        except ValueError as exc:
            raise common.BadOption(f"--participation {participation}: {exc}") from None
    backtest_id = new_backtest_id()
    args = {
        "strategy": strategy,
        "params": _params(param),
        "codes": [c.strip() for v in codes or [] for c in v.split(",") if c.strip()] or None,
        "start": common.parse_date(start, "--start"),
        "end": common.parse_date(end, "--end"),
        "cash": cash,
        "shared_cash": shared_cash,
        "participation": participation,
        "backtest_id": backtest_id,
    }
    settings = common.settings()
    finished = run_job(
        "backtest", {k: v for k, v in args.items() if v is not None}, settings=settings
    )
    report(finished)
    if finished.status is not JobStatus.SUCCEEDED:
        raise typer.Exit(1)
    record = common.reader().get_backtest(backtest_id)
    if record is None:
        raise NotFound(f"백테스트 {backtest_id}가 저장되지 않았습니다")
    _summary(record)
    _files(settings.home, backtest_id)


@backtest_app.command("list", help="저장된 백테스트 (최근 것부터).")
def list_(
    limit: Annotated[int, typer.Option(help="최대 개수", min=1, max=200)] = 20,
) -> None:
    records = common.reader().list_backtests(limit)
    table = Table("전략", "기간", "종목", "총수익률", "최대 낙폭", "거래")
    table.add_column("id", no_wrap=True, min_width=24)  # what `show` needs: never cut
    for r in records:
        table.add_row(
            r.strategy,
            f"{r.start}~{r.end}",
            f"{r.code_count:,}",
            format_stat("total_return", r.stats.get("total_return")),
            format_stat("max_drawdown", r.stats.get("max_drawdown")),
            format_stat("trades", r.stats.get("trades")),
            r.backtest_id,
        )
    Console().print(table)
    if not records:
        Console().print(
            "백테스트가 없습니다: `stocklab backtest sma_cross --codes 005930`처럼 실행하세요"
        )


@backtest_app.command("show", help="백테스트 하나: 통계, 거래, 보고서 파일.")
def show(
    backtest_id: Annotated[str, typer.Argument(help="백테스트 id (stocklab backtest list)")],
    trades: Annotated[int, typer.Option(help="보여 줄 거래 수", min=0)] = 20,
    rebuild: Annotated[
        bool, typer.Option("--report", help="저장된 봉으로 HTML 보고서와 차트를 다시 만듦")
    ] = False,
    export: Annotated[
        Path | None, typer.Option(help="결과를 이 JSON 파일로 내보냄", show_default=False)
    ] = None,
) -> None:
    settings = common.settings()
    reader = common.reader()
    record = reader.get_backtest(backtest_id)
    if record is None:
        raise NotFound(f"백테스트 {backtest_id}가 없습니다 (stocklab backtest list로 확인하세요)")
    _summary(record)
    if trades:
        table = Table(*TRADE_HEAD)
        for t in record.trades[:trades]:
            table.add_row(*trade_cells(t))
        Console().print(table)
        if len(record.trades) > trades:
            Console().print(f"… 거래 {len(record.trades):,}건 중 {trades}건 (--trades로 더 보기)")
    if rebuild:
        tf = Timeframe(record.params.get("timeframe", Timeframe.DAY.value))
        bars = {c: reader.load_bars(c, tf, record.start, record.end) for c in record.codes}
        write_report(record, report_dir(settings.home, backtest_id), bars)
    if export is not None:
        Console().print(f"내보냄: {export_json(record, export)}", highlight=False)
    _files(settings.home, backtest_id)
