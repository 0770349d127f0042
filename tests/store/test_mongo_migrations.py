"""MongoDB's numbered migrations: a database from before them gets its bar overview built
once (then kept on write), and one from a newer stocklab is refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from stocklab.barseries import BarSeries
from stocklab.model import Timeframe, daily_ts
from stocklab.store import StoreError
from stocklab.store.mongo import MongoStore
from stocklab.store.mongo.migrations import SCHEMA_VERSION

mongo_backends = pytest.mark.parametrize(
    "store", ["mongo-wire", "mongomock", "mongo-real"], indirect=True
)

DAYS = [date(2024, 3, 4) + timedelta(days=i) for i in range(4)]


def _old_database(store: MongoStore) -> None:
    """The layout before migrations: bars, a `series` document with its source only."""
    store.db["meta"].drop()
    store.db["series"].delete_many({})
    fields = {"open": 1, "high": 1, "low": 1, "close": 1, "volume": 1, "value": None}
    store.db["bars"].insert_many(
        [{"code": "005930", "tf": "1d", "ts": daily_ts(d), **fields} for d in DAYS]
    )
    store.db["series"].insert_one({"code": "005930", "tf": "1d", "source": "old"})


@mongo_backends
def test_opening_an_old_database_builds_the_overview_once(store: MongoStore) -> None:
    _old_database(store)
    again = MongoStore(store.client, store.db.name, actor="test")
    assert store.db["meta"].find_one({"_id": "schema"})["version"] == SCHEMA_VERSION
    (cover,) = again.bar_overview()
    assert (cover.code, cover.count, cover.source) == ("005930", 4, "old")
    assert (cover.first, cover.last) == (daily_ts(DAYS[0]), daily_ts(DAYS[-1]))
    # from here the overview moves with each write, without reading the bars again
    again.delete_bars("005930", Timeframe.DAY, DAYS[0], DAYS[0])
    (cover,) = again.bar_overview()
    assert (cover.count, cover.first) == (3, daily_ts(DAYS[1]))


@mongo_backends
def test_the_overview_is_a_read_of_series_not_of_the_bars(store: MongoStore) -> None:
    bars = BarSeries.from_rows(
        Timeframe.DAY, "005930", [(int(daily_ts(d).timestamp()), 1, 1, 1, 1, 1, -1) for d in DAYS]
    )
    # written around the store: no series document, so not in the overview
    fields = {"open": 1, "high": 1, "low": 1, "close": 1, "volume": 1}
    store.db["bars"].insert_one({"code": "000660", "tf": "1d", "ts": daily_ts(DAYS[0]), **fields})
    if store.client.__class__.__module__.startswith("mongomock"):
        pytest.skip("saving bars needs bulk writes, which mongomock 4.3 lacks (issue #912)")
    store.save_bars(bars, source="t")
    assert [c.code for c in store.bar_overview()] == ["005930"]


@mongo_backends
def test_a_database_from_a_newer_stocklab_is_refused(store: MongoStore) -> None:
    store.db["meta"].replace_one({"_id": "schema"}, {"version": SCHEMA_VERSION + 1}, upsert=True)
    with pytest.raises(StoreError, match="더 새로운 stocklab"):
        MongoStore(store.client, store.db.name, actor="test")
