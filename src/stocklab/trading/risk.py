"""Risk rules, checked before an order is recorded as sendable or reaches a broker.

Each rule is a small function of the order and a snapshot of the account; it raises
`RiskRejected` naming the rule and what would be allowed. The kill switch is a file in
the data directory, so every process (the trade job, the API, the CLI) sees it at once.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from stocklab.krx import market_status
from stocklab.krx.fills import OrderRejected, check_price, fee, rate_units
from stocklab.krx.limits import price_limits
from stocklab.model import Instrument, OrderRequest, OrderType, Side, check_code

KILL_FILE = "kill-switch"


class RiskRejected(ValueError):
    """An order a risk rule refuses; `rule` names the rule."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)  # what a person reads; the rule travels as a field
        self.rule = rule


PHASE_WORDS = {
    "closed": "장이 닫힌 시간",
    "pre_open": "장 시작 동시호가",
    "open": "정규장",
    "closing_auction": "장 마감 동시호가",
    "after_hours": "장 마감 뒤 시간외",
}


@dataclass(frozen=True)
class Limits:
    """The configured limits (settings `risk_*`)."""

    max_order_krw: int = 10_000_000
    max_position_pct: Decimal = Decimal("0.30")
    daily_loss_krw: int = 1_000_000
    max_orders_per_minute: int = 10
    phases: tuple[str, ...] = ("pre_open", "open")
    commission_rate: Decimal = Decimal("0.00015")


@dataclass(frozen=True)
class Snapshot:
    """What the rules look at: the account and the market as of `now`."""

    now: datetime
    instrument: Instrument
    reference: int
    """기준가 (the previous close): the day's price limits come from it."""
    price: int
    """The current price (what a market order would pay)."""
    orderable: int
    equity: int
    position_qty: int
    sellable: int
    orders_last_minute: int
    day_pnl: int
    killed: bool
    position_values: dict[str, int] = field(default_factory=dict)


Rule = Callable[[OrderRequest, Snapshot, Limits], None]


def _order_value(request: OrderRequest, snap: Snapshot) -> int:
    return (request.price or snap.price) * request.qty


def kill_switch(request: OrderRequest, snap: Snapshot, limits: Limits) -> None:
    if snap.killed:
        raise RiskRejected(
            "kill_switch",
            "긴급 정지가 켜져 있어 새 주문을 받지 않습니다 (stocklab trade kill --off로 해제)",
        )


def valid_code(request: OrderRequest, snap: Snapshot, limits: Limits) -> None:
    check_code(request.code)


def trading_hours(request: OrderRequest, snap: Snapshot, limits: Limits) -> None:
    status = market_status(snap.now)
    if status.phase not in limits.phases:
        raise RiskRejected(
            "trading_hours",
            f"지금은 주문을 낼 수 없는 시간입니다 ({PHASE_WORDS.get(status.phase, status.phase)}); "
            f"다음 정규장 {status.next_open:%Y-%m-%d %H:%M} KST",
        )


def price_validity(request: OrderRequest, snap: Snapshot, limits: Limits) -> None:
    inst = snap.instrument
    try:
        check_price(
            request.price,
            request.order_type,
            snap.reference,
            inst.market,
            inst.kind,
            snap.now.date(),
        )
    except OrderRejected as exc:
        raise RiskRejected("price", str(exc)) from None


def max_order_value(request: OrderRequest, snap: Snapshot, limits: Limits) -> None:
    value = _order_value(request, snap)
    if value > limits.max_order_krw:
        raise RiskRejected(
            "max_order_value",
            f"주문금액 {value:,}원이 한도 {limits.max_order_krw:,}원을 넘습니다",
        )


def max_position_weight(request: OrderRequest, snap: Snapshot, limits: Limits) -> None:
    if request.side is Side.SELL or snap.equity <= 0:
        return
    after = snap.position_values.get(request.code, 0) + _order_value(request, snap)
    cap = int(snap.equity * limits.max_position_pct)
    if after > cap:
        raise RiskRejected(
            "max_position_weight",
            f"주문 후 {request.code} 평가금액 {after:,}원이 자산의 "
            f"{limits.max_position_pct:.0%} ({cap:,}원)를 넘습니다",
        )


def daily_loss(request: OrderRequest, snap: Snapshot, limits: Limits) -> None:
    if request.side is Side.BUY and -snap.day_pnl >= limits.daily_loss_krw:
        raise RiskRejected(
            "daily_loss",
            f"오늘 손실 {-snap.day_pnl:,}원이 한도 {limits.daily_loss_krw:,}원에 닿아 "
            "새 매수를 막습니다 (매도는 가능)",
        )


def order_rate(request: OrderRequest, snap: Snapshot, limits: Limits) -> None:
    if snap.orders_last_minute >= limits.max_orders_per_minute:
        raise RiskRejected(
            "max_orders_per_minute",
            f"최근 1분 주문 {snap.orders_last_minute}건이 "
            f"한도 {limits.max_orders_per_minute}건입니다",
        )


def cash_and_quantity(request: OrderRequest, snap: Snapshot, limits: Limits) -> None:
    if request.side is Side.SELL:
        if request.qty > snap.sellable:
            raise RiskRejected(
                "sellable_qty", f"매도가능수량 {snap.sellable:,}주보다 많이 팔 수 없습니다"
            )
        return
    inst, day = snap.instrument, snap.now.date()
    worst = (
        request.price
        if request.order_type is OrderType.LIMIT and request.price
        else price_limits(snap.reference, inst.market, inst.kind, day).upper
    )
    need = worst * request.qty
    need += fee(need, rate_units(limits.commission_rate))
    if need > snap.orderable:
        raise RiskRejected(
            "cash", f"주문가능금액 {snap.orderable:,}원으로 {need:,}원 주문을 낼 수 없습니다"
        )


RULES: tuple[Rule, ...] = (
    kill_switch,
    valid_code,
    trading_hours,
    price_validity,
    max_order_value,
    max_position_weight,
    daily_loss,
    order_rate,
    cash_and_quantity,
)


def check(request: OrderRequest, snap: Snapshot, limits: Limits) -> None:
    """Run every rule; the first that refuses raises."""
    for rule in RULES:
        rule(request, snap, limits)


def kill_path(home: Path) -> Path:
    return home / KILL_FILE


def is_killed(home: Path) -> bool:
    return kill_path(home).exists()


def set_kill(home: Path, on: bool, reason: str = "") -> None:
    path = kill_path(home)
    if not on:
        path.unlink(missing_ok=True)
        return
    # The file's existence is the switch; the reason inside is a courtesy. Making a file
    # takes no free block, writing one does: on a full disk the switch still goes on.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with contextlib.suppress(OSError):
            os.write(fd, (reason or "manual").encode())
    finally:
        os.close(fd)
