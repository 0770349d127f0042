"""`LsMarketData` against the LS stand-in: every TR's published example, field by field,
with units converted; continuation over many pages; no bar of an unfinished session."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from stocklab.agent.base import INVESTOR_GROUPS, MarketData, NotSupported
from stocklab.agent.ls.market_data import final_through
from stocklab.krx import trading_days
from stocklab.model import KST, BookLevel, FlowKind, Market, SecurityKind, daily_ts
from tests.support.ls_server import (
    SAMPLES,
    LsTestServer,
    daily_rows,
    ls_server_fixture,  # noqa: F401 (the ls_server fixture)
    ls_source,
    minute_rows,
)

M = 1_000_000


def sample_rows(tr_cd: str, block: str) -> list[dict[str, Any]]:
    return json.loads((SAMPLES / f"{tr_cd}.json").read_text())["response"]["body"][block]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=KST)


def test_it_is_a_market_data_source(ls_server: LsTestServer, tmp_path: Path) -> None:
    with ls_source(ls_server, tmp_path / "home") as source:
        assert isinstance(source, MarketData)
        assert source.name == "ls"


# -- t8436 -------------------------------------------------------------------------------


def test_instruments_from_the_t8436_example(ls_server: LsTestServer, tmp_path: Path) -> None:
    with ls_source(ls_server, tmp_path / "home") as source:
        found = source.instruments()
    assert [(i.code, i.name, i.market, i.kind, i.source) for i in found] == [
        ("000020", "동화약품", Market.KOSPI, SecurityKind.STOCK, "ls"),
        ("005385", "현대차우", Market.KOSPI, SecurityKind.STOCK, "ls"),
    ]
    assert ls_server.seen("t8436")[0].body == {"t8436InBlock": {"gubun": "0"}}


def test_instruments_by_market_kind_and_odd_codes(ls_server: LsTestServer, tmp_path: Path) -> None:
    template = sample_rows("t8436", "t8436OutBlock")[0]
    ls_server.rows["t8436"] = [
        {**template, "shcode": "069500", "hname": "KODEX 200  ", "etfgubun": "1"},
        {**template, "shcode": "500001", "hname": "신한 ETN\0\0", "etfgubun": "2", "gubun": "2"},
        {**template, "shcode": "0088K0", "hname": "코스닥주", "gubun": "2"},
        {**template, "shcode": "12345", "hname": "잘린 코드", "gubun": "2"},
    ]
    with ls_source(ls_server, tmp_path / "home") as source:
        kosdaq = source.instruments(Market.KOSDAQ)
        kospi = source.instruments(Market.KOSPI)
        with pytest.raises(NotSupported, match="KONEX"):
            source.instruments(Market.KONEX)
    assert [(i.code, i.name, i.kind) for i in kosdaq] == [
        ("500001", "신한 ETN", SecurityKind.ETN),
        ("0088K0", "코스닥주", SecurityKind.STOCK),
    ]
    assert [(i.code, i.name, i.kind, i.market) for i in kospi] == [
        ("069500", "KODEX 200", SecurityKind.ETF, Market.KOSPI)
    ]
    assert [r.body["t8436InBlock"]["gubun"] for r in ls_server.seen("t8436")] == ["2", "1"]


# -- daily bars --------------------------------------------------------------------------


def test_daily_bars_from_the_t8410_example(ls_server: LsTestServer, tmp_path: Path) -> None:
    with ls_source(ls_server, tmp_path / "home") as source:
        bars = source.daily_bars("078020", date(2023, 6, 1), date(2023, 6, 30))
    (bar,) = bars.to_bars()
    assert (bar.code, bar.ts, bar.timeframe.value) == ("078020", daily_ts(date(2023, 6, 5)), "1d")
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (4550, 4600, 4520, 4530, 33764)
    assert bar.value == 153 * M
    (seen,) = ls_server.seen("t8410")
    assert seen.body == {
        "t8410InBlock": {
            "shcode": "078020",
            "gubun": "2",
            "qrycnt": 500,
            "sdate": "20230601",
            "edate": "20230630",
            "cts_date": "",
            "comp_yn": "N",
            "sujung": "Y",
        }
    }


def test_daily_bars_follow_continuation_across_pages(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    days = trading_days(date(2018, 1, 2), date(2023, 12, 28))[:1200]
    ls_server.rows["t8410"] = rows = daily_rows(days)
    with ls_source(ls_server, tmp_path / "home") as source:
        bars = source.daily_bars("005930", days[0], days[-1])
    assert len(bars) == 1200
    assert bars.datetimes() == [daily_ts(d) for d in days]  # every row once, in order
    assert bars.open.tolist() == [r["open"] for r in rows]
    assert bars.close.tolist() == [r["close"] for r in rows]
    assert bars.volume.tolist() == [r["jdiff_vol"] for r in rows]
    assert bars.value.tolist() == [r["value"] * M for r in rows]
    seen = ls_server.seen("t8410")
    assert [(s.headers["tr_cont"], bool(s.headers["tr_cont_key"])) for s in seen] == [
        ("N", False),
        ("Y", True),
        ("Y", True),
    ]
    # pages go back in time; the cursor is the newest row the server has not sent yet
    assert [s.body["t8410InBlock"]["cts_date"] for s in seen] == [
        "",
        f"{days[-501]:%Y%m%d}",
        f"{days[-1001]:%Y%m%d}",
    ]


def test_a_full_t8410_page_without_continuation_is_asked_again_for_the_rest(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    days = trading_days(date(2018, 1, 2), date(2023, 12, 28))[:1200]
    ls_server.rows["t8410"] = daily_rows(days)
    ls_server.uncontinued.add("t8410")  # 500 rows a query, tr_cont N, no cts_date
    with ls_source(ls_server, tmp_path / "home") as source:
        bars = source.daily_bars("005930", days[0], days[-1])
    assert bars.datetimes() == [daily_ts(d) for d in days]  # all 1200, not the newest 500
    seen = ls_server.seen("t8410")
    assert [(s.headers["tr_cont"], s.body["t8410InBlock"]["cts_date"]) for s in seen] == [
        ("N", "")
    ] * 3  # new queries, each ending the day before the last one's earliest row
    assert [s.body["t8410InBlock"]["edate"] for s in seen] == [
        f"{days[-1]:%Y%m%d}",
        f"{days[-500] - timedelta(days=1):%Y%m%d}",
        f"{days[-1000] - timedelta(days=1):%Y%m%d}",
    ]
    assert {s.body["t8410InBlock"]["sdate"] for s in seen} == {f"{days[0]:%Y%m%d}"}


@pytest.mark.parametrize(
    ("now", "last"),
    [
        (at(2024, 9, 6, 8, 0), date(2024, 9, 5)),  # before the open
        (at(2024, 9, 6, 15, 45), date(2024, 9, 5)),  # closed, after-hours still trading
        (at(2024, 9, 6, 17, 59), date(2024, 9, 5)),
        (at(2024, 9, 6, 18, 0), date(2024, 9, 6)),  # after-hours over: final
        (at(2024, 9, 7, 11, 0), date(2024, 9, 7)),  # Saturday: nothing is open
        (at(2024, 9, 16, 12, 0), date(2024, 9, 16)),  # 추석 holiday
    ],
)
def test_daily_data_is_final_once_the_days_trading_is_over(now: datetime, last: date) -> None:
    assert final_through(now) == last


def test_no_daily_bar_for_a_session_still_trading(ls_server: LsTestServer, tmp_path: Path) -> None:
    ls_server.rows["t8410"] = daily_rows([date(2024, 9, 5), date(2024, 9, 6)])
    with ls_source(ls_server, tmp_path / "home", now=lambda: at(2024, 9, 6, 14, 0)) as source:
        bars = source.daily_bars("078020", date(2024, 9, 1), date(2024, 9, 6))
        assert source.daily_bars("078020", date(2024, 9, 6), date(2024, 9, 6)).datetimes() == []
    assert bars.datetimes() == [daily_ts(date(2024, 9, 5))]
    assert ls_server.seen("t8410")[0].body["t8410InBlock"]["edate"] == "20240905"
    assert len(ls_server.seen("t8410")) == 1  # nothing to ask for today alone


def test_daily_bars_from_the_t1305_example(ls_server: LsTestServer, tmp_path: Path) -> None:
    with ls_source(ls_server, tmp_path / "home") as source:
        (bar,) = source.daily_bars_t1305("001200", date(2023, 6, 1), date(2023, 6, 30)).to_bars()
    assert (bar.code, bar.ts) == ("001200", daily_ts(date(2023, 6, 5)))
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (3660, 3750, 3645, 3685, 321201)
    assert bar.value == 1188 * M


def test_t1305_pages_back_only_until_the_start(ls_server: LsTestServer, tmp_path: Path) -> None:
    days = trading_days(date(2023, 5, 2), date(2023, 6, 30))[:30]
    ls_server.rows["t1305"] = rows = daily_rows(days, "t1305")
    ls_server.page_size["t1305"] = 10
    with ls_source(ls_server, tmp_path / "home") as source:
        bars = source.daily_bars_t1305("001200", days[-12], days[-1])
    assert bars.datetimes() == [daily_ts(d) for d in days[-12:]]
    assert bars.volume.tolist() == [r["volume"] for r in rows[-12:]]
    assert len(ls_server.seen("t1305")) == 2  # the third page is older than the start


def test_market_daily_is_not_offered(ls_server: LsTestServer, tmp_path: Path) -> None:
    with ls_source(ls_server, tmp_path / "home") as source, pytest.raises(NotSupported) as caught:
        source.market_daily(date(2024, 9, 6))
    assert "datagokr" in caught.value.hint


def test_bad_codes_and_periods_fail_before_any_request(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    with ls_source(ls_server, tmp_path / "home") as source:
        with pytest.raises(ValueError, match="KRX 단축코드"):
            source.daily_bars("78020", date(2023, 6, 1), date(2023, 6, 30))
        with pytest.raises(ValueError, match="거꾸로"):
            source.short_selling("005930", date(2023, 6, 30), date(2023, 6, 1))
    assert ls_server.requests == []


# -- minute bars -------------------------------------------------------------------------


def test_minute_bars_from_the_t8412_example(ls_server: LsTestServer, tmp_path: Path) -> None:
    rows = [r for r in sample_rows("t8412", "t8412OutBlock1") if r["date"] == "20240906"]
    with ls_source(ls_server, tmp_path / "home") as source:
        bars = source.minute_bars("078020", date(2024, 9, 6)).to_bars()
    assert len(bars) == len(rows) == 249
    first, last = bars[0], bars[-1]
    # LS labels a bar by its end: "111300" is the minute from 11:12
    assert (first.ts, first.open, first.high, first.low, first.close) == (
        at(2024, 9, 6, 11, 12),
        4445,
        4470,
        4445,
        4470,
    )
    assert (first.volume, first.value) == (2317, 10 * M)
    assert (last.ts, last.close, last.volume) == (at(2024, 9, 6, 15, 29), 4555, 2235)
    for bar, row in zip(bars, rows, strict=True):
        end = datetime.strptime(row["date"] + row["time"], "%Y%m%d%H%M%S").replace(tzinfo=KST)
        assert bar.ts == end - timedelta(minutes=1)
        assert (bar.open, bar.high, bar.low, bar.close) == (
            row["open"],
            row["high"],
            row["low"],
            row["close"],
        )
        assert (bar.volume, bar.value) == (row["jdiff_vol"], row["value"] * M)
    in_block = ls_server.seen("t8412")[0].body["t8412InBlock"]
    assert (in_block["ncnt"], in_block["sdate"], in_block["edate"]) == (1, "20240906", "20240906")


def test_no_minute_bar_for_a_minute_not_yet_over(ls_server: LsTestServer, tmp_path: Path) -> None:
    now = at(2024, 9, 9, 12, 0, 30)
    with ls_source(ls_server, tmp_path / "home", now=lambda: now) as source:
        bars = source.minute_bars("078020", date(2024, 9, 9))
    ended = [r for r in sample_rows("t8412", "t8412OutBlock1") if r["date"] == "20240909"]
    ended = [r for r in ended if r["time"] <= "120000"]
    assert len(bars) == len(ended)
    assert bars.datetimes()[0] == at(2024, 9, 9, 9, 0)  # the open, labelled 09:01
    assert bars.datetimes()[-1] == at(2024, 9, 9, 11, 59)  # 12:00 is still running


def test_minute_bars_follow_both_cursors_across_pages(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    ls_server.rows["t8412"] = rows = minute_rows(date(2024, 9, 6), 381)
    ls_server.page_size["t8412"] = 150
    with ls_source(ls_server, tmp_path / "home") as source:
        bars = source.minute_bars("078020", date(2024, 9, 6))
    assert bars.datetimes() == [at(2024, 9, 6, 9, 0) + timedelta(minutes=i) for i in range(381)]
    assert bars.close.tolist() == [r["close"] for r in rows]
    seen = ls_server.seen("t8412")
    assert [
        (s.body["t8412InBlock"]["cts_date"], s.body["t8412InBlock"]["cts_time"]) for s in seen
    ] == [
        ("", ""),
        ("20240906", rows[-151]["time"]),
        ("20240906", rows[-301]["time"]),
    ]


# -- quote -------------------------------------------------------------------------------


def test_quote_from_the_t1101_example(ls_server: LsTestServer, tmp_path: Path) -> None:
    with ls_source(ls_server, tmp_path / "home", now=lambda: at(2023, 6, 5, 10, 10)) as source:
        quote = source.quote("078020")
    assert (quote.code, quote.price, quote.prev_close, quote.volume) == ("078020", 4545, 4525, 4937)
    assert (quote.open, quote.high, quote.low) == (4550, 4600, 4540)
    assert (quote.upper_limit, quote.lower_limit) == (5880, 3170)
    assert quote.ts == at(2023, 6, 5, 10, 6, 14)  # hotime "10061477"
    ask_prices = (4550, *range(4560, 4605, 5))
    ask_qtys = (83, 126, 1, 574, 759, 459, 700, 805, 884, 1371)
    bid_qtys = (448, 1319, 31, 312, 1199, 253, 5, 23, 34, 126)
    assert quote.asks == tuple(
        BookLevel(price=p, qty=q) for p, q in zip(ask_prices, ask_qtys, strict=True)
    )
    assert quote.bids == tuple(
        BookLevel(price=p, qty=q) for p, q in zip(range(4545, 4495, -5), bid_qtys, strict=True)
    )
    assert quote.source == "ls"


@pytest.mark.parametrize(
    ("now", "ts"),
    [
        (at(2023, 6, 10, 11, 0), at(2023, 6, 9, 10, 6, 14)),  # Saturday: Friday's book
        (at(2023, 6, 5, 9, 30), at(2023, 6, 2, 10, 6, 14)),  # 10:06 today has not come yet
    ],
)
def test_quote_time_is_the_latest_trading_day_at_that_time(
    ls_server: LsTestServer, tmp_path: Path, now: datetime, ts: datetime
) -> None:
    with ls_source(ls_server, tmp_path / "home", now=lambda: now) as source:
        assert source.quote("078020").ts == ts


def test_empty_book_levels_are_left_out(ls_server: LsTestServer, tmp_path: Path) -> None:
    out = ls_server.samples["t1101"]["response"]["body"]["t1101OutBlock"]
    for i in range(4, 11):
        out[f"offerho{i}"] = out[f"offerrem{i}"] = 0
    out["bidho10"] = 0
    with ls_source(ls_server, tmp_path / "home") as source:
        quote = source.quote("078020")
    assert [level.price for level in quote.asks] == [4550, 4560, 4565]
    assert len(quote.bids) == 9


# -- flows -------------------------------------------------------------------------------

TJJ = {
    "0000": "private_equity",
    "0001": "securities",
    "0002": "insurance",
    "0003": "investment_trust",
    "0004": "bank",
    "0005": "merchant_bank",
    "0006": "pension_fund",
    "0007": "other_corp",
    "0008": "individual",
    "0009": "foreign_registered",
    "0010": "foreign_unregistered",
    "0011": "nation",
    "0016": "foreign",
    "0017": "other",
    "0018": "institution",
}


def test_investor_flows_from_the_t1717_example(ls_server: LsTestServer, tmp_path: Path) -> None:
    with ls_source(ls_server, tmp_path / "home") as source:
        (flow,) = source.investor_flows("001200", date(2023, 6, 1), date(2023, 6, 30))
    assert (flow.code, flow.day, flow.kind, flow.source) == (
        "001200",
        date(2023, 6, 5),
        FlowKind.INVESTOR,
        "ls",
    )
    assert flow.values == {f"{group}_net_qty": 0 for group in INVESTOR_GROUPS}
    assert ls_server.seen("t1717")[0].body["t1717InBlock"] == {
        "shcode": "001200",
        "gubun": "0",
        "fromdt": "20230601",
        "todt": "20230630",
        "exchgubun": "K",
    }


def test_every_t1717_investor_code_lands_in_its_group(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    row = dict(sample_rows("t1717", "t1717OutBlock")[0])
    for code in TJJ:  # a distinct, signed number per investor code
        row[f"tjj{code}_vol"] = (int(code) + 1) * 1000 * (-1 if int(code) % 2 else 1)
    ls_server.rows["t1717"] = [row, {**row, "date": "20230602"}]
    with ls_source(ls_server, tmp_path / "home") as source:
        flows = source.investor_flows("001200", date(2023, 6, 1), date(2023, 6, 30))
    assert [f.day for f in flows] == [date(2023, 6, 2), date(2023, 6, 5)]
    assert flows[1].values == {
        f"{group}_net_qty": row[f"tjj{code}_vol"] for code, group in TJJ.items()
    }


def test_credit_balance_from_the_t1921_example(ls_server: LsTestServer, tmp_path: Path) -> None:
    ls_server.page_size["t1921"] = 1  # one row a page: the date cursor must carry on
    with ls_source(ls_server, tmp_path / "home") as source:
        flows = source.credit_balance("005930", date(2023, 6, 1), date(2023, 6, 30))
    assert [(f.code, f.day, f.kind) for f in flows] == [
        ("005930", date(2023, 6, 5), FlowKind.CREDIT),
        ("005930", date(2023, 6, 7), FlowKind.CREDIT),
    ]
    assert flows[0].values == {
        "new_qty": 348101,
        "repaid_qty": 161531,
        "balance_qty": 4394199,
        "balance_krw": 279201 * M,
        "supply_rate_bp": 239,
        "balance_rate_bp": 7,
    }
    assert flows[1].values == {
        "new_qty": 152082,
        "repaid_qty": 335820,
        "balance_qty": 4208557,
        "balance_krw": 267837 * M,
        "supply_rate_bp": 129,
        "balance_rate_bp": 7,
    }
    seen = ls_server.seen("t1921")
    assert [s.body["t1921InBlock"]["date"] for s in seen] == ["", "20230607"]
    assert seen[0].body["t1921InBlock"]["gubun"] == "1"  # 융자


def test_short_selling_from_the_t1927_example(ls_server: LsTestServer, tmp_path: Path) -> None:
    with ls_source(ls_server, tmp_path / "home") as source:
        flows = source.short_selling("005930", date(2023, 5, 1), date(2023, 6, 1))
    assert [(f.code, f.day, f.kind, f.source) for f in flows] == [
        ("005930", date(2023, 5, 31), FlowKind.SHORT, "ls"),
        ("005930", date(2023, 6, 1), FlowKind.SHORT, "ls"),
    ]
    assert flows[0].values == {
        "short_qty": 856055,
        "short_krw": 61605 * M,
        "short_share_bp": 354,
        "short_avg_price": 71964,
        "volume": 24153085,
    }
    assert flows[1].values == {
        "short_qty": 315193,
        "short_krw": 22428 * M,
        "short_share_bp": 216,
        "short_avg_price": 71158,
        "volume": 14566407,
    }
    in_block = ls_server.seen("t1927")[0].body["t1927InBlock"]
    assert (in_block["sdate"], in_block["edate"]) == ("20230501", "20230601")


def test_flows_outside_the_period_are_dropped(ls_server: LsTestServer, tmp_path: Path) -> None:
    with ls_source(ls_server, tmp_path / "home") as source:
        flows = source.credit_balance("005930", date(2023, 6, 6), date(2023, 6, 30))
    assert [f.day for f in flows] == [date(2023, 6, 7)]
