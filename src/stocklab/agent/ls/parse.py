"""LS TR answers → stocklab records, as pure functions with the units made explicit.

What the wire format needs (fact sheet section 1.4): strings may carry space or NUL
padding; numbers with decimals come as strings ("0.68", "000.44"); `value`, `gm_va` and
t1921 `price` are millions of KRW. Records hold integer KRW, shares and basis points,
so percentages are parsed with `Decimal` and never pass through a float.
Anything that does not read as documented raises `BadResponse`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from stocklab.agent.base import BadResponse
from stocklab.barseries import BarSeries
from stocklab.krx import is_trading_day, previous_trading_day
from stocklab.model import (
    KST,
    BookLevel,
    Flow,
    FlowKind,
    Instrument,
    Market,
    Quote,
    SecurityKind,
    Timeframe,
    check_code,
)

log = logging.getLogger(__name__)

MILLION = 1_000_000

MARKETS = {"1": Market.KOSPI, "2": Market.KOSDAQ}
"""t8436 `gubun`."""
KINDS = {"1": SecurityKind.ETF, "2": SecurityKind.ETN}
"""t8436 `etfgubun`; anything else ("0" in the sample) is a stock."""

TJJ_GROUPS = {
    "0000": "private_equity",  # 사모펀드
    "0001": "securities",  # 증권
    "0002": "insurance",  # 보험
    "0003": "investment_trust",  # 투신
    "0004": "bank",  # 은행
    "0005": "merchant_bank",  # 종금
    "0006": "pension_fund",  # 기금
    "0007": "other_corp",  # 기타법인
    "0008": "individual",  # 개인
    "0009": "foreign_registered",  # 등록외국인
    "0010": "foreign_unregistered",  # 미등록외국인
    "0011": "nation",  # 국가외
    "0016": "foreign",  # 외인계 (등록 + 미등록)
    "0017": "other",  # 기타계
    "0018": "institution",  # 기관
}
"""t1717 investor codes (`tjjXXXX_vol`) → `stocklab.agent.base.INVESTOR_GROUPS`."""


# -- fields -------------------------------------------------------------------------


def text(value: object) -> str:
    """A string field without its space or NUL padding."""
    if not isinstance(value, str):
        raise TypeError(f"문자열이어야 할 값이 {type(value).__name__}입니다: {value!r}")
    return value.strip(" \0\t")


def decimal(value: object) -> Decimal:
    """A number sent as a JSON number or as a (padded) decimal string such as "000.44"."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"숫자여야 할 값이 {type(value).__name__}입니다: {value!r}")
    number = Decimal(text(value)) if isinstance(value, str) else Decimal(value)
    if not number.is_finite():
        raise ValueError(f"숫자가 아닙니다: {value!r}")
    return number


def integer(value: object) -> int:
    """A whole number (shares, KRW, prices), refusing anything with a fraction."""
    number = decimal(value)
    if number != number.to_integral_value():
        raise ValueError(f"정수여야 할 값에 소수부가 있습니다: {value!r}")
    return int(number)


def millions(value: object) -> int:
    """An amount LS reports in millions of KRW, in KRW."""
    return integer(value) * MILLION


def basis_points(value: object) -> int:
    """A percentage such as "2.16" in basis points (216), rounded half up."""
    return int((decimal(value) * 100).to_integral_value(ROUND_HALF_UP))


def ymd(value: object) -> date:
    """A YYYYMMDD date field."""
    return datetime.strptime(text(value), "%Y%m%d").date()


@contextmanager
def reading(tr_cd: str) -> Iterator[None]:
    """Turn a field that does not read as documented into `BadResponse`."""
    try:
        yield
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        what = f"필드 {exc}가 없습니다" if isinstance(exc, KeyError) else str(exc)
        raise BadResponse(
            f"LS증권 {tr_cd} 응답을 문서대로 읽을 수 없습니다: {what}",
            hint="잠시 후 다시 시도하고, 계속되면 LS증권 OPEN API 변경 공지를 확인하세요",
            source="ls",
        ) from None


def rows(payload: dict[str, Any], block: str) -> list[dict[str, Any]]:
    """The rows of an array out-block; a missing block is an empty result (`00000`)."""
    found = payload.get(block)
    if found is None:
        return []
    if not isinstance(found, list) or not all(isinstance(row, dict) for row in found):
        raise TypeError(f"{block}는 객체의 배열이어야 합니다")
    return found


def block(payload: dict[str, Any], name: str) -> dict[str, Any]:
    """A single-object out-block."""
    found = payload[name]
    if not isinstance(found, dict):
        raise TypeError(f"{name}는 객체여야 합니다")
    return found


# -- t8436 instruments ----------------------------------------------------------------


def instruments(payload: dict[str, Any]) -> list[Instrument]:
    """t8436: every listed code with its market and kind.

    A row whose code is not a KRX short code is left out with a warning, so one odd row
    does not cost the whole list.
    """
    found: list[Instrument] = []
    with reading("t8436"):
        for row in rows(payload, "t8436OutBlock"):
            code = text(row["shcode"])
            if not is_code(code):
                log.warning("t8436: 종목코드 %r는 KRX 단축코드가 아니어서 건너뜁니다", code)
                continue
            market = MARKETS.get(text(row["gubun"]))
            if market is None:
                raise ValueError(f"{code}의 gubun {row['gubun']!r}는 1(KOSPI)·2(KOSDAQ)가 아닙니다")
            found.append(
                Instrument(
                    code=code,
                    name=text(row["hname"]),
                    market=market,
                    kind=KINDS.get(text(row["etfgubun"]), SecurityKind.STOCK),
                    source="ls",
                )
            )
    return found


def is_code(value: str) -> bool:
    try:
        check_code(value)
    except ValueError:
        return False
    return True


# -- charts ---------------------------------------------------------------------------


class BarRow(NamedTuple):
    """One bar as LS labels it: `at` is the trading date (daily) or the bar's end (minute)."""

    at: datetime
    open: int
    high: int
    low: int
    close: int
    volume: int
    value: int  # KRW


def day_rows(tr_cd: str, payload: dict[str, Any]) -> list[BarRow]:
    """t8410 or t1305 daily rows; `at` is 00:00 KST of the trading date."""
    volume = "jdiff_vol" if tr_cd == "t8410" else "volume"
    with reading(tr_cd):
        return [
            BarRow(
                datetime.combine(ymd(row["date"]), time(0), tzinfo=KST),
                integer(row["open"]),
                integer(row["high"]),
                integer(row["low"]),
                integer(row["close"]),
                integer(row[volume]),
                millions(row["value"]),
            )
            for row in rows(payload, f"{tr_cd}OutBlock1")
        ]


def minute_rows(payload: dict[str, Any]) -> list[BarRow]:
    """t8412 rows; `at` is the bar's label, which is the END of its minutes.

    The sample shows it: a day's first bar is labelled 09:01 and holds the day's open.
    """
    with reading("t8412"):
        return [
            BarRow(
                datetime.strptime(
                    text(row["date"]) + text(row["time"])[:6], "%Y%m%d%H%M%S"
                ).replace(tzinfo=KST),
                integer(row["open"]),
                integer(row["high"]),
                integer(row["low"]),
                integer(row["close"]),
                integer(row["jdiff_vol"]),
                millions(row["value"]),
            )
            for row in rows(payload, "t8412OutBlock1")
        ]


def bar_series(tr_cd: str, code: str, timeframe: Timeframe, bars: Iterable[BarRow]) -> BarSeries:
    """Bars sorted by time, each timestamp once; rows without prices (no trade) dropped.

    Minute rows must already carry their start time in `at`.
    """
    by_ts = {
        int(bar.at.timestamp()): bar
        for bar in bars
        if min(bar.open, bar.high, bar.low, bar.close) > 0
    }
    ordered = [by_ts[ts] for ts in sorted(by_ts)]
    with reading(tr_cd):
        return BarSeries.from_arrays(
            timeframe,
            code,
            sorted(by_ts),
            [bar.open for bar in ordered],
            [bar.high for bar in ordered],
            [bar.low for bar in ordered],
            [bar.close for bar in ordered],
            [bar.volume for bar in ordered],
            value=[bar.value for bar in ordered],
            repair=True,  # adjusted prices rounded to the won: see repair_rounding
        )


# -- t1101 quote ----------------------------------------------------------------------


def quote(payload: dict[str, Any], code: str, now: datetime) -> Quote:
    """t1101: price, limits and the 10-level book; empty levels (price 0) are left out.

    `hotime` has no date: it is taken as the latest trading day on which that time has
    already passed at `now`. Its first six digits are HHMMSS; the rest are ignored.
    """
    with reading("t1101"):
        out = block(payload, "t1101OutBlock")
        if text(out["shcode"]) != code:
            raise ValueError(f"{code}를 물었는데 {out['shcode']!r}의 호가가 왔습니다")
        hotime = text(out["hotime"])
    ts = _quote_time(hotime, now)  # outside `reading`: a calendar error is not LS's fault
    with reading("t1101"):
        return Quote(
            code=code,
            ts=ts,
            price=integer(out["price"]),
            prev_close=integer(out["jnilclose"]) or None,
            open=integer(out["open"]) or None,
            high=integer(out["high"]) or None,
            low=integer(out["low"]) or None,
            volume=integer(out["volume"]),
            upper_limit=integer(out["uplmtprice"]) or None,
            lower_limit=integer(out["dnlmtprice"]) or None,
            asks=_levels(out, "offerho", "offerrem"),
            bids=_levels(out, "bidho", "bidrem"),
            source="ls",
        )


def _levels(out: dict[str, Any], price: str, qty: str) -> tuple[BookLevel, ...]:
    levels = ((integer(out[f"{price}{i}"]), integer(out[f"{qty}{i}"])) for i in range(1, 11))
    return tuple(BookLevel(price=p, qty=q) for p, q in levels if p > 0)


def _quote_time(hotime: str, now: datetime) -> datetime:
    local = now.astimezone(KST)
    try:
        clock = datetime.strptime(hotime[:6], "%H%M%S").time()
    except ValueError:
        return local  # no book time yet (before the first quote of the day)
    day = local.date()
    if not is_trading_day(day) or datetime.combine(day, clock, tzinfo=KST) > local:
        day = previous_trading_day(day)
    return datetime.combine(day, clock, tzinfo=KST)


# -- flows ----------------------------------------------------------------------------


def investor_flows(payload: dict[str, Any], code: str) -> list[Flow]:
    """t1717 (gubun 0): net buy quantity per investor group and day."""
    with reading("t1717"):
        return [
            Flow(
                code=code,
                day=ymd(row["date"]),
                kind=FlowKind.INVESTOR,
                values={
                    f"{group}_net_qty": integer(row[f"tjj{tjj}_vol"])
                    for tjj, group in TJJ_GROUPS.items()
                },
                source="ls",
            )
            for row in rows(payload, "t1717OutBlock")
        ]


def credit_flows(payload: dict[str, Any], code: str) -> list[Flow]:
    """t1921 (gubun 1, 융자): new, repaid and outstanding margin loans per day."""
    with reading("t1921"):
        return [
            Flow(
                code=code,
                day=ymd(row["mmdate"]),
                kind=FlowKind.CREDIT,
                values={
                    "new_qty": integer(row["nvolume"]),
                    "repaid_qty": integer(row["svolume"]),
                    "balance_qty": integer(row["jvolume"]),
                    "balance_krw": millions(row["price"]),
                    "supply_rate_bp": basis_points(row["gyrate"]),
                    "balance_rate_bp": basis_points(row["jkrate"]),
                },
                source="ls",
            )
            for row in rows(payload, "t1921OutBlock1")
        ]


def short_flows(payload: dict[str, Any], code: str) -> list[Flow]:
    """t1927: short-sale quantity, value (KRW), share of volume and average price per day."""
    with reading("t1927"):
        return [
            Flow(
                code=code,
                day=ymd(row["date"]),
                kind=FlowKind.SHORT,
                values={
                    "short_qty": integer(row["gm_vo"]),
                    "short_krw": millions(row["gm_va"]),
                    "short_share_bp": basis_points(row["gm_per"]),
                    "short_avg_price": integer(row["gm_avg"]),
                    "volume": integer(row["volume"]),
                },
                source="ls",
            )
            for row in rows(payload, "t1927OutBlock1")
        ]
