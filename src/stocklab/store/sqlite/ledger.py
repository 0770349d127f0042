"""The SQLite backend's ledger queries: orders, fills and positions listed (the records
themselves go through the policy's keyed primitives in `connection`)."""

from __future__ import annotations

from datetime import datetime

from stocklab.model import Fill, Order, Position
from stocklab.store.records import from_json
from stocklab.store.sqlite.connection import SqliteBase, _ms, _where


class SqliteLedger(SqliteBase):
    """`Ledger` on SQLite."""

    def _list_orders(
        self, account_id: str | None, statuses: list[str] | None, limit: int
    ) -> list[Order]:
        where, params = _where(account_id=account_id, status=statuses)
        rows = self._read(
            f"SELECT data FROM orders{where} ORDER BY created_at DESC, client_id LIMIT ?",
            [*params, limit],
        )
        return [from_json(Order, r[0]) for r in rows]

    def _list_fills(
        self, account_id: str | None, client_id: str | None, limit: int, since: datetime | None
    ) -> list[Fill]:
        start = None if since is None else _ms(since)
        where, params = _where(account_id=account_id, client_id=client_id, ts__ge=start)
        rows = self._read(
            f"SELECT data FROM fills{where} ORDER BY ts, fill_id LIMIT ?", [*params, limit]
        )
        return [from_json(Fill, r[0]) for r in rows]

    def _list_positions(self, account_id: str) -> list[Position]:
        rows = self._read(
            "SELECT data FROM positions WHERE account_id = ? ORDER BY code", [account_id]
        )
        return [from_json(Position, r[0]) for r in rows]
