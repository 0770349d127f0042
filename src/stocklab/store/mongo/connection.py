"""The MongoDB backend's connection (on pymongo): indexes made on open, records as
documents (datetimes stored as UTC, read back on the exchange clock), and the one place a
driver error escaping an operation becomes a typed `StoreError`.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, Self

import pymongo
from pydantic import BaseModel
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

from stocklab.config import redact_url
from stocklab.model import KST, AuditEntry
from stocklab.store.base import (
    NotFound,
    StoreError,
    StoreFull,
    StoreReader,
    StoreUnavailable,
)
from stocklab.store.mongo.migrations import migrate
from stocklab.store.policy import Key, KeyTaken, StorePolicy
from stocklab.store.records import stamp, upgrade

log = logging.getLogger("stocklab.store")

_DISK_FULL = {14031}  # OutOfDiskSpace
"""MongoDB's error codes for a server whose disk is full."""


def _plain(value: Any) -> Any:
    """A BSON-storable copy: aware datetimes stay (stored as UTC), the rest becomes JSON types."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _doc(record: BaseModel) -> dict[str, Any]:
    return stamp(_plain(record.model_dump()))


def _kst(value: Any) -> Any:
    """Datetimes come back in UTC; records speak the exchange clock."""
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, dict):
        return {k: _kst(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_kst(v) for v in value]
    return value


def _load[M: BaseModel](kind: type[M], doc: dict[str, Any] | None) -> M | None:
    if doc is None:
        return None
    data = upgrade(kind, {k: v for k, v in doc.items() if k != "_id"})
    return kind.model_validate({k: _kst(data[k]) for k in kind.model_fields if k in data})


def _store_error(exc: PyMongoError, where: str) -> StoreError | None:
    """The typed error for a server that is gone or full, naming it (credentials hidden);
    None for anything else (a bad query stays a bug)."""
    code = getattr(exc, "code", None)
    if code in _DISK_FULL or "No space left on device" in str(exc):
        return StoreFull(
            f"MongoDB {where}: 서버의 디스크가 가득 찼습니다 (disk is full) — 이번 쓰기는 "
            "저장하지 않았습니다; 서버의 공간을 비운 뒤 다시 실행하세요"
        )
    if isinstance(exc, ConnectionFailure):
        return StoreUnavailable(
            f"MongoDB {where}가 답하지 않습니다 ({type(exc).__name__}) — 서버가 떠 있는지, "
            "STOCKLAB_STORE가 맞는지 확인하세요"
        )
    return None


def _translated[**P, R](op: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(op)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return op(*args, **kwargs)
        except PyMongoError as exc:
            typed = _store_error(exc, args[0].describe())  # type: ignore[attr-defined]
            if typed is None:
                raise
            raise typed from exc

    return run


def translate_errors[T: type](cls: T) -> T:
    """The one place a driver error escaping a public operation becomes a StoreError
    (every public method of the class, its own or inherited from the policy)."""
    for name in dir(cls):
        member = getattr(cls, name)
        if not name.startswith("_") and inspect.isfunction(member):
            setattr(cls, name, _translated(member))
    return cls


def _match(**fields: Any) -> dict[str, Any]:
    """A filter of the arguments that are not None."""
    return {k: v for k, v in fields.items() if v is not None}


def _must[M: BaseModel](kind: type[M], doc: dict[str, Any] | None) -> M:
    record = _load(kind, doc)
    if record is None:
        raise NotFound(f"{kind.__name__} 레코드가 없습니다")
    return record


def _aware(ts: datetime) -> datetime:
    """Some servers and stand-ins hand back naive datetimes; they are UTC."""
    return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).astimezone(KST)


class MongoBase(StorePolicy):
    """The client, the database and the audit log of one stocklab installation."""

    backend = "mongodb"

    def __init__(
        self,
        client: Any,
        db_name: str = "stocklab",
        *,
        actor: str = "stocklab",
        readonly: bool = False,
        url: str = "mongodb://",
    ):
        self.client = client
        self.db: Database[dict[str, Any]] = client[db_name]
        self.actor = actor
        self.readonly = readonly
        self._url = url
        self._transactions: bool | None = None
        if not readonly:
            migrate(self.db)

    @classmethod
    def connect(cls, url: str, *, actor: str = "stocklab", readonly: bool = False) -> Self:
        """Connect and check the server answers, with a message that says what to do if not."""
        try:
            client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
                url, tz_aware=True, serverSelectionTimeoutMS=5000, appname="stocklab"
            )
            client.admin.command("ping")
            db = client.get_default_database(default="stocklab")
        except (PyMongoError, ValueError) as exc:
            raise StoreUnavailable(
                f"MongoDB {redact_url(url)}에 연결할 수 없습니다 ({type(exc).__name__}); "
                "서버가 떠 있는지, STOCKLAB_STORE가 맞는지 확인하세요"
            ) from None
        return cls(client, db.name, actor=actor, readonly=readonly, url=url)

    def describe(self) -> str:
        return redact_url(self._url)

    def ping(self) -> bool:
        try:
            self.db.command("ping")
            return True
        except Exception:
            return False

    def health(self) -> str | None:
        """A ping: the server keeps its own data sound, and reports trouble as errors."""
        try:
            self.db.command("ping")
        except Exception as exc:
            return f"MongoDB {self.describe()}가 답하지 않습니다 ({type(exc).__name__})"
        return None

    def close(self) -> None:
        self.client.close()

    def reader(self) -> StoreReader:
        return type(self)(self.client, self.db.name, actor=self.actor, readonly=True, url=self._url)

    def _c(self, name: str) -> Collection[dict[str, Any]]:
        return self.db[name]

    def _supports_transactions(self) -> bool:
        """A replica set or sharded cluster has transactions; otherwise one is tried (a
        standalone mongod refuses it, a wire emulator may keep it), once per store."""
        if self._transactions is None:
            try:
                hello = self.client.admin.command("hello")
                self._transactions = bool(hello.get("setName") or hello.get("msg") == "isdbgrid")
                if not self._transactions:
                    with self.client.start_session() as session, session.start_transaction():
                        self._c("meta").find_one({"_id": "schema"}, session=session)
                    self._transactions = True
            except Exception:
                self._transactions = False
        return self._transactions

    @property
    def atomic(self) -> bool:  # type: ignore[override]
        return self._supports_transactions()

    @contextmanager
    def _transaction(self) -> Iterator[ClientSession | None]:
        """A MongoDB transaction where the deployment has them (replica set, sharded
        cluster); on a standalone server the writes go one by one (None)."""
        if not self._supports_transactions():
            yield None
            return
        with self.client.start_session() as session, session.start_transaction():
            yield session

    def _append_audit(self, tx: ClientSession | None, entry: AuditEntry) -> None:
        self._c("audit").insert_one(entry.model_dump(), session=tx)

    # -- records keyed by table -------------------------------------------------------

    def _get[M: BaseModel](
        self, tx: ClientSession | None, table: str, key: Key, kind: type[M]
    ) -> M | None:
        return _load(kind, self._c(table).find_one({"_id": "/".join(key)}, session=tx))

    def _version_of(self, tx: ClientSession | None, table: str, key: Key) -> int | None:
        doc = self._c(table).find_one({"_id": "/".join(key)}, {"version": 1}, session=tx)
        return None if doc is None else int(doc["version"])

    def _insert(self, tx: ClientSession | None, table: str, key: Key, record: BaseModel) -> None:
        try:
            self._c(table).insert_one({"_id": "/".join(key), **_row(table, record)}, session=tx)
        except DuplicateKeyError:
            raise KeyTaken(table) from None

    def _replace(
        self,
        tx: ClientSession | None,
        table: str,
        key: Key,
        record: BaseModel,
        version: int | None,
    ) -> bool:
        if version is None:
            self._c(table).replace_one(
                {"_id": "/".join(key)}, _row(table, record), upsert=True, session=tx
            )
            return True
        res = self._c(table).update_one(
            {"_id": "/".join(key), "version": version}, {"$set": _row(table, record)}, session=tx
        )
        return res.matched_count > 0


def _row(table: str, record: BaseModel) -> dict[str, Any]:
    """A record's document; an order keeps its account at the top level, for queries."""
    doc = _doc(record)
    if table == "orders":
        doc["account_id"] = record.account_id  # type: ignore[attr-defined]
    return doc
