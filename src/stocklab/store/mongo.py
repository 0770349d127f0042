"""The MongoDB backend (the seed's store), on pymongo.

Unique compound indexes are created on open, bars are written with unordered bulk
upserts (whose counts give inserted/updated/unchanged), datetimes are stored as UTC,
and loads are sorted by the server. Multi-document writes (`apply_fill`) run in a
transaction when the server offers one (replica set or sharded cluster); on a
standalone server they are ordered so that a crash leaves a fill recorded first,
which the order manager's reconcile then completes.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import numpy as np
import pymongo
from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

from stocklab.barseries import NO_VALUE, BarSeries, from_epoch
from stocklab.config import redact_url
from stocklab.model import (
    KST,
    SUMMARY_CODES,
    Account,
    AuditEntry,
    BacktestResult,
    BacktestSummary,
    Bar,
    Fill,
    Flow,
    FlowKind,
    Instrument,
    JobRun,
    JobStatus,
    Market,
    Order,
    OrderStatus,
    Position,
    Timeframe,
    check_code,
    now_kst,
)
from stocklab.store.base import (
    BarCoverage,
    DuplicateKey,
    FillOutcome,
    NotFound,
    ReadOnlyError,
    StoreError,
    StoreFull,
    StoreReader,
    StoreUnavailable,
    VersionConflict,
    WriteResult,
    bars_to_series,
    check_fill_matches,
    check_flows,
    check_instruments,
    check_limit,
    check_offset,
    check_record,
    check_source,
    date_range,
    fill_detail,
    order_detail,
    status_values,
    time_range,
)

log = logging.getLogger("stocklab.store")

_BULK_CHUNK = 5_000
_BAR_FIELDS = ("open", "high", "low", "close", "volume", "value")

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
    return _plain(record.model_dump())


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
    return kind.model_validate({k: _kst(doc[k]) for k in kind.model_fields if k in doc})


_DISK_FULL = {14031}  # OutOfDiskSpace
"""MongoDB's error codes for a server whose disk is full."""


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


def _translate_errors[T: type](cls: T) -> T:
    """The one place a driver error escaping a public operation becomes a StoreError."""
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(member):
            setattr(cls, name, _translated(member))
    return cls


@_translate_errors
class MongoStore:
    """`Store` on a MongoDB database (one per stocklab installation)."""

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
            for name, specs in _INDEXES.items():
                for keys, unique in specs:
                    self.db[name].create_index(keys, unique=unique)

    @classmethod
    def connect(cls, url: str, *, actor: str = "stocklab", readonly: bool = False) -> MongoStore:
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
        return MongoStore(self.client, self.db.name, actor=self.actor, readonly=True, url=self._url)

    def _c(self, name: str) -> Collection[dict[str, Any]]:
        return self.db[name]

    def _guard(self, operation: str) -> None:
        if self.readonly:
            raise ReadOnlyError(f"읽기 전용 저장소에는 쓸 수 없습니다 ({operation})")

    def _audit(self, operation: str, collection: str, count: int, detail: dict[str, Any]) -> None:
        self._c("audit").insert_one(
            {
                "ts": now_kst(),
                "operation": operation,
                "collection": collection,
                "count": count,
                "actor": self.actor,
                "detail": json.loads(json.dumps(detail, ensure_ascii=False, default=str)),
            }
        )
        log.debug("%s %s count=%d actor=%s %s", operation, collection, count, self.actor, detail)

    # -- instruments ----------------------------------------------------------------

    def upsert_instruments(self, items: Iterable[Instrument]) -> WriteResult:
        self._guard("upsert_instruments")
        rows = check_instruments(items)
        ops = []
        for r in rows:
            fields = _doc(r)
            code = fields.pop("code")
            ops.append(UpdateOne({"_id": code}, {"$set": fields}, upsert=True))
        result = self._bulk("instruments", ops)
        self._audit(
            "upsert_instruments", "instruments", result.inserted + result.updated, result.detail()
        )
        return result

    def _bulk(self, collection: str, ops: list[UpdateOne]) -> WriteResult:
        inserted = updated = matched = 0
        for i in range(0, len(ops), _BULK_CHUNK):
            res = self._c(collection).bulk_write(ops[i : i + _BULK_CHUNK], ordered=False)
            inserted += res.upserted_count
            updated += res.modified_count
            matched += res.matched_count
        return WriteResult(inserted, updated, matched - updated)

    def _instrument_filter(self, market: Market | None, query: str | None) -> dict[str, Any]:
        flt: dict[str, Any] = {}
        if market is not None:
            flt["market"] = Market(market).value
        if query:
            q = query.strip()
            flt["$or"] = [
                {"_id": {"$regex": "^" + re.escape(q.upper())}},
                {"name": {"$regex": re.escape(q)}},
            ]
        return flt

    def list_instruments(
        self,
        market: Market | None = None,
        query: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Instrument]:
        check_limit(limit)
        check_offset(offset)
        cursor = (
            self._c("instruments")
            .find(self._instrument_filter(market, query))
            .sort("_id", ASCENDING)
            .skip(offset)
            .limit(limit)
        )
        return [_instrument(d) for d in cursor]

    def count_instruments(self, market: Market | None = None, query: str | None = None) -> int:
        return self._c("instruments").count_documents(self._instrument_filter(market, query))

    def get_instrument(self, code: str) -> Instrument | None:
        doc = self._c("instruments").find_one({"_id": check_code(code)})
        return _instrument(doc) if doc else None

    # -- bars -----------------------------------------------------------------------

    def save_bars(self, bars: BarSeries | Iterable[Bar], source: str = "unknown") -> WriteResult:
        self._guard("save_bars")
        series = bars_to_series(bars)
        check_source(source)
        if len(series) == 0:
            return WriteResult()
        s = series.sorted()
        tf = s.timeframe.value
        stamps = [from_epoch(t) for t in s.ts.tolist()]
        cols = [
            s.open.tolist(),
            s.high.tolist(),
            s.low.tolist(),
            s.close.tolist(),
            s.volume.tolist(),
        ]
        values = [None if v == NO_VALUE else v for v in s.value.tolist()]
        ops = [
            UpdateOne(
                {"code": code, "tf": tf, "ts": ts},
                {"$set": dict(zip(_BAR_FIELDS, (o, h, lo, c, v, val), strict=True))},
                upsert=True,
            )
            for code, ts, o, h, lo, c, v, val in zip(
                s.code.tolist(), stamps, *cols, values, strict=True
            )
        ]
        result = self._bulk("bars", ops)
        codes, starts = np.unique(s.code, return_index=True)
        for code in codes.tolist():
            self._c("series").update_one(
                {"code": code, "tf": tf}, {"$set": {"source": source}}, upsert=True
            )
        self._audit(
            "save_bars",
            "bars",
            result.inserted + result.updated,
            {**result.detail(), "timeframe": tf, "codes": len(starts), "source": source},
        )
        return result

    def load_bars(
        self,
        code: str,
        timeframe: Timeframe | str,
        start: datetime | date | None = None,
        end: datetime | date | None = None,
        limit: int | None = None,
    ) -> BarSeries:
        code = check_code(code)
        tf = Timeframe(timeframe)
        lo, hi = time_range(start, end)
        check_limit(limit)
        flt: dict[str, Any] = {"code": code, "tf": tf.value}
        rng: dict[str, Any] = {}
        if lo is not None:
            rng["$gte"] = from_epoch(lo)
        if hi is not None:
            rng["$lte"] = from_epoch(hi)
        if rng:
            flt["ts"] = rng
        proj = {"_id": 0, "ts": 1, **dict.fromkeys(_BAR_FIELDS, 1)}
        cursor = self._c("bars").find(flt, proj)
        if limit is None:
            docs = list(cursor.sort("ts", ASCENDING))
        else:
            docs = list(cursor.sort("ts", DESCENDING).limit(limit))
            docs.reverse()
        return BarSeries.from_rows(tf, code, [_bar_row(d) for d in docs])

    def cross_section(self, timeframe: Timeframe | str, ts: datetime) -> BarSeries:
        tf = Timeframe(timeframe)
        at, _ = time_range(ts, None)
        docs = list(
            self._c("bars")
            .find({"tf": tf.value, "ts": from_epoch(int(at or 0))}, {"_id": 0})
            .sort("code", ASCENDING)
        )
        codes = np.array([d["code"] for d in docs], dtype="<U6")
        return BarSeries.from_rows(tf, codes, [_bar_row(d) for d in docs])

    def bar_overview(self, code: str | None = None) -> list[BarCoverage]:
        only = _match(code=None if code is None else check_code(code))
        sources = {
            (d["code"], d["tf"]): d.get("source") for d in self._c("series").find(only, {"_id": 0})
        }
        groups = self._c("bars").aggregate(
            [
                {"$match": only},
                {
                    "$group": {
                        "_id": {"code": "$code", "tf": "$tf"},
                        "count": {"$sum": 1},
                        "first": {"$min": "$ts"},
                        "last": {"$max": "$ts"},
                    }
                },
                {"$sort": {"_id.code": 1, "_id.tf": 1}},
            ]
        )
        out = [
            BarCoverage(
                g["_id"]["code"],
                Timeframe(g["_id"]["tf"]),
                g["count"],
                _aware(g["first"]),
                _aware(g["last"]),
                sources.get((g["_id"]["code"], g["_id"]["tf"])),
            )
            for g in groups
        ]
        return sorted(out, key=lambda c: (c.code, c.timeframe.value))

    def delete_bars(
        self,
        code: str,
        timeframe: Timeframe | str,
        start: datetime | date | None = None,
        end: datetime | date | None = None,
    ) -> int:
        self._guard("delete_bars")
        code = check_code(code)
        tf = Timeframe(timeframe).value
        lo, hi = time_range(start, end)
        flt: dict[str, Any] = {"code": code, "tf": tf}
        rng: dict[str, Any] = {}
        if lo is not None:
            rng["$gte"] = from_epoch(lo)
        if hi is not None:
            rng["$lte"] = from_epoch(hi)
        if rng:
            flt["ts"] = rng
        deleted = self._c("bars").delete_many(flt).deleted_count
        if self._c("bars").count_documents({"code": code, "tf": tf}, limit=1) == 0:
            self._c("series").delete_many({"code": code, "tf": tf})
        self._audit(
            "delete_bars",
            "bars",
            deleted,
            {"code": code, "timeframe": tf, "start": start, "end": end},
        )
        return deleted

    # -- flows ----------------------------------------------------------------------

    def save_flows(self, flows: Iterable[Flow]) -> WriteResult:
        self._guard("save_flows")
        rows = check_flows(flows)
        # Compare with what is stored first: "unchanged" must not depend on whether the
        # server detects no-op updates of sub-documents (emulators differ from mongod here).
        stored: dict[tuple[str, str, str], Flow] = {}
        for code in {f.code for f in rows}:
            days = [f.day.isoformat() for f in rows if f.code == code]
            for doc in self._c("flows").find(
                {"code": code, "day": {"$gte": min(days), "$lte": max(days)}}
            ):
                stored[(doc["code"], doc["kind"], doc["day"])] = _must(Flow, doc)
        ops, inserted, unchanged = [], 0, 0
        for f in rows:
            before = stored.get((f.code, f.kind.value, f.day.isoformat()))
            if before == f:
                unchanged += 1
                continue
            inserted += before is None
            doc = _doc(f)
            key = {k: doc.pop(k) for k in ("code", "kind", "day")}
            ops.append(UpdateOne(key, {"$set": doc}, upsert=True))
        if ops:
            self._bulk("flows", ops)
        result = WriteResult(inserted, len(ops) - inserted, unchanged)
        self._audit("save_flows", "flows", len(ops), result.detail())
        return result

    def load_flows(
        self,
        code: str,
        kind: FlowKind | str | None = None,
        start: date | None = None,
        end: date | None = None,
        limit: int | None = None,
    ) -> list[Flow]:
        code = check_code(code)
        date_range(start, end)
        check_limit(limit)
        flt: dict[str, Any] = {"code": code}
        if kind is not None:
            flt["kind"] = FlowKind(kind).value
        rng: dict[str, Any] = {}
        if start is not None:
            rng["$gte"] = start.isoformat()
        if end is not None:
            rng["$lte"] = end.isoformat()
        if rng:
            flt["day"] = rng
        cursor = self._c("flows").find(flt).sort([("day", DESCENDING), ("kind", ASCENDING)])
        if limit:
            cursor = cursor.limit(limit)
        return [_must(Flow, d) for d in reversed(list(cursor))]

    # -- accounts, orders, fills, positions -----------------------------------------

    def create_account(self, account: Account) -> Account:
        self._guard("create_account")
        check_record(account, Account)
        stored = account.model_copy(update={"version": 1})
        try:
            self._c("accounts").insert_one({"_id": account.account_id, **_doc(stored)})
        except DuplicateKeyError:
            raise DuplicateKey(f"계좌 {account.account_id}가 이미 있습니다") from None
        self._audit(
            "create_account",
            "accounts",
            1,
            {"account_id": account.account_id, "cash": account.cash},
        )
        return stored

    def update_account(self, account: Account) -> Account:
        self._guard("update_account")
        check_record(account, Account)
        new = self._cas("accounts", account.account_id, account)
        self._audit(
            "update_account",
            "accounts",
            1,
            {"account_id": account.account_id, "version": new.version},
        )
        return new

    def _cas[M: BaseModel](self, collection: str, key: str, record: M, session: Any = None) -> M:
        version = record.version  # type: ignore[attr-defined]
        new = record.model_copy(update={"version": version + 1})
        res = self._c(collection).update_one(
            {"_id": key, "version": version}, {"$set": _doc(new)}, session=session
        )
        if res.matched_count == 0:
            doc = self._c(collection).find_one({"_id": key}, {"version": 1}, session=session)
            if doc is None:
                raise NotFound(f"{collection}의 {key}가 없습니다")
            raise VersionConflict(
                f"{collection}의 {key}가 그사이 바뀌었습니다 (읽은 버전 {version}, 현재 "
                f"{doc['version']}); 다시 읽고 시도하세요"
            )
        return new

    def get_account(self, account_id: str) -> Account | None:
        return _load(Account, self._c("accounts").find_one({"_id": account_id}))

    def insert_order(self, order: Order) -> Order:
        self._guard("insert_order")
        check_record(order, Order)
        stored = order.model_copy(update={"version": 1})
        try:
            self._c("orders").insert_one(
                {"_id": order.client_id, "account_id": order.account_id, **_doc(stored)}
            )
        except DuplicateKeyError:
            existing = _must(Order, self._c("orders").find_one({"_id": order.client_id}))
            if existing.request != order.request:
                raise DuplicateKey(
                    f"주문 {order.client_id}가 다른 내용으로 이미 있습니다 (client_id 재사용)"
                ) from None
            self._audit(
                "insert_order", "orders", 0, {"client_id": order.client_id, "duplicate": True}
            )
            return existing
        self._audit("insert_order", "orders", 1, order_detail(stored))
        return stored

    def update_order(self, order: Order) -> Order:
        self._guard("update_order")
        check_record(order, Order)
        new = self._cas("orders", order.client_id, order)
        self._audit("update_order", "orders", 1, order_detail(new))
        return new

    def get_order(self, client_id: str) -> Order | None:
        return _load(Order, self._c("orders").find_one({"_id": client_id}))

    def list_orders(
        self,
        account_id: str | None = None,
        statuses: Iterable[OrderStatus] | None = None,
        limit: int = 100,
    ) -> list[Order]:
        check_limit(limit)
        wanted = status_values(statuses)
        flt = _match(account_id=account_id, status=None if wanted is None else {"$in": wanted})
        cursor = (
            self._c("orders")
            .find(flt)
            .sort([("created_at", DESCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        return [_must(Order, d) for d in cursor]

    def list_fills(
        self,
        account_id: str | None = None,
        client_id: str | None = None,
        limit: int = 1000,
        since: datetime | None = None,
    ) -> list[Fill]:
        check_limit(limit)
        flt = _match(account_id=account_id, client_id=client_id)
        if since is not None:
            if since.tzinfo is None:
                raise ValueError(
                    "since에는 시간대가 있는 시각을 주세요 (예: 2024-11-15T00:00+09:00)"
                )
            flt["ts"] = {"$gte": since}
        cursor = (
            self._c("fills")
            .find(flt)
            .sort([("ts", ASCENDING), ("fill_id", ASCENDING)])
            .limit(limit)
        )
        return [_must(Fill, d) for d in cursor]

    def _put_position(self, position: Position, session: Any = None) -> Position:
        key = f"{position.account_id}/{position.code}"
        if position.version == 0:
            new = position.model_copy(update={"version": 1})
            try:
                self._c("positions").insert_one({"_id": key, **_doc(new)}, session=session)
            except DuplicateKeyError:
                raise VersionConflict(
                    f"포지션 {key}가 이미 있습니다; 다시 읽고 시도하세요"
                ) from None
            return new
        try:
            return self._cas("positions", key, position, session=session)
        except NotFound:
            raise VersionConflict(f"포지션 {key}가 없습니다 (버전 {position.version})") from None

    def save_position(self, position: Position) -> Position:
        self._guard("save_position")
        check_record(position, Position)
        new = self._put_position(position)
        self._audit(
            "save_position",
            "positions",
            1,
            {"account_id": position.account_id, "code": position.code, "qty": position.qty},
        )
        return new

    def get_position(self, account_id: str, code: str) -> Position | None:
        return _load(
            Position, self._c("positions").find_one({"_id": f"{account_id}/{check_code(code)}"})
        )

    def list_positions(self, account_id: str) -> list[Position]:
        cursor = self._c("positions").find({"account_id": account_id}).sort("code", ASCENDING)
        return [_must(Position, d) for d in cursor]

    def _supports_transactions(self) -> bool:
        if self._transactions is None:
            try:
                hello = self.client.admin.command("hello")
                self._transactions = bool(hello.get("setName") or hello.get("msg") == "isdbgrid")
            except Exception:
                self._transactions = False
        return self._transactions

    def _check_versions(self, order: Order, position: Position, account: Account) -> None:
        """Without transactions, refuse stale records before the first write, not midway."""
        pos_key = f"{position.account_id}/{position.code}"
        for collection, key, version in (
            ("orders", order.client_id, order.version),
            ("positions", pos_key, position.version),
            ("accounts", account.account_id, account.version),
        ):
            doc = self._c(collection).find_one({"_id": key}, {"version": 1})
            current = 0 if doc is None else doc["version"]
            if current != version:
                raise VersionConflict(
                    f"{collection}의 {key}가 그사이 바뀌었습니다 (읽은 버전 {version}, "
                    f"현재 {current}); 다시 읽고 시도하세요"
                )

    def apply_fill(
        self, fill: Fill, order: Order, position: Position, account: Account
    ) -> FillOutcome:
        self._guard("apply_fill")
        for value, kind in ((fill, Fill), (order, Order), (position, Position), (account, Account)):
            check_record(value, kind)
        check_fill_matches(fill, order, position, account)
        fill_key = f"{fill.account_id}/{fill.fill_id}"
        existing = self._c("fills").find_one({"_id": fill_key})
        if existing is not None:
            if _must(Fill, existing) != fill:
                raise DuplicateKey(f"체결 {fill.fill_id}가 다른 내용으로 이미 있습니다")
            self._audit("apply_fill", "fills", 0, {"fill_id": fill.fill_id, "duplicate": True})
            return FillOutcome(
                False,
                _must(Order, self._c("orders").find_one({"_id": order.client_id})),
                _must(
                    Position,
                    self._c("positions").find_one(
                        {"_id": f"{position.account_id}/{position.code}"}
                    ),
                ),
                _must(Account, self._c("accounts").find_one({"_id": account.account_id})),
            )

        def write(session: Any) -> FillOutcome:
            self._c("fills").insert_one({"_id": fill_key, **_doc(fill)}, session=session)
            return FillOutcome(
                True,
                self._cas("orders", order.client_id, order, session=session),
                self._put_position(position, session=session),
                self._cas("accounts", account.account_id, account, session=session),
            )

        if self._supports_transactions():
            with self.client.start_session() as session:
                outcome = session.with_transaction(write)
        else:
            self._check_versions(order, position, account)
            outcome = write(None)
        self._audit(
            "apply_fill",
            "fills",
            1,
            fill_detail(fill),
        )
        return outcome

    # -- job runs, backtests, audit -------------------------------------------------

    def save_job_run(self, run: JobRun) -> JobRun:
        self._guard("save_job_run")
        check_record(run, JobRun)
        self._c("job_runs").replace_one({"_id": run.run_id}, _doc(run), upsert=True)
        self._audit(
            "save_job_run",
            "job_runs",
            1,
            {"run_id": run.run_id, "job": run.job, "status": run.status.value},
        )
        return run

    def audit_event(self, operation: str, collection: str, detail: dict[str, object]) -> None:
        self._guard(operation)
        self._audit(operation, collection, 0, dict(detail))

    def get_job_run(self, run_id: str) -> JobRun | None:
        return _load(JobRun, self._c("job_runs").find_one({"_id": run_id}))

    def list_job_runs(
        self, job: str | None = None, status: JobStatus | None = None, limit: int = 50
    ) -> list[JobRun]:
        check_limit(limit)
        flt = _match(job=job, status=None if status is None else JobStatus(status).value)
        cursor = (
            self._c("job_runs")
            .find(flt)
            .sort([("started_at", DESCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        return [_must(JobRun, d) for d in cursor]

    def save_backtest(self, result: BacktestResult) -> WriteResult:
        self._guard("save_backtest")
        check_record(result, BacktestResult)
        before = _load(BacktestResult, self._c("backtests").find_one({"_id": result.backtest_id}))
        if before is None:
            self._c("backtests").insert_one({"_id": result.backtest_id, **_doc(result)})
            out = WriteResult(inserted=1)
        elif before != result:
            self._c("backtests").replace_one({"_id": result.backtest_id}, _doc(result))
            out = WriteResult(updated=1)
        else:
            out = WriteResult(unchanged=1)
        self._audit(
            "save_backtest",
            "backtests",
            out.inserted + out.updated,
            {"backtest_id": result.backtest_id, "strategy": result.strategy},
        )
        return out

    def get_backtest(self, backtest_id: str) -> BacktestResult | None:
        return _load(BacktestResult, self._c("backtests").find_one({"_id": backtest_id}))

    def list_backtests(self, limit: int = 50, offset: int = 0) -> list[BacktestSummary]:
        check_limit(limit)
        check_offset(offset)
        cursor = self._c("backtests").aggregate(
            [  # the server leaves trades, equity and most codes behind
                {"$sort": {"created_at": DESCENDING, "_id": ASCENDING}},
                {"$skip": offset},
                {"$limit": limit},
                {"$project": {"trades": 0, "equity": 0}},
                {
                    "$addFields": {
                        "code_count": {"$size": "$codes"},
                        "codes": {"$slice": ["$codes", SUMMARY_CODES]},
                    }
                },
            ]
        )
        return [_must(BacktestSummary, d) for d in cursor]

    def count_backtests(self) -> int:
        return int(self._c("backtests").count_documents({}))

    def list_audit(
        self,
        operation: str | None = None,
        collection: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        check_limit(limit)
        since_ts = None if since is None else from_epoch(int(time_range(since, None)[0] or 0))
        flt = _match(
            operation=operation,
            collection=collection,
            ts=None if since_ts is None else {"$gte": since_ts},
        )
        cursor = (
            self._c("audit")
            .find(flt, {"_id": 0})
            .sort([("ts", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [_must(AuditEntry, d) for d in cursor]


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


def _bar_row(d: dict[str, Any]) -> tuple[int, ...]:
    value = d.get("value")
    return (
        int(_aware(d["ts"]).timestamp()),
        d["open"],
        d["high"],
        d["low"],
        d["close"],
        d["volume"],
        NO_VALUE if value is None else value,
    )


def _instrument(doc: dict[str, Any]) -> Instrument:
    return Instrument(
        code=doc["_id"],
        name=doc["name"],
        market=doc["market"],
        kind=doc["kind"],
        listed_on=doc.get("listed_on"),
        source=doc.get("source", "unknown"),
    )
