"""Which broker an account trades through: the paper broker unless live is asked for."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from stocklab.agent.base import AuthError, MarketData
from stocklab.agent.broker import Broker
from stocklab.agent.sim.broker import PaperBroker
from stocklab.config import Settings
from stocklab.krx.fills import FillModel
from stocklab.trading.risk import Limits


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
    from stocklab.agent.ls.broker import LsBroker

    return LsBroker.from_settings(settings, paper=settings.ls_paper, now=now)
