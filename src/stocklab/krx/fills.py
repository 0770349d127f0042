"""The fill and cost model: how an order meets a bar, what it costs.

The paper broker and the backtester both use these functions, so a backtest is a faithful
preview of paper trading. The core functions take and return plain integers only, so the
backtester can compile the very same source with numba (`numba.njit(match_price)`) for its
loop while the paper broker calls it as ordinary Python.

Assumptions (also in the README):
- An order meets the bars that start after it was placed ("the next available price");
  a signal from a bar's close fills no earlier than the next bar.
- A market order fills at that bar's open. A limit buy fills at the open if the open is at
  or below its price (the market gapped through it), else at its price if the bar's low
  reached it, else not at all; a limit sell mirrors this with the high. A stop sell
  triggers when the low reaches the stop and fills at the stop, or at the open after a gap
  down (a stop buy mirrors it). No fill is ever at a price outside the bar's range.
- One order takes at most `participation` of a bar's volume (default 10%); the rest waits
  for the next bar. A bar with no volume fills nothing.
- Commission is `rate` of the traded amount per fill, floored to the won; the securities
  transaction tax is charged on sells only, at the rate in force on the settlement date
  (T+2) for the market and kind, floored to the won (`krx.costs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from stocklab.krx.calendar import settlement_date
from stocklab.krx.costs import DEFAULT_COMMISSION_RATE, transaction_tax_rate
from stocklab.krx.limits import price_limits
from stocklab.krx.ticks import is_valid_price, round_to_tick, tick_size
from stocklab.model import Market, OrderType, SecurityKind, Side

BUY = 1
SELL = -1
MARKET = 0
LIMIT = 1
RATE_SCALE = 100_000_000
"""Rates travel as integers: rate × 10⁸ (0.015% = 15,000), so fees are exact integer math."""
PARTICIPATION_SCALE = 10_000
DEFAULT_PARTICIPATION = Decimal("0.10")


class OrderRejected(ValueError):
    """The order cannot be sent as it is; the message says which rule and the valid values."""


def rate_units(rate: Decimal) -> int:
    """A rate as an integer multiple of 10⁻⁸; refuses rates finer than that."""
    units = Decimal(rate) * RATE_SCALE
    if units != units.to_integral_value() or units < 0:
        raise ValueError(f"비율 {rate}은 0 이상이고 소수 여덟째 자리까지여야 합니다")
    return int(units)


# -- the core: integers in, integers out (numba compiles these unchanged) --------------------


def match_price(side: int, order_type: int, limit: int, open_: int, high: int, low: int) -> int:
    """The price an order fills at within one bar, or 0 if the bar does not reach it."""
    if order_type == MARKET:
        return open_
    if side == BUY:
        if open_ <= limit:
            return open_
        if low <= limit:
            return limit
        return 0
    if open_ >= limit:
        return open_
    if high >= limit:
        return limit
    return 0


def match_stop(side: int, stop: int, open_: int, high: int, low: int) -> int:
    """The price a stop order fills at within one bar, or 0 if the bar does not trigger it.

    A sell stop triggers when the low reaches it and fills at the stop — or at the open
    when the bar opened through it (a gap down); a buy stop mirrors this with the high.
    """
    if side == SELL:
        if low > stop:
            return 0
        return open_ if open_ < stop else stop
    if high < stop:
        return 0
    return open_ if open_ > stop else stop


def fillable(remaining: int, volume: int, participation: int, used: int) -> int:
    """Shares an order may take from a bar: its share of the volume, less what it took."""
    cap = volume * participation // PARTICIPATION_SCALE - used
    if cap <= 0:
        return 0
    return remaining if remaining < cap else cap


def fee(amount: int, rate: int) -> int:
    """`rate` (× 10⁻⁸) of `amount`, floored to the won."""
    return amount * rate // RATE_SCALE


# -- the Python face: validity, rates by date, one fill -----------------------------------


@dataclass(frozen=True, slots=True)
class Costs:
    commission: int
    tax: int

    @property
    def total(self) -> int:
        return self.commission + self.tax


@dataclass(frozen=True, slots=True)
class FillModel:
    """The model's settings; the same object configures paper trading and backtests."""

    commission_rate: Decimal = DEFAULT_COMMISSION_RATE
    participation: Decimal = DEFAULT_PARTICIPATION

    @property
    def commission_units(self) -> int:
        return rate_units(self.commission_rate)

    @property
    def participation_units(self) -> int:
        units = self.participation * PARTICIPATION_SCALE
        if units != units.to_integral_value() or not 0 < units <= PARTICIPATION_SCALE:
            raise ValueError(f"참여율 {self.participation}은 0 초과 1 이하, 소수 넷째 자리까지")
        return int(units)

    def tax_units(self, trade_date: date, market: Market, kind: SecurityKind) -> int:
        return rate_units(transaction_tax_rate(settlement_date(trade_date), market, kind))

    def costs(
        self, side: Side, amount: int, trade_date: date, market: Market, kind: SecurityKind
    ) -> Costs:
        """Commission on every fill, tax on sells only, each floored to the won."""
        commission = fee(amount, self.commission_units)
        tax = fee(amount, self.tax_units(trade_date, market, kind)) if side is Side.SELL else 0
        return Costs(commission, tax)

    def match(
        self,
        side: Side,
        order_type: OrderType,
        limit: int | None,
        remaining: int,
        bar_open: int,
        bar_high: int,
        bar_low: int,
        bar_volume: int,
        used: int = 0,
    ) -> tuple[int, int]:
        """(price, qty) an order gets from one bar; (0, 0) when it gets nothing."""
        price = match_price(
            BUY if side is Side.BUY else SELL,
            MARKET if order_type is OrderType.MARKET else LIMIT,
            limit or 0,
            bar_open,
            bar_high,
            bar_low,
        )
        if price == 0:
            return 0, 0
        qty = fillable(remaining, bar_volume, self.participation_units, used)
        return (price, qty) if qty else (0, 0)


def check_price(
    price: int | None,
    order_type: OrderType,
    reference: int,
    market: Market,
    kind: SecurityKind,
    day: date,
) -> None:
    """Refuse a limit price off the tick grid or outside the day's limits, saying the valid
    neighbours and the band; market orders carry no price to check."""
    if order_type is OrderType.MARKET:
        return
    if price is None:
        raise OrderRejected("지정가 주문에는 가격이 필요합니다")
    band = price_limits(reference, market, kind, day)
    if not band.contains(price):
        raise OrderRejected(
            f"가격 {price:,}원은 오늘 가격제한폭 밖입니다: "
            f"{band.lower:,}원 ~ {band.upper:,}원 (기준가 {reference:,}원)"
        )
    if not is_valid_price(price, market, kind, day):
        tick = tick_size(price, market, kind, day)
        below = round_to_tick(price, "down", market, kind, day)
        above = round_to_tick(price, "up", market, kind, day)
        raise OrderRejected(
            f"가격 {price:,}원은 호가단위({tick:,}원)에 맞지 않습니다: "
            f"{below:,}원 또는 {above:,}원으로 내세요"
        )
