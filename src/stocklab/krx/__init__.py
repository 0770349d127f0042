"""KRX market rules as pure functions: ticks, price limits, calendar, costs, the fill model
(`fills`) and a strategy's exit and sizing rules (`exits`).

Everything the simulator, the paper broker and the backtester must agree on about
the exchange lives here, once, with no I/O. Sources and assumptions are in the
module comments; see the project's KRX fact sheet.
"""

from stocklab.krx.calendar import (
    CSAT_DAYS,
    EXTRA_HOLIDAYS,
    CalendarRangeError,
    MarketStatus,
    NotATradingDay,
    Phase,
    Session,
    calendar_range,
    is_trading_day,
    last_closed_session,
    market_status,
    next_trading_day,
    previous_trading_day,
    session,
    settlement_date,
    trading_days,
)
from stocklab.krx.costs import (
    DEFAULT_COMMISSION_RATE,
    TradeCosts,
    commission,
    trade_costs,
    transaction_tax,
    transaction_tax_rate,
)
from stocklab.krx.limits import LIMIT_30_SINCE, PriceLimits, price_limits
from stocklab.krx.ticks import (
    UNIFIED_TICK_SINCE,
    Direction,
    InvalidPriceError,
    add_ticks,
    is_valid_price,
    round_to_tick,
    tick_size,
)

__all__ = [
    "CSAT_DAYS",
    "DEFAULT_COMMISSION_RATE",
    "EXTRA_HOLIDAYS",
    "LIMIT_30_SINCE",
    "UNIFIED_TICK_SINCE",
    "CalendarRangeError",
    "Direction",
    "InvalidPriceError",
    "MarketStatus",
    "NotATradingDay",
    "Phase",
    "PriceLimits",
    "Session",
    "TradeCosts",
    "add_ticks",
    "calendar_range",
    "commission",
    "is_trading_day",
    "is_valid_price",
    "last_closed_session",
    "market_status",
    "next_trading_day",
    "previous_trading_day",
    "price_limits",
    "round_to_tick",
    "session",
    "settlement_date",
    "tick_size",
    "trade_costs",
    "trading_days",
    "transaction_tax",
    "transaction_tax_rate",
]
