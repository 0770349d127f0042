"""Response shapes, so the OpenAPI document says exactly what each route returns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from stocklab.model import FlowKind, Instrument, JobStatus, Market, SecurityKind, Timeframe


class Problem(BaseModel):
    """An error (RFC 9457 problem details); `detail` says what was wrong and what to do."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str
    param: str | None = Field(default=None, description="the parameter at fault, if one is")
    rule: str | None = Field(default=None, description="for a refused order: the rule's name")
    source: str | None = Field(default=None, description="the data source or broker that failed")
    error: str | None = Field(
        default=None, description="the source's error kind (SourceUnavailable, AuthError…)"
    )
    hint: str | None = Field(default=None, description="what to do about the source's error")
    limit: int | None = Field(default=None, description="for a 413: the route's body limit (bytes)")
    correlation_id: str | None = Field(
        default=None, description="for a 500: the id of its traceback in the server's log"
    )


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer with."""
    meaning = {
        400: "잘못된 값 (param이 어느 인자인지 알려 줌)",
        401: "토큰이 없거나 틀림",
        404: "없는 종목·주소",
        409: "같은 키가 다른 주문에 쓰였거나, 이미 끝난 주문",
        413: "요청 본문이 이 주소의 한도보다 큼 (limit가 한도, 바이트)",
        422: "형식이 맞지 않는 인자",
        429: "대기·실행 중인 작업이 한도에 닿음 (Retry-After 초 뒤에 다시)",
        503: "저장소, 시세 출처 또는 브로커에 닿을 수 없음 (source·hint가 알려 줌)",
    }
    return {
        code: {
            "description": meaning[code],
            "content": {"application/problem+json": {"schema": Problem.model_json_schema()}},
        }
        for code in codes
    }


class Health(BaseModel):
    status: str = Field(description="ok | degraded")
    version: str
    python: str
    time: datetime
    store: dict[str, Any]
    scheduler: dict[str, Any]


class CodeRow(BaseModel):
    code: str
    name: str
    market: Market
    kind: SecurityKind
    source: str
    last_close: int | None = None
    change: int | None = Field(default=None, description="전일 대비 (원)")
    change_bp: int | None = Field(default=None, description="등락률 (bp, 1% = 100)")
    last_date: date | None = None


class CodePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[CodeRow]


class Coverage(BaseModel):
    code: str
    timeframe: Timeframe
    count: int
    first: datetime
    last: datetime
    source: str | None


class CodeDetail(BaseModel):
    instrument: Instrument
    coverage: list[Coverage]
    simulated: bool


class PriceSeries(BaseModel):
    """Columns, not rows: one array per field, index-aligned (what charts consume)."""

    code: str
    timeframe: Timeframe
    source: str | None
    count: int
    t: list[int] = Field(description="epoch seconds (daily bars: 00:00 KST of the trading date)")
    open: list[int]
    high: list[int]
    low: list[int]
    close: list[int]
    volume: list[int]
    value: list[int | None]


class FlowRow(BaseModel):
    day: date
    kind: FlowKind
    values: dict[str, int]
    source: str


class FlowList(BaseModel):
    code: str
    count: int
    items: list[FlowRow]


class MarketStatusOut(BaseModel):
    at: datetime
    phase: str
    session_day: date | None
    next_open: datetime
    is_trading_day: bool


class PlannedJobOut(BaseModel):
    name: str
    description: str
    cron: str
    enabled: bool
    trading_days_only: bool
    timeout: int
    next_run: datetime | None
    last_status: JobStatus | None = None
    last_started: datetime | None = None


class JobList(BaseModel):
    scheduler_alive: bool
    jobs: list[PlannedJobOut]


class JobRunOut(BaseModel):
    run_id: str
    job: str
    status: JobStatus
    trigger: str
    started_at: datetime
    ended_at: datetime | None
    pid: int | None
    rows: int
    counts: dict[str, int]
    error: str | None
    log_tail: str


class RunAccepted(BaseModel):
    run_id: str
    job: str
    status: JobStatus


class Overview(BaseModel):
    codes: int
    bars: int
    instruments: int
    series: list[Coverage]
