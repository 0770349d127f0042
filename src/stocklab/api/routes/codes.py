"""Instruments and their data: the list (search, filter, last close), one code, its prices
and flows. The price route reads the store's sorted range load and sends columns through
orjson's numpy path, so a year of bars costs no Python loop per row."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Response

from stocklab.api.deps import Code, Reader, when
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
from stocklab.store import NotFound, StoreReader
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
        raise NotFound(f"종목 {code}가 없습니다 (stocklab collect codes로 목록을 받으세요)")
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
        raise NotFound(f"종목 {code}가 없습니다")


@router.get(
    "/{code}/prices",
    response_model=PriceSeries,
    summary="가격 (일봉·분봉), 열 단위 배열",
)
def prices(
    code: Code,
    reader: Reader,
    tf: Annotated[Timeframe, Query(description="1d (일봉) 또는 1m (분봉)")] = Timeframe.DAY,
    start: Annotated[str | None, Query(description="YYYY-MM-DD 또는 ISO 시각 (포함)")] = None,
    end: Annotated[str | None, Query(description="YYYY-MM-DD 또는 ISO 시각 (포함)")] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description="최근 N개")] = None,
) -> Response:
    _known(reader, code)
    lo, hi = when("start", start), when("end", end)
    try:
        bars = reader.load_bars(code, tf, lo, hi, limit or DEFAULT_PRICE_LIMIT[tf])
    except ValueError as exc:
        raise BadParam("start" if "거꾸로" in str(exc) else "end", str(exc)) from None
    source = next((c.source for c in reader.bar_overview(code) if c.timeframe is tf), None)
    value = bars.value.astype(object)
    value[bars.value == NO_VALUE] = None
    body = {
        "code": code, "timeframe": tf.value, "source": source, "count": len(bars),
        "t": bars.ts, "open": bars.open, "high": bars.high, "low": bars.low,
        "close": bars.close, "volume": bars.volume, "value": value.tolist(),
    }  # fmt: skip
    return Response(
        orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json"
    )


@router.get(
    "/{code}/flows",
    response_model=FlowList,
    summary="수급·신용·공매도 (일별, 오래된 날부터; limit은 최근 N일)",
)
def flows(
    code: Code,
    reader: Reader,
    kind: Annotated[FlowKind | None, Query(description="investor, credit, short")] = None,
    start: Annotated[str | None, Query(description="YYYY-MM-DD")] = None,
    end: Annotated[str | None, Query(description="YYYY-MM-DD")] = None,
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
