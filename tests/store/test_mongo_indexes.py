"""The MongoDB backend creates its unique compound indexes on open, and they hold.

Run on the stand-ins the contract suite uses (mongoeco over the wire, mongomock in process)
and on a real server when STOCKLAB_TEST_MONGODB_URI is set; `store` is the contract suite's
fixture, narrowed here to the MongoDB backends.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from stocklab.barseries import BarSeries
from stocklab.model import (
    KST,
    Account,
    Fill,
    Flow,
    FlowKind,
    Instrument,
    Market,
    Order,
    OrderRequest,
    OrderStatus,
    Position,
    Side,
    daily_ts,
)
from stocklab.store import WriteResult
from stocklab.store.mongo import MongoStore

mongo_backends = pytest.mark.parametrize(
    "store", ["mongo-wire", "mongomock", "mongo-real"], indirect=True
)
bulk = pytest.mark.bulk_upsert

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=KST)
DAYS = [date(2024, 3, 4) + timedelta(days=i) for i in range(5)]

# Every unique index besides _id, per collection: the natural keys the backend relies on.
UNIQUE: dict[str, set[tuple[tuple[str, int], ...]]] = {
    "instruments": set(),
    "bars": {(("code", 1), ("tf", 1), ("ts", 1))},
    "series": {(("code", 1), ("tf", 1))},
    "flows": {(("code", 1), ("kind", 1), ("day", 1))},
    "accounts": set(),
    "orders": set(),
    "fills": {(("account_id", 1), ("fill_id", 1))},
    "positions": {(("account_id", 1), ("code", 1))},
    "job_runs": set(),
    "backtests": set(),
    "audit": set(),
}


def _unique_indexes(store: MongoStore, collection: str) -> set[tuple[tuple[str, int], ...]]:
    out = set()
    for spec in store.db[collection].index_information().values():
        keys = tuple((field, int(direction)) for field, direction in spec["key"])
        if spec.get("unique") and keys != (("_id", 1),):
            out.add(keys)
    return out


def _bars(n: int = 5) -> BarSeries:
    close = [70_000 + 100 * i for i in range(n)]
    return BarSeries.from_arrays(
        "1d",
        "005930",
        [int(daily_ts(d).timestamp()) for d in DAYS[:n]],
        close,
        [c + 500 for c in close],
        [c - 500 for c in close],
        close,
        [1_000 + i for i in range(n)],
    )


@mongo_backends
def test_unique_compound_indexes_are_created_on_open(store: MongoStore) -> None:
    for collection, expected in UNIQUE.items():
        assert _unique_indexes(store, collection) == expected, collection
    # opening again on the same database is harmless and leaves the same indexes
    again = MongoStore(store.client, store.db.name, actor="again")
    for collection, expected in UNIQUE.items():
        assert _unique_indexes(again, collection) == expected, collection


@mongo_backends
@pytest.mark.parametrize(
    ("collection", "doc"),
    [
        ("bars", {"code": "005930", "tf": "1d", "ts": T0, "open": 1, "close": 1}),
        ("series", {"code": "005930", "tf": "1d", "source": "x"}),
        ("flows", {"code": "005930", "kind": "investor", "day": "2024-03-04", "values": {}}),
        ("fills", {"account_id": "paper1", "fill_id": "f1", "qty": 1}),
        ("positions", {"account_id": "paper1", "code": "005930", "qty": 1}),
    ],
)
def test_unique_index_refuses_a_second_document_with_the_same_key(
    store: MongoStore, collection: str, doc: dict[str, Any]
) -> None:
    coll = store.db[collection]
    coll.insert_one(dict(doc))
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({**doc, "other": True})  # a new _id, the same natural key
    assert coll.count_documents({}) == 1


@mongo_backends
@bulk
def test_writing_the_same_bars_flows_and_instruments_twice_stores_them_once(
    store: MongoStore,
) -> None:
    bars = _bars()
    assert store.save_bars(bars, source="t") == WriteResult(5, 0, 0)
    assert store.save_bars(bars, source="t") == WriteResult(0, 0, 5)
    assert store.save_bars(_bars(3), source="t") == WriteResult(0, 0, 3)
    assert store.db["bars"].count_documents({}) == 5
    assert store.db["series"].count_documents({}) == 1
    assert len(store.load_bars("005930", "1d")) == 5

    flows = [
        Flow(code="005930", day=d, kind=FlowKind.INVESTOR, values={"foreign_net_qty": 1})
        for d in DAYS
    ]
    assert store.save_flows(flows) == WriteResult(5, 0, 0)
    assert store.save_flows(flows) == WriteResult(0, 0, 5)
    assert store.db["flows"].count_documents({}) == 5

    items = [Instrument(code="005930", name="삼성전자", market=Market.KOSPI)]
    store.upsert_instruments(items)
    assert store.upsert_instruments(items) == WriteResult(0, 0, 1)
    assert store.db["instruments"].count_documents({}) == 1


@mongo_backends
def test_a_repeated_order_and_fill_are_stored_once(store: MongoStore) -> None:
    acct = store.create_account(
        Account(account_id="paper1", cash=10_000_000, created_at=T0, updated_at=T0)
    )
    req = OrderRequest(
        client_id="c1", account_id="paper1", code="005930", side=Side.BUY, qty=10, price=70_000
    )
    placed = store.insert_order(Order(request=req, created_at=T0, updated_at=T0))
    assert store.insert_order(Order(request=req, created_at=T0, updated_at=T0)) == placed
    assert store.db["orders"].count_documents({}) == 1

    fill = Fill(
        fill_id="f1", client_id="c1", account_id="paper1", code="005930", side=Side.BUY, qty=4,
        price=70_000, commission=42, ts=T0 + timedelta(seconds=5),
    )  # fmt: skip
    new_order = placed.model_copy(
        update={"status": OrderStatus.PARTIALLY_FILLED, "filled_qty": 4, "filled_amount": 280_000}
    )
    pos = Position(account_id="paper1", code="005930", qty=4, cost=280_042, updated_at=fill.ts)
    new_acct = acct.model_copy(update={"cash": acct.cash - 280_042})
    assert store.apply_fill(fill, new_order, pos, new_acct).recorded
    assert not store.apply_fill(fill, new_order, pos, new_acct).recorded
    assert store.db["fills"].count_documents({}) == 1
    assert store.db["positions"].count_documents({}) == 1
    assert store.get_account("paper1").cash == 10_000_000 - 280_042
