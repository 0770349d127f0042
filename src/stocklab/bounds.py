"""The ranges a date, time or port a person types must fall in, stated once so that the
API's OpenAPI document, the CLI's options and the checks behind them agree.

Outside these ranges there is no market data, and date arithmetic overflows (9999-12-31
plus a day, 0001-01-01 in KST): such a value is the user's mistake, refused with the
range, never a crash deep inside.
"""

from __future__ import annotations

from datetime import date, datetime

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2099, 12, 31)
"""Dates of stored data a query may name (prices, flows, indicators, exports, backtests)."""

DAY_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
"""`FIRST_DAY`..`LAST_DAY` as the OpenAPI document states it (with `format: date`)."""
MOMENT_PATTERN = r"^(19|20)[0-9]{2}-"
"""The same years for an ISO date-time (with `format: date-time`)."""

FIRST_STATUS_DAY = date(2001, 1, 1)
LAST_STATUS_DAY = date(2035, 12, 31)
"""Moments the market status answers for: inside the KRX calendar with a margin (a
moment's next open must still be in the calendar)."""
STATUS_PATTERN = r"^20(0[1-9]|[12][0-9]|3[0-5])-"

PORTS = (1, 65_535)
TIMEOUTS = (1, 86_400)
"""Seconds a job may run (a schedule's `timeout` has the same range)."""


def _range_words(first: date, last: date) -> str:
    return f"{first.isoformat()} ~ {last.isoformat()}"


def check_day(value: date, what: str, first: date = FIRST_DAY, last: date = LAST_DAY) -> date:
    """A date (or the calendar date of a moment, in its own offset) within the range."""
    day = value.date() if isinstance(value, datetime) else value
    if not first <= day <= last:
        raise ValueError(
            f"{what} {value.isoformat()}는 범위 밖입니다 (허용: {_range_words(first, last)})"
        )
    return value


def day_range(first: date = FIRST_DAY, last: date = LAST_DAY) -> str:
    """The range in words, for help texts and descriptions."""
    return _range_words(first, last)
