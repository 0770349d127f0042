"""Assemble the trading parts for one account: market data, broker, order manager.

The CLI, the trade job and the API all build them here, so they trade the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from stocklab.agent.base import MarketData
from stocklab.agent.sources import open_source
from stocklab.config import Settings
from stocklab.krx.fills import FillModel
from stocklab.store import Store
from stocklab.trading.brokers import limits_from, open_broker
from stocklab.trading.orders import OrderManager
from stocklab.trading.trader import Trader, configured


def account_name(settings: Settings, *, live: bool) -> str:
    """The store's name for the account: live trading never shares paper's records."""
    if live and settings.live_account == settings.trading_account:
        raise ValueError(
            "설정 오류: STOCKLAB_LIVE_ACCOUNT와 STOCKLAB_TRADING_ACCOUNT가 같습니다 — "
            "실거래와 모의 기록이 섞이지 않게 서로 다른 이름을 쓰세요"
        )
    return settings.live_account if live else settings.trading_account


def open_manager(
    settings: Settings,
    store: Store,
    *,
    live: bool = False,
    now: Callable[[], datetime] | None = None,
    market: MarketData | None = None,
) -> OrderManager:
    clock = now or settings.now
    market = market or open_source(settings.market_source, settings, now=clock)
    broker = open_broker(settings, market, live=live, now=clock)
    return OrderManager(
        store,
        broker,
        account_name(settings, live=live),
        market,
        settings.home,
        limits=limits_from(settings),
        model=FillModel(commission_rate=settings.commission_rate),
        now=clock,
    )


def open_trader(
    settings: Settings,
    store: Store,
    *,
    live: bool = False,
    now: Callable[[], datetime] | None = None,
) -> Trader:
    manager = open_manager(settings, store, live=live, now=now)
    return Trader(
        manager, store, manager.market, configured(settings.strategies), settings.commission_rate
    )
