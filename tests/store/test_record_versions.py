"""Stored records carry a schema version; an old unversioned record still reads, and is
stamped when it is written again; a record from a newer stocklab is refused."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any

import pytest

from stocklab.model import Account, daily_ts
from stocklab.store import Store, StoreError
from stocklab.store.records import FIELD, RECORD_VERSION

T0 = daily_ts(date(2024, 3, 4))
OLD = Account(account_id="paper1", cash=5_000, created_at=T0, updated_at=T0, version=1)


def _put_raw(store: Any, data: dict[str, Any]) -> None:
    """Store an account the way an older stocklab did, around the store's API."""
    if store.backend == "sqlite":
        with sqlite3.connect(store.path) as conn:
            conn.execute(
                "INSERT OR REPLACE INTO accounts VALUES (?, ?, ?)",
                (data["account_id"], data["version"], json.dumps(data)),
            )
    else:
        store.db["accounts"].replace_one(
            {"_id": data["account_id"]}, {"_id": data["account_id"], **data}, upsert=True
        )


def _raw(store: Any) -> dict[str, Any]:
    if store.backend == "sqlite":
        with sqlite3.connect(store.path) as conn:
            (text,) = conn.execute("SELECT data FROM accounts").fetchone()
        return json.loads(text)
    return store.db["accounts"].find_one({"_id": "paper1"})


def test_an_unversioned_record_reads_and_is_stamped_when_written(store: Store) -> None:
    _put_raw(store, json.loads(OLD.model_dump_json()))
    assert FIELD not in _raw(store)
    assert store.get_account("paper1") == OLD
    moved = store.update_account(OLD.model_copy(update={"cash": 6_000}))
    assert _raw(store)[FIELD] == RECORD_VERSION
    assert store.get_account("paper1") == moved


def test_a_record_from_a_newer_stocklab_is_refused(store: Store) -> None:
    _put_raw(store, {**json.loads(OLD.model_dump_json()), FIELD: RECORD_VERSION + 1})
    with pytest.raises(StoreError, match="더 새로운 stocklab"):
        store.get_account("paper1")


def test_new_records_carry_the_version(store: Store) -> None:
    store.create_account(OLD.model_copy(update={"version": 0}))
    assert _raw(store)[FIELD] == RECORD_VERSION
