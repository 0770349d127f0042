"""Instruments and their data: the list (search, filter, last close), one code, its prices
and flows. The price route reads the store's sorted range load and sends columns through
orjson's numpy path, so a year of bars costs no Python loop per row."""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from stocklab.api.deps import DAY_OR_MOMENT, DAY_OR_MOMENT_HELP, Code, Moment, Reader, when
from stocklab.api.errors import BadParam
from stocklab.api.schemas import (
    CodeDetail,
    CodePage,
    CodeRow,
    Coverage,
    FlowList,
    FlowRow,
    PriceSeries,
    problems,
)
from stocklab.barseries import NO_VALUE
from stocklab.krx import previous_trading_day
from stocklab.model import KST, FlowKind, Market, Timeframe
from stocklab.store import StoreReader
from stocklab.store.base import MAX_LIMIT

router = APIRouter(prefix="/api/codes", tags=["codes"], responses=problems(400, 401, 404, 422, 503))

DEFAULT_PRICE_LIMIT = {Timeframe.DAY: 5_000, Timeframe.MINUTE: 2_000}


class _LastCloses:
    """Last close and change of every code, recomputed only when a new day is stored."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[int, int] | None = None
        self._rows: dict[str, tuple[int, int | None, int | None, Any]] = {}

    def get(self, reader: StoreReader) -> dict[str, tuple[int, int | None, int | None, Any]]:
        daily = [c for c in reader.bar_overview() if c.timeframe is Timeframe.DAY]
        if not daily:
            return {}
        last = max(c.last for c in daily)
        key = (int(last.timestamp()), len(daily))
        with self._lock:
            if key != self._key:
                self._rows = _closes(reader, last)
                self._key = key
            return self._rows


def _closes(
    reader: StoreReader, last: datetime
) -> dict[str, tuple[int, int | None, int | None, Any]]:
    today = reader.cross_section(Timeframe.DAY, last)
    prev_day = previous_trading_day(last.astimezone(KST).date())
    before = reader.cross_section(
        Timeframe.DAY, datetime.combine(prev_day, datetime.min.time(), KST)
    )
    prev = dict(zip(before.code.tolist(), before.close.tolist(), strict=True))
    out = {}
    day = last.astimezone(KST).date()
    for code, close in zip(today.code.tolist(), today.close.tolist(), strict=True):
        p = prev.get(code)
        change = None if p is None else close - p
        bp = None if p is None else round(change * 10_000 / p)
        out[code] = (close, change, bp, day)
    return out


LAST_CLOSES = _LastCloses()


@router.get("", response_model=CodePage, summary="종목 목록: 검색·시장 필터·페이지")
def list_codes(
    reader: Reader,
    market: Annotated[Market | None, Query(description="KOSPI, KOSDAQ, KONEX")] = None,
    q: Annotated[
        str | None, Query(max_length=40, description="종목코드 앞부분 또는 이름 일부")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=5_000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CodePage:
    query = q.strip() if q else None
    items = reader.list_instruments(market=market, query=query, limit=limit, offset=offset)
    total = reader.count_instruments(market=market, query=query)
    closes = LAST_CLOSES.get(reader)
    rows = []
    for inst in items:
        close, change, bp, day = closes.get(inst.code, (None, None, None, None))
        rows.append(
            CodeRow(
                code=inst.code,
                name=inst.name,
                market=inst.market,
                kind=inst.kind,
                source=inst.source,
                last_close=close,
                change=change,
                change_bp=bp,
                last_date=day,
            )
        )
    return CodePage(total=total, limit=limit, offset=offset, items=rows)


@router.get("/{code}", response_model=CodeDetail, summary="종목 하나: 정보와 보관 중인 자료")
def get_code(code: Code, reader: Reader) -> CodeDetail:
    inst = reader.get_instrument(code)
    if inst is None:
        raise BadParam(
            "code", f"종목 {code}가 없습니다 (stocklab collect codes로 목록을 받으세요)", 404
        )
    coverage = [
        Coverage(
            code=c.code,
            timeframe=c.timeframe,
            count=c.count,
            first=c.first,
            last=c.last,
            source=c.source,
        )
        for c in reader.bar_overview(code)
    ]
    simulated = inst.source == "sim" or any(c.source == "sim" for c in coverage)
    return CodeDetail(instrument=inst, coverage=coverage, simulated=simulated)


def _known(reader: StoreReader, code: str) -> None:
    if reader.get_instrument(code) is None:
        raise BadParam("code", f"종목 {code}가 없습니다", 404)


# A read of up to this many bars from the embedded store takes a few milliseconds, less
# than handing it to the thread pool and back would cost, so it runs on the event loop;
# larger ones, and every read that crosses a network (MongoDB), go to the pool.
INLINE_BARS = 5_000


def _query_param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}  # fmt: skip


PRICE_QUERY = [
    _query_param(
        "tf", {"type": "string", "enum": [t.value for t in Timeframe], "default": "1d"},
        "1d (일봉) 또는 1m (분봉)",
    ),
    _query_param("start", DAY_OR_MOMENT, DAY_OR_MOMENT_HELP),
    _query_param("end", DAY_OR_MOMENT, DAY_OR_MOMENT_HELP),
    _query_param(
        "limit",
        {"anyOf": [{"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, {"type": "null"}]},
        "최근 N개",
    ),
]  # fmt: skip
"""The price route's query as the OpenAPI document shows it (the route reads it itself)."""


def price_query(
    query: Mapping[str, str],
) -> tuple[Timeframe, date | datetime | None, date | datetime | None, int | None]:
    """tf, start, end and limit by the rules `PRICE_QUERY` declares; a 400 names the one
    at fault. FastAPI's own per-parameter checks cost more than reading a year of bars."""
    text = query.get("tf", Timeframe.DAY.value)
    try:
        tf = Timeframe(text)
    except ValueError:
        raise BadParam("tf", f"{text!r}: 1d (일봉) 또는 1m (분봉)이어야 합니다") from None
    limit: int | None = None
    if (text := query.get("limit")) is not None:
        try:
            limit = int(text)
        except ValueError:
            raise BadParam("limit", f"{text!r}는 정수가 아닙니다") from None
        if not 1 <= limit <= MAX_LIMIT:
            raise BadParam("limit", f"{limit:,}: 1에서 {MAX_LIMIT:,} 사이여야 합니다")
    return tf, when("start", query.get("start")), when("end", query.get("end")), limit


@router.get(
    "/{code}/prices",
    response_model=PriceSeries,
    summary="가격 (일봉·분봉), 열 단위 배열",
    openapi_extra={"parameters": PRICE_QUERY},
)
async def prices(code: Code, reader: Reader, request: Request) -> Response:
    tf, lo, hi, limit = price_query(request.query_params)
    most = limit or DEFAULT_PRICE_LIMIT[tf]
    work = functools.partial(_price_body, reader, code, tf, lo, hi, most)
    inline = most <= INLINE_BARS and reader.backend == "sqlite"
    body = work() if inline else await run_in_threadpool(work)
    return Response(body, media_type="application/json")


def _price_body(
    reader: StoreReader,
    code: str,
    tf: Timeframe,
    lo: date | datetime | None,
    hi: date | datetime | None,
    limit: int,
) -> bytes:
    try:
        bars = reader.load_bars(code, tf, lo, hi, limit)
    except ValueError as exc:
        raise BadParam("start" if "거꾸로" in str(exc) else "end", str(exc)) from None
    if not len(bars):
        _known(reader, code)  # no bars: an empty answer for a known code, else 404
    source = next((c.source for c in reader.bar_overview(code) if c.timeframe is tf), None)
    missing = bars.value == NO_VALUE
    value: Any = bars.value
    if missing.any():  # null where the source gave no traded value
        value = value.astype(object)
        value[missing] = None
        value = value.tolist()
    body = {
        "code": code, "timeframe": tf.value, "source": source, "count": len(bars),
        "t": bars.ts, "open": bars.open, "high": bars.high, "low": bars.low,
        "close": bars.close, "volume": bars.volume, "value": value,
    }  # fmt: skip
    return orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)


@router.get(
    "/{code}/flows",
    response_model=FlowList,
    summary="수급·신용·공매도 (일별, 오래된 날부터; limit은 최근 N일)",
)
def flows(
    code: Code,
    reader: Reader,
    kind: Annotated[FlowKind | None, Query(description="investor, credit, short")] = None,
    start: Moment = None,
    end: Moment = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 250,
) -> FlowList:
    _known(reader, code)
    lo, hi = when("start", start), when("end", end)
    days = [v.date() if isinstance(v, datetime) else v for v in (lo, hi)]
    if days[0] and days[1] and days[0] > days[1]:
        raise BadParam("start", f"기간이 거꾸로입니다: start {days[0]} > end {days[1]}")
    rows = reader.load_flows(code, kind, days[0], days[1], limit)
    items = [FlowRow(day=r.day, kind=r.kind, values=r.values, source=r.source) for r in rows]
    return FlowList(code=code, count=len(items), items=items)
