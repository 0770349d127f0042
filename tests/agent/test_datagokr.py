"""data.go.kr FSC adapter against a loopback gateway serving the documented formats."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest

from stocklab.agent.base import (
    AuthError,
    BadResponse,
    MarketData,
    NotSupported,
    RateLimited,
    SourceError,
    SourceUnavailable,
)
from stocklab.agent.datagokr import DataGoKrMarketData, PriceRow, published_through
from stocklab.barseries import BarSeries
from stocklab.config import Settings
from stocklab.model import KST, Market, daily_ts
from stocklab.runtime.sources import datagokr_source
from tests.support.public_servers import (
    DECODING_KEY,
    ENCODING_KEY,
    MALFORMED_JSON,
    MARKET_DAY_BARS,
    SAMSUNG_DAYS,
    SERVICE_TIMEOUT,
    UNEXPECTED_ERRORS,
    FakeDataGoKr,
    Reply,
    datagokr_fixture,  # noqa: F401  (the `datagokr` fixture)
    envelope_error,
    gateway_error,
    gateway_error_json,
)

MARKET_DAY = date(2022, 9, 19)
AFTER_RELEASE = datetime(2022, 9, 20, 14, 0, tzinfo=KST)  # the 19th is out since 13:00
BEFORE_RELEASE = datetime(2022, 9, 20, 10, 0, tzinfo=KST)


def _no_wait() -> None:
    pass


def _source(
    server: FakeDataGoKr, key: str = DECODING_KEY, now: datetime = AFTER_RELEASE, **options: Any
) -> DataGoKrMarketData:
    return DataGoKrMarketData(
        key, base_url=server.base_url, pace=_no_wait, now=lambda: now, **options
    )


@pytest.fixture
def source(datagokr: FakeDataGoKr) -> Iterator[DataGoKrMarketData]:
    src = _source(datagokr)
    yield src
    src.close()


def _row(rows: list[PriceRow], code: str) -> PriceRow:
    return next(r for r in rows if r.code == code)


def _price_requests(server: FakeDataGoKr) -> list[dict[str, str]]:
    return [s.params for s in server.seen if s.path.endswith("/getStockPriceInfo")]


# -- records --------------------------------------------------------------------------


def test_sample_a_becomes_its_bar_field_by_field(source: DataGoKrMarketData) -> None:
    bars = source.market_daily(MARKET_DAY)
    (bar,) = bars.take(bars.code == "900110").to_bars()
    assert bar.ts == daily_ts(MARKET_DAY)
    assert (bar.open, bar.high, bar.low, bar.close) == (173, 176, 167, 167)
    assert bar.volume == 2_788_311
    assert bar.value == 475_708_047  # trPrc, KRW


def test_sample_a_row_keeps_every_documented_field(source: DataGoKrMarketData) -> None:
    row = _row(source.price_rows(MARKET_DAY), "900110")
    assert row == PriceRow(
        day=MARKET_DAY,
        code="900110",
        name="이스트아시아홀딩스",
        isin="HK0000057197",
        market=Market.KOSDAQ,
        close=167,
        change=-8,
        change_pct=Decimal("-4.57"),
        open=173,
        high=176,
        low=167,
        volume=2_788_311,
        value=475_708_047,
        listed_shares=219_932_050,
        market_cap=36_728_652_350,
    )


def test_whole_market_is_paged_until_total_count(
    source: DataGoKrMarketData, datagokr: FakeDataGoKr
) -> None:
    bars = source.market_daily(MARKET_DAY)
    assert isinstance(bars, BarSeries)
    assert len(bars) == MARKET_DAY_BARS
    assert bars.is_sorted()
    assert set(bars.ts.tolist()) == {int(daily_ts(MARKET_DAY).timestamp())}
    requests = _price_requests(datagokr)
    assert [(r["pageNo"], r["numOfRows"]) for r in requests] == [
        ("1", "1000"),
        ("2", "1000"),
        ("3", "1000"),  # the short last page: 345 rows
    ]
    assert all(r["basDt"] == "20220919" and r["resultType"] == "json" for r in requests)


def test_a_capped_page_size_sets_the_stride(
    source: DataGoKrMarketData, datagokr: FakeDataGoKr
) -> None:
    datagokr.page_cap = 400  # the server returns fewer rows than asked, silently
    bars = source.market_daily(MARKET_DAY)
    assert len(bars) == MARKET_DAY_BARS
    assert len(np.unique(bars.code)) == MARKET_DAY_BARS
    requests = _price_requests(datagokr)
    assert [r["pageNo"] for r in requests] == ["1", "2", "3", "4", "5", "6"]
    assert [r["numOfRows"] for r in requests] == ["1000", "400", "400", "400", "400", "400"]


def test_string_numbers_commas_dot_and_missing_cells(source: DataGoKrMarketData) -> None:
    rows = source.price_rows(MARKET_DAY)
    samsung = _row(rows, "005930")  # " 57,600 ", "23,334,687", "343,859,474,880,000"
    assert (samsung.close, samsung.open, samsung.high, samsung.low) == (
        57_600,
        59_000,
        59_100,
        57_500,
    )
    assert samsung.volume == 23_334_687
    assert samsung.value == 1_360_076_149_300
    assert samsung.market_cap == 343_859_474_880_000
    hynix = _row(rows, "000660")
    assert hynix.change_pct == Decimal("0.11")  # ".11"
    assert hynix.volume == 41_250  # "41,250"
    alnum = _row(rows, "0126Z0")
    assert (alnum.change, alnum.change_pct) == (None, None)  # "N/A"
    konex = _row(rows, "278990")
    assert konex.market is Market.KONEX
    assert (konex.value, konex.listed_shares) == (None, None)  # "-" and ""
    absent = _row(rows, "950200")
    assert (absent.value, absent.market_cap) == (None, None)  # fields missing entirely


def test_a_missing_value_stays_unknown_in_the_bars(source: DataGoKrMarketData) -> None:
    bars = source.market_daily(MARKET_DAY)
    (konex,) = bars.take(bars.code == "278990").to_bars()
    assert konex.value is None
    assert konex.close == 167


def test_only_krx_stock_codes_and_traded_rows_become_bars(source: DataGoKrMarketData) -> None:
    rows = source.price_rows(MARKET_DAY)
    codes = {r.code for r in rows}
    assert "12345" not in codes  # not a KRX short code
    assert "950220" not in codes  # no market
    halted = _row(rows, "950210")
    assert (halted.open, halted.high, halted.low, halted.close) == (0, 0, 0, 167)
    assert not halted.traded
    bar_codes = set(source.market_daily(MARKET_DAY).codes())
    assert "950210" not in bar_codes  # a halt day is skipped, not stored with invented prices
    assert {"0126Z0", "278990", "900110", "005930"} <= bar_codes


def test_a_holiday_answered_with_empty_items_gives_no_bars(
    source: DataGoKrMarketData, datagokr: FakeDataGoKr
) -> None:
    bars = source.market_daily(date(2022, 9, 12))  # 추석 연휴: `"items": ""`, totalCount 0
    assert len(bars) == 0
    assert len(_price_requests(datagokr)) == 1


@pytest.mark.parametrize("code", ["03", "013"])
def test_no_data_codes_give_an_empty_result(
    source: DataGoKrMarketData, datagokr: FakeDataGoKr, code: str
) -> None:
    datagokr.reply = envelope_error(code, "NODATA_ERROR")
    assert len(source.market_daily(MARKET_DAY)) == 0
    assert source.price_rows(MARKET_DAY) == []


def test_one_code_over_a_range_includes_the_end_day(
    source: DataGoKrMarketData, datagokr: FakeDataGoKr
) -> None:
    start, end = date(2022, 9, 14), date(2022, 9, 22)
    bars = source.daily_bars("005930", start, end)
    days = [b.trading_date for b in bars]
    assert days == [d for d in SAMSUNG_DAYS if start <= d <= end]
    assert days[-1] == end
    (params,) = _price_requests(datagokr)
    assert params["likeSrtnCd"] == "005930"
    assert (params["beginBasDt"], params["endBasDt"]) == ("20220914", "20220923")  # exclusive
    (on_19th,) = [b for b in bars if b.trading_date == MARKET_DAY]
    assert (on_19th.open, on_19th.close, on_19th.volume) == (59_000, 57_600, 23_334_687)


def test_the_code_is_filtered_exactly_when_the_server_ignores_the_filter(
    source: DataGoKrMarketData, datagokr: FakeDataGoKr
) -> None:
    datagokr.ignore_like_code = True  # the whole universe comes back
    bars = source.daily_bars("005930", date(2022, 9, 19), date(2022, 9, 20))
    assert bars.codes() == ["005930"]
    assert [b.trading_date for b in bars] == [date(2022, 9, 19), date(2022, 9, 20)]


def test_a_single_item_sent_as_an_object_is_read(source: DataGoKrMarketData) -> None:
    bars = source.daily_bars("900110", MARKET_DAY, MARKET_DAY)  # one row: `item` is an object
    assert [(b.code, b.close) for b in bars] == [("900110", 167)]


def test_a_row_whose_prices_contradict_is_refused_by_name(
    source: DataGoKrMarketData, datagokr: FakeDataGoKr
) -> None:
    # High 4% under the close: more than the rounding repair widens.
    datagokr.prices.append(
        {"basDt": "20220926", "srtnCd": "777770", "itmsNm": "모순", "mrktCtg": "KOSDAQ",
         "clpr": "1000", "mkp": "990", "hipr": "960", "lopr": "950", "trqu": "10"}
    )  # fmt: skip
    with pytest.raises(BadResponse) as caught:
        source.market_daily(date(2022, 9, 26))
    assert "777770" in str(caught.value)
    assert "2022-09-26" in str(caught.value)


def test_junk_in_a_number_cell_is_a_bad_response(
    source: DataGoKrMarketData, datagokr: FakeDataGoKr
) -> None:
    datagokr.prices.append(
        {"basDt": "20220926", "srtnCd": "777770", "itmsNm": "깨짐", "mrktCtg": "KOSDAQ",
         "clpr": "1,0O0", "mkp": "990", "hipr": "1000", "lopr": "980", "trqu": "10"}
    )  # fmt: skip
    with pytest.raises(BadResponse, match="777770"):
        source.market_daily(date(2022, 9, 26))


def test_a_high_rounded_a_few_won_under_the_close_is_repaired_as_everywhere(
    source: DataGoKrMarketData, datagokr: FakeDataGoKr
) -> None:
    datagokr.prices.append(
        {"basDt": "20220926", "srtnCd": "777770", "itmsNm": "반올림", "mrktCtg": "KOSDAQ",
         "clpr": "1000", "mkp": "990", "hipr": "995", "lopr": "980", "trqu": "10"}
    )  # fmt: skip
    bars = source.market_daily(date(2022, 9, 26))
    row = bars.take(bars.code == "777770")
    assert (int(row.high[0]), int(row.low[0])) == (1000, 980)  # raised to the close
    assert row.repaired_count == 1


# -- the listing ------------------------------------------------------------------------


def test_instruments_come_from_the_newest_published_day(
    source: DataGoKrMarketData, datagokr: FakeDataGoKr
) -> None:
    found = {i.code: i for i in source.instruments()}
    assert datagokr.seen[0].params["basDt"] == "20220919"
    assert set(found) == {"005930", "0126Z0", "278990", "451230", "900110"}  # `A` dropped
    samsung = found["005930"]
    assert (samsung.name, samsung.market, samsung.source) == ("삼성전자", Market.KOSPI, "datagokr")
    assert found["900110"].name == "이스트아시아홀딩스"


def test_before_13h_the_listing_is_the_day_before(datagokr: FakeDataGoKr) -> None:
    source = _source(datagokr, now=BEFORE_RELEASE)
    codes = {i.code for i in source.instruments()}
    assert datagokr.seen[0].params["basDt"] == "20220916"
    assert "451230" not in codes  # listed from the 19th


def test_a_late_listing_falls_back_to_the_previous_trading_day(
    source: DataGoKrMarketData, datagokr: FakeDataGoKr
) -> None:
    datagokr.listings = [r for r in datagokr.listings if r["basDt"] != "20220919"]
    codes = {i.code for i in source.instruments()}
    assert [s.params["basDt"] for s in datagokr.seen] == ["20220919", "20220916"]
    assert "005930" in codes


def test_instruments_of_one_market(source: DataGoKrMarketData) -> None:
    konex = source.instruments(Market.KONEX)
    assert [(i.code, i.market) for i in konex] == [("278990", Market.KONEX)]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2022, 9, 20, 13, 0, tzinfo=KST), date(2022, 9, 19)),  # Tue 13:00: Monday
        (datetime(2022, 9, 20, 12, 59, tzinfo=KST), date(2022, 9, 16)),  # Tue 12:59: Friday
        (datetime(2022, 9, 17, 20, 0, tzinfo=KST), date(2022, 9, 15)),  # Sat: Friday not yet
        (datetime(2022, 9, 19, 14, 0, tzinfo=KST), date(2022, 9, 16)),  # Mon 14:00: Friday
        (datetime(2022, 9, 13, 14, 0, tzinfo=KST), date(2022, 9, 8)),  # after 추석 (9–12)
    ],
)
def test_published_through_follows_the_next_business_day_13h(now: datetime, expected: date) -> None:
    assert published_through(now) == expected


# -- errors -----------------------------------------------------------------------------

XML_ENVELOPE = b"<response><header><resultCode>00</resultCode></header></response>"
ERRORS = [
    # (reply, error type, words the message or hint must carry)
    (gateway_error("30", "SERVICE_KEY_IS_NOT_REGISTERED_ERROR"), AuthError, ["30", "하루"]),
    (gateway_error("30", "SERVICE_KEY_IS_NOT_REGISTERED_ERROR", status=401), AuthError, ["30"]),
    (gateway_error_json("30", "SERVICE_KEY_IS_NOT_REGISTERED_ERROR", status=403), AuthError, []),
    (gateway_error("SERVICE_KEY_IS_NOT_REGISTERED_ERROR", "SERVICE ERROR"), AuthError, ["30"]),
    (gateway_error("31", "DEADLINE_HAS_EXPIRED_ERROR"), AuthError, ["연장"]),
    (gateway_error("32", "UNREGISTERED_IP_ERROR"), AuthError, ["IP"]),
    (gateway_error("20", "SERVICE_ACCESS_DENIED_ERROR"), AuthError, ["활용신청"]),
    (gateway_error("22", "LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR"), RateLimited, []),
    (
        gateway_error("LIMITED_NUMBER_OF_SERVICE_REQUESTS_EXCEEDS_ERROR", "SERVICE ERROR"),
        RateLimited,
        ["22"],
    ),
    (envelope_error("22", "LIMITED NUMBER OF SERVICE REQUESTS EXCEEDS ERROR"), RateLimited, []),
    (envelope_error("020", "요청 제한을 초과하였습니다"), RateLimited, []),
    (envelope_error("10", "INVALID_REQUEST_PARAMETER_ERROR"), BadResponse, ["10", "INVALID"]),
    (envelope_error("12", "NO_OPENAPI_SERVICE_ERROR"), BadResponse, ["12"]),
    (envelope_error("99", "UNKNOWN_ERROR"), BadResponse, ["99"]),
    (envelope_error("1", "APPLICATION_ERROR"), BadResponse, ["APPLICATION_ERROR"]),
    (UNEXPECTED_ERRORS, SourceUnavailable, ["Unexpected errors"]),
    (Reply(200, b"Unexpected errors", "text/plain"), SourceUnavailable, []),
    (SERVICE_TIMEOUT, SourceUnavailable, ["SERVICETIMEOUT_ERROR"]),
    (Reply(504, b"<html>504 Gateway Time-out</html>", "text/html"), SourceUnavailable, ["504"]),
    (Reply(401, b"Unauthorized", "text/plain"), AuthError, ["401"]),
    (Reply(429, b"", "text/plain"), RateLimited, ["429"]),
    (Reply(404, b"Not Found", "text/plain"), BadResponse, ["404"]),
    (MALFORMED_JSON, BadResponse, ["JSON"]),
    # Bodies that echo the key must not carry it into the error.
    (Reply(400, f"bad: serviceKey={ENCODING_KEY}".encode(), "text/plain"), BadResponse, ["400"]),
    (gateway_error("30", f"SERVICE_KEY_IS_NOT_REGISTERED_ERROR {DECODING_KEY}"), AuthError, ["30"]),
    (Reply(200, b'{"result": []}', "application/json"), BadResponse, ["JSON"]),
    (Reply(200, XML_ENVELOPE, "text/xml"), BadResponse, ["JSON"]),  # resultType ignored
]  # fmt: skip


@pytest.mark.parametrize(("reply", "error", "words"), ERRORS)
def test_every_documented_error_is_typed_with_a_hint(
    source: DataGoKrMarketData,
    datagokr: FakeDataGoKr,
    caplog: pytest.LogCaptureFixture,
    reply: Reply,
    error: type[SourceError],
    words: list[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    datagokr.reply = reply
    with pytest.raises(error) as caught:
        source.market_daily(MARKET_DAY)
    exc = caught.value
    assert exc.hint
    assert exc.source == "datagokr"
    for word in words:
        assert word in str(exc)
    if isinstance(exc, RateLimited):
        assert exc.daily == (reply.status != 429)  # quota codes stop the job for the day
    _assert_no_key(str(exc) + repr(exc) + caplog.text)


def test_auth_hints_say_what_to_do(source: DataGoKrMarketData, datagokr: FakeDataGoKr) -> None:
    datagokr.reply = gateway_error("30", "SERVICE_KEY_IS_NOT_REGISTERED_ERROR")
    with pytest.raises(AuthError) as caught:
        source.instruments()
    assert "STOCKLAB_DATAGOKR_KEY" in caught.value.hint


def test_quota_hint_says_run_tomorrow(source: DataGoKrMarketData, datagokr: FakeDataGoKr) -> None:
    datagokr.reply = envelope_error("22", "LIMITED NUMBER OF SERVICE REQUESTS EXCEEDS ERROR")
    with pytest.raises(RateLimited) as caught:
        source.market_daily(MARKET_DAY)
    assert "내일" in caught.value.hint
    assert len(datagokr.seen) == 1  # no retry burns more of the quota


def test_quota_in_the_middle_of_paging_stops_without_partial_data(
    source: DataGoKrMarketData, datagokr: FakeDataGoKr
) -> None:
    datagokr.reply = envelope_error("22", "LIMITED NUMBER OF SERVICE REQUESTS EXCEEDS ERROR")
    datagokr.reply_after = 1  # page 1 is served, page 2 hits the quota
    with pytest.raises(RateLimited) as caught:
        source.market_daily(MARKET_DAY)
    assert caught.value.daily
    assert len(datagokr.seen) == 2


def test_a_timeout_is_source_unavailable(datagokr: FakeDataGoKr) -> None:
    datagokr.delay = 1.0
    source = _source(datagokr, timeout=0.2)
    with pytest.raises(SourceUnavailable) as caught:
        source.market_daily(MARKET_DAY)
    assert "시간" in str(caught.value)
    _assert_no_key(str(caught.value))


def test_a_refused_connection_is_source_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    source = DataGoKrMarketData(DECODING_KEY, base_url=f"http://127.0.0.1:{port}/x", pace=_no_wait)
    with pytest.raises(SourceUnavailable) as caught:
        source.market_daily(MARKET_DAY)
    assert caught.value.hint
    _assert_no_key(str(caught.value))


# -- the service key ----------------------------------------------------------------------


def _assert_no_key(text: str) -> None:
    for form in (DECODING_KEY, ENCODING_KEY, quote(ENCODING_KEY, safe="")):
        assert form not in text


@pytest.mark.parametrize("key", [DECODING_KEY, ENCODING_KEY, f"  {DECODING_KEY}\n"])
def test_either_portal_key_is_sent_encoded_exactly_once(datagokr: FakeDataGoKr, key: str) -> None:
    source = _source(datagokr, key=key)
    assert len(source.daily_bars("900110", MARKET_DAY, MARKET_DAY)) == 1
    (seen,) = datagokr.seen
    assert f"serviceKey={ENCODING_KEY}" in seen.query


def test_a_double_encoded_key_is_refused_like_the_gateway_does(datagokr: FakeDataGoKr) -> None:
    source = _source(datagokr, key=quote(ENCODING_KEY, safe=""))  # %252B…
    with pytest.raises(AuthError, match="30"):
        source.market_daily(MARKET_DAY)


def test_the_key_never_shows_in_logs_or_reprs(
    datagokr: FakeDataGoKr, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    source = _source(datagokr)
    source.market_daily(MARKET_DAY)
    source.instruments()
    assert "getStockPriceInfo" in caplog.text  # httpx logs each request URL at INFO
    assert "getItemInfo" in caplog.text
    _assert_no_key(caplog.text + repr(source) + str(vars(source).get("_client")))


def test_from_settings_reads_the_key_from_the_environment(
    datagokr: FakeDataGoKr, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STOCKLAB_DATAGOKR_KEY", ENCODING_KEY)
    settings = Settings(datagokr_base_url=datagokr.base_url)
    source = datagokr_source(settings)
    assert isinstance(source, MarketData)
    assert len(source.market_daily(MARKET_DAY)) == MARKET_DAY_BARS
    limiter_state = settings.home / "ratelimit" / "datagokr"  # shared by every process
    assert len(limiter_state.read_text().split()) == 3  # one stamp per page fetched
    _assert_no_key(repr(source))


def test_from_settings_without_a_key_says_where_to_put_it() -> None:
    with pytest.raises(AuthError) as caught:
        datagokr_source(Settings())
    assert "STOCKLAB_DATAGOKR_KEY" in caught.value.hint
    assert "data.go.kr" in caught.value.hint


def test_bad_arguments_are_usage_errors(source: DataGoKrMarketData) -> None:
    with pytest.raises(ValueError, match="종목코드"):
        source.daily_bars("5930", MARKET_DAY, MARKET_DAY)
    with pytest.raises(ValueError, match="거꾸로"):
        source.daily_bars("005930", MARKET_DAY, date(2022, 9, 1))
    with pytest.raises(TypeError):
        source.market_daily(AFTER_RELEASE)  # type: ignore[arg-type]


def test_what_the_portal_lacks_is_not_supported(source: DataGoKrMarketData) -> None:
    with pytest.raises(NotSupported):
        source.minute_bars("005930", MARKET_DAY)
    with pytest.raises(NotSupported):
        source.quote("005930")
    with pytest.raises(NotSupported):
        source.investor_flows("005930", MARKET_DAY, MARKET_DAY)
