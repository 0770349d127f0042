"""The MongoDB backend's numbered migrations (what `store/sqlite/schema.py` is for SQLite).

The version reached is kept in the `meta` collection (`{_id: "schema", version: n}`);
opening a store for writing runs the migrations it has not had, in order. Each is
idempotent, so two processes opening a store at once both end at the same state.
Append a migration to change the layout; never edit one that has shipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database

from stocklab.store.base import StoreError

log = logging.getLogger("stocklab.store")

Db = Database[dict[str, Any]]

_INDEXES: dict[str, list[tuple[list[tuple[str, int]], bool]]] = {
    "instruments": [([("market", ASCENDING), ("_id", ASCENDING)], False)],
    "bars": [
        ([("code", ASCENDING), ("tf", ASCENDING), ("ts", ASCENDING)], True),
        ([("tf", ASCENDING), ("ts", ASCENDING)], False),
    ],
    "series": [([("code", ASCENDING), ("tf", ASCENDING)], True)],
    "flows": [([("code", ASCENDING), ("kind", ASCENDING), ("day", ASCENDING)], True)],
    "orders": [([("account_id", ASCENDING), ("created_at", DESCENDING)], False)],
    "fills": [
        ([("account_id", ASCENDING), ("fill_id", ASCENDING)], True),
        ([("client_id", ASCENDING), ("ts", ASCENDING)], False),
    ],
    "positions": [([("account_id", ASCENDING), ("code", ASCENDING)], True)],
    "job_runs": [([("job", ASCENDING), ("started_at", DESCENDING)], False)],
    "backtests": [([("created_at", DESCENDING)], False)],
    "audit": [([("ts", DESCENDING)], False)],
}


def _indexes(db: Db) -> None:
    """v1: the unique natural keys and the indexes the queries sort by."""
    for name, specs in _INDEXES.items():
        for keys, unique in specs:
            db[name].create_index(keys, unique=unique)


def _epoch(ts: datetime) -> int:
    return int((ts if ts.tzinfo else ts.replace(tzinfo=UTC)).timestamp())


def _overview(db: Db) -> None:
    """v2: the bar overview kept on write — count, first and last (epoch seconds) in each
    `series` document, built here once from the bars a database already holds."""
    groups = db["bars"].aggregate(
        [
            {
                "$group": {
                    "_id": {"code": "$code", "tf": "$tf"},
                    "count": {"$sum": 1},
                    "first": {"$min": "$ts"},
                    "last": {"$max": "$ts"},
                }
            }
        ]
    )
    for g in groups:
        key = {"code": g["_id"]["code"], "tf": g["_id"]["tf"]}
        before = db["series"].find_one(key) or {}
        db["series"].replace_one(
            key,
            {
                **key,
                "count": g["count"],
                "first": _epoch(g["first"]),
                "last": _epoch(g["last"]),
                "source": before.get("source"),
            },
            upsert=True,
        )


MIGRATIONS: list[Callable[[Db], None]] = [_indexes, _overview]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: Db) -> None:
    """Bring `db` to SCHEMA_VERSION; refuse one made by a newer stocklab."""
    doc = db["meta"].find_one({"_id": "schema"})
    current = 0 if doc is None else int(doc["version"])
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"MongoDB {db.name}는 더 새로운 stocklab(스키마 v{current})이 만들었습니다; "
            f"이 버전은 v{SCHEMA_VERSION}까지 읽습니다. stocklab을 업데이트하세요"
        )
    for version in range(current, SCHEMA_VERSION):
        MIGRATIONS[version](db)
        db["meta"].replace_one(
            {"_id": "schema"}, {"_id": "schema", "version": version + 1}, upsert=True
        )
        log.info("MongoDB %s migrated to schema v%d", db.name, version + 1)
