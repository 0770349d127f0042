"""The `backtest` job: load stored bars, check the strategy for lookahead, run it, keep the
result in the store and write its report under `<home>/backtests/<id>/`.

The CLI runs it in its own process with a progress bar; the API starts it in a child
process (`POST /api/backtests`) with the backtest id chosen up front, so the caller can
fetch the result once the run has ended.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from stocklab.backtest.inputs import Listing
from stocklab.barseries import BarSeries
from stocklab.jobs.context import JobContext
from stocklab.krx.fills import DEFAULT_PARTICIPATION, FillModel
from stocklab.model import check_code
from stocklab.trading.strategy import Strategy, get_strategy

DEFAULT_CASH = 10_000_000


def _params(value: dict[str, Any] | str | None) -> dict[str, Any]:
    """Strategy parameters as a dict, or as JSON text from a command line."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError(
                f'params {value!r}: JSON 객체여야 합니다 (예: {{"fast": 5, "slow": 20}})'
            ) from None
    if not isinstance(value, dict):
        raise ValueError(f"params는 이름-값 객체여야 합니다 (받은 값: {value!r})")
    return value


def _flag(name: str, value: bool | str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise ValueError(f"{name}={value!r}: true 또는 false여야 합니다")


def _participation(value: str | float | None) -> Decimal:
    if value is None or value == "":
        return DEFAULT_PARTICIPATION
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"participation={value!r}: 0 초과 1 이하의 소수여야 합니다") from None


def _targets(ctx: JobContext, strategy: Strategy, codes: Sequence[str] | None) -> list[str]:
    if codes:
        return list(dict.fromkeys(check_code(c.strip()) for c in codes))
    stored = sorted({c.code for c in ctx.store.bar_overview() if c.timeframe is strategy.timeframe})
    if not stored:
        raise ValueError(
            f"저장소에 {strategy.timeframe.value} 봉이 없습니다: 먼저 수집하거나 "
            "`stocklab store import-csv`로 가져오세요"
        )
    return stored


def _listings(ctx: JobContext, codes: list[str]) -> dict[str, Listing]:
    out = {}
    unknown = []
    for code in codes:
        inst = ctx.store.get_instrument(code)
        if inst is None:
            unknown.append(code)
        else:
            out[code] = Listing(inst.market, inst.kind)
    if unknown:
        ctx.log.warning(
            "종목 정보가 없어 KOSPI 주식으로 봅니다 (호가단위·거래세): %s — "
            "`stocklab store import-csv --instruments FILE`이나 `stocklab collect codes`로 "
            "등록하세요",
            ", ".join(unknown[:10]) + (f" 외 {len(unknown) - 10}개" if len(unknown) > 10 else ""),
        )
    return out


def backtest(
    ctx: JobContext,
    strategy: str | None = None,
    params: dict[str, Any] | str | None = None,
    codes: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    cash: int = DEFAULT_CASH,
    shared_cash: bool | str = False,
    participation: str | None = None,
    backtest_id: str | None = None,
) -> None:
    """Backtest `strategy` over the stored bars of `codes` (all stored codes when empty)."""
    # numba and matplotlib load here, not when the job registry is imported by every command
    from stocklab.backtest.engine import Config, run
    from stocklab.backtest.report import report_dir, write_report
    from stocklab.backtest.result import new_backtest_id, to_record

    if not strategy:
        raise ValueError("backtest 작업에는 strategy 인자가 필요합니다 (예: strategy=sma_cross)")
    chosen = get_strategy(strategy, _params(params))
    fills = FillModel(ctx.settings.commission_rate, _participation(participation))
    config = Config(cash=cash, shared_cash=_flag("shared_cash", shared_cash), fills=fills)
    if start and end and start > end:
        raise ValueError(f"기간이 거꾸로입니다: start {start} > end {end}")
    targets = _targets(ctx, chosen, codes)
    bars: dict[str, BarSeries] = {}
    ctx.progress.start(len(targets), "봉 읽기")
    for code in targets:
        series = ctx.store.load_bars(code, chosen.timeframe, start, end)
        if len(series):
            bars[code] = series
        ctx.progress.advance()
    ctx.progress.finish()
    missing = [c for c in targets if c not in bars]
    if missing:
        ctx.log.warning(
            "기간 안에 봉이 없는 종목은 빼고 합니다: %s",
            ", ".join(missing[:10]) + (f" 외 {len(missing) - 10}개" if len(missing) > 10 else ""),
        )
    if not bars:
        raise ValueError(
            f"{start or '처음'} ~ {end or '끝'} 기간에 {chosen.timeframe.value} 봉이 있는 종목이 "
            "없습니다: 기간과 종목을 확인하세요"
        )
    ctx.progress.start(len(bars), "신호 계산")
    result = run(chosen, bars, config, _listings(ctx, list(bars)), progress=ctx.progress.advance)
    ctx.progress.finish()
    record = to_record(result, backtest_id or new_backtest_id())
    ctx.store.save_backtest(record)
    page = write_report(record, report_dir(ctx.settings.home, record.backtest_id), bars)
    stats = record.stats
    ctx.count("backtests", 1)
    ctx.count("trades", len(record.trades))
    ctx.log.info(
        "백테스트 %s: %s, %d종목 %s봉, 거래 %d건, 총수익률 %.2f%%, 보고서 %s",
        record.backtest_id, chosen, len(bars), f"{result.bars:,}", len(record.trades),
        100 * float(stats["total_return"] or 0.0), page,
    )  # fmt: skip
