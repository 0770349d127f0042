"""The KRX trading calendar: trading days, session hours, settlement and market phase.

Built once per process from exchange_calendars' "XKRX" and corrected where that
library is known to be behind (missing CSAT late opens, the 2026 local election).
After the first call everything is a lookup in plain Python tuples, so the
backtester can ask per bar without cost. KRX only: Nextrade (NXT) hours are not modelled.
"""

from __future__ import annotations

import threading
import warnings
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from stocklab.krx.checks import check_date, check_int
from stocklab.model import KST

if TYPE_CHECKING:
    import pandas as pd

COVER_START = date(2000, 1, 1)
COVER_END = date(2036, 12, 31)
"""The span the calendar answers for. The end is fixed, not exchange_calendars' default
(a year after today), so that what the system accepts never depends on the day it runs;
holidays declared later (elections, ad hoc closures) go in `EXTRA_HOLIDAYS`."""

REGULAR_OPEN = time(9, 0)
LATE_OPEN_DELAY = timedelta(hours=1)

PRE_OPEN_START = time(8, 30)
"""Opening call auction starts (장 시작 동시호가), on a normal day."""
AFTER_HOURS_END = time(18, 0)
"""End of the after-hours single-price session; KRX keeps it at 18:00 even on CSAT days."""
CLOSING_AUCTION = timedelta(minutes=10)

# [I] CSAT (수능) days: KRX opens 10:00 and closes one hour late (16:30 since 2016-08-01).
# exchange_calendars 4.13 knows these up to 2020-12-03 (plus 2017-11-16, the original
# date before the earthquake postponement, when KRX still opened late); from 2021 it says
# 09:00. This table is inference from news reports, not an exchange source. A day is only
# shifted where the library still shows a 09:00 open, so a fixed library is not shifted twice.
CSAT_DAYS: frozenset[date] = frozenset(
    {
        date(2012, 11, 8),
        date(2013, 11, 7),
        date(2014, 11, 13),
        date(2015, 11, 12),
        date(2016, 11, 17),
        date(2017, 11, 23),
        date(2018, 11, 15),
        date(2019, 11, 14),
        date(2020, 12, 3),
        date(2021, 11, 18),
        date(2022, 11, 17),
        date(2023, 11, 16),
        date(2024, 11, 14),
        date(2025, 11, 13),
        date(2026, 11, 19),
    }
)

# KRX closures exchange_calendars 4.13 misses (checked: 2022-03-09, 2024-04-10, 2025-06-03
# and earlier election days are already holidays there).
EXTRA_HOLIDAYS: MappingProxyType[date, str] = MappingProxyType(
    {date(2026, 6, 3): "제9회 전국동시지방선거"}
)

Phase = Literal["closed", "pre_open", "open", "closing_auction", "after_hours"]

_WEEKDAYS_KO = "월화수목금토일"


class CalendarRangeError(ValueError):
    """A date outside the span the calendar knows (`COVER_START` to `COVER_END`)."""


class NotATradingDay(ValueError):
    """A weekend or KRX holiday where a trading day is required."""


@dataclass(frozen=True, slots=True)
class Session:
    """One regular session; `open`/`close` are aware KST datetimes."""

    day: date
    open: datetime
    close: datetime
    late_open: bool


@dataclass(frozen=True, slots=True)
class MarketStatus:
    """What KRX is doing at `at` (KST); `session_day` is set when that date is a trading day."""

    at: datetime
    phase: Phase
    session_day: date | None
    next_open: datetime


@dataclass(frozen=True, slots=True)
class _Table:
    days: tuple[date, ...]
    sessions: MappingProxyType[date, Session]
    end: date


def _kst_time(ts: pd.Timestamp) -> time:
    return ts.tz_convert(KST).time()


_BUILD = threading.Lock()


def _table() -> _Table:
    """The corrected session table, built once per process (and once only, across threads:
    exchange_calendars' construction is not thread-safe)."""
    with _BUILD:
        return _build_table()


@cache
def _build_table() -> _Table:
    """Build the corrected session table; imported lazily because pandas is slow to load."""
    import exchange_calendars as xcals

    with warnings.catch_warnings():
        # exchange_calendars 4.13 trips a pandas 3.1 deprecation inside its own constructor.
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        cal = xcals.get_calendar("XKRX", start=COVER_START.isoformat(), end=COVER_END.isoformat())
    raw: list[tuple[date, time, time]] = [
        (label.date(), _kst_time(o), _kst_time(c))
        for label, o, c in zip(cal.sessions, cal.opens, cal.closes, strict=True)
        if label.date() not in EXTRA_HOLIDAYS
    ]
    sessions: dict[date, Session] = {}
    previous_year = None
    for day, open_t, close_t in raw:
        first_of_year = day.year != previous_year
        previous_year = day.year
        open_at = datetime.combine(day, open_t, tzinfo=KST)
        close_at = datetime.combine(day, close_t, tzinfo=KST)
        if open_t == REGULAR_OPEN and day in CSAT_DAYS:
            open_at, close_at = open_at + LATE_OPEN_DELAY, close_at + LATE_OPEN_DELAY
        elif open_t == REGULAR_OPEN and first_of_year:
            # [I] The first trading day opens at 10:00 (opening ceremony); the close is
            # unchanged. The library already does this from 2001; it misses 2000-01-04.
            open_at += LATE_OPEN_DELAY
        sessions[day] = Session(day, open_at, close_at, open_at.time() > REGULAR_OPEN)
    return _Table(tuple(sessions), MappingProxyType(sessions), cal.last_session.date())


def _in_range(d: object, what: str = "날짜") -> date:
    day = check_date(d, what)
    table = _table()
    if not COVER_START <= day <= table.end:
        raise CalendarRangeError(
            f"{what} {day}는 거래일 달력 범위 밖입니다 (허용: {COVER_START} ~ {table.end})"
        )
    return day


def _check_count(n: object) -> int:
    count = check_int(n, "거래일 수")
    if count < 1:
        raise ValueError(f"거래일 수 n={count}는 허용되지 않습니다: 1 이상이어야 합니다")
    return count


def _out_of_range(d: date, n: int, direction: str) -> CalendarRangeError:
    table = _table()
    return CalendarRangeError(
        f"{d}의 {n}거래일 {direction}는 거래일 달력 범위({COVER_START} ~ {table.end}) 밖입니다"
    )


def calendar_range() -> tuple[date, date]:
    """The first and last day the calendar knows."""
    return COVER_START, _table().end


def is_trading_day(d: date) -> bool:
    """True if KRX holds a regular session on `d`."""
    return _in_range(d) in _table().sessions


def next_trading_day(d: date, n: int = 1) -> date:
    """The n-th trading day strictly after `d` (`d` itself may be a holiday)."""
    day, count = _in_range(d), _check_count(n)
    days = _table().days
    i = bisect_right(days, day) + count - 1
    if i >= len(days):
        raise _out_of_range(day, count, "뒤")
    return days[i]


def previous_trading_day(d: date, n: int = 1) -> date:
    """The n-th trading day strictly before `d`."""
    day, count = _in_range(d), _check_count(n)
    days = _table().days
    i = bisect_left(days, day) - count
    if i < 0:
        raise _out_of_range(day, count, "앞")
    return days[i]


def trading_days(start: date, end: date) -> list[date]:
    """Trading days from `start` to `end`, both inclusive."""
    first, last = _in_range(start, "시작일"), _in_range(end, "종료일")
    if first > last:
        raise ValueError(f"기간이 거꾸로입니다: 시작일 {first} > 종료일 {last}")
    days = _table().days
    return list(days[bisect_left(days, first) : bisect_right(days, last)])


def _why_closed(day: date) -> str:
    if day.weekday() >= 5:
        return f"{_WEEKDAYS_KO[day.weekday()]}요일은 휴장합니다"
    if day in EXTRA_HOLIDAYS:
        return f"{EXTRA_HOLIDAYS[day]}로 휴장합니다"
    return "KRX 휴장일입니다 (공휴일·연말 휴장 등)"


def session(d: date) -> Session:
    """The regular session of a trading day; NotATradingDay on weekends and holidays."""
    day = _in_range(d)
    found = _table().sessions.get(day)
    if found is None:
        raise NotATradingDay(
            f"{day}({_WEEKDAYS_KO[day.weekday()]})는 거래일이 아닙니다: {_why_closed(day)}"
        )
    return found


def last_closed_session(now: datetime) -> date:
    """The latest KRX session that has closed at `now`: no bar may be dated after it."""
    local = now.astimezone(KST)
    today = local.date()
    if is_trading_day(today) and local >= session(today).close:
        return today
    return previous_trading_day(today)


def settlement_date(trade_date: date) -> date:
    """T+2: the trading day a trade made on `trade_date` settles (and the tax date)."""
    session(trade_date)  # a trade can only happen on a trading day
    return next_trading_day(trade_date, 2)


def _phase(s: Session, at: datetime) -> Phase:
    # The pre-open shifts with a late open (KRX moves the pre-market with it); the
    # after-hours end stays at 18:00 even on CSAT days, as KRX announces each year.
    pre_open = datetime.combine(s.day, PRE_OPEN_START, tzinfo=KST) + (
        s.open - datetime.combine(s.day, REGULAR_OPEN, tzinfo=KST)
    )
    after_end = datetime.combine(s.day, AFTER_HOURS_END, tzinfo=KST)
    if pre_open <= at < s.open:
        return "pre_open"
    if s.open <= at < s.close - CLOSING_AUCTION:
        return "open"
    if s.close - CLOSING_AUCTION <= at < s.close:
        return "closing_auction"
    if s.close <= at < after_end:
        return "after_hours"
    return "closed"


def market_status(at: datetime) -> MarketStatus:
    """The KRX phase at an aware instant and the next regular open strictly after it.

    Ignores the lunch break KRX had before 2000-05-22 (it shows as "open").
    """
    if not isinstance(at, datetime):
        raise TypeError(f"시각 {at!r}는 허용되지 않습니다: timezone-aware datetime이 필요합니다")
    if at.tzinfo is None or at.tzinfo.utcoffset(at) is None:
        raise ValueError(
            f"시각 {at.isoformat()}에 시간대가 없습니다: timezone-aware datetime이 필요합니다 "
            "(예: datetime(2024, 1, 2, 9, 0, tzinfo=KST))"
        )
    local = at.astimezone(KST)
    day = _in_range(local.date(), "시각의 날짜")
    today = _table().sessions.get(day)
    phase: Phase = "closed" if today is None else _phase(today, local)
    if today is not None and local < today.open:
        next_open = today.open
    else:
        next_open = session(next_trading_day(day)).open
    return MarketStatus(local, phase, None if today is None else day, next_open)
