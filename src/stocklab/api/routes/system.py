"""Health, market status and the store overview: what the dashboard reads."""

from __future__ import annotations

import platform
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from stocklab import __version__
from stocklab.api.deps import Reader, SettingsDep, when
from stocklab.api.errors import BadParam
from stocklab.api.schemas import Coverage, Health, MarketStatusOut, Overview, problems
from stocklab.bounds import (
    FIRST_STATUS_DAY,
    LAST_STATUS_DAY,
    STATUS_PATTERN,
    day_range,
)
from stocklab.krx import CalendarRangeError, is_trading_day, market_status
from stocklab.scheduler.service import read_heartbeat

AT_RANGE = day_range(FIRST_STATUS_DAY, LAST_STATUS_DAY)
router = APIRouter(prefix="/api", tags=["system"], responses=problems(400, 401, 422, 503))


@router.get("/health", response_model=Health, summary="상태: 저장소, 스케줄러, 버전")
def health(reader: Reader, settings: SettingsDep) -> Health:
    """Never fails: a store that does not answer, or fails its quick integrity check, is
    `degraded` with the reason in `store.problem`."""
    problem = reader.health()
    beat = read_heartbeat(settings)
    return Health(
        status="ok" if problem is None and beat else "degraded",
        version=__version__,
        python=platform.python_version(),
        time=settings.now(),
        store={"reachable": problem is None, "backend": reader.backend, "problem": problem},
        scheduler={
            "alive": beat is not None,
            "pid": beat["pid"] if beat else None,
            "heartbeat": beat["heartbeat"] if beat else None,
        },
    )


@router.get("/market/status", response_model=MarketStatusOut, summary="지금 장 상태 (KST)")
def status(
    settings: SettingsDep,
    at: Annotated[
        str | None,
        Query(
            description=f"이 시각 기준 (RFC 3339, 시간대 포함; {AT_RANGE}); 기본: 지금",
            json_schema_extra={
                "anyOf": [{"type": "string", "format": "date-time", "pattern": STATUS_PATTERN}]
            },
        ),
    ] = None,
) -> MarketStatusOut:
    moment = when("at", at, FIRST_STATUS_DAY, LAST_STATUS_DAY) if at is not None else settings.now()
    if not isinstance(moment, datetime):
        raise BadParam("at", "날짜가 아니라 시각이 필요합니다 (예: 2024-01-02T09:30:00+09:00)")
    try:
        s = market_status(moment)  # type: ignore[arg-type]
        trading = is_trading_day(s.at.date())
    except CalendarRangeError as exc:
        raise BadParam("at", str(exc)) from None
    return MarketStatusOut(
        at=s.at,
        phase=s.phase,
        session_day=s.session_day,
        next_open=s.next_open,
        is_trading_day=trading,
    )


@router.get("/store/overview", response_model=Overview, summary="보관 중인 자료: 종목·주기별")
def overview(reader: Reader) -> Overview:
    series = reader.bar_overview()
    return Overview(
        codes=len({c.code for c in series}),
        bars=sum(c.count for c in series),
        instruments=reader.count_instruments(),
        series=[
            Coverage(
                code=c.code,
                timeframe=c.timeframe,
                count=c.count,
                first=c.first,
                last=c.last,
                source=c.source,
            )
            for c in series
        ],
    )
