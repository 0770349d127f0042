"""Backtests (start one, list them, read one with its report and charts) and indicators over
a code's stored bars.

Starting a backtest is a mutating route (token required): it checks the request against
the store at once, then runs the `backtest` job in a child process and answers 202 with
the run id and the backtest id the result will be stored under. The report page and its
charts are the files the job wrote under `<home>/backtests/<id>/`, served by name.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import numpy as np
import orjson
from fastapi import APIRouter, Query, Request, Response, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from stocklab.analysis.indicators import NAME_PATTERN, NAMES_HELP, compute, lookback
from stocklab.api.deps import (
    Code,
    Moment,
    Reader,
    SettingsDep,
    when,
)
from stocklab.api.errors import BadParam
from stocklab.api.routes.codes import DEFAULT_PRICE_LIMIT
from stocklab.api.schemas import problems
from stocklab.backtest.layout import MAX_CASH
from stocklab.backtest.report import CHARTS, REPORT, report_dir
from stocklab.backtest.result import new_backtest_id
from stocklab.barseries import from_epoch
from stocklab.model import SUMMARY_CODES, BacktestResult, JobStatus, Timeframe
from stocklab.store import NotFound, StoreReader
from stocklab.store.base import MAX_LIMIT
from stocklab.trading.strategy import STRATEGIES, get_strategy

read_router = APIRouter(prefix="/api", responses=problems(400, 401, 404, 422, 503))
write_router = APIRouter(prefix="/api", responses=problems(400, 401, 422, 503))

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
BacktestId = Annotated[str, PathParam(pattern=ID_PATTERN, description="백테스트 id (bt-…)")]
MAX_NAMES = 20
NAMES_PATTERN = rf"^{NAME_PATTERN}(?:,{NAME_PATTERN}){{0,{MAX_NAMES - 1}}}$"


class BacktestIn(BaseModel):
    """What to backtest. Codes default to every code with bars of the strategy's timeframe."""

    model_config = ConfigDict(extra="forbid")

    strategy: str = Field(min_length=1, max_length=64, description="전략 이름 (예: sma_cross)")
    params: dict[str, Any] = Field(
        default_factory=dict, description='전략 인자 (예: {"fast": 5, "slow": 20})'
    )
    codes: list[Annotated[str, Field(pattern=r"^[0-9A-Z]{6}$")]] = Field(
        default_factory=list, max_length=5_000, description="종목코드 (비우면 저장된 전 종목)"
    )
    start: date | None = Field(default=None, description="첫날 (포함)")
    end: date | None = Field(default=None, description="마지막 날 (포함)")
    cash: int = Field(
        default=10_000_000,
        ge=10_000,
        le=MAX_CASH,
        description="시작 자금 (원): 종목별 계좌면 계좌마다, 공유 자금이면 전체",
    )
    shared_cash: bool = Field(default=False, description="true: 한 계좌를 모든 종목이 나눠 씀")
    participation: Decimal = Field(
        default=Decimal("0.1"),
        gt=0,
        le=1,
        decimal_places=4,
        description="한 봉 거래량 중 체결에 쓸 수 있는 비율",
    )


class BacktestAccepted(BaseModel):
    run_id: str = Field(description="작업 실행 id: GET /api/jobs/runs/{run_id}로 상태 확인")
    job: str
    status: JobStatus
    backtest_id: str = Field(description="끝나면 GET /api/backtests/{backtest_id}로 결과")


class _BacktestHead(BaseModel):
    backtest_id: str
    strategy: str
    params: dict[str, Any] = Field(
        description="strategy (전략 인자), timeframe, cash, shared_cash, commission_rate, "
        "participation"
    )
    start: date
    end: date
    created_at: datetime
    stats: dict[str, float | int | None] = Field(
        description="total_return, annual_return, volatility, sharpe, sortino, max_drawdown "
        "(비율), max_drawdown_duration (거래일), trades, win_rate, profit_factor, "
        "avg_trade_pnl, exposure, turnover, commission, tax, costs (원) …"
    )


class BacktestSummary(_BacktestHead):
    """A backtest in a list: no trades or equity, and only its first codes."""

    codes: list[str] = Field(max_length=SUMMARY_CODES, description="처음 20개까지의 종목코드")
    code_count: int = Field(ge=0, description="종목 수")


class BacktestPage(BaseModel):
    total: int = Field(ge=0)
    limit: int
    offset: int
    items: list[BacktestSummary]


class BacktestLinks(BaseModel):
    report: str | None = Field(description="HTML 보고서 (파일이 없으면 null)")
    json_export: str = Field(description="결과 JSON 내려받기")
    charts: list[str] = Field(description="PNG 차트 주소")


class BacktestRecord(_BacktestHead):
    """The stored record (what result.json holds)."""

    codes: list[str]
    trades: list[dict[str, Any]] = Field(
        description="code, entry_at, exit_at (보유 중이면 null), qty, entry_price, exit_price, "
        "bought, sold, commission, tax, pnl, return, bars, reason"
    )
    equity: list[tuple[date, int]] = Field(description="(날짜, 자산 원) 일별")


class BacktestDetail(BacktestRecord):
    code_count: int = Field(ge=0, description="종목 수")
    links: BacktestLinks


class IndicatorSeries(BaseModel):
    """Indicator columns aligned with `t` (the price route's times); null where undefined."""

    code: str
    timeframe: Timeframe
    count: int
    t: list[int] = Field(description="epoch seconds, as in /api/codes/{code}/prices")
    columns: dict[str, list[float | None]]


class PngResponse(Response):
    media_type = "image/png"


def _record(reader: StoreReader, backtest_id: str) -> BacktestResult:
    found = reader.get_backtest(backtest_id)
    if found is None:
        raise NotFound(
            f"백테스트 {backtest_id}가 없습니다 (아직 실행 중이거나 실패했을 수 있습니다)"
        )
    return found


@read_router.get(
    "/backtests",
    response_model=BacktestPage,
    tags=["backtests"],
    summary="백테스트 목록 (최근 것부터, 요약만: 거래·자산 곡선은 하나씩 GET으로)",
)
def list_backtests(
    reader: Reader,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> BacktestPage:
    items = [BacktestSummary(**s.model_dump()) for s in reader.list_backtests(limit, offset)]
    return BacktestPage(total=reader.count_backtests(), limit=limit, offset=offset, items=items)


@read_router.get(
    "/backtests/{backtest_id}",
    response_model=BacktestDetail,
    tags=["backtests"],
    summary="백테스트 하나: 설정, 통계, 거래, 자산 곡선, 보고서·차트 주소",
)
def get_backtest(backtest_id: BacktestId, reader: Reader, settings: SettingsDep) -> BacktestDetail:
    record = _record(reader, backtest_id)
    folder = report_dir(settings.home, backtest_id)
    base = f"/api/backtests/{backtest_id}"
    charts = sorted(p.stem for p in (folder / CHARTS).glob("*.png"))
    links = BacktestLinks(
        report=f"{base}/report" if (folder / REPORT).is_file() else None,
        json_export=f"{base}/result.json",
        charts=[f"{base}/{CHARTS}/{name}.png" for name in charts],
    )
    return BacktestDetail(**record.model_dump(), code_count=len(record.codes), links=links)


@read_router.get(
    "/backtests/{backtest_id}/result.json",
    response_model=BacktestRecord,
    tags=["backtests"],
    summary="결과 JSON 내려받기 (저장된 기록 그대로)",
)
def export(backtest_id: BacktestId, reader: Reader, response: Response) -> BacktestRecord:
    record = _record(reader, backtest_id)
    response.headers["Content-Disposition"] = f'attachment; filename="{backtest_id}.json"'
    return BacktestRecord(**record.model_dump())


@read_router.get(
    "/backtests/{backtest_id}/report",
    response_class=HTMLResponse,
    tags=["backtests"],
    summary="HTML 보고서 (차트는 같은 주소 아래 chart/*.png)",
    responses={200: {"content": {"text/html": {}}, "description": "보고서 페이지"}},
)
def report(backtest_id: BacktestId, reader: Reader, settings: SettingsDep) -> FileResponse:
    _record(reader, backtest_id)
    page = report_dir(settings.home, backtest_id) / REPORT
    if not page.is_file():
        raise NotFound(
            f"백테스트 {backtest_id}의 보고서 파일이 없습니다: "
            f"`stocklab backtest show {backtest_id} --report`로 다시 만드세요"
        )
    return FileResponse(page, media_type="text/html; charset=utf-8")


@read_router.get(
    "/backtests/{backtest_id}/chart/{name}.png",
    response_class=PngResponse,
    tags=["backtests"],
    summary="보고서의 PNG 차트 (equity, price-CODE)",
    responses={200: {"content": {"image/png": {}}, "description": "PNG 그림"}},
)
def chart(
    backtest_id: BacktestId,
    name: Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{1,40}$")],
    reader: Reader,
    settings: SettingsDep,
) -> FileResponse:
    _record(reader, backtest_id)
    path = report_dir(settings.home, backtest_id) / CHARTS / f"{name}.png"
    if not path.is_file():
        raise NotFound(f"백테스트 {backtest_id}에 {name}.png 차트가 없습니다")
    return FileResponse(path, media_type="image/png")


def _check(request: BacktestIn, reader: StoreReader) -> None:
    """Refuse at once what the job would refuse, naming the field."""
    if request.strategy not in STRATEGIES:
        raise BadParam(
            "strategy", f"알 수 없는 전략 {request.strategy!r} (있는 전략: {', '.join(STRATEGIES)})"
        )
    try:
        strategy = get_strategy(request.strategy, request.params)
    except ValueError as exc:
        raise BadParam("params", str(exc)) from None
    if request.start and request.end and request.start > request.end:
        raise BadParam("start", f"기간이 거꾸로입니다: start {request.start} > end {request.end}")
    stored = {c.code for c in reader.bar_overview() if c.timeframe is strategy.timeframe}
    missing = sorted(set(request.codes) - stored)
    if missing:
        shown = ", ".join(missing[:10]) + (
            f" 외 {len(missing) - 10}개" if len(missing) > 10 else ""
        )
        raise BadParam("codes", f"저장소에 {strategy.timeframe.value} 봉이 없는 종목: {shown}")
    if not stored:
        raise BadParam("codes", f"저장소에 {strategy.timeframe.value} 봉이 있는 종목이 없습니다")


@write_router.post(
    "/backtests",
    response_model=BacktestAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    tags=["backtests"],
    summary="백테스트 시작 (토큰 필요): 작업으로 실행되고 바로 202",
    responses=problems(429),
)
def start_backtest(body: BacktestIn, request: Request, reader: Reader) -> BacktestAccepted:
    _check(body, reader)
    backtest_id = new_backtest_id()
    args = {
        "strategy": body.strategy,
        "params": body.params,
        "codes": body.codes,
        "start": body.start.isoformat() if body.start else None,
        "end": body.end.isoformat() if body.end else None,
        "cash": body.cash,
        "shared_cash": body.shared_cash,
        "participation": str(body.participation),
        "backtest_id": backtest_id,
    }
    run_id = request.app.state.launch("backtest", args)
    return BacktestAccepted(
        run_id=run_id, job="backtest", status=JobStatus.RUNNING, backtest_id=backtest_id
    )


@read_router.get(
    "/codes/{code}/indicators",
    response_model=IndicatorSeries,
    tags=["codes"],
    summary="보조지표: 가격 경로의 t에 맞춘 열 (sma20, ema12, rsi14, macd, bb20, atr14, vol20 …)",
)
def indicators(
    code: Code,
    reader: Reader,
    names: Annotated[
        str,
        Query(
            max_length=400,
            pattern=NAMES_PATTERN,
            description=f"쉼표로 구분한 지표 이름 1~{MAX_NAMES}개: {NAMES_HELP}. "
            "bb20은 bb20_mid/_upper/_lower, macd는 macd/_signal/_hist 열을 줍니다",
        ),
    ],
    tf: Annotated[Timeframe, Query(description="1d (일봉) 또는 1m (분봉)")] = Timeframe.DAY,
    start: Moment = None,
    end: Moment = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description="최근 N개")] = None,
) -> Response:
    """Each indicator is computed with enough earlier bars that its first values in the
    window are defined (and smoothed ones settled), then cut to the window."""
    wanted = names.split(",")
    empty = np.zeros(0, dtype=np.int64)
    try:
        compute(wanted, empty, empty, empty, empty)
    except ValueError as exc:
        raise BadParam("names", str(exc)) from None
    if reader.get_instrument(code) is None:
        raise NotFound(f"종목 {code}가 없습니다")
    lo, hi = when("start", start), when("end", end)
    try:
        bars = reader.load_bars(code, tf, lo, hi, limit or DEFAULT_PRICE_LIMIT[tf])
    except ValueError as exc:
        raise BadParam("start" if "거꾸로" in str(exc) else "end", str(exc)) from None
    warm = (
        reader.load_bars(code, tf, None, from_epoch(int(bars.ts[0]) - 1), lookback(wanted))
        if len(bars)
        else bars
    )
    high, low, close, volume = (
        np.concatenate((getattr(warm, c), getattr(bars, c)))
        for c in ("high", "low", "close", "volume")
    )
    columns = {
        name: np.round(values[len(warm) :], 4)
        for name, values in compute(wanted, high, low, close, volume).items()
    }
    body = {
        "code": code,
        "timeframe": tf.value,
        "count": len(bars),
        "t": bars.ts,
        "columns": columns,
    }
    return Response(
        orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json"
    )
