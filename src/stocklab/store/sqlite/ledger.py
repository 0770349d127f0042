"""The SQLite backend's ledger: accounts, orders, fills, positions with optimistic versions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

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
from stocklab.store.sqlite.connection import (
    SqliteBase,
    _dump,
    _ms,
    _one,
    _rows,
    _where,
)


class SqliteLedger(SqliteBase):
    """`Ledger` on SQLite."""

    def create_account(self, account: Account) -> Account:
        check_record(account, Account)
        stored = account.model_copy(update={"version": 1})
        with self._write("create_account", "accounts") as (conn, audit):
            row = conn.execute(
                "SELECT data FROM accounts WHERE account_id = ?", (account.account_id,)
            ).fetchone()
            if row is not None:
                raise DuplicateKey(f"계좌 {account.account_id}가 이미 있습니다")
            conn.execute(
                "INSERT INTO accounts VALUES (?, 1, ?)", (account.account_id, _dump(stored))
            )
            audit["count"] = 1
            audit["detail"] = {"account_id": account.account_id, "cash": account.cash}
        return stored

    def update_account(self, account: Account) -> Account:
        check_record(account, Account)
        with self._write("update_account", "accounts") as (conn, audit):
            new = _cas(conn, "accounts", "account_id", account.account_id, account)
            audit["count"] = 1
            audit["detail"] = {"account_id": account.account_id, "version": new.version}
        return new

    def get_account(self, account_id: str) -> Account | None:
        return _one(
            self._read("SELECT data FROM accounts WHERE account_id = ?", [account_id]), Account
        )

    def insert_order(self, order: Order) -> Order:
        check_record(order, Order)
        stored = order.model_copy(update={"version": 1})
        with self._write("insert_order", "orders") as (conn, audit):
            row = conn.execute(
                "SELECT data FROM orders WHERE client_id = ?", (order.client_id,)
            ).fetchone()
            if row is not None:
                existing = Order.model_validate_json(row[0])
                if existing.request != order.request:
                    raise DuplicateKey(
                        f"주문 {order.client_id}가 다른 내용으로 이미 있습니다 (client_id 재사용)"
                    )
                audit["detail"] = {"client_id": order.client_id, "duplicate": True}
                return existing
            conn.execute(
                "INSERT INTO orders VALUES (?, ?, ?, ?, 1, ?)",
                (
                    order.client_id,
                    order.account_id,
                    order.status.value,
                    _ms(order.created_at),
                    _dump(stored),
                ),
            )
            audit["count"] = 1
            audit["detail"] = order_detail(stored)
        return stored

    def update_order(self, order: Order) -> Order:
        check_record(order, Order)
        with self._write("update_order", "orders") as (conn, audit):
            new = _cas(
                conn, "orders", "client_id", order.client_id, order, status=order.status.value
            )
            audit["count"] = 1
            audit["detail"] = order_detail(new)
        return new

    def get_order(self, client_id: str) -> Order | None:
        return _one(self._read("SELECT data FROM orders WHERE client_id = ?", [client_id]), Order)

    def list_orders(
        self,
        account_id: str | None = None,
        statuses: Iterable[OrderStatus] | None = None,
        limit: int = 100,
    ) -> list[Order]:
        check_limit(limit)
        wanted = status_values(statuses)
        if wanted is not None and not wanted:
            return []
        where, params = _where(account_id=account_id, status=wanted)
        rows = self._read(
            f"SELECT data FROM orders{where} ORDER BY created_at DESC, client_id LIMIT ?",
            [*params, limit],
        )
        return [Order.model_validate_json(r[0]) for r in rows]

    def list_fills(
        self,
        account_id: str | None = None,
        client_id: str | None = None,
        limit: int = 1000,
        since: datetime | None = None,
    ) -> list[Fill]:
        check_limit(limit)
        start = _ms(_aware_since(since)) if since is not None else None
        where, params = _where(account_id=account_id, client_id=client_id, ts__ge=start)
        rows = self._read(
            f"SELECT data FROM fills{where} ORDER BY ts, fill_id LIMIT ?", [*params, limit]
        )
        return [Fill.model_validate_json(r[0]) for r in rows]

    def save_position(self, position: Position) -> Position:
        check_record(position, Position)
        with self._write("save_position", "positions") as (conn, audit):
            new = _put_position(conn, position)
            audit["count"] = 1
            audit["detail"] = {
                "account_id": position.account_id,
                "code": position.code,
                "qty": position.qty,
            }
        return new

    def get_position(self, account_id: str, code: str) -> Position | None:
        return _one(
            self._read(
                "SELECT data FROM positions WHERE account_id = ? AND code = ?",
                [account_id, check_code(code)],
            ),
            Position,
        )

    def list_positions(self, account_id: str) -> list[Position]:
        rows = self._read(
            "SELECT data FROM positions WHERE account_id = ? ORDER BY code", [account_id]
        )
        return [Position.model_validate_json(r[0]) for r in rows]

    def apply_fill(
        self, fill: Fill, order: Order, position: Position, account: Account
    ) -> FillOutcome:
        for value, kind in ((fill, Fill), (order, Order), (position, Position), (account, Account)):
            check_record(value, kind)
        check_fill_matches(fill, order, position, account)
        with self._write("apply_fill", "fills") as (conn, audit):
            row = conn.execute(
                "SELECT data FROM fills WHERE account_id = ? AND fill_id = ?",
                (fill.account_id, fill.fill_id),
            ).fetchone()
            if row is not None:
                if Fill.model_validate_json(row[0]) != fill:
                    raise DuplicateKey(f"체결 {fill.fill_id}가 다른 내용으로 이미 있습니다")
                audit["detail"] = {"fill_id": fill.fill_id, "duplicate": True}
                return FillOutcome(
                    False,
                    _one(_rows(conn, "orders", "client_id", order.client_id), Order),
                    _one(
                        conn.execute(
                            "SELECT data FROM positions WHERE account_id = ? AND code = ?",
                            (position.account_id, position.code),
                        ).fetchall(),
                        Position,
                    ),
                    _one(_rows(conn, "accounts", "account_id", account.account_id), Account),
                )
            conn.execute(
                "INSERT INTO fills VALUES (?, ?, ?, ?, ?)",
                (fill.account_id, fill.fill_id, fill.client_id, _ms(fill.ts), _dump(fill)),
            )
            new_order = _cas(
                conn, "orders", "client_id", order.client_id, order, status=order.status.value
            )
            new_position = _put_position(conn, position)
            new_account = _cas(conn, "accounts", "account_id", account.account_id, account)
            audit["count"] = 1
            audit["detail"] = fill_detail(fill)
        return FillOutcome(True, new_order, new_position, new_account)


def _cas[M: BaseModel](
    conn: sqlite3.Connection, table: str, key: str, value: str, record: M, **extra: Any
) -> M:
    """Compare-and-set on `version`: store `record` as version+1 only if nobody moved it."""
    version = record.version  # type: ignore[attr-defined]
    new = record.model_copy(update={"version": version + 1})
    sets = ", ".join(f"{col} = ?" for col in extra)
    changed = conn.execute(
        f"UPDATE {table} SET version = ?, data = ?{', ' + sets if sets else ''}"
        f" WHERE {key} = ? AND version = ?",
        (version + 1, _dump(new), *extra.values(), value, version),
    ).rowcount
    if changed == 0:
        row = conn.execute(f"SELECT version FROM {table} WHERE {key} = ?", (value,)).fetchone()
        if row is None:
            raise NotFound(f"{table}의 {value}가 없습니다")
        raise VersionConflict(
            f"{table}의 {value}가 그사이 바뀌었습니다 (읽은 버전 {version}, 현재 {row[0]}); "
            "다시 읽고 시도하세요"
        )
    return new


def _put_position(conn: sqlite3.Connection, position: Position) -> Position:
    if position.version == 0:
        new = position.model_copy(update={"version": 1})
        try:
            conn.execute(
                "INSERT INTO positions VALUES (?, ?, 1, ?)",
                (position.account_id, position.code, _dump(new)),
            )
        except sqlite3.IntegrityError:
            raise VersionConflict(
                f"포지션 {position.account_id}/{position.code}가 이미 있습니다; "
                "다시 읽고 시도하세요"
            ) from None
        return new
    version = position.version
    new = position.model_copy(update={"version": version + 1})
    changed = conn.execute(
        "UPDATE positions SET version = ?, data = ?"
        " WHERE account_id = ? AND code = ? AND version = ?",
        (version + 1, _dump(new), position.account_id, position.code, version),
    ).rowcount
    if changed == 0:
        raise VersionConflict(
            f"포지션 {position.account_id}/{position.code}가 그사이 바뀌었거나 없습니다 "
            f"(버전 {version})"
        )
    return new


def _aware_since(since: datetime) -> datetime:
    if since.tzinfo is None:
        raise ValueError("since에는 시간대가 있는 시각을 주세요 (예: 2024-11-15T00:00+09:00)")
    return since
