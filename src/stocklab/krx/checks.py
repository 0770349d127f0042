"""Input checks shared by the KRX rules: integers only, known markets, dates not datetimes."""

from __future__ import annotations

from datetime import date, datetime
from numbers import Integral

from stocklab.model import Market, SecurityKind

FUND_KINDS = frozenset({SecurityKind.ETF, SecurityKind.ETN, SecurityKind.ELW})
"""Kinds with a flat 5 KRW tick and no securities transaction tax."""


class InvalidPriceError(ValueError):
    """A price that is not a positive integer, or not on the KRX tick grid."""


def check_int(value: object, what: str) -> int:
    """Accept Python and NumPy integers (bars come from pandas), refuse bool and float."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise InvalidPriceError(
            f"{what} {value!r}({type(value).__name__})는 허용되지 않습니다: 정수(원)만 받습니다"
        )
    return int(value)


def check_price(value: object, what: str = "가격") -> int:
    price = check_int(value, what)
    if price <= 0:
        raise InvalidPriceError(f"{what} {price:,}원은 허용되지 않습니다: 0보다 큰 정수여야 합니다")
    return price


def check_market(value: object) -> Market:
    try:
        return Market(value)
    except ValueError:
        allowed = ", ".join(m.value for m in Market)
        raise ValueError(f"시장 {value!r}는 올바르지 않습니다 (허용: {allowed})") from None


def check_kind(value: object) -> SecurityKind:
    try:
        return SecurityKind(value)
    except ValueError:
        allowed = ", ".join(k.value for k in SecurityKind)
        raise ValueError(f"증권 종류 {value!r}는 올바르지 않습니다 (허용: {allowed})") from None


def check_date(value: object, what: str = "날짜") -> date:
    """Refuse datetimes: the KST/UTC date of a timestamp is a classic off-by-one-day bug."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(
            f"{what} {value!r}는 허용되지 않습니다: datetime.date가 필요합니다 "
            "(시각이면 .astimezone(KST).date()로 바꿔서 넣으세요)"
        )
    return value
