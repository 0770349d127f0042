"""The MongoDB backend's ledger: accounts, orders, fills, positions with optimistic versions.

Multi-document writes (`apply_fill`) run in a transaction when the server offers one
(replica set or sharded cluster); on a standalone server every version is checked before
the first write, which is ordered so that a crash leaves a fill recorded first, and the
order manager's reconcile then completes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from stocklab.model import (
    Account,
    Fill,
    Order,
    OrderStatus,
    Position,
    check_code,
)
from stocklab.store.base import (
    DuplicateKey,
    FillOutcome,
    NotFound,
    VersionConflict,
    check_fill_matches,
    check_limit,
    check_record,
    fill_detail,
    order_detail,
    status_values,
)
from stocklab.store.mongo.connection import (
    MongoBase,
    _doc,
    _load,
    _match,
    _must,
    _translate_errors,
)


@_translate_errors
class MongoLedger(MongoBase):
    """`Ledger` on MongoDB."""

    def create_account(self, account: Account) -> Account:
        self._guard("create_account")
        check_record(account, Account)
        stored = account.model_copy(update={"version": 1})
        try:
            self._c("accounts").insert_one({"_id": account.account_id, **_doc(stored)})
        except DuplicateKeyError:
            raise DuplicateKey(f"계좌 {account.account_id}가 이미 있습니다") from None
        self._audit(
            "create_account",
            "accounts",
            1,
            {"account_id": account.account_id, "cash": account.cash},
        )
        return stored

    def update_account(self, account: Account) -> Account:
        self._guard("update_account")
        check_record(account, Account)
        new = self._cas("accounts", account.account_id, account)
        self._audit(
            "update_account",
            "accounts",
            1,
            {"account_id": account.account_id, "version": new.version},
        )
        return new

    def _cas[M: BaseModel](self, collection: str, key: str, record: M, session: Any = None) -> M:
        version = record.version  # type: ignore[attr-defined]
        new = record.model_copy(update={"version": version + 1})
        res = self._c(collection).update_one(
            {"_id": key, "version": version}, {"$set": _doc(new)}, session=session
        )
        if res.matched_count == 0:
            doc = self._c(collection).find_one({"_id": key}, {"version": 1}, session=session)
            if doc is None:
                raise NotFound(f"{collection}의 {key}가 없습니다")
            raise VersionConflict(
                f"{collection}의 {key}가 그사이 바뀌었습니다 (읽은 버전 {version}, 현재 "
                f"{doc['version']}); 다시 읽고 시도하세요"
            )
        return new

    def get_account(self, account_id: str) -> Account | None:
        return _load(Account, self._c("accounts").find_one({"_id": account_id}))

    def insert_order(self, order: Order) -> Order:
        self._guard("insert_order")
        check_record(order, Order)
        stored = order.model_copy(update={"version": 1})
        try:
            self._c("orders").insert_one(
                {"_id": order.client_id, "account_id": order.account_id, **_doc(stored)}
            )
        except DuplicateKeyError:
            existing = _must(Order, self._c("orders").find_one({"_id": order.client_id}))
            if existing.request != order.request:
                raise DuplicateKey(
                    f"주문 {order.client_id}가 다른 내용으로 이미 있습니다 (client_id 재사용)"
                ) from None
            self._audit(
                "insert_order", "orders", 0, {"client_id": order.client_id, "duplicate": True}
            )
            return existing
        self._audit("insert_order", "orders", 1, order_detail(stored))
        return stored

    def update_order(self, order: Order) -> Order:
        self._guard("update_order")
        check_record(order, Order)
        new = self._cas("orders", order.client_id, order)
        self._audit("update_order", "orders", 1, order_detail(new))
        return new

    def get_order(self, client_id: str) -> Order | None:
        return _load(Order, self._c("orders").find_one({"_id": client_id}))

    def list_orders(
        self,
        account_id: str | None = None,
        statuses: Iterable[OrderStatus] | None = None,
        limit: int = 100,
    ) -> list[Order]:
        check_limit(limit)
        wanted = status_values(statuses)
        flt = _match(account_id=account_id, status=None if wanted is None else {"$in": wanted})
        cursor = (
            self._c("orders")
            .find(flt)
            .sort([("created_at", DESCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        return [_must(Order, d) for d in cursor]

    def list_fills(
        self,
        account_id: str | None = None,
        client_id: str | None = None,
        limit: int = 1000,
        since: datetime | None = None,
    ) -> list[Fill]:
        check_limit(limit)
        flt = _match(account_id=account_id, client_id=client_id)
        if since is not None:
            if since.tzinfo is None:
                raise ValueError(
                    "since에는 시간대가 있는 시각을 주세요 (예: 2024-11-15T00:00+09:00)"
                )
            flt["ts"] = {"$gte": since}
        cursor = (
            self._c("fills")
            .find(flt)
            .sort([("ts", ASCENDING), ("fill_id", ASCENDING)])
            .limit(limit)
        )
        return [_must(Fill, d) for d in cursor]

    def _put_position(self, position: Position, session: Any = None) -> Position:
        key = f"{position.account_id}/{position.code}"
        if position.version == 0:
            new = position.model_copy(update={"version": 1})
            try:
                self._c("positions").insert_one({"_id": key, **_doc(new)}, session=session)
            except DuplicateKeyError:
                raise VersionConflict(
                    f"포지션 {key}가 이미 있습니다; 다시 읽고 시도하세요"
                ) from None
            return new
        try:
            return self._cas("positions", key, position, session=session)
        except NotFound:
            raise VersionConflict(f"포지션 {key}가 없습니다 (버전 {position.version})") from None

    def save_position(self, position: Position) -> Position:
        self._guard("save_position")
        check_record(position, Position)
        new = self._put_position(position)
        self._audit(
            "save_position",
            "positions",
            1,
            {"account_id": position.account_id, "code": position.code, "qty": position.qty},
        )
        return new

    def get_position(self, account_id: str, code: str) -> Position | None:
        return _load(
            Position, self._c("positions").find_one({"_id": f"{account_id}/{check_code(code)}"})
        )

    def list_positions(self, account_id: str) -> list[Position]:
        cursor = self._c("positions").find({"account_id": account_id}).sort("code", ASCENDING)
        return [_must(Position, d) for d in cursor]

    def _check_versions(self, order: Order, position: Position, account: Account) -> None:
        """Without transactions, refuse stale records before the first write, not midway."""
        pos_key = f"{position.account_id}/{position.code}"
        for collection, key, version in (
            ("orders", order.client_id, order.version),
            ("positions", pos_key, position.version),
            ("accounts", account.account_id, account.version),
        ):
            doc = self._c(collection).find_one({"_id": key}, {"version": 1})
            current = 0 if doc is None else doc["version"]
            if current != version:
                raise VersionConflict(
                    f"{collection}의 {key}가 그사이 바뀌었습니다 (읽은 버전 {version}, "
                    f"현재 {current}); 다시 읽고 시도하세요"
                )

    def apply_fill(
        self, fill: Fill, order: Order, position: Position, account: Account
    ) -> FillOutcome:
        self._guard("apply_fill")
        for value, kind in ((fill, Fill), (order, Order), (position, Position), (account, Account)):
            check_record(value, kind)
        check_fill_matches(fill, order, position, account)
        fill_key = f"{fill.account_id}/{fill.fill_id}"
        existing = self._c("fills").find_one({"_id": fill_key})
        if existing is not None:
            if _must(Fill, existing) != fill:
                raise DuplicateKey(f"체결 {fill.fill_id}가 다른 내용으로 이미 있습니다")
            self._audit("apply_fill", "fills", 0, {"fill_id": fill.fill_id, "duplicate": True})
            return FillOutcome(
                False,
                _must(Order, self._c("orders").find_one({"_id": order.client_id})),
                _must(
                    Position,
                    self._c("positions").find_one(
                        {"_id": f"{position.account_id}/{position.code}"}
                    ),
                ),
                _must(Account, self._c("accounts").find_one({"_id": account.account_id})),
            )

        def write(session: Any) -> FillOutcome:
            self._c("fills").insert_one({"_id": fill_key, **_doc(fill)}, session=session)
            return FillOutcome(
                True,
                self._cas("orders", order.client_id, order, session=session),
                self._put_position(position, session=session),
                self._cas("accounts", account.account_id, account, session=session),
            )

        if self._supports_transactions():
            with self.client.start_session() as session:
                outcome = session.with_transaction(write)
        else:
            self._check_versions(order, position, account)
            outcome = write(None)
        self._audit(
            "apply_fill",
            "fills",
            1,
            fill_detail(fill),
        )
        return outcome
