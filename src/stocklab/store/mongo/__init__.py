"""The MongoDB backend (the seed's store): `Store` on pymongo, by area.

`connection` (client, documents, transactions, errors), `migrations` (numbered, kept in
`meta`), `market` (instruments, bars, flows, overview), `ledger` (orders, fills,
positions) and `operations` (job runs, backtests, audit); the policy they serve is
`stocklab.store.policy`, and `MongoStore` is all of them.
"""

from __future__ import annotations

from stocklab.store.mongo.connection import translate_errors
from stocklab.store.mongo.ledger import MongoLedger
from stocklab.store.mongo.market import MongoMarketData
from stocklab.store.mongo.operations import MongoOperations


@translate_errors
class MongoStore(MongoMarketData, MongoLedger, MongoOperations):
    """`Store` on a MongoDB database (one per stocklab installation)."""


__all__ = ["MongoStore"]
