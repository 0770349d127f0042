"""`SimMarketData`: the offline KRX simulator as a market-data source.

It is the default source when no broker key is configured, so a fresh machine runs the
whole system with no network. Its clock is the real one (or one a test injects): a
session's daily bar exists once the session has closed, minute bars once their minute
has ended, and the quote moves with the minutes of the day. Everything it makes is
marked `source="sim"`.

One simulator serves every thread of a process (the API's thread pool answers the
browser's requests side by side), so its world is built once under a lock: the first
caller builds it, the others wait and then use the same one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import cast

import numpy as np

from stocklab.agent.base import SourceUnavailable, UnknownCode
from stocklab.agent.sim import flows
from stocklab.agent.sim.daily import DailyBook, traded_value
from stocklab.agent.sim.intraday import DayBar, book, minute_path, minute_times
from stocklab.agent.sim.universe import SOURCE, Universe, build_universe
from stocklab.barseries import BarSeries
from stocklab.krx import (
    calendar_range,
    is_trading_day,
    previous_trading_day,
    price_limits,
    session,
    trading_days,
)
from stocklab.model import (
    KST,
    Flow,
    Instrument,
    Market,
    Quote,
    Timeframe,
    daily_ts,
    josa,
    now_kst,
)

_FLOAT_MULTIPLE = 200  # free-float shares as a multiple of typical daily volume


class SimMarketData:
    """A deterministic simulated KOSPI/KOSDAQ market from `start` to the present."""

    name = SOURCE

    def __init__(
        self,
        *,
        seed: int = 20240101,
        size: int = 2_000,
        start: date = date(2019, 1, 2),
        now: Callable[[], datetime] = now_kst,
    ) -> None:
        self.seed = seed
        self.size = size
        self.now = now
        self._asked_start = start
        self._lock = threading.RLock()  # re-entrant: the book is built from the universe
        self._built: dict[str, object] = {}

    # -- the world ------------------------------------------------------------------

    def _once[T](self, name: str, build: Callable[[], T]) -> T:
        """`build()` made once per simulator, however many threads ask at the same time."""
        found = self._built.get(name)
        if found is None:
            with self._lock:
                found = self._built.get(name)
                if found is None:
                    found = build()
                    self._built[name] = found  # published only once whole
        return cast(T, found)

    @property
    def start(self) -> date:
        """The first session on or after the asked start; found on first use, because the
        KRX calendar takes seconds to load and building a simulator must stay instant
        (the API builds its order manager on one at start-up)."""

        def first() -> date:
            asked = self._asked_start
            return asked if is_trading_day(asked) else _next_session(asked)

        return self._once("start", first)

    @property
    def universe(self) -> Universe:
        return self._once("universe", lambda: build_universe(self.size, self.seed))

    @property
    def _index(self) -> dict[str, int]:
        return self._once("index", lambda: self.universe.index())

    @property
    def _book(self) -> DailyBook:
        def build() -> DailyBook:
            days = trading_days(self.start, calendar_range()[1])
            return DailyBook(self.universe, self.seed, days)

        return self._once("book", build)

    def close(self) -> None:
        """Nothing to release: the simulator holds no connections."""

    def last_closed_day(self) -> date | None:
        """The latest session whose close has passed on the simulator's clock."""
        now = self.now().astimezone(KST)
        today = now.date()
        if is_trading_day(today) and now >= session(today).close:
            day = today
        else:
            day = previous_trading_day(today)
        return day if day >= self.start else None

    def _rows(self, until: date) -> int:
        return self._book.ensure(until)

    def _t(self, day: date) -> int | None:
        """Row of `day` in the daily book, or None if it is not a simulated session."""
        days = self._book.days
        if not days or day < days[0] or day > days[-1]:
            return None
        i = int(np.searchsorted(np.array([d.toordinal() for d in days]), day.toordinal()))
        return i if i < len(days) and days[i] == day else None

    # -- MarketData ------------------------------------------------------------------

    def instruments(self, market: Market | None = None) -> list[Instrument]:
        return [i for i in self.universe.instruments if market is None or i.market is market]

    def daily_bars(self, code: str, start: date, end: date) -> BarSeries:
        i = self._index.get(code)
        last = self.last_closed_day()
        if i is None or last is None:
            return BarSeries.empty(Timeframe.DAY)
        end = min(end, last)
        self._rows(end)
        b = self._book
        days = b.days  # one snapshot: every row it lists is written
        rows = [t for t, d in enumerate(days) if start <= d <= end]
        if not rows:
            return BarSeries.empty(Timeframe.DAY)
        sl = slice(rows[0], rows[-1] + 1)
        o, h, lo, c, v = (
            a[sl, i].astype(np.int64) for a in (b.open, b.high, b.low, b.close, b.volume)
        )
        ts = [int(daily_ts(d).timestamp()) for d in days[sl]]
        return BarSeries.from_arrays(
            Timeframe.DAY, code, ts, o, h, lo, c, v, traded_value(o, h, lo, c, v)
        )

    def market_daily(self, day: date) -> BarSeries:
        last = self.last_closed_day()
        if last is None or day > last or not is_trading_day(day):
            return BarSeries.empty(Timeframe.DAY)
        self._rows(day)
        t = self._t(day)
        if t is None:
            return BarSeries.empty(Timeframe.DAY)
        b = self._book
        o, h, lo, c, v = (a[t].astype(np.int64) for a in (b.open, b.high, b.low, b.close, b.volume))
        codes = np.array([inst.code for inst in self.universe.instruments], dtype="<U6")
        ts = np.full(len(codes), int(daily_ts(day).timestamp()), dtype=np.int64)
        return BarSeries.from_arrays(
            Timeframe.DAY, codes, ts, o, h, lo, c, v, traded_value(o, h, lo, c, v)
        )

    def _day_bar(self, i: int, day: date) -> DayBar | None:
        self._rows(day)
        t = self._t(day)
        if t is None:
            return None
        b = self._book
        return DayBar(
            int(b.open[t, i]), int(b.high[t, i]), int(b.low[t, i]), int(b.close[t, i]),
            int(b.volume[t, i]),
        )  # fmt: skip

    def _minutes(
        self, code: str, day: date
    ) -> tuple[list[datetime], tuple[np.ndarray, ...]] | None:
        i = self._index.get(code)
        if i is None or not is_trading_day(day):
            return None
        bar = self._day_bar(i, day)
        if bar is None:
            return None
        inst = self.universe.instruments[i]
        times = minute_times(session(day))
        rng = np.random.default_rng([self.seed, day.toordinal(), i, 1])
        cols = minute_path(bar, len(times) - 1, rng, inst.market, inst.kind, day)
        return times, cols

    def minute_bars(self, code: str, day: date) -> BarSeries:
        made = self._minutes(code, day)
        if made is None:
            return BarSeries.empty(Timeframe.MINUTE)
        times, (o, h, lo, c, v) = made
        now = self.now()
        done = np.array([t + timedelta(minutes=1) <= now for t in times])
        ts = np.array([int(t.timestamp()) for t in times], dtype=np.int64)
        return BarSeries.from_arrays(
            Timeframe.MINUTE, code, ts[done], o[done], h[done], lo[done], c[done], v[done],
            traded_value(o, h, lo, c, v)[done],
        )  # fmt: skip

    def quote(self, code: str) -> Quote:
        i = self._index.get(code)
        if i is None:
            raise UnknownCode(
                f"모의시장에 종목 {code}{josa(code, '이', '가')} 없습니다",
                hint="STOCKLAB_SIM_CODES를 늘리거나 stocklab collect codes로 목록을 새로 받으세요",
                source=SOURCE,
            )
        inst = self.universe.instruments[i]
        now = self.now().astimezone(KST)
        today = now.date()
        day = today if is_trading_day(today) else previous_trading_day(today)
        if day < self.start:
            raise SourceUnavailable("모의시장이 아직 열리지 않았습니다", source=SOURCE)
        prev_day = previous_trading_day(day)
        prev = self._day_bar(i, prev_day) if prev_day >= self.start else None
        bar = self._day_bar(i, day)
        assert bar is not None
        prev_close = prev.close if prev else bar.open
        made = self._minutes(code, day)
        assert made is not None
        times, (o, h, lo, c, v) = made
        done = np.array([t + timedelta(minutes=1) <= now for t in times])
        if now < times[0]:
            price, volume, high, low, opened = prev_close, 0, None, None, None
        elif not done.any():
            price, volume, high, low, opened = int(o[0]), 0, int(o[0]), int(o[0]), int(o[0])
        else:
            last = int(np.flatnonzero(done)[-1])
            price, volume = int(c[last]), int(v[: last + 1].sum())
            high, low, opened = int(h[: last + 1].max()), int(lo[: last + 1].min()), int(o[0])
        limits = price_limits(prev_close, inst.market, inst.kind, day)
        minute = int(now.timestamp() // 60)
        rng = np.random.default_rng([self.seed, day.toordinal(), i, minute, 2])
        depth = float(self.universe.liquidity[i]) / 400
        asks, bids = book(
            price, limits.lower, limits.upper, depth, rng, inst.market, inst.kind, day
        )
        return Quote(
            code=code, ts=now, price=price, prev_close=prev_close, open=opened, high=high,
            low=low, volume=volume, upper_limit=limits.upper, lower_limit=limits.lower,
            asks=asks, bids=bids, source=SOURCE,
        )  # fmt: skip

    def _flow_inputs(
        self, code: str, start: date, end: date
    ) -> tuple[int, list[date], slice, np.ndarray, np.ndarray] | None:
        i = self._index.get(code)
        last = self.last_closed_day()
        if i is None or last is None:
            return None
        end = min(end, last)
        n = self._rows(end)
        days = self._book.days[:n]
        keep = [t for t, d in enumerate(days) if start <= d <= end]
        if not keep:
            return None
        upto = keep[-1] + 1
        return (
            i,
            days[:upto],
            slice(keep[0], upto),
            self._book.volume[:upto, i].astype(np.int64),
            self._book.close[:upto, i].astype(np.int64),
        )

    def investor_flows(self, code: str, start: date, end: date) -> list[Flow]:
        made = self._flow_inputs(code, start, end)
        if made is None:
            return []
        i, days, keep, volume, _ = made
        rng = np.random.default_rng([self.seed, i, 3])
        return flows.investor_rows(code, days, volume, rng, keep)

    def credit_balance(self, code: str, start: date, end: date) -> list[Flow]:
        made = self._flow_inputs(code, start, end)
        if made is None:
            return []
        i, days, keep, volume, close = made
        rng = np.random.default_rng([self.seed, i, 4])
        float_shares = float(self.universe.liquidity[i]) * _FLOAT_MULTIPLE
        return flows.credit_rows(code, days, volume, close, float_shares, rng, keep)

    def short_selling(self, code: str, start: date, end: date) -> list[Flow]:
        made = self._flow_inputs(code, start, end)
        if made is None:
            return []
        i, days, keep, volume, close = made
        rng = np.random.default_rng([self.seed, i, 5])
        return flows.short_rows(code, days, volume, close, rng, keep)


def _next_session(day: date) -> date:
    d = day
    while not is_trading_day(d):
        d += timedelta(days=1)
    return d
