"""The offline simulator obeys the KRX rules and never changes a day once made."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any

import numpy as np
import pytest

from stocklab.agent.base import SourceError
from stocklab.agent.sim import SimMarketData
from stocklab.barseries import BarSeries
from stocklab.krx import is_trading_day, is_valid_price, price_limits, session
from stocklab.model import KST, FlowKind, SecurityKind, check_code

AFTER_CLOSE = datetime(2024, 11, 15, 16, 0, tzinfo=KST)
START = date(2024, 1, 2)


def sim(now: datetime = AFTER_CLOSE, size: int = 60, seed: int = 7) -> SimMarketData:
    return SimMarketData(seed=seed, size=size, start=START, now=lambda: now)


def test_universe_is_stable_valid_and_searchable() -> None:
    a, b = sim().instruments(), sim().instruments()
    assert a == b
    assert len(a) == 60
    assert len({i.code for i in a}) == 60
    assert all(check_code(i.code) and i.source == "sim" for i in a)
    assert {"삼성전자", "SK하이닉스"} <= {i.name for i in a}
    assert {i.market.value for i in a} == {"KOSPI", "KOSDAQ"}
    assert len(sim(size=2_000).instruments()) == 2_000


def test_daily_bars_follow_calendar_ticks_and_limits() -> None:
    s = sim()
    for inst in s.instruments()[::7]:
        bars = s.daily_bars(inst.code, date(2024, 1, 1), date(2024, 12, 31)).to_bars()
        days = [b.trading_date for b in bars]
        assert days[0] == START
        assert days[-1] == date(2024, 11, 15)
        assert all(is_trading_day(d) for d in days)
        assert date(2024, 9, 17) not in days  # 추석
        for prev, bar in pairwise(bars):
            lim = price_limits(prev.close, inst.market, inst.kind, bar.trading_date)
            for price in (bar.open, bar.high, bar.low, bar.close):
                assert lim.lower <= price <= lim.upper
                assert is_valid_price(price, inst.market, inst.kind, bar.trading_date)


def test_history_never_changes_as_the_clock_moves() -> None:
    june = datetime(2024, 6, 3, 16, 0, tzinfo=KST)
    early = sim(june).daily_bars("005930", START, date(2024, 12, 31))
    late = sim().daily_bars("005930", START, date(2024, 6, 3))
    assert early.close.tolist() == late.close.tolist()
    assert early.volume.tolist() == late.volume.tolist()
    other = sim(seed=8).daily_bars("005930", START, date(2024, 6, 3))
    assert other.close.tolist() != late.close.tolist()


def test_no_bar_for_a_session_that_has_not_closed() -> None:
    during = sim(datetime(2024, 11, 15, 14, 0, tzinfo=KST))
    bars = during.daily_bars("005930", date(2024, 11, 1), date(2024, 11, 30)).to_bars()
    assert bars[-1].trading_date == date(2024, 11, 14)
    assert len(during.market_daily(date(2024, 11, 15))) == 0
    assert len(sim().market_daily(date(2024, 11, 15))) == 60
    assert len(sim().market_daily(date(2024, 11, 16))) == 0  # a Saturday


def test_minutes_add_up_to_the_day_and_stop_at_now() -> None:
    s = sim()
    day = date(2024, 11, 13)
    daily = s.daily_bars("000660", day, day).to_bars()[0]
    minutes = s.minute_bars("000660", day)
    assert len(minutes) == 381
    assert (minutes.open[0], minutes.close[-1]) == (daily.open, daily.close)
    assert (minutes.high.max(), minutes.low.min()) == (daily.high, daily.low)
    assert minutes.volume.sum() == daily.volume
    times = minutes.datetimes()
    assert times[0] == datetime(2024, 11, 13, 9, 0, tzinfo=KST)
    assert times[-2] == datetime(2024, 11, 13, 15, 19, tzinfo=KST)
    assert times[-1] == datetime(2024, 11, 13, 15, 30, tzinfo=KST)
    csat = s.minute_bars("000660", date(2024, 11, 14)).datetimes()
    assert csat[0] == session(date(2024, 11, 14)).open == datetime(2024, 11, 14, 10, tzinfo=KST)
    live = sim(datetime(2024, 11, 13, 9, 30, 45, tzinfo=KST)).minute_bars("000660", day)
    assert live.datetimes()[-1] == datetime(2024, 11, 13, 9, 29, tzinfo=KST)
    assert live.close.tolist() == minutes.close[:30].tolist()


def test_quote_has_a_ten_level_book_inside_the_limits() -> None:
    now = datetime(2024, 11, 13, 10, 15, 30, tzinfo=KST)
    s = sim(now)
    q = s.quote("005930")
    minutes = s.minute_bars("005930", date(2024, 11, 13))
    assert q.price == minutes.close[-1]
    assert q.volume == minutes.volume.sum()
    assert len(q.asks) == len(q.bids) == 10
    assert q.asks[0].price > q.bids[0].price == q.price
    assert q.lower_limit is not None
    assert q.upper_limit is not None
    assert all(q.lower_limit <= lvl.price <= q.upper_limit for lvl in q.asks + q.bids)
    assert [a.price for a in q.asks] == sorted(a.price for a in q.asks)
    assert q.source == "sim"
    etf = next(i for i in s.instruments() if i.kind is SecurityKind.ETF)
    assert np.diff([a.price for a in s.quote(etf.code).asks]).tolist() == [5] * 9


def test_flows_balance_and_stay_put() -> None:
    s = sim()
    rows = s.investor_flows("005930", date(2024, 10, 1), date(2024, 11, 15))
    assert rows
    assert all(sum(r.values.values()) == 0 for r in rows)
    assert all(r.kind is FlowKind.INVESTOR and r.source == "sim" for r in rows)
    credit = s.credit_balance("005930", date(2024, 1, 1), date(2024, 11, 15))
    for prev, cur in pairwise(credit):
        v = cur.values
        assert v["balance_qty"] == prev.values["balance_qty"] + v["new_qty"] - v["repaid_qty"]
    short_all = s.short_selling("005930", START, date(2024, 11, 15))
    short_some = s.short_selling("005930", date(2024, 11, 1), date(2024, 11, 8))
    assert short_some == [r for r in short_all if date(2024, 11, 1) <= r.day <= date(2024, 11, 8)]
    assert all(r.values["short_qty"] <= r.values["volume"] for r in short_all)


def test_unknown_codes_and_times_before_the_start() -> None:
    s = sim()
    assert len(s.daily_bars("999999", START, date(2024, 2, 1))) == 0
    with pytest.raises(SourceError, match="999999"):
        s.quote("999999")
    assert s.investor_flows("999999", START, date(2024, 2, 1)) == []
    before = sim(datetime(2024, 1, 2, 10, tzinfo=KST) - timedelta(days=3))
    assert before.last_closed_day() is None
    assert len(before.daily_bars("005930", START, date(2024, 2, 1))) == 0


def _asks() -> list[Callable[[SimMarketData], Any]]:
    """What the API, the stream and the jobs ask a simulator for, some growing its history
    to different days, so that the threads below extend the book in steps at once."""
    asks: list[Callable[[SimMarketData], Any]] = [
        lambda s: s.quote("005930"),
        lambda s: s.quote("000660"),
        lambda s: s.market_daily(date(2024, 8, 1)),
        lambda s: s.minute_bars("005930", date(2024, 11, 15)),
        lambda s: s.investor_flows("005930", date(2024, 10, 1), date(2024, 11, 15)),
        lambda s: s.instruments(),
    ]
    for month in (2, 4, 6, 9, 11):
        asks.append(lambda s, m=month: s.daily_bars("000660", START, date(2024, m, 14)))
    return asks


def _plain(result: object) -> object:
    if isinstance(result, BarSeries):
        return (result.code.tolist(), result.ts.tolist(), result.close.tolist(),
                result.high.tolist(), result.low.tolist(), result.volume.tolist())  # fmt: skip
    return result


@pytest.fixture
def busy_switching() -> Iterator[None]:
    """Threads swap far more often than the default 5 ms, so every race gets its chance."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(before)


def _all_at_once(s: SimMarketData, asks: list[Callable[[SimMarketData], Any]]) -> list[object]:
    """Every ask in its own thread, released together; an exception is an answer too."""
    start = threading.Barrier(len(asks))
    got: list[object] = [None] * len(asks)

    def run(k: int) -> None:
        start.wait()
        try:
            got[k] = _plain(asks[k](s))
        except Exception as exc:
            got[k] = exc

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(asks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got


@pytest.mark.usefixtures("busy_switching")
def test_a_cold_simulator_asked_by_many_threads_at_once_answers_as_one_thread_does() -> None:
    asks = _asks()
    alone = [_plain(ask(sim())) for ask in asks]  # each on its own cold simulator
    for _ in range(5):
        shared = sim()  # cold: no universe, no book yet
        got = _all_at_once(shared, asks)
        assert [g for g in got if isinstance(g, Exception)] == []
        assert got == alone
        whole = shared.daily_bars("000660", START, date(2024, 11, 15)).close.tolist()
        assert whole == sim().daily_bars("000660", START, date(2024, 11, 15)).close.tolist()
