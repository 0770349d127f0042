"""`stocklab strategy list|check`: the built-in strategies, and the lookahead check."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from stocklab.cli import common
from stocklab.model import Timeframe
from stocklab.trading.strategy import STRATEGIES, check_lookahead, get_strategy

strategy_app = typer.Typer(help="전략: 목록, 미래 참조(lookahead) 검사.", no_args_is_help=True)


def _params(items: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--param {item!r}: 이름=값 형식이어야 합니다 (예: --param fast=5)")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


@strategy_app.command("list", help="내장 전략과 기본 인자.")
def list_strategies() -> None:
    table = Table("전략", "주기", "설명", "기본 인자")
    for name, kind in STRATEGIES.items():
        defaults = ", ".join(f"{k}={v}" for k, v in kind().params.model_dump().items())
        table.add_row(name, kind.timeframe.value, kind.description, defaults)
    Console().print(table)


@strategy_app.command(
    "check",
    help="각 봉의 신호가 그 봉까지만 보고 계산한 신호와 같은지 검사합니다 (다르면 미래 참조).",
)
def check(
    name: Annotated[str, typer.Argument(help="전략 이름 (stocklab strategy list)")],
    code: Annotated[list[str] | None, typer.Option("--code", "-c", help="검사할 종목")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="인자 이름=값")] = None,
    points: Annotated[int, typer.Option(min=10, max=5_000, help="검사할 봉 수 (고르게)")] = 300,
) -> None:
    strategy = get_strategy(name, _params(param))
    reader = common.reader()
    codes = code or [c.code for c in reader.bar_overview() if c.timeframe is strategy.timeframe][:5]
    if not codes:
        tf = "일봉" if strategy.timeframe is Timeframe.DAY else "분봉"
        raise ValueError(f"검사할 {tf}이 저장소에 없습니다 (stocklab collect로 먼저 받으세요)")
    console = Console()
    flagged = 0
    for c in codes:
        bars = reader.load_bars(c, strategy.timeframe)
        bad = check_lookahead(strategy, bars, points=points)
        if bad:
            flagged += 1
            days = [bars.datetimes()[i].strftime("%Y-%m-%d %H:%M") for i in bad[:5]]
            console.print(f"[red]미래 참조[/red] {c}: {len(bad)}개 봉 (예: {', '.join(days)})")
        else:
            console.print(
                f"[green]통과[/green] {c}: {len(bars):,}개 봉 중 {min(points, len(bars))}개 검사"
            )
    if flagged:
        raise typer.Exit(1)
