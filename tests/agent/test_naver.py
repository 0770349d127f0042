"""Naver Finance adapter against loopback pages in Naver's documented formats."""

from __future__ import annotations

import itertools
import re
import socket
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest

from stocklab.agent.base import BadResponse, MarketData, NotSupported, SourceUnavailable
from stocklab.agent.naver import DailyPrice, NaverMarketData
from stocklab.config import Settings
from stocklab.krx import trading_days
from stocklab.model import KST, Bar, Timeframe, daily_ts
from stocklab.runtime.sources import naver_source
from tests.support.public_servers import (
    BAD_ROW_DAY,
    NAVER_TODAY,
    NOT_FOUND_PAGE,
    SUSPENDED_DAY,
    FakeNaver,
    NaverDay,
    Reply,
    naver_fixture,  # noqa: F401  (the `naver` fixture)
    naver_history,
    sise_day_html,
)

INTRADAY = datetime(2026, 1, 23, 11, 0, tzinfo=KST)
AFTER_HOURS = datetime(2026, 1, 23, 16, 30, tzinfo=KST)  # regular close passed, 시간외 on
EVENING = datetime(2026, 1, 23, 18, 30, tzinfo=KST)  # KRX's day is over


def _no_wait() -> None:
    pass


def _source(server: FakeNaver, now: datetime = EVENING, **options: Any) -> NaverMarketData:
    return NaverMarketData(
        base_url=server.url, chart_url=server.url, pace=_no_wait, now=lambda: now, **options
    )


@pytest.fixture
def source(naver: FakeNaver) -> Iterator[NaverMarketData]:
    src = _source(naver)
    yield src
    src.close()


def _expected(code: str, start: date, end: date) -> list[NaverDay]:
    """The fake's rows in range, without the suspension day."""
    return [d for d in naver_history(code) if start <= d.day <= end and d.open]


def _as_tuple(bar: Bar | DailyPrice | NaverDay) -> tuple[int, ...]:
    return (bar.open, bar.high, bar.low, bar.close, bar.volume)


def _pages(server: FakeNaver) -> list[int]:
    return [int(s.params["page"]) for s in server.seen if s.path.endswith("sise_day.naver")]


def _chart_requests(server: FakeNaver) -> list[dict[str, str]]:
    return [s.params for s in server.seen if s.path == "/sise.nhn"]


# -- the adjusted chart XML -------------------------------------------------------------


def test_sample_c_first_row_field_by_field(source: NaverMarketData, naver: FakeNaver) -> None:
    (bar,) = source.daily_bars("005930", date(2018, 8, 2), date(2018, 8, 2)).to_bars()
    assert bar.ts == daily_ts(date(2018, 8, 2))
    assert bar.timeframe is Timeframe.DAY
    assert _as_tuple(bar) == (46_550, 46_800, 45_500, 45_550, 8_560_924)
    assert bar.value is None  # the chart has no traded value
    (params,) = _chart_requests(naver)
    assert (params["symbol"], params["timeframe"], params["requestType"]) == ("005930", "day", "0")
    assert int(params["count"]) >= 1835  # sample C: 1,835 bars back to 2018-08-02


def test_the_whole_history_comes_back_without_blank_or_suspension_rows(
    source: NaverMarketData,
) -> None:
    start = date(2018, 8, 2)
    bars = source.daily_bars("005930", start, NAVER_TODAY)
    expected = _expected("005930", start, NAVER_TODAY)
    assert [b.trading_date for b in bars] == [d.day for d in expected]
    assert [_as_tuple(b) for b in bars] == [_as_tuple(d) for d in expected]
    assert SUSPENDED_DAY not in {b.trading_date for b in bars}  # 0|0|0|close|0


def test_the_count_comes_from_the_trading_calendar(
    source: NaverMarketData, naver: FakeNaver
) -> None:
    start = date(2026, 1, 5)
    bars = source.daily_bars("005930", start, date(2026, 1, 16))
    assert [b.trading_date for b in bars] == [
        d.day for d in _expected("005930", start, date(2026, 1, 16))
    ]
    assert bars.to_bars()[0].trading_date == start  # the count reached back far enough
    (params,) = _chart_requests(naver)
    assert int(params["count"]) < 2 * len(trading_days(start, NAVER_TODAY))  # not everything


@pytest.mark.parametrize(
    ("now", "has_today"), [(INTRADAY, False), (AFTER_HOURS, False), (EVENING, True)]
)
def test_todays_bar_only_once_the_krx_day_is_over(
    naver: FakeNaver, now: datetime, has_today: bool
) -> None:
    bars = _source(naver, now=now).daily_bars("005930", date(2026, 1, 19), NAVER_TODAY)
    days = [b.trading_date for b in bars]
    assert (NAVER_TODAY in days) is has_today
    assert date(2026, 1, 22) in days
    if has_today:  # sample C's last row
        assert _as_tuple(bars.to_bars()[-1]) == (154_700, 156_000, 150_100, 152_100, 25_195_543)


def test_an_unknown_symbol_is_empty_not_an_error(source: NaverMarketData) -> None:
    bars = source.daily_bars("999999", date(2026, 1, 1), NAVER_TODAY)  # `<protocol />`
    assert len(bars) == 0


def test_cp949_names_in_an_euc_kr_declared_chart_are_read(source: NaverMarketData) -> None:
    start = date(2025, 12, 1)
    bars = source.daily_bars("0126Z0", start, NAVER_TODAY)  # its name holds 똠 (CP949 only)
    assert [_as_tuple(b) for b in bars] == [
        _as_tuple(d) for d in _expected("0126Z0", start, NAVER_TODAY)
    ]


@pytest.mark.parametrize(
    "body",
    [
        b'\n\n<?xml version="1.0" encoding="EUC-KR" ?>\n<protocol><chartdata symbol="005930"',
        b'<?xml version="1.0" encoding="EUC-KR" ?><protocol><chartdata>'
        b'<item data="20260123|1|2|3" /></chartdata></protocol>',
        b'<?xml version="1.0" encoding="EUC-KR" ?><protocol><chartdata>'
        b'<item data="20260123|1|2|x|1|5" /></chartdata></protocol>',
        b"<html><body>error</body></html>",
    ],
)
def test_a_broken_chart_is_a_bad_response(
    source: NaverMarketData, naver: FakeNaver, body: bytes
) -> None:
    naver.chart_reply = Reply(200, body, "text/xml")
    with pytest.raises(BadResponse) as caught:
        source.daily_bars("005930", date(2026, 1, 1), NAVER_TODAY)
    assert caught.value.hint


def test_an_inconsistent_chart_row_is_refused_by_date(source: NaverMarketData) -> None:
    with pytest.raises(BadResponse) as caught:
        source.daily_bars("900110", date(2026, 1, 1), NAVER_TODAY)
    assert str(BAD_ROW_DAY) in str(caught.value)


# -- the 일별시세 pages -------------------------------------------------------------------


def test_daily_prices_field_by_field_with_signed_changes(
    source: NaverMarketData, naver: FakeNaver
) -> None:
    start = date(2025, 12, 1)
    prices = source.daily_prices("005930", start, NAVER_TODAY)
    expected = _expected("005930", start, NAVER_TODAY)
    assert [p.day for p in prices] == [d.day for d in expected]
    assert [_as_tuple(p) for p in prices] == [_as_tuple(d) for d in expected]
    history = naver_history("005930")
    previous = {b.day: a.close for a, b in itertools.pairwise(history)}
    assert [p.change for p in prices] == [p.close - previous[p.day] for p in prices]
    changes = {(p.change > 0) - (p.change < 0) for p in prices}
    assert changes == {1, 0, -1}  # 상승/상한가, 보합, 하락/하한가 all read
    assert all(p.base_price == previous[p.day] for p in prices)


def test_the_fixture_shows_every_sign_markup_in_that_range() -> None:
    html = "".join(sise_day_html("005930", page) for page in (1, 2, 3, 4))
    markups = [
        r'<em class="bu_p bu_p(up|dn)"><span class="blind">(상승|하락)',  # current pages
        r'<em class="bu_p"><span class="blind">(상한가|하한가)',  # the blind text only
        r'<img [^>]*alt="(상승|하락)"',  # older pages
        r'<em class="bu_p bu_p(up|dn)"></em>',  # the icon class only
        r'<span class="tah p11 (red02|nv01)">\d',  # the colour only
    ]
    for markup in markups:
        assert len(re.findall(markup, html)) >= 2, markup  # both directions


def test_paging_stops_at_the_page_that_reaches_the_start(
    source: NaverMarketData, naver: FakeNaver
) -> None:
    start = date(2025, 12, 1)
    source.daily_prices("005930", start, NAVER_TODAY)
    rows_since = sum(1 for d in naver_history("005930") if d.day >= start)
    assert _pages(naver) == list(range(1, -(-rows_since // 10) + 1))  # 37 rows: pages 1-4


def test_paging_follows_the_last_page_link(source: NaverMarketData, naver: FakeNaver) -> None:
    prices = source.daily_prices("035720", date(2020, 1, 1), NAVER_TODAY)  # 115 rows, 12 pages
    assert len(prices) == 115
    assert _pages(naver) == list(range(1, 13))  # 맨뒤 says 12; the link window shows only 10


def test_without_a_last_page_link_the_largest_page_link_ends_paging(
    source: NaverMarketData, naver: FakeNaver
) -> None:
    prices = source.daily_prices("0126Z0", date(2020, 1, 1), NAVER_TODAY)  # 25 rows, 3 pages
    assert _pages(naver) == [1, 2, 3]
    assert len(prices) == 24  # the suspension day is left out
    assert SUSPENDED_DAY not in {p.day for p in prices}


def test_browser_headers_are_sent(source: NaverMarketData, naver: FakeNaver) -> None:
    source.daily_prices("005930", date(2026, 1, 20), NAVER_TODAY)
    for seen in naver.seen:
        assert seen.headers["user-agent"].startswith("Mozilla/5.0")
        assert seen.headers["referer"] == "https://finance.naver.com/"


def test_without_a_charset_header_the_page_is_still_read_as_cp949(
    source: NaverMarketData, naver: FakeNaver
) -> None:
    naver.sise_reply = Reply(200, sise_day_html("900110", 1).encode("euc-kr"), "text/html")
    prices = source.daily_prices("900110", date(2026, 1, 21), NAVER_TODAY)
    assert [p.day for p in prices] == [date(2026, 1, 21), date(2026, 1, 22), NAVER_TODAY]


def test_a_utf8_page_is_read_by_its_header_too(source: NaverMarketData, naver: FakeNaver) -> None:
    html = sise_day_html("900110", 1).encode("utf-8")
    naver.sise_reply = Reply(200, html, "text/html; charset=UTF-8")
    assert len(source.daily_prices("900110", date(2026, 1, 21), NAVER_TODAY)) == 3


@pytest.mark.parametrize(
    ("now", "has_today"), [(INTRADAY, False), (AFTER_HOURS, False), (EVENING, True)]
)
def test_todays_row_only_once_the_krx_day_is_over(
    naver: FakeNaver, now: datetime, has_today: bool
) -> None:
    prices = _source(naver, now=now).daily_prices("005930", date(2026, 1, 21), NAVER_TODAY)
    assert (NAVER_TODAY in [p.day for p in prices]) is has_today


def test_unadjusted_bars_match_the_table(source: NaverMarketData) -> None:
    start = date(2026, 1, 12)
    bars = source.daily_bars_unadjusted("005930", start, NAVER_TODAY)
    expected = _expected("005930", start, NAVER_TODAY)
    assert bars.codes() == ["005930"]
    assert [b.ts for b in bars] == [daily_ts(d.day) for d in expected]
    assert [_as_tuple(b) for b in bars] == [_as_tuple(d) for d in expected]


def test_an_inconsistent_row_is_refused_by_name(source: NaverMarketData) -> None:
    with pytest.raises(BadResponse) as caught:
        source.daily_prices("900110", date(2026, 1, 1), NAVER_TODAY)
    assert "900110" in str(caught.value)
    assert str(BAD_ROW_DAY) in str(caught.value)


def test_an_unknown_code_has_no_rows(source: NaverMarketData, naver: FakeNaver) -> None:
    assert source.daily_prices("999999", date(2026, 1, 1), NAVER_TODAY) == []
    assert _pages(naver) == [1]


def _euc_kr(html: str) -> Reply:
    return Reply(200, html.encode("euc-kr"), "text/html;charset=EUC-KR")


def test_the_last_page_link_alone_drives_paging(source: NaverMarketData, naver: FakeNaver) -> None:
    navi = (
        '<table class="Nnavi"><tr><td class="on"><a href="/item/sise_day.naver?code=035720'
        '&amp;page=1">1</a></td><td class="pgRR"><a href="/item/sise_day.naver?code=035720'
        '&amp;page=3">맨뒤</a></td></tr></table>'
    )
    html = re.sub(r'<table summary="페이지.*?</table>', navi, sise_day_html("035720", 1))
    naver.sise_reply = _euc_kr(html)
    source.daily_prices("035720", date(2020, 1, 1), NAVER_TODAY)
    assert _pages(naver) == [1, 2, 3]


@pytest.mark.parametrize(
    "reply",
    [
        Reply(403, b"", "text/html"),
        Reply(429, b"", "text/html"),
        _euc_kr(NOT_FOUND_PAGE),  # what Naver sends without a browser User-Agent
        Reply(200, b"", "text/html;charset=EUC-KR"),
        Reply(200, b"   \n", "text/html;charset=EUC-KR"),
    ],
)
def test_a_blocked_page_is_source_unavailable_with_a_hint(
    source: NaverMarketData, naver: FakeNaver, reply: Reply
) -> None:
    naver.sise_reply = reply
    with pytest.raises(SourceUnavailable) as caught:
        source.daily_prices("005930", date(2026, 1, 1), NAVER_TODAY)
    assert "다시" in caught.value.hint


def _mangled(pattern: str, replacement: str) -> Reply:
    return _euc_kr(re.sub(pattern, replacement, sise_day_html("005930", 1)))


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (_mangled("<th>거래량</th>", "<th>거래대금</th>"), "머리글"),  # the layout changed
        (_mangled(r"2026\.01\.22", "2026/01/22"), "날짜"),
        (_mangled(r">152,100<", ">152,1OO<"), "숫자"),
        (_mangled(r'<em class="bu_p[^"]*">.*?</em>|<img [^>]*>| (red02|nv01)', ""), "상승·하락"),
        (Reply(404, b"", "text/html"), "404"),
    ],
)
def test_an_unreadable_page_is_a_bad_response(
    source: NaverMarketData, naver: FakeNaver, reply: Reply, words: str
) -> None:
    naver.sise_reply = reply
    with pytest.raises(BadResponse) as caught:
        source.daily_prices("005930", date(2026, 1, 1), NAVER_TODAY)
    assert words in str(caught.value)
    assert caught.value.hint


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_source_unavailable(
    source: NaverMarketData, naver: FakeNaver, status: int
) -> None:
    naver.sise_reply = naver.chart_reply = Reply(status, b"", "text/html")
    with pytest.raises(SourceUnavailable):
        source.daily_prices("005930", date(2026, 1, 1), NAVER_TODAY)
    with pytest.raises(SourceUnavailable):
        source.daily_bars("005930", date(2026, 1, 1), NAVER_TODAY)


def test_a_timeout_is_source_unavailable(naver: FakeNaver) -> None:
    naver.delay = 1.0
    with pytest.raises(SourceUnavailable, match="시간"):
        _source(naver, timeout=0.2).daily_bars("005930", date(2026, 1, 1), NAVER_TODAY)


def test_a_refused_connection_is_source_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    source = NaverMarketData(base_url=url, chart_url=url, pace=_no_wait, now=lambda: EVENING)
    with pytest.raises(SourceUnavailable) as caught:
        source.daily_prices("005930", date(2026, 1, 1), NAVER_TODAY)
    assert caught.value.hint


# -- the rest ---------------------------------------------------------------------------


def test_from_settings_points_at_the_configured_hosts(naver: FakeNaver) -> None:
    settings = Settings(naver_base_url=naver.url, naver_chart_url=naver.url)
    source = naver_source(settings, now=lambda: EVENING)
    assert isinstance(source, MarketData)
    assert len(source.daily_bars("005930", date(2026, 1, 19), NAVER_TODAY)) == 5
    assert len(source.daily_prices("005930", date(2026, 1, 19), NAVER_TODAY)) == 5
    assert (settings.home / "ratelimit" / "naver").is_file()  # paced across processes


def test_a_range_after_today_fetches_nothing(source: NaverMarketData, naver: FakeNaver) -> None:
    assert len(source.daily_bars("005930", date(2026, 2, 1), date(2026, 2, 5))) == 0
    assert source.daily_prices("005930", date(2026, 2, 1), date(2026, 2, 5)) == []
    assert naver.seen == []


def test_bad_arguments_are_usage_errors(source: NaverMarketData) -> None:
    with pytest.raises(ValueError, match="종목코드"):
        source.daily_bars("5930", NAVER_TODAY, NAVER_TODAY)
    with pytest.raises(ValueError, match="거꾸로"):
        source.daily_prices("005930", NAVER_TODAY, date(2026, 1, 1))


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.instruments(),
        lambda s: s.market_daily(NAVER_TODAY),
        lambda s: s.minute_bars("005930", NAVER_TODAY),
        lambda s: s.quote("005930"),
        lambda s: s.investor_flows("005930", NAVER_TODAY, NAVER_TODAY),
        lambda s: s.credit_balance("005930", NAVER_TODAY, NAVER_TODAY),
        lambda s: s.short_selling("005930", NAVER_TODAY, NAVER_TODAY),
    ],
)
def test_what_the_pages_lack_is_not_supported(source: NaverMarketData, call: object) -> None:
    with pytest.raises(NotSupported):
        call(source)  # type: ignore[operator]
