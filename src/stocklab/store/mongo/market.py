"""The MongoDB backend's market data: instruments, bars, flows, the bar overview.

New bars are inserted and changed ones updated in unordered bulks, after the policy has
diffed them against what is stored; loads are sorted by the server. Each `series`
document (one per code and timeframe: count, first, last, source) is kept in step by
the same write, so the overview is a read of it, never an aggregate over the bars.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.client_session import ClientSession

from stocklab.barseries import NO_VALUE, BarSeries, from_epoch
from stocklab.model import Flow, Instrument, Timeframe
from stocklab.store.base import BarCoverage
from stocklab.store.mongo.connection import MongoBase, _aware, _doc, _match, _must
from stocklab.store.policy import FlowQuery, SeriesNote

_BULK_CHUNK = 5_000
_BAR_FIELDS = ("open", "high", "low", "close", "volume", "value")

Tx = ClientSession | None


class MongoMarketData(MongoBase):
    """`MarketData` on MongoDB."""

    def _bulk(self, tx: Tx, collection: str, ops: list[Any]) -> None:
        for i in range(0, len(ops), _BULK_CHUNK):
            self._c(collection).bulk_write(ops[i : i + _BULK_CHUNK], ordered=False, session=tx)

    def _insert_many(self, tx: Tx, collection: str, docs: list[dict[str, Any]]) -> None:
        for i in range(0, len(docs), _BULK_CHUNK):
            self._c(collection).insert_many(docs[i : i + _BULK_CHUNK], ordered=False, session=tx)

    # -- instruments ----------------------------------------------------------------

    def _instruments_of(self, tx: Tx, codes: list[str]) -> dict[str, Instrument]:
        found = self._c("instruments").find({"_id": {"$in": codes}}, session=tx)
        return {d["_id"]: _instrument(d) for d in found}

    def _write_instruments(self, tx: Tx, new: list[Instrument], changed: list[Instrument]) -> None:
        self._insert_many(tx, "instruments", [_instrument_doc(r) for r in new])
        ops = []
        for r in changed:
            fields = _instrument_doc(r)
            ops.append(UpdateOne({"_id": fields.pop("_id")}, {"$set": fields}))
        self._bulk(tx, "instruments", ops)

    def _instrument_filter(self, market: str | None, query: str | None) -> dict[str, Any]:
        flt: dict[str, Any] = _match(market=market)
        if query:
            flt["$or"] = [
                {"_id": {"$regex": "^" + re.escape(query.upper())}},
                {"name": {"$regex": re.escape(query)}},
            ]
        return flt

    def _list_instruments(
        self, market: str | None, query: str | None, limit: int, offset: int
    ) -> list[Instrument]:
        cursor = (
            self._c("instruments")
            .find(self._instrument_filter(market, query))
            .sort("_id", ASCENDING)
            .skip(offset)
            .limit(limit)
        )
        return [_instrument(d) for d in cursor]

    def _count_instruments(self, market: str | None, query: str | None) -> int:
        return self._c("instruments").count_documents(self._instrument_filter(market, query))

    # -- bars -----------------------------------------------------------------------

    def _series_spans(self, tx: Tx, tf: str, codes: list[str]) -> dict[str, tuple[int, int]]:
        docs = self._c("series").find({"tf": tf, "code": {"$in": codes}}, session=tx)
        return {d["code"]: (d.get("first", -(2**62)), d.get("last", 2**62)) for d in docs}

    def _stored_bars(self, tx: Tx, code: str, tf: str, lo: int, hi: int) -> np.ndarray:
        docs = (
            self._c("bars")
            .find(
                {"code": code, "tf": tf, "ts": {"$gte": from_epoch(lo), "$lte": from_epoch(hi)}},
                {"_id": 0, "ts": 1, **dict.fromkeys(_BAR_FIELDS, 1)},
                session=tx,
            )
            .sort("ts", ASCENDING)
        )
        return np.array([_bar_row(d) for d in docs], dtype=np.int64).reshape(-1, 7)

    def _write_bars(self, tx: Tx, new: BarSeries, changed: BarSeries) -> None:
        tf = new.timeframe.value
        self._insert_many(
            tx, "bars", [{"code": c, "tf": tf, "ts": t, **f} for c, t, f in _bars(new)]
        )
        self._bulk(
            tx,
            "bars",
            [UpdateOne({"code": c, "tf": tf, "ts": t}, {"$set": f}) for c, t, f in _bars(changed)],
        )

    def _note_series(self, tx: Tx, tf: str, notes: list[SeriesNote], source: str) -> None:
        stored = {
            d["code"]: d
            for d in self._c("series").find(
                {"tf": tf, "code": {"$in": [n.code for n in notes]}}, session=tx
            )
        }
        for n in notes:
            before = stored.get(n.code, {})
            self._c("series").replace_one(
                {"code": n.code, "tf": tf},
                {
                    "code": n.code,
                    "tf": tf,
                    "count": before.get("count", 0) + n.added,
                    "first": min(before.get("first", n.first), n.first),
                    "last": max(before.get("last", n.last), n.last),
                    "source": source,
                },
                upsert=True,
                session=tx,
            )

    def _delete_bars(self, tx: Tx, code: str, tf: str, lo: int, hi: int) -> int:
        key = {"code": code, "tf": tf}
        rng: dict[str, Any] = {}
        if lo > -(2**61):  # the policy's open ends are ±2**62
            rng["$gte"] = from_epoch(lo)
        if hi < 2**61:
            rng["$lte"] = from_epoch(hi)
        flt = {**key, "ts": rng} if rng else key
        deleted = self._c("bars").delete_many(flt, session=tx).deleted_count
        count = self._c("bars").count_documents(key, session=tx)
        if count == 0:
            self._c("series").delete_many(key, session=tx)
            return deleted
        ends = [
            next(iter(self._c("bars").find(key, {"ts": 1}, session=tx).sort("ts", way).limit(1)))
            for way in (ASCENDING, DESCENDING)
        ]
        self._c("series").update_one(
            key,
            {
                "$set": {
                    "count": count,
                    "first": int(_aware(ends[0]["ts"]).timestamp()),
                    "last": int(_aware(ends[1]["ts"]).timestamp()),
                }
            },
            session=tx,
        )
        return deleted

    def _load_bars(
        self, code: str, tf: Timeframe, lo: int | None, hi: int | None, limit: int | None
    ) -> BarSeries:
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

    def _cross_section(self, tf: Timeframe, at: int) -> BarSeries:
        docs = list(
            self._c("bars")
            .find({"tf": tf.value, "ts": from_epoch(at)}, {"_id": 0})
            .sort("code", ASCENDING)
        )
        codes = np.array([d["code"] for d in docs], dtype="<U6")
        return BarSeries.from_rows(tf, codes, [_bar_row(d) for d in docs])

    def _bar_overview(self, code: str | None) -> list[BarCoverage]:
        docs = self._c("series").find({**_match(code=code), "count": {"$gt": 0}}, {"_id": 0})
        out = [
            BarCoverage(
                d["code"],
                Timeframe(d["tf"]),
                d["count"],
                from_epoch(d["first"]),
                from_epoch(d["last"]),
                d.get("source"),
            )
            for d in docs
        ]
        return sorted(out, key=lambda c: (c.code, c.timeframe.value))

    # -- flows ----------------------------------------------------------------------

    def _flows_of(self, tx: Tx, rows: list[Flow]) -> dict[tuple[str, str, str], Flow]:
        # Compare with what is stored first: "unchanged" must not depend on whether the
        # server detects no-op updates of sub-documents (emulators differ from mongod here).
        stored: dict[tuple[str, str, str], Flow] = {}
        for code in {f.code for f in rows}:
            days = [f.day.isoformat() for f in rows if f.code == code]
            for doc in self._c("flows").find(
                {"code": code, "day": {"$gte": min(days), "$lte": max(days)}}, session=tx
            ):
                stored[(doc["code"], doc["kind"], doc["day"])] = _must(Flow, doc)
        return stored

    def _write_flows(self, tx: Tx, new: list[Flow], changed: list[Flow]) -> None:
        ops = []
        for f in [*new, *changed]:
            doc = _doc(f)
            key = {k: doc.pop(k) for k in ("code", "kind", "day")}
            ops.append(UpdateOne(key, {"$set": doc}, upsert=True))
        self._bulk(tx, "flows", ops)

    def _load_flows(self, q: FlowQuery) -> list[Flow]:
        flt: dict[str, Any] = _match(code=q.code, kind=q.kind)
        rng = _match(**{"$gte": q.start, "$lte": q.end})
        if rng:
            flt["day"] = rng
        cursor = self._c("flows").find(flt).sort([("day", DESCENDING), ("kind", ASCENDING)])
        if q.limit:
            cursor = cursor.limit(q.limit)
        return [_must(Flow, d) for d in reversed(list(cursor))]


def _bars(s: BarSeries) -> list[tuple[str, Any, dict[str, Any]]]:
    """(code, time, fields) of each bar; an unknown traded value is stored as null."""
    values = [None if v == NO_VALUE else v for v in s.value.tolist()]
    cols = (s.open.tolist(), s.high.tolist(), s.low.tolist(), s.close.tolist(), s.volume.tolist())
    return [
        (code, from_epoch(ts), dict(zip(_BAR_FIELDS, row, strict=True)))
        for code, ts, *row in zip(s.code.tolist(), s.ts.tolist(), *cols, values, strict=True)
    ]


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


def _instrument_doc(r: Instrument) -> dict[str, Any]:
    doc = _doc(r)
    return {"_id": doc.pop("code"), **doc}


def _instrument(doc: dict[str, Any]) -> Instrument:
    return Instrument(
        code=doc["_id"],
        name=doc["name"],
        market=doc["market"],
        kind=doc["kind"],
        listed_on=doc.get("listed_on"),
        source=doc.get("source", "unknown"),
    )
