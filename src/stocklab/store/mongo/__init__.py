"""The MongoDB backend (the seed's store): `Store` on pymongo, by area.

`connection` (client, indexes, documents, errors), `market` (instruments, bars, flows,
overview), `ledger` (accounts, orders, fills, positions) and `operations` (job runs,
backtests, audit); `MongoStore` is all of them.
"""

from __future__ import annotations

from stocklab.store.mongo.ledger import MongoLedger
from stocklab.store.mongo.market import MongoMarketData
from stocklab.store.mongo.operations import MongoOperations


class MongoStore(MongoMarketData, MongoLedger, MongoOperations):
    """`Store` on a MongoDB database (one per stocklab installation)."""


__all__ = ["MongoStore"]
