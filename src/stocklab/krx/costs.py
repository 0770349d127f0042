"""Trading costs on KRX: brokerage commission and securities transaction tax.

Integer KRW in, integer KRW out, rates as Decimal: a backtest that sums thousands
of fills must not drift by float error, and brokers floor each charge to the won.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from numbers import Integral

from stocklab.krx.calendar import settlement_date
from stocklab.krx.checks import FUND_KINDS, check_date, check_kind, check_market
from stocklab.model import Market, SecurityKind, Side

DEFAULT_COMMISSION_RATE = Decimal("0.00015")
"""0.015% per side: the simulator default (typical online/MTS rate, fees bundled)."""

# Securities transaction tax (+ 농특세 on KOSPI) on the sale amount, by SETTLEMENT date
# (양도 happens at settlement, T+2). Rows: first settlement date, KOSPI, KOSDAQ, KONEX.
_TAX_TABLE: tuple[tuple[date, Decimal, Decimal, Decimal], ...] = (
    # Assumption: KONEX paid the general 0.30% before its 2019-06-03 cut to 0.10%.
    (date.min, Decimal("0.0030"), Decimal("0.0030"), Decimal("0.0030")),
    (date(2019, 6, 3), Decimal("0.0025"), Decimal("0.0025"), Decimal("0.0010")),
    (date(2021, 1, 1), Decimal("0.0023"), Decimal("0.0023"), Decimal("0.0010")),
    (date(2023, 1, 1), Decimal("0.0020"), Decimal("0.0020"), Decimal("0.0010")),
    (date(2024, 1, 1), Decimal("0.0018"), Decimal("0.0018"), Decimal("0.0010")),
    (date(2025, 1, 1), Decimal("0.0015"), Decimal("0.0015"), Decimal("0.0010")),
    (date(2026, 1, 1), Decimal("0.0020"), Decimal("0.0020"), Decimal("0.0010")),
)
_TAX_STARTS = tuple(row[0] for row in _TAX_TABLE)
_MARKET_COLUMN = {Market.KOSPI: 1, Market.KOSDAQ: 2, Market.KONEX: 3}


@dataclass(frozen=True, slots=True)
class TradeCosts:
    """What one fill costs on top of its amount, in whole KRW."""

    commission: int
    tax: int

    @property
    def total(self) -> int:
        return self.commission + self.tax


def _check_amount(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(
            f"거래금액 {value!r}({type(value).__name__})는 허용되지 않습니다: 정수(원)만 받습니다"
        )
    if value < 0:
        raise ValueError(f"거래금액 {int(value):,}원은 허용되지 않습니다: 0 이상이어야 합니다")
    return int(value)


def _check_rate(value: object) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value < 1:
        raise ValueError(
            f"수수료율 {value!r}는 허용되지 않습니다: 0 이상 1 미만의 Decimal이어야 합니다 "
            '(예: Decimal("0.00015") = 0.015%)'
        )
    return value


def _floor_share(amount: int, rate: Decimal) -> int:
    """floor(amount × rate) exactly, via the rate's integer ratio."""
    numerator, denominator = rate.as_integer_ratio()
    return amount * numerator // denominator


def commission(amount: int, rate: Decimal = DEFAULT_COMMISSION_RATE) -> int:
    """Brokerage commission on one side of a trade, floored to the won."""
    return _floor_share(_check_amount(amount), _check_rate(rate))


def transaction_tax_rate(
    settlement: date, market: Market, kind: SecurityKind = SecurityKind.STOCK
) -> Decimal:
    """Sell-side tax rate (농특세 included) for a sale settling on `settlement`.

    ETFs, ETNs and ELWs are exempt from the securities transaction tax on sale.
    """
    day = check_date(settlement, "결제일")
    column = _MARKET_COLUMN[check_market(market)]
    if check_kind(kind) in FUND_KINDS:
        return Decimal(0)
    return _TAX_TABLE[bisect_right(_TAX_STARTS, day) - 1][column]


def transaction_tax(
    amount: int, trade_date: date, market: Market, kind: SecurityKind = SecurityKind.STOCK
) -> int:
    """Tax on a sale traded on `trade_date`, at the rate of its T+2 settlement date."""
    value = _check_amount(amount)
    rate = transaction_tax_rate(settlement_date(trade_date), market, kind)
    return _floor_share(value, rate)


def trade_costs(
    side: Side,
    amount: int,
    trade_date: date,
    market: Market,
    kind: SecurityKind = SecurityKind.STOCK,
    rate: Decimal = DEFAULT_COMMISSION_RATE,
) -> TradeCosts:
    """Commission on both sides, tax on sells only (buys never touch the calendar)."""
    try:
        which = Side(side)
    except ValueError:
        raise ValueError(f"매매구분 {side!r}는 올바르지 않습니다 (허용: buy, sell)") from None
    fee = commission(amount, rate)
    tax = transaction_tax(amount, trade_date, market, kind) if which is Side.SELL else 0
    return TradeCosts(commission=fee, tax=tax)
