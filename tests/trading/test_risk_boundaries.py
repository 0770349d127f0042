"""Every risk rule lets through an order exactly at its limit and refuses one just past
it, with a message that names the rule and the allowed value.

The cases vary one number by the smallest step (one won, one share, one order, one
microsecond, one tick) so that a `>` turned into `>=` (or the other way) fails here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

import pytest

from stocklab.model import KST, Instrument, Market, OrderRequest, OrderType, Side
from stocklab.trading import risk
from tests.trading.test_risk import refused_by

# Friday 2024-11-15, a regular session; 기준가 50,000 on KOSPI: tick 100 at and above
# 50,000, tick 50 below it; the day's band is 35,000 ~ 65,000.
BASE = risk.Snapshot(
    now=datetime(2024, 11, 15, 10, 0, tzinfo=KST),
    instrument=Instrument(code="005930", name="삼성전자", market=Market.KOSPI),
    reference=50_000,
    price=50_000,
    orderable=1_000_000_000,
    equity=1_000_000_000,
    position_qty=100,
    sellable=100,
    orders_last_minute=0,
    day_pnl=0,
    killed=False,
    position_values={},
)
LIMITS = risk.Limits(
    max_order_krw=10_000_000,
    max_position_pct=Decimal("0.30"),
    daily_loss_krw=1_000_000,
    max_orders_per_minute=3,
    commission_rate=Decimal("0.00015"),
)


def order(side: Side = Side.BUY, qty: int = 100, price: int | None = 50_000) -> OrderRequest:
    return OrderRequest(
        client_id="b1",
        account_id="paper",
        code="005930",
        side=side,
        qty=qty,
        order_type=OrderType.LIMIT if price else OrderType.MARKET,
        price=price,
    )


@dataclass(frozen=True)
class Edge:
    """One rule's boundary: `ok` passes every rule; `past` is refused by `rule` alone."""

    rule: str
    ok: tuple[OrderRequest, risk.Snapshot, risk.Limits]
    past: tuple[OrderRequest, risk.Snapshot, risk.Limits]
    says: tuple[str, ...]
    """Fragments the refusal must contain: the allowed value, and what was asked."""


def at(hour: int, minute: int, second: int = 0, micro: int = 0) -> risk.Snapshot:
    return replace(BASE, now=datetime(2024, 11, 15, hour, minute, second, micro, tzinfo=KST))


EDGES = [
    # 100 × 50,000 = 5,000,000: exactly the limit passes, a limit one won lower refuses.
    Edge(
        "max_order_value",
        (order(), BASE, replace(LIMITS, max_order_krw=5_000_000)),
        (order(), BASE, replace(LIMITS, max_order_krw=4_999_999)),
        ("4,999,999원", "5,000,000원"),
    ),
    # A market order is valued at the current price: one won over the limit is refused.
    Edge(
        "max_order_value",
        (order(price=None), BASE, replace(LIMITS, max_order_krw=5_000_000)),
        (
            order(price=None),
            replace(BASE, price=50_001),
            replace(LIMITS, max_order_krw=5_000_000),
        ),
        ("5,000,100원", "5,000,000원"),
    ),
    # equity 20,000,000 × 30% = 6,000,000: held 1,000,000 + 5,000,000 bought is the cap.
    Edge(
        "max_position_weight",
        (order(), replace(BASE, equity=20_000_000, position_values={"005930": 1_000_000}), LIMITS),
        (order(), replace(BASE, equity=20_000_000, position_values={"005930": 1_000_001}), LIMITS),
        ("6,000,001원", "30%", "6,000,000원"),
    ),
    # The loss limit stops new buys once the day's loss reaches it ("한도에 닿아").
    Edge(
        "daily_loss",
        (order(), replace(BASE, day_pnl=-999_999), LIMITS),
        (order(), replace(BASE, day_pnl=-1_000_000), LIMITS),
        ("1,000,000원",),
    ),
    # Three orders a minute: two already sent, this is the third; three sent, refused.
    Edge(
        "max_orders_per_minute",
        (order(), replace(BASE, orders_last_minute=2), LIMITS),
        (order(), replace(BASE, orders_last_minute=3), LIMITS),
        ("3건", "한도 3건"),
    ),
    # A limit buy needs price × qty plus commission: 5,000,000 + 750 (0.015%).
    Edge(
        "cash",
        (order(), replace(BASE, orderable=5_000_750), LIMITS),
        (order(), replace(BASE, orderable=5_000_749), LIMITS),
        ("5,000,749원", "5,000,750원"),
    ),
    # A market buy reserves the upper limit: 20 × 65,000 = 1,300,000 + 195 commission.
    Edge(
        "cash",
        (order(qty=20, price=None), replace(BASE, orderable=1_300_195), LIMITS),
        (order(qty=20, price=None), replace(BASE, orderable=1_300_194), LIMITS),
        ("1,300,194원", "1,300,195원"),
    ),
    Edge(
        "sellable_qty",
        (order(Side.SELL, 60), replace(BASE, sellable=60), LIMITS),
        (order(Side.SELL, 60), replace(BASE, sellable=59), LIMITS),
        ("59주",),
    ),
    # Orders are taken from the 08:30 pre-open ...
    Edge(
        "trading_hours",
        (order(), at(8, 30), LIMITS),
        (order(), at(8, 29, 59, 999_999), LIMITS),
        ("장이 닫힌 시간", "2024-11-15 09:00"),
    ),
    # ... until the closing auction starts at 15:20 (not in the default phases).
    Edge(
        "trading_hours",
        (order(), at(15, 19, 59, 999_999), LIMITS),
        (order(), at(15, 20), LIMITS),
        ("장 마감 동시호가", "2024-11-18 09:00"),
    ),
    # On the tick grid: 100 won at and above 50,000 ...
    Edge(
        "price",
        (order(qty=1, price=50_100), BASE, LIMITS),
        (order(qty=1, price=50_050), BASE, LIMITS),
        ("100원", "50,000원 또는 50,100원"),
    ),
    # ... 50 won below it.
    Edge(
        "price",
        (order(qty=1, price=49_950), BASE, LIMITS),
        (order(qty=1, price=49_975), BASE, LIMITS),
        ("50원", "49,950원 또는 50,000원"),
    ),
    # The upper and lower price limits themselves are valid prices; a tick beyond is not.
    Edge(
        "price",
        (order(qty=1, price=65_000), BASE, LIMITS),
        (order(qty=1, price=65_100), BASE, LIMITS),
        ("65,100원", "35,000원 ~ 65,000원"),
    ),
    Edge(
        "price",
        (order(qty=1, price=35_000), BASE, LIMITS),
        (order(qty=1, price=34_950), BASE, LIMITS),
        ("34,950원", "35,000원 ~ 65,000원"),
    ),
]


@pytest.mark.parametrize("edge", EDGES, ids=[f"{e.rule}-{i}" for i, e in enumerate(EDGES)])
def test_exactly_at_the_limit_passes(edge: Edge) -> None:
    assert refused_by(*edge.ok) == []


@pytest.mark.parametrize("edge", EDGES, ids=[f"{e.rule}-{i}" for i, e in enumerate(EDGES)])
def test_just_past_the_limit_is_refused_naming_rule_and_allowed_value(edge: Edge) -> None:
    with pytest.raises(risk.RiskRejected) as err:
        risk.check(*edge.past)
    assert err.value.rule == edge.rule
    message = str(err.value)
    assert "[" not in message
    assert edge.rule not in message
    for fragment in edge.says:
        assert fragment in message, (fragment, message)


def test_sells_are_not_held_to_the_buy_side_limits() -> None:
    """The loss limit, the weight cap and cash apply to buys: a sell past them all passes."""
    hurt = replace(
        BASE,
        day_pnl=-5_000_000,
        equity=1_000_000,
        orderable=0,
        position_values={"005930": 5_000_000},
        sellable=100,
    )
    risk.check(order(Side.SELL, 100), hurt, LIMITS)
    with pytest.raises(risk.RiskRejected) as err:
        risk.check(order(Side.BUY, 1), hurt, LIMITS)
    assert err.value.rule in {"max_position_weight", "daily_loss", "cash"}
