"""LS's cumulative fills as single executions.

t0425 reports one fill per order: the filled quantity so far at its average price. The
ledger records executions, so each order's fill becomes the increase over what the
ledger holds, priced so the amounts add up (the average times the total, less what is
recorded), with the fees of the shared cost model (LS does not report them per order).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from stocklab.agent.broker import BrokerFill, Costs, Recorded


def increments(
    fills: list[BrokerFill], recorded: Mapping[str, Recorded], known: set[str], costs: Costs
) -> list[BrokerFill]:
    """The latest (largest) cumulative fill of each order as the execution not recorded
    yet; a fill of an unrecorded order, or one whose id is `known`, passes unchanged (the
    caller reports or skips it)."""
    latest: dict[str, BrokerFill] = {}
    for f in fills:
        if f.qty > latest.get(f.broker_order_id, f).qty or f.broker_order_id not in latest:
            latest[f.broker_order_id] = f
    out = []
    for broker_id, f in latest.items():
        held = recorded.get(broker_id)
        if held is None or f.fill_id in known:
            out.append(f)
            continue
        qty = f.qty - held.filled_qty
        if qty <= 0:
            continue
        amount = max(f.price * f.qty - held.filled_amount, qty)
        price = max(round(amount / qty), 1)
        step = BrokerFill(
            fill_id=f.fill_id,
            broker_order_id=broker_id,
            code=f.code,
            side=f.side,
            qty=qty,
            price=price,
            at=f.at,
        )
        commission, tax = costs(step)
        out.append(replace(step, commission=commission, tax=tax))
    return out
