"""The MongoDB backend's market data: instruments, bars, flows, the bar overview.

Bars are written with unordered bulk upserts (whose counts give inserted/updated/
unchanged) and loads are sorted by the server.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import numpy as np
from pymongo import ASCENDING, DESCENDING, UpdateOne

from stocklab.barseries import NO_VALUE, BarSeries, from_epoch
from stocklab.model import (
    Bar,
    Flow,
    FlowKind,
    Instrument,
    Market,
    Timeframe,
    check_code,
)
from stocklab.store.base import (
    BarCoverage,
    WriteResult,
    bars_to_series,
    check_flows,
    check_instruments,
    check_limit,
    check_offset,
    check_source,
    date_range,
    time_range,
)
from stocklab.store.mongo.connection import (
    MongoBase,
    _aware,
    _doc,
    _match,
    _must,
    _translate_errors,
)

_BULK_CHUNK = 5_000

_BAR_FIELDS = ("open", "high", "low", "close", "volume", "value")


@_translate_errors
class MongoMarketData(MongoBase):
    """`MarketData` on MongoDB."""

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
