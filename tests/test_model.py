"""Records refuse what breaks the rules: bad codes, float money, naive time, broken OHLC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from stocklab.model import (
    KST,
    Account,
    BacktestResult,
    Bar,
    Fill,
    Flow,
    Instrument,
    JobRun,
    Order,
    OrderRequest,
    OrderStatus,
    check_code,
    daily_ts,
)

T = datetime(2024, 1, 2, 9, 1, tzinfo=KST)


def bar(**kw: object) -> Bar:
    base: dict[str, object] = {
        "code": "005930", "timeframe": "1m", "ts": T, "open": 100, "high": 110, "low": 90,
        "close": 105, "volume": 10,
    }  # fmt: skip
    return Bar(**{**base, **kw})


@pytest.mark.parametrize("code", ["005930", "00088K", "Q50001"])
def test_valid_codes(code: str) -> None:
    assert check_code(code) == code


@pytest.mark.parametrize("code", ["5930", "0059300", "00088k", "005 30", "", 5930, None])
def test_invalid_codes_are_refused_with_a_hint(code: object) -> None:
    with pytest.raises(ValueError, match="6자리"):
        check_code(code)


def test_bar_accepts_a_consistent_bar() -> None:
    b = bar(value=1_050_000)
    assert (b.open, b.high, b.low, b.close, b.volume, b.value) == (100, 110, 90, 105, 10, 1_050_000)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"low": 101}, "저가"),
        ({"high": 104}, "고가"),
        ({"open": 100.0}, "정수"),
        ({"close": True}, "integer"),
        ({"close": "105"}, "integer"),
        ({"open": 0, "low": 0}, "greater than 0"),
        ({"volume": -1}, "greater than or equal to 0"),
        ({"ts": datetime(2024, 1, 2, 9, 1)}, "시간대"),
        ({"ts": T.replace(second=30)}, "분 단위"),
        ({"timeframe": "1d"}, "00:00 KST"),
        ({"code": "5930"}, "종목코드"),
    ],
)
def test_bar_refuses_what_breaks_a_rule(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        bar(**change)


def test_daily_bar_is_keyed_by_its_trading_date() -> None:
    b = bar(timeframe="1d", ts=daily_ts(date(2024, 1, 2)))
    assert b.trading_date == date(2024, 1, 2)
    same_instant = daily_ts(date(2024, 1, 2)).astimezone(UTC)
    assert bar(timeframe="1d", ts=same_instant).trading_date == date(2024, 1, 2)


def test_datetimes_keep_milliseconds_and_records_are_frozen() -> None:
    b = bar(ts=T)
    run = JobRun(run_id="r", job="j", status="running", started_at=T + timedelta(microseconds=1234))
    assert run.started_at.microsecond == 1000
    with pytest.raises(ValidationError):
        b.close = 1  # type: ignore[misc]


def test_order_request_rules() -> None:
    common = {"client_id": "c-1", "account_id": "paper1", "code": "005930", "side": "buy"}
    assert OrderRequest(**common, qty=1, price=70_000).price == 70_000
    assert OrderRequest(**common, qty=1, order_type="market").price is None
    with pytest.raises(ValidationError, match="지정가"):
        OrderRequest(**common, qty=1)
    with pytest.raises(ValidationError, match="시장가"):
        OrderRequest(**common, qty=1, order_type="market", price=70_000)
    with pytest.raises(ValidationError, match="greater than 0"):
        OrderRequest(**common, qty=0, price=70_000)
    with pytest.raises(ValidationError, match="정수"):
        OrderRequest(**common, qty=1.5, price=70_000)
    with pytest.raises(ValidationError, match="식별자"):
        OrderRequest(**{**common, "client_id": "bad id!"}, qty=1, price=70_000)


def test_order_fill_bounds_and_status() -> None:
    req = OrderRequest(
        client_id="c", account_id="a", code="005930", side="sell", qty=5, price=1_000
    )
    with pytest.raises(ValidationError, match="체결수량"):
        Order(request=req, filled_qty=6, created_at=T, updated_at=T)
    assert not OrderStatus.FILLED.is_open
    assert OrderStatus.CANCEL_REQUESTED.is_open


def test_money_is_integer_and_never_negative() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        Account(account_id="a", cash=-1, created_at=T, updated_at=T)
    with pytest.raises(ValidationError, match="정수"):
        Account(account_id="a", cash=1_000.5, created_at=T, updated_at=T)
    with pytest.raises(ValidationError, match="broker"):
        Account(account_id="a", cash=0, broker="kiwoom", created_at=T, updated_at=T)
    fill = Fill(
        fill_id="f", client_id="c", account_id="a", code="005930", side="buy", qty=3,
        price=70_100, ts=T,
    )  # fmt: skip
    assert fill.amount == 210_300


def test_other_records_check_their_ranges() -> None:
    with pytest.raises(ValidationError, match="종료 시각"):
        JobRun(run_id="r", job="j", status="failed", started_at=T, ended_at=T - timedelta(1))
    with pytest.raises(ValidationError, match="거꾸로"):
        BacktestResult(
            backtest_id="b", strategy="s", codes=["005930"], start=date(2024, 2, 1),
            end=date(2024, 1, 1), created_at=T,
        )  # fmt: skip
    with pytest.raises(ValidationError):
        Flow(code="005930", day=date(2024, 1, 2), kind="investor", values={"Bad Key": 1})
    with pytest.raises(ValidationError):
        Flow(code="005930", day=date(2024, 1, 2), kind="investor", values={"x_krw": 1.5})
    with pytest.raises(ValidationError):
        Instrument(code="005930", name="", market="KOSPI")
    with pytest.raises(ValidationError):
        Instrument(code="005930", name="삼성전자", market="NYSE")
