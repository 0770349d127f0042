"""Every risk rule blocks what it should and lets through what it should."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from stocklab.model import KST, Instrument, Market, OrderRequest, OrderType, Side
from stocklab.trading import risk

SNAP = risk.Snapshot(
    now=datetime(2024, 11, 15, 10, 0, tzinfo=KST),
    instrument=Instrument(code="005930", name="삼성전자", market=Market.KOSPI),
    reference=50_000,
    price=50_000,
    orderable=20_000_000,
    equity=30_000_000,
    position_qty=100,
    sellable=100,
    orders_last_minute=0,
    day_pnl=0,
    killed=False,
    position_values={"005930": 5_000_000},
)
LIMITS = risk.Limits(
    max_order_krw=5_000_000,
    max_position_pct=Decimal("0.5"),
    daily_loss_krw=1_000_000,
    max_orders_per_minute=3,
)


def order(side: Side = Side.BUY, qty: int = 10, price: int | None = 50_000) -> OrderRequest:
    return OrderRequest(
        client_id="r1", account_id="paper", code="005930", side=side, qty=qty,
        order_type=OrderType.LIMIT if price else OrderType.MARKET, price=price,
    )  # fmt: skip


def refused_by(request: OrderRequest, snap: risk.Snapshot, limits: risk.Limits) -> list[str]:
    """Every rule that refuses the order (risk.check stops at the first)."""
    out = []
    for rule in risk.RULES:
        try:
            rule(request, snap, limits)
        except risk.RiskRejected as exc:
            out.append(exc.rule)
    return out


def test_a_normal_order_passes_every_rule() -> None:
    assert refused_by(order(), SNAP, LIMITS) == []
    assert refused_by(order(Side.SELL, 100), SNAP, LIMITS) == []


@pytest.mark.parametrize(
    ("request_", "snap", "rule"),
    [
        (order(), replace(SNAP, killed=True), "kill_switch"),
        (order(), replace(SNAP, now=datetime(2024, 11, 15, 16, 0, tzinfo=KST)), "trading_hours"),
        (order(), replace(SNAP, now=datetime(2024, 11, 16, 10, 0, tzinfo=KST)), "trading_hours"),
        (order(price=50_050), SNAP, "price"),
        (order(price=65_100), SNAP, "price"),
        (order(qty=101), SNAP, "max_order_value"),
        (order(qty=95), replace(SNAP, equity=10_000_000), "max_position_weight"),
        (order(), replace(SNAP, day_pnl=-1_000_000), "daily_loss"),
        (order(), replace(SNAP, orders_last_minute=3), "max_orders_per_minute"),
        (order(qty=90), replace(SNAP, orderable=4_000_000), "cash"),
        (order(Side.SELL, 60), replace(SNAP, sellable=50), "sellable_qty"),
    ],
)
def test_each_rule_blocks_what_it_should(
    request_: OrderRequest, snap: risk.Snapshot, rule: str
) -> None:
    with pytest.raises(risk.RiskRejected) as err:
        risk.check(request_, snap, LIMITS)
    assert err.value.rule == rule
    assert str(err.value)


def test_messages_say_what_is_allowed() -> None:
    with pytest.raises(risk.RiskRejected, match="50,000원 또는 50,100원"):
        risk.check(order(price=50_050), SNAP, LIMITS)
    with pytest.raises(risk.RiskRejected, match="35,000원 ~ 65,000원"):
        risk.check(order(price=65_100), SNAP, LIMITS)


def test_sells_pass_the_loss_limit_and_the_weight_cap() -> None:
    hurt = replace(SNAP, day_pnl=-5_000_000, equity=1_000_000)
    assert refused_by(order(Side.SELL, 50), hurt, LIMITS) == []


def test_a_market_buy_reserves_the_upper_limit_price() -> None:
    with pytest.raises(risk.RiskRejected, match="주문가능금액") as refused:
        risk.check(order(qty=80, price=None), replace(SNAP, orderable=5_000_000), LIMITS)
    assert refused.value.rule == "cash"
    risk.check(order(qty=60, price=None), replace(SNAP, orderable=5_000_000), LIMITS)


def test_kill_switch_file(tmp_path: Path) -> None:
    assert not risk.is_killed(tmp_path)
    risk.set_kill(tmp_path, True, "test")
    assert risk.is_killed(tmp_path)
    risk.set_kill(tmp_path, False)
    assert not risk.is_killed(tmp_path)
