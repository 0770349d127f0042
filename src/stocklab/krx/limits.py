"""Daily price limits (가격제한폭): the band a stock may trade in on one day.

A fill outside the band is impossible on KRX, so the simulator must clamp to it.
The arithmetic is exact integer math: ref × 1.3 in floats would put some limits
one tick off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from stocklab.krx.checks import check_date, check_int, check_price
from stocklab.krx.ticks import round_to_tick
from stocklab.model import Market, SecurityKind

LIMIT_30_SINCE = date(2015, 6, 15)
"""First day of the ±30% limit; before it the limit was ±15%."""


@dataclass(frozen=True, slots=True)
class PriceLimits:
    """Lowest and highest price allowed for the day (both on the tick grid)."""

    lower: int
    upper: int

    def contains(self, price: int) -> bool:
        """True if `price` is inside the band, limits included."""
        return self.lower <= check_int(price, "가격") <= self.upper


def price_limits(
    reference: int,
    market: Market = Market.KOSPI,
    kind: SecurityKind = SecurityKind.STOCK,
    on: date | None = None,
) -> PriceLimits:
    """The day's limits from the reference price (기준가, normally the previous close).

    upper = ref × 1.3 floored to the tick of the band it lands in, lower = ref × 0.7
    ceiled to its band's tick (±15% before 2015-06-15). `on` also picks the tick table.
    """
    ref = check_price(reference, "기준가")
    pct = 30 if on is None or check_date(on, "기준일") >= LIMIT_30_SINCE else 15
    # Valid prices are integers, so flooring/ceiling the exact rational first is lossless.
    upper_raw = ref * (100 + pct) // 100
    lower_raw = -(-ref * (100 - pct) // 100)
    return PriceLimits(
        lower=round_to_tick(lower_raw, "up", market, kind, on),
        upper=round_to_tick(upper_raw, "down", market, kind, on),
    )
