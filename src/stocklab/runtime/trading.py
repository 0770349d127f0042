"""The trading parts for one account, built from `Settings`: the broker (paper unless live
is asked for), the risk limits, the order manager and the trader.

The CLI, the trade job and the API all build them here, so they trade the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from stocklab.agent.base import AuthError, MarketData
from stocklab.agent.broker import Broker
from stocklab.config import Settings
from stocklab.krx.fills import FillModel
from stocklab.runtime.sources import ls_broker, open_source
from stocklab.store import Store
from stocklab.trading.orders import OrderManager
from stocklab.trading.risk import Limits
from stocklab.trading.trader import Trader, configured


def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_order_krw=settings.risk_max_order_krw,
        max_position_pct=settings.risk_max_position_pct,
        daily_loss_krw=settings.risk_daily_loss_krw,
        max_orders_per_minute=settings.risk_max_orders_per_minute,
        commission_rate=settings.commission_rate,
    )


def open_broker(
    settings: Settings, market: MarketData, *, live: bool = False, now: Callable[[], datetime]
) -> Broker:
    """The paper broker on `market`, or LS증권 when `live` (which needs the keys)."""
    if not live:
        from stocklab.agent.sim.broker import PaperBroker

        return PaperBroker(
            settings.home,
            settings.trading_account,
            market,
            cash=settings.paper_cash,
            model=FillModel(commission_rate=settings.commission_rate),
            now=now,
        )
    if not (settings.ls_appkey and settings.ls_appsecret):
        raise AuthError(
            "실거래에는 LS증권 앱 키가 필요합니다",
            hint="STOCKLAB_LS_APPKEY와 STOCKLAB_LS_APPSECRET을 설정하세요",
            source="ls",
        )
    return ls_broker(settings, paper=settings.ls_paper, now=now)


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
    """The order manager for the paper account (or the live one), on the configured
    market-data source unless `market` is given."""
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
    """The trader running the configured strategies through `open_manager`'s manager."""
    manager = open_manager(settings, store, live=live, now=now)
    return Trader(
        manager, store, manager.market, configured(settings.strategies), settings.commission_rate
    )
