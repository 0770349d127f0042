"""LS's cumulative fills (t0425: an order's filled total at its average price) become
single executions against what the ledger holds, inside the LS adapter."""

from __future__ import annotations

from datetime import datetime

from stocklab.agent.broker import BrokerFill, Recorded
from stocklab.agent.ls.fills import increments
from stocklab.model import KST, Side

AT = datetime(2024, 11, 15, 10, 5, tzinfo=KST)


def cumulative(qty: int, price: int, order: str = "77") -> BrokerFill:
    return BrokerFill(
        fill_id=f"{order}-{qty}", broker_order_id=order, code="005930", side=Side.BUY,
        qty=qty, price=price, at=AT,
    )  # fmt: skip


def fees(fill: BrokerFill) -> tuple[int, int]:
    return fill.qty * fill.price // 1000, 7


def test_the_increase_over_the_ledger_priced_so_the_amounts_add_up() -> None:
    # the ledger holds 3 at 60,000; LS now says 5 at an average of 60,400 (302,000 in all)
    fills = [cumulative(3, 60_000), cumulative(5, 60_400)]
    (step,) = increments(fills, {"77": Recorded(3, 180_000)}, set(), fees)
    assert (step.fill_id, step.qty, step.price) == ("77-5", 2, 61_000)
    assert 180_000 + step.qty * step.price == 5 * 60_400
    assert (step.commission, step.tax) == (122, 7)  # the cost model's, not LS's zeros


def test_what_the_ledger_already_holds_gives_nothing() -> None:
    assert increments([cumulative(5, 60_400)], {"77": Recorded(5, 302_000)}, set(), fees) == []


def test_an_unrecorded_order_or_a_known_fill_passes_unchanged() -> None:
    stranger, seen = cumulative(4, 50_000, order="88"), cumulative(5, 60_400)
    out = increments([stranger, seen], {"77": Recorded(3, 180_000)}, {"77-5"}, fees)
    assert out == [stranger, seen]
