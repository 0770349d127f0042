"""The trade job: one trading cycle (reconcile, signals, orders) for the configured
strategies, and a reconcile-only job that keeps the store in step with the broker."""

from __future__ import annotations

from stocklab.jobs.context import JobContext
from stocklab.runtime.trading import open_manager, open_trader


def trade(ctx: JobContext, live: bool = False) -> None:
    """Paper by default; `live` trades through LS증권 and is only set by `trade run --live`."""
    trader = open_trader(ctx.settings, ctx.store, live=live, now=ctx.now)
    if not trader.strategies:
        ctx.log.info("설정된 전략이 없습니다 (stocklab.toml의 [[strategies]])")
        return
    report = trader.cycle()
    ctx.count("orders", len(report.orders))
    ctx.count("refused", len(report.refused))
    for line in report.refused:
        ctx.log.info("거절: %s", line)
    if report.killed:
        ctx.log.warning("긴급 정지가 켜져 있어 주문하지 않았습니다")
    ctx.log.info(
        "매매 주기: 주문 %d건, 거절 %d건 (%s)",
        len(report.orders),
        len(report.refused),
        "실거래" if live else "모의",
    )


def reconcile(ctx: JobContext, live: bool = False) -> None:
    """Orders, fills, positions and cash: the store made to agree with the broker."""
    manager = open_manager(ctx.settings, ctx.store, live=live, now=ctx.now)
    report = manager.reconcile()
    ctx.count("fills", len(report.fills))
    ctx.count("corrections", len(report.corrections))
    ctx.log.info(
        "대사: 체결 %d, 상태 변경 %d, 보정 %d",
        len(report.fills),
        len(report.status_changes),
        len(report.corrections),
    )
