"""The embedded backend: `Store` on one SQLite file, by area.

`connection` (connections, transactions, errors, migrations from `schema`), `market`
(instruments, bars, flows, overview), `ledger` (accounts, orders, fills, positions) and
`operations` (job runs, backtests, audit); `SqliteStore` is all of them.
"""

from __future__ import annotations

from stocklab.store.sqlite.ledger import SqliteLedger
from stocklab.store.sqlite.market import SqliteMarketData
from stocklab.store.sqlite.operations import SqliteOperations


class SqliteStore(SqliteMarketData, SqliteLedger, SqliteOperations):
    """`Store` on an SQLite file. Open one per process; it keeps a connection per thread."""


__all__ = ["SqliteStore"]
