"""The order lifecycle as one explicit transition table.

Every status change goes through `advance`, which refuses a move the table does not list,
so an order can never jump from cancelled back to open or be filled twice over. The
broker's view of an order maps onto these statuses with `from_broker`.

    new ──► submitted ──► accepted ──► partially_filled ──► filled
     │          │  │          │  │              │
     │          │  └► rejected│  └► cancel_requested ──► cancelled
     └► rejected│             │         │    └──► filled  (the cancel came too late)
       cancelled└► expired ◄──┴─────────┘
    accepted / partially_filled ──► modify_requested ──► replaced (the new order goes on)
                      └──────────────────────────────────┘ (a 정정 seen only by reconcile)

A fill reported after stocklab recorded a cancel or an expiry (it executed first) is
recorded on the ended order; if it completes the order, cancelled/expired → filled.
"""

from __future__ import annotations

from stocklab.model import OrderStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    # recorded, not yet sent: it may still be refused or dropped before sending
    S.NEW: frozenset({S.SUBMITTED, S.REJECTED, S.CANCELLED, S.EXPIRED}),
    # sent; the broker's answer is not known yet (a timeout leaves it here until reconcile)
    S.SUBMITTED: frozenset(
        {
            S.ACCEPTED,
            S.PARTIALLY_FILLED,
            S.FILLED,
            S.REJECTED,
            S.CANCEL_REQUESTED,
            S.CANCELLED,
            S.EXPIRED,
        }
    ),
    # open at the broker: it fills, is cancelled, or is changed (정정) — through stocklab
    # (modify_requested) or outside it, seen by reconcile (straight to replaced)
    S.ACCEPTED: frozenset(
        {
            S.PARTIALLY_FILLED,
            S.FILLED,
            S.CANCEL_REQUESTED,
            S.CANCELLED,
            S.EXPIRED,
            S.MODIFY_REQUESTED,
            S.REPLACED,
        }
    ),
    S.PARTIALLY_FILLED: frozenset(
        {
            S.PARTIALLY_FILLED,
            S.FILLED,
            S.CANCEL_REQUESTED,
            S.CANCELLED,
            S.EXPIRED,
            S.MODIFY_REQUESTED,
            S.REPLACED,
        }
    ),
    # a modify is on its way: the order can still fill at its old terms; a refused modify
    # leaves it as it was
    S.MODIFY_REQUESTED: frozenset(
        {S.REPLACED, S.ACCEPTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.EXPIRED}
    ),
    # a cancel is on its way: the order can still fill before it lands
    S.CANCEL_REQUESTED: frozenset(
        {S.CANCEL_REQUESTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELLED, S.EXPIRED, S.ACCEPTED}
    ),
    S.FILLED: frozenset(),
    # ended as far as stocklab knew, then a late report: the cancel came too late for all
    S.CANCELLED: frozenset({S.FILLED}),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset({S.FILLED}),
    S.REPLACED: frozenset(),
}


class IllegalTransition(ValueError):
    """A status change the lifecycle does not allow."""


def advance(current: S, target: S) -> S:
    """`target` if the table allows current → target (staying put is always allowed)."""
    if target is current or target in TRANSITIONS[current]:
        return target
    raise IllegalTransition(f"주문 상태를 {current.value}에서 {target.value}로 바꿀 수 없습니다")


_BROKER = {
    "accepted": S.ACCEPTED,
    "partially_filled": S.PARTIALLY_FILLED,
    "filled": S.FILLED,
    "cancelled": S.CANCELLED,
    "rejected": S.REJECTED,
    "expired": S.EXPIRED,
}


def from_broker(status: str) -> S:
    """The lifecycle status for a broker's status word."""
    try:
        return _BROKER[status]
    except KeyError:
        raise ValueError(f"브로커 주문 상태 {status!r}를 알 수 없습니다") from None
