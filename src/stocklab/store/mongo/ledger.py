"""The MongoDB backend's ledger queries: orders, fills and positions listed (the records
themselves go through the policy's keyed primitives in `connection`).

A multi-document write (`apply_fill`) runs in a transaction where the server offers one
(replica set or sharded cluster); on a standalone server the policy checks every version
before the first write, which is ordered so that a crash leaves a fill recorded first,
and the order manager's reconcile then completes it.
"""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING

from stocklab.model import Fill, Order, Position
from stocklab.store.mongo.connection import MongoBase, _match, _must


class MongoLedger(MongoBase):
    """`Ledger` on MongoDB."""

    def _list_orders(
        self, account_id: str | None, statuses: list[str] | None, limit: int
    ) -> list[Order]:
        flt = _match(account_id=account_id, status=None if statuses is None else {"$in": statuses})
        cursor = (
            self._c("orders")
            .find(flt)
            .sort([("created_at", DESCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        return [_must(Order, d) for d in cursor]

    def _list_fills(
        self, account_id: str | None, client_id: str | None, limit: int, since: datetime | None
    ) -> list[Fill]:
        flt = _match(
            account_id=account_id,
            client_id=client_id,
            ts=None if since is None else {"$gte": since},
        )
        cursor = (
            self._c("fills")
            .find(flt)
            .sort([("ts", ASCENDING), ("fill_id", ASCENDING)])
            .limit(limit)
        )
        return [_must(Fill, d) for d in cursor]

    def _list_positions(self, account_id: str) -> list[Position]:
        cursor = self._c("positions").find({"account_id": account_id}).sort("code", ASCENDING)
        return [_must(Position, d) for d in cursor]
