"""Trading days, session hours (late opens), settlement and market phases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from stocklab.krx import (
    CSAT_DAYS,
    CalendarRangeError,
    NotATradingDay,
    is_trading_day,
    market_status,
    next_trading_day,
    previous_trading_day,
    session,
    settlement_date,
    trading_days,
)
from stocklab.model import KST


def kst(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm, ss), tzinfo=KST)


# --- trading days -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "trading"),
    [
        (date(2024, 9, 13), True),
        (date(2024, 9, 16), False),  # 추석 연휴
        (date(2024, 9, 17), False),  # 추석
        (date(2024, 9, 18), False),
        (date(2024, 9, 19), True),
        (date(2024, 9, 21), False),  # Saturday
        (date(2024, 9, 22), False),  # Sunday
        (date(2024, 10, 1), False),  # 국군의 날 임시공휴일
        (date(2024, 12, 31), False),  # 연말 휴장
        (date(2025, 1, 2), True),
        (date(2022, 3, 9), False),  # 대통령 선거
        (date(2024, 4, 10), False),  # 국회의원 선거
        (date(2025, 6, 3), False),  # 대통령 선거
        (date(2026, 6, 3), False),  # 지방선거: added over exchange_calendars 4.13
        (date(2026, 6, 2), True),
        (date(2026, 6, 4), True),
        (date(2000, 1, 1), False),
        (date(2000, 1, 4), True),
    ],
)
def test_is_trading_day(day: date, trading: bool) -> None:
    assert is_trading_day(day) is trading


def test_next_and_previous_trading_day() -> None:
    assert next_trading_day(date(2024, 9, 13)) == date(2024, 9, 19)
    assert next_trading_day(date(2024, 9, 14)) == date(2024, 9, 19)  # from a holiday
    assert next_trading_day(date(2024, 9, 13), 2) == date(2024, 9, 20)
    assert next_trading_day(date(2026, 6, 2)) == date(2026, 6, 4)
    assert previous_trading_day(date(2024, 9, 19)) == date(2024, 9, 13)
    assert previous_trading_day(date(2024, 9, 19), 2) == date(2024, 9, 12)
    assert previous_trading_day(date(2024, 9, 17)) == date(2024, 9, 13)
    assert previous_trading_day(date(2026, 6, 4)) == date(2026, 6, 2)


@pytest.mark.parametrize("n", [0, -1])
def test_step_count_must_be_positive(n: int) -> None:
    with pytest.raises(ValueError, match=f"n={n}"):
        next_trading_day(date(2024, 9, 13), n)
    with pytest.raises(ValueError, match=f"n={n}"):
        previous_trading_day(date(2024, 9, 13), n)


def test_trading_days_is_inclusive() -> None:
    assert trading_days(date(2024, 9, 12), date(2024, 9, 20)) == [
        date(2024, 9, 12),
        date(2024, 9, 13),
        date(2024, 9, 19),
        date(2024, 9, 20),
    ]
    assert trading_days(date(2024, 9, 13), date(2024, 9, 13)) == [date(2024, 9, 13)]
    assert trading_days(date(2024, 9, 14), date(2024, 9, 18)) == []
    assert date(2026, 6, 3) not in trading_days(date(2026, 6, 1), date(2026, 6, 5))


def test_trading_days_refuses_a_reversed_range() -> None:
    with pytest.raises(ValueError, match=r"2024-09-20.*2024-09-12"):
        trading_days(date(2024, 9, 20), date(2024, 9, 12))


def test_dates_outside_the_calendar_are_refused() -> None:
    with pytest.raises(CalendarRangeError, match="1999-12-31"):
        is_trading_day(date(1999, 12, 31))
    with pytest.raises(CalendarRangeError, match="2100-01-04"):
        is_trading_day(date(2100, 1, 4))
    with pytest.raises(CalendarRangeError, match="2000-01-04"):
        previous_trading_day(date(2000, 1, 4))


def test_datetimes_are_not_dates() -> None:
    with pytest.raises(TypeError, match=r"datetime\.date"):
        is_trading_day(kst(date(2024, 9, 13), 9))


# --- sessions -----------------------------------------------------------------------------


def test_normal_day_runs_0900_to_1530() -> None:
    s = session(date(2024, 11, 15))
    assert (s.open, s.close, s.late_open) == (
        kst(date(2024, 11, 15), 9),
        kst(date(2024, 11, 15), 15, 30),
        False,
    )
    assert s.open.utcoffset() == timedelta(hours=9)


def test_first_trading_day_of_2024_opens_at_1000() -> None:
    s = session(date(2024, 1, 2))
    assert s.open == kst(date(2024, 1, 2), 10)
    assert s.close == kst(date(2024, 1, 2), 15, 30)
    assert s.late_open


@pytest.mark.parametrize("year", range(2001, 2027))
def test_every_first_trading_day_opens_late(year: int) -> None:
    first = next_trading_day(date(year - 1, 12, 31))
    s = session(first)
    assert s.open.time() == time(10)
    assert s.close.time() == (time(15, 30) if year >= 2017 else time(15))


def test_csat_2024_opens_1000_closes_1630() -> None:
    s = session(date(2024, 11, 14))
    assert s.open == kst(date(2024, 11, 14), 10)
    assert s.close == kst(date(2024, 11, 14), 16, 30)
    assert s.late_open


@pytest.mark.parametrize("day", sorted(CSAT_DAYS))
def test_every_csat_day_2012_2026_is_shifted_one_hour(day: date) -> None:
    s = session(day)
    assert s.open.time() == time(10)
    # the regular close was 15:00 until 2016-07-29, 15:30 since 2016-08-01
    assert s.close.time() == (time(16, 30) if day >= date(2016, 8, 1) else time(16))


def test_csat_table_has_one_day_per_year() -> None:
    assert sorted(d.year for d in CSAT_DAYS) == list(range(2012, 2027))


def test_day_after_csat_is_normal_again() -> None:
    assert session(date(2025, 11, 14)).open == kst(date(2025, 11, 14), 9)


def test_holiday_has_no_session_and_says_why() -> None:
    with pytest.raises(NotATradingDay, match=r"2024-09-17.*휴장"):
        session(date(2024, 9, 17))
    with pytest.raises(NotATradingDay, match="토요일"):
        session(date(2024, 9, 21))
    with pytest.raises(NotATradingDay, match="지방선거"):
        session(date(2026, 6, 3))


# --- settlement ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trade", "settles"),
    [
        (date(2024, 11, 14), date(2024, 11, 18)),
        (date(2024, 12, 26), date(2024, 12, 30)),
        (date(2024, 12, 27), date(2025, 1, 2)),
        (date(2025, 12, 26), date(2025, 12, 30)),
        (date(2025, 12, 29), date(2026, 1, 2)),
        (date(2025, 12, 30), date(2026, 1, 5)),
        (date(2026, 6, 2), date(2026, 6, 5)),
    ],
)
def test_settlement_is_t_plus_2_trading_days(trade: date, settles: date) -> None:
    assert settlement_date(trade) == settles


def test_no_settlement_for_a_holiday_trade() -> None:
    with pytest.raises(NotATradingDay):
        settlement_date(date(2024, 12, 31))


# --- market status ------------------------------------------------------------------------

NORMAL = date(2024, 11, 15)  # Friday
NEXT_OPEN_AFTER_NORMAL = kst(date(2024, 11, 18), 9)


@pytest.mark.parametrize(
    ("hh", "mm", "ss", "phase", "next_open"),
    [
        (0, 0, 0, "closed", kst(NORMAL, 9)),
        (8, 29, 59, "closed", kst(NORMAL, 9)),
        (8, 30, 0, "pre_open", kst(NORMAL, 9)),
        (8, 59, 59, "pre_open", kst(NORMAL, 9)),
        (9, 0, 0, "open", NEXT_OPEN_AFTER_NORMAL),
        (12, 0, 0, "open", NEXT_OPEN_AFTER_NORMAL),
        (15, 19, 59, "open", NEXT_OPEN_AFTER_NORMAL),
        (15, 20, 0, "closing_auction", NEXT_OPEN_AFTER_NORMAL),
        (15, 29, 59, "closing_auction", NEXT_OPEN_AFTER_NORMAL),
        (15, 30, 0, "after_hours", NEXT_OPEN_AFTER_NORMAL),
        (17, 59, 59, "after_hours", NEXT_OPEN_AFTER_NORMAL),
        (18, 0, 0, "closed", NEXT_OPEN_AFTER_NORMAL),
        (23, 59, 59, "closed", NEXT_OPEN_AFTER_NORMAL),
    ],
)
def test_market_status_on_a_normal_day(
    hh: int, mm: int, ss: int, phase: str, next_open: datetime
) -> None:
    status = market_status(kst(NORMAL, hh, mm, ss))
    assert (status.phase, status.session_day, status.next_open) == (phase, NORMAL, next_open)


@pytest.mark.parametrize(
    ("hh", "mm", "phase"),
    [
        (9, 0, "closed"),
        (9, 29, "closed"),
        (9, 30, "pre_open"),
        (10, 0, "open"),
        (16, 19, "open"),
        (16, 20, "closing_auction"),
        (16, 30, "after_hours"),
        (17, 59, "after_hours"),
        (18, 0, "closed"),
    ],
)
def test_market_status_on_csat_day(hh: int, mm: int, phase: str) -> None:
    assert market_status(kst(date(2024, 11, 14), hh, mm)).phase == phase


@pytest.mark.parametrize(
    ("hh", "mm", "phase"),
    [(9, 0, "closed"), (9, 30, "pre_open"), (10, 0, "open"), (15, 20, "closing_auction")],
)
def test_market_status_on_first_trading_day(hh: int, mm: int, phase: str) -> None:
    assert market_status(kst(date(2024, 1, 2), hh, mm)).phase == phase


def test_market_status_on_a_holiday() -> None:
    status = market_status(kst(date(2024, 9, 17), 10))
    assert status.phase == "closed"
    assert status.session_day is None
    assert status.next_open == kst(date(2024, 9, 19), 9)


def test_next_open_is_the_late_open_of_csat_day() -> None:
    assert market_status(kst(date(2024, 11, 13), 16)).next_open == kst(date(2024, 11, 14), 10)


def test_market_status_converts_other_zones_to_kst() -> None:
    status = market_status(datetime(2024, 11, 15, 0, 30, tzinfo=UTC))  # 09:30 KST
    assert status.phase == "open"
    assert status.at == kst(NORMAL, 9, 30)
    assert status.at.tzinfo is KST
    # 23:30 UTC on the 14th is 08:30 KST on the 15th: the KST date decides the session
    assert market_status(datetime(2024, 11, 14, 23, 30, tzinfo=UTC)).phase == "pre_open"


def test_market_status_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="시간대"):
        market_status(datetime(2024, 11, 15, 9, 30))
