"""Plain records shared by every floor, validated when they are built.

Rules that hold everywhere: codes are KRX short codes, money and quantities are
integers (KRW, shares), and every datetime carries a timezone. A record that
breaks a rule cannot be constructed, so nothing downstream has to re-check.
Datetimes are kept to the millisecond, the precision every backend can store.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    model_validator,
)

KST = ZoneInfo("Asia/Seoul")
"""The exchange clock. Daily bars are keyed by their KRX trading date in this zone."""

_CODE_RE = re.compile(r"[0-9A-Z]{6}")
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")


def check_code(value: object) -> str:
    """Return a KRX short code or raise ValueError saying what a code looks like."""
    if not isinstance(value, str) or not _CODE_RE.fullmatch(value):
        raise ValueError(
            f"종목코드 {value!r}는 올바르지 않습니다: KRX 단축코드는 영문 대문자·숫자 6자리입니다 "
            "(예: 005930, 00088K)"
        )
    return value


def check_aware(value: datetime) -> datetime:
    """Refuse naive datetimes; keep millisecond precision (what MongoDB stores)."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(
            f"시각 {value.isoformat()}에 시간대가 없습니다: timezone-aware datetime이 필요합니다 "
            "(예: 2024-01-02T09:00:00+09:00)"
        )
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _check_id(value: str) -> str:
    if not _ID_RE.fullmatch(value):
        raise ValueError(
            f"식별자 {value!r}는 영문·숫자로 시작하고 영문·숫자·_.:- 로 된 1~64자여야 합니다"
        )
    return value


def _no_float_money(value: object) -> object:
    # StrictInt already refuses floats; this gives the refusal a money-specific message.
    if isinstance(value, float):
        raise ValueError(f"금액·수량은 정수여야 합니다 (받은 값: {value!r})")
    return value


Code = Annotated[str, AfterValidator(check_code)]
AwareDatetime = Annotated[datetime, AfterValidator(check_aware)]
Identifier = Annotated[str, AfterValidator(_check_id)]
Price = Annotated[StrictInt, BeforeValidator(_no_float_money), Field(gt=0)]
"""A price in integer KRW, strictly positive."""
KRW = Annotated[StrictInt, BeforeValidator(_no_float_money), Field(ge=0)]
"""An amount of money in integer KRW, never negative (cash, commission, tax, cost)."""
Quantity = Annotated[StrictInt, BeforeValidator(_no_float_money), Field(gt=0)]
"""A number of shares, strictly positive."""
Count = Annotated[StrictInt, BeforeValidator(_no_float_money), Field(ge=0)]
"""A non-negative integer count (volume, filled shares, rows)."""


class Market(StrEnum):
    KOSPI = "KOSPI"
    KOSDAQ = "KOSDAQ"
    KONEX = "KONEX"


class SecurityKind(StrEnum):
    """What is traded; ETFs, ETNs and ELWs have their own tick size."""

    STOCK = "stock"
    ETF = "etf"
    ETN = "etn"
    ELW = "elw"


class Timeframe(StrEnum):
    MINUTE = "1m"
    DAY = "1d"

    @property
    def seconds(self) -> int:
        return 60 if self is Timeframe.MINUTE else 86_400


class Record(BaseModel):
    """Base of all records: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


Source = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
"""Where a record came from: `sim` (the offline simulator), `ls`, `datagokr`, `naver`, `csv`…"""


class Instrument(Record):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=100)]
    market: Market
    kind: SecurityKind = SecurityKind.STOCK
    listed_on: date | None = None
    source: Source = "unknown"


def daily_ts(day: date) -> datetime:
    """The timestamp a daily bar is keyed by: 00:00 KST of its trading date."""
    return datetime.combine(day, time(0), tzinfo=KST)


class Bar(Record):
    """One OHLCV bar. Daily bars sit at 00:00 KST of their trading date.

    `value` is the traded value in KRW when the source reports it.
    """

    code: Code
    timeframe: Timeframe
    ts: AwareDatetime
    open: Price
    high: Price
    low: Price
    close: Price
    volume: Count
    value: KRW | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        where = f"{self.code} {self.ts.astimezone(KST):%Y-%m-%d %H:%M}"
        if not self.low <= min(self.open, self.close):
            raise ValueError(
                f"OHLC 불일치 ({where}): 저가 {self.low:,}가 "
                f"시가 {self.open:,}·종가 {self.close:,}보다 높습니다 (low ≤ open, close)"
            )
        if not self.high >= max(self.open, self.close):
            raise ValueError(
                f"OHLC 불일치 ({where}): 고가 {self.high:,}가 "
                f"시가 {self.open:,}·종가 {self.close:,}보다 낮습니다 (open, close ≤ high)"
            )
        local = self.ts.astimezone(KST)
        if self.timeframe is Timeframe.DAY and local.timetz().replace(tzinfo=None) != time(0):
            raise ValueError(
                f"일봉 시각 {local.isoformat()}은 거래일의 00:00 KST여야 합니다 "
                "(daily_ts(날짜) 사용)"
            )
        if self.timeframe is Timeframe.MINUTE and (local.second or local.microsecond):
            raise ValueError(f"분봉 시각 {local.isoformat()}은 분 단위로 맞춰져야 합니다 (초=0)")
        return self

    @property
    def trading_date(self) -> date:
        return self.ts.astimezone(KST).date()


class FlowKind(StrEnum):
    """Daily rows beside prices: investor net trading, credit balance, short selling."""

    INVESTOR = "investor"
    CREDIT = "credit"
    SHORT = "short"


class Flow(Record):
    """One day of one kind of flow for one code.

    `values` holds named integers whose unit is part of the name (`_qty` shares,
    `_krw` won, `_bp` basis points), e.g. `foreign_net_qty`, `institution_net_krw`.
    Sources report some values in millions of KRW; adapters convert before building this.
    """

    code: Code
    day: date
    kind: FlowKind
    values: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")], StrictInt]
    source: Source = "unknown"


class BookLevel(Record):
    price: Price
    qty: Count


class Quote(Record):
    """The current price and the 10-level order book of one code, as a source saw it at `ts`."""

    code: Code
    ts: AwareDatetime
    price: Price
    prev_close: Price | None = None
    open: Price | None = None
    high: Price | None = None
    low: Price | None = None
    volume: Count = 0
    upper_limit: Price | None = None
    lower_limit: Price | None = None
    asks: tuple[BookLevel, ...] = ()
    bids: tuple[BookLevel, ...] = ()
    source: Source = "unknown"

    @model_validator(mode="after")
    def _book_sides(self) -> Self:
        if len(self.asks) > 10 or len(self.bids) > 10:
            raise ValueError("호가는 매도·매수 각 10단계까지입니다")
        if self.asks and self.bids and self.asks[0].price <= self.bids[0].price:
            raise ValueError(
                f"최우선 매도호가 {self.asks[0].price:,}가 매수호가 {self.bids[0].price:,}보다 "
                "높아야 합니다"
            )
        return self


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    LIMIT = "limit"
    MARKET = "market"


class OrderStatus(StrEnum):
    """Where an order is in its life; the transitions live in the order manager."""

    NEW = "new"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCEL_REQUESTED = "cancel_requested"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    MODIFY_REQUESTED = "modify_requested"
    """A 정정 is on its way; the order may still fill at its old terms."""
    REPLACED = "replaced"
    """Its open quantity moved to a new order (정정), which names it in `replaces`."""

    @property
    def is_open(self) -> bool:
        return self not in _FINAL_STATUSES


_FINAL_STATUSES = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELLED,
        OrderStatus.REJECTED,
        OrderStatus.EXPIRED,
        OrderStatus.REPLACED,
    }
)


class OrderRequest(Record):
    """What a strategy or a user asks for; `client_id` makes resending idempotent."""

    client_id: Identifier
    account_id: Identifier
    code: Code
    side: Side
    qty: Quantity
    order_type: OrderType = OrderType.LIMIT
    price: Price | None = None

    @model_validator(mode="after")
    def _price_matches_type(self) -> Self:
        if self.order_type is OrderType.LIMIT and self.price is None:
            raise ValueError("지정가 주문에는 가격이 필요합니다 (limit order needs a price)")
        if self.order_type is OrderType.MARKET and self.price is not None:
            raise ValueError("시장가 주문에는 가격을 넣지 않습니다 (market order takes no price)")
        return self


class Order(Record):
    """An order as the system knows it. `version` grows by one with every stored change."""

    request: OrderRequest
    status: OrderStatus = OrderStatus.NEW
    broker_order_id: str | None = None
    filled_qty: Count = 0
    filled_amount: KRW = 0
    reason: str | None = None
    """Why it was refused or ended, in words for a person."""
    rule: str | None = None
    """What refused it: a risk rule's name, or `broker` (its code is in `reason`)."""
    sent_after: str | None = None
    """The broker's highest order number today just before this order was sent (brokers
    that number orders rising within a day): a lost answer is matched above it."""
    replaces: str | None = None
    """For an order made by a modify (정정): the client id of the order it replaced."""
    created_at: AwareDatetime
    updated_at: AwareDatetime
    version: Count = 0

    @model_validator(mode="after")
    def _fill_bounds(self) -> Self:
        if self.filled_qty > self.request.qty:
            raise ValueError(f"체결수량 {self.filled_qty}이 주문수량 {self.request.qty}을 넘습니다")
        return self

    @property
    def client_id(self) -> str:
        return self.request.client_id

    @property
    def account_id(self) -> str:
        return self.request.account_id


class Fill(Record):
    """One execution. `fill_id` is unique per account, so recording a fill twice is harmless."""

    fill_id: Identifier
    client_id: Identifier
    account_id: Identifier
    code: Code
    side: Side
    qty: Quantity
    price: Price
    commission: KRW = 0
    tax: KRW = 0
    ts: AwareDatetime

    @property
    def amount(self) -> int:
        return self.qty * self.price


class Position(Record):
    """Shares held and what they cost (integer KRW, commissions included)."""

    account_id: Identifier
    code: Code
    qty: Count
    cost: KRW
    updated_at: AwareDatetime
    version: Count = 0

    @property
    def avg_price(self) -> float:
        return self.cost / self.qty if self.qty else 0.0


class Account(Record):
    """A trading account. Never holds secrets: broker numbers and keys stay in env files."""

    account_id: Identifier
    broker: Annotated[str, Field(pattern=r"^(paper|ls)$")] = "paper"
    name: Annotated[str, Field(max_length=100)] = ""
    cash: KRW
    created_at: AwareDatetime
    updated_at: AwareDatetime
    version: Count = 0


class JobStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"
    """Stopped from outside before it could end: shutdown, its parent's death, a restart
    that found its process gone."""


class JobRun(Record):
    """One run of a scheduled or manual job, as the run history shows it."""

    run_id: Identifier
    job: Identifier
    status: JobStatus
    trigger: Annotated[str, Field(pattern=r"^(schedule|manual|api|cli)$")] = "manual"
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    pid: int | None = None
    pid_stamp: str | None = None
    """The process's start stamp, so a restart never takes a reused pid for the run's."""
    launcher_pid: int | None = None
    launcher_stamp: str | None = None
    """The process that started the run (server, scheduler, CLI); a run it queued and
    never started ends when that process is gone."""
    deadline: AwareDatetime | None = None
    rows: Count = 0
    counts: dict[str, int] = Field(default_factory=dict)
    """Rows written per kind, e.g. {"bars_1d": 2500, "instruments": 40}."""
    error: str | None = None
    log_tail: str = ""
    args: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ended_after_start(self) -> Self:
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValueError("작업 종료 시각이 시작 시각보다 이릅니다")
        return self


class AuditEntry(Record):
    """One write to the store: when, what, where, how many, by whom."""

    ts: AwareDatetime
    operation: str
    collection: str
    count: Count
    actor: str
    detail: dict[str, Any] = Field(default_factory=dict)


class BacktestResult(Record):
    """A finished backtest: its inputs, its statistics, its trades and equity curve."""

    backtest_id: Identifier
    strategy: Identifier
    params: dict[str, Any] = Field(default_factory=dict)
    codes: list[Code]
    start: date
    end: date
    created_at: AwareDatetime
    stats: dict[str, float | int | None] = Field(default_factory=dict)
    trades: list[dict[str, Any]] = Field(default_factory=list)
    equity: list[tuple[date, int]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"기간이 거꾸로입니다: 시작 {self.start} > 끝 {self.end}")
        return self


SUMMARY_CODES = 20
"""How many of a backtest's codes a summary names (`code_count` says how many there are)."""


class BacktestSummary(Record):
    """What a list of backtests shows: a record without its trades and equity curve, and
    with only its first codes, so a list stays small whatever the backtests hold."""

    backtest_id: Identifier
    strategy: Identifier
    params: dict[str, Any] = Field(default_factory=dict)
    codes: list[Code] = Field(max_length=SUMMARY_CODES)
    code_count: int = Field(ge=0)
    start: date
    end: date
    created_at: AwareDatetime
    stats: dict[str, float | int | None] = Field(default_factory=dict)

    @classmethod
    def of(cls, result: BacktestResult) -> BacktestSummary:
        return cls(
            backtest_id=result.backtest_id, strategy=result.strategy, params=result.params,
            codes=result.codes[:SUMMARY_CODES], code_count=len(result.codes),
            start=result.start, end=result.end, created_at=result.created_at,
            stats=result.stats,
        )  # fmt: skip


def now_kst() -> datetime:
    """The current time on the exchange clock, at millisecond precision."""
    now = datetime.now(KST)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


ONE_DAY = timedelta(days=1)


_DIGIT_HAS_FINAL = {"0": True, "1": True, "2": False, "3": True, "4": False,
                    "5": False, "6": True, "7": True, "8": True, "9": False}  # fmt: skip
"""Whether a digit read in Korean (영 일 이 삼 사 오 육 칠 팔 구) ends in a consonant."""
_LETTERS_WITH_FINAL = frozenset("LMNR")  # 엘 엠 엔 알


def josa(word: str, with_final: str, without_final: str) -> str:
    """The particle that follows `word` as it is read: 종목 005930**이**, 주문 o-2**가**.

    Hangul by its last syllable's final consonant, digits by their Korean reading (a code
    is read digit by digit), Latin letters by their names; `with_final` is 이/을/은/과.
    """
    last = word.rstrip()[-1:] if word.strip() else ""
    if "가" <= last <= "힣":
        final = (ord(last) - ord("가")) % 28 != 0
    elif last.isdigit():
        final = _DIGIT_HAS_FINAL.get(last, False)
    else:
        final = last.upper() in _LETTERS_WITH_FINAL
    return with_final if final else without_final
