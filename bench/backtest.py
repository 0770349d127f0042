"""Backtest cross-check and benchmark: stocklab's engine against backtrader and vectorbt.

    python bench/backtest.py [--data DIR] [--codes N] [--speed-codes 500] [--speed-bars 2500]

(a) Cross-check, on the real KRX daily prices of `../shared/data/krx-daily/sample/`:
    `sma_cross(5, 20)`, one account of 10,000,000 KRW per code, entries and exits at the
    next bar's open, all-in sizing of floor(cash / (open × (1 + commission))) shares,
    commission 0.015% per side and the sell tax by settlement date, each floored to the
    won, participation 1 (a bar's whole volume). The CSV files go through the same
    importer as `stocklab store import-csv` (halt days skipped, rounding repaired) into a
    scratch store, and both engines read the same stored bars. Backtrader is driven by a
    strategy written here to do the same work (GPL: used as a comparison, nothing copied):
    its own SMA indicators, the cross compared bar to bar, orders placed in `next_open`
    (cheat-on-open) so they fill at the open their size was computed from, costs by a
    commission scheme that floors like the KRX model, and no order on a bar without
    volume (stocklab's fill model fills nothing there; backtrader's broker would).
    Printed per code: trades and final equity of each, and whether every fill (date, side,
    shares, price) matches. A second backtrader pass on the raw CSV rows, halt days kept as
    flat zero-volume bars at the previous close, shows what the importer's choice changes.
(b) Speed, on synthetic daily bars (default 500 codes × 2,500 bars = 1.25 M bars), the
    same strategy: stocklab, vectorbt and backtrader each in a process of its own, bars/s
    and the peak resident memory the run added (sampled). One-time work is reported apart:
    stocklab's numba compilation (with an empty cache) and the KRX calendar, vectorbt's
    numba compilation (its first run). Vectorbt has no per-side fees, so it pays commission
    on both sides and no sell tax; otherwise it does the same work (next-bar open,
    all-in integer shares, per-code accounts).
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_DATA = (
    Path(os.environ.get("STOCKLAB_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    / "data"
    / "krx-daily"
)
CASH = 10_000_000
FAST, SLOW = 5, 20
TARGET_VS_VECTORBT = 2.0
TARGET_VS_BACKTRADER = 300.0

Fill = tuple[date, str, int, int]
"""(trading date, "buy"/"sell", shares, price)"""


# -- (a) the cross-check ----------------------------------------------------------------------


@dataclass
class Outcome:
    fills: list[Fill]
    equity: int


@dataclass
class Row:
    code: str
    bars: int
    ours: Outcome
    theirs: Outcome
    raw: Outcome | None = None

    @property
    def trades(self) -> tuple[int, int]:
        return (
            sum(f[1] == "sell" for f in self.ours.fills),
            sum(f[1] == "sell" for f in self.theirs.fills),
        )

    @property
    def fills_match(self) -> bool:
        return self.ours.fills == self.theirs.fills

    @property
    def equity_gap(self) -> int:
        return self.ours.equity - self.theirs.equity

    @property
    def passed(self) -> bool:
        """Same fills, and final equity within 1 KRW per trade (the acceptance rule)."""
        return self.fills_match and abs(self.equity_gap) <= max(1, self.trades[0])

    def first_difference(self) -> str:
        for a, b in zip(self.ours.fills, self.theirs.fills, strict=False):
            if a != b:
                return f"ours {a} / backtrader {b}"
        if len(self.ours.fills) != len(self.theirs.fills):
            return f"fills: ours {len(self.ours.fills)}, backtrader {len(self.theirs.fills)}"
        return ""


def sample_store(data: Path, home: Path, codes: list[str] | None = None) -> Any:
    """A scratch SQLite store with the sample imported as `stocklab store import-csv` does."""
    from stocklab.io.csvimport import import_csv, import_instruments
    from stocklab.store import open_store

    store = open_store(f"sqlite:///{home / 'bench.db'}", actor="bench")
    import_instruments(store, data / "instruments.csv")
    files = sorted((data / "sample").glob("*.csv"))
    if codes:
        files = [f for f in files if f.stem in codes]
    report = import_csv(store, files)
    if report.failed:
        raise RuntimeError(f"가져오기 실패: {[f.error for f in report.failed]}")
    return store


def stored_bars(store: Any, codes: list[str] | None = None) -> tuple[dict, dict]:
    """(bars by code, listing by code) as the backtest job reads them."""
    from stocklab.backtest.inputs import Listing
    from stocklab.model import Timeframe

    wanted = codes or sorted({c.code for c in store.bar_overview()})
    bars = {c: store.load_bars(c, Timeframe.DAY) for c in wanted}
    listings = {}
    for c in wanted:
        inst = store.get_instrument(c)
        listings[c] = Listing(inst.market, inst.kind)
    return bars, listings


def _day(ts: int) -> date:
    from stocklab.backtest.inputs import day_of, kst_days

    return day_of(int(kst_days(np.array([ts]))[0]))


def ours(bars: Mapping[str, Any], listings: Mapping[str, Any]) -> dict[str, Outcome]:
    """stocklab: one run, per-code accounts, participation 1."""
    from stocklab.backtest import layout as L
    from stocklab.backtest.engine import Config, run
    from stocklab.krx.fills import FillModel
    from stocklab.trading.strategy import get_strategy

    strategy = get_strategy("sma_cross", {"fast": FAST, "slow": SLOW})
    result = run(
        strategy, bars, Config(cash=CASH, fills=FillModel(participation=Decimal(1))), listings
    )
    equity = result.final_equity_by_code()
    out = {code: Outcome([], equity[code]) for code in result.codes}
    for row in result.fills.tolist():
        code = result.codes[row[L.F_CODE]]
        side = "buy" if row[L.F_SIDE] > 0 else "sell"
        out[code].fills.append(
            (_day(int(result.ts[row[L.F_BAR]])), side, row[L.F_QTY], row[L.F_PRICE])
        )
    return out


@functools.cache
def _tax_units(day: date, market: Any, kind: Any) -> int:
    from stocklab.krx import settlement_date, transaction_tax_rate
    from stocklab.krx.fills import rate_units

    return rate_units(transaction_tax_rate(settlement_date(day), market, kind))


def _frame(series: Any) -> Any:
    import pandas as pd

    index = pd.DatetimeIndex([_day(int(t)) for t in series.ts.tolist()])
    return pd.DataFrame(
        {
            "open": series.open.astype(float),
            "high": series.high.astype(float),
            "low": series.low.astype(float),
            "close": series.close.astype(float),
            "volume": series.volume.astype(float),
        },
        index=index,
    )


def backtrader_run(frame: Any, listing: Any, commission_units: int = 15_000) -> Outcome:
    """backtrader doing the same work on one code (see the module docstring)."""
    import backtrader as bt

    class KrxCosts(bt.CommInfoBase):
        """Commission on both sides and the sell tax by settlement date, floored to the won."""

        params = (("stocklike", True), ("commtype", bt.CommInfoBase.COMM_FIXED), ("feed", None))

        def _getcommission(self, size: float, price: float, pseudoexec: bool) -> int:
            amount = round(abs(size) * price)
            cost = amount * commission_units // 100_000_000
            if size < 0:
                units = _tax_units(self.p.feed.datetime.date(0), listing.market, listing.kind)
                cost += amount * units // 100_000_000
            return cost

    class SmaCrossNextOpen(bt.Strategy):
        def __init__(self) -> None:
            self.fast = bt.indicators.SMA(self.data.close, period=FAST)
            self.slow = bt.indicators.SMA(self.data.close, period=SLOW)
            self.want = 0  # +1 buy, -1 sell, at the next bar that has volume
            self.done: list[Fill] = []

        def next(self) -> None:  # the close of a bar: decide for the next one
            if len(self) <= SLOW:  # the cross needs two defined slow averages
                return
            now = np.sign(self.fast[0] - self.slow[0])
            before = np.sign(self.fast[-1] - self.slow[-1])
            up, down = now > 0 and before <= 0, now < 0 and before >= 0
            holding = self.position.size > 0
            if holding or self.want > 0:
                if down:
                    self.want = -1 if holding else 0
            elif up:
                self.want = 1

        def next_open(self) -> None:  # cheat-on-open: the order fills at this bar's open
            if self.want == 0 or self.data.volume[0] <= 0:
                return
            if self.want > 0:  # floor(cash / (open × (1 + commission))), in exact integers
                cash, price = int(self.broker.getcash()), int(self.data.open[0])
                qty = cash * 100_000_000 // (price * (100_000_000 + commission_units))
                if qty > 0:
                    self.buy(size=qty)
            else:
                self.sell(size=self.position.size)
            self.want = 0

        def notify_order(self, order: Any) -> None:
            if order.status == order.Completed:
                side = "buy" if order.isbuy() else "sell"
                when = bt.num2date(order.executed.dt).date()
                self.done.append(
                    (when, side, abs(int(order.executed.size)), round(order.executed.price))
                )

    cerebro = bt.Cerebro(stdstats=False, cheat_on_open=True)
    feed = bt.feeds.PandasData(dataname=frame)
    cerebro.adddata(feed)
    cerebro.addstrategy(SmaCrossNextOpen)
    cerebro.broker.setcash(CASH)
    cerebro.broker.addcommissioninfo(KrxCosts(feed=feed))
    strategy = cerebro.run()[0]
    return Outcome(strategy.done, round(cerebro.broker.getvalue()))


def raw_frame(path: Path) -> Any:
    """A sample CSV as a charting feed would keep it: halt days as flat bars at the previous
    close with no volume; the rounding of adjusted prices repaired as the importer does."""
    import pandas as pd

    df = pd.read_csv(path, parse_dates=["date"]).set_index("date")
    halt = (df["open"] == 0) & (df["volume"] == 0)
    prev = df["close"].shift(1).fillna(df["close"])
    for col in ("open", "high", "low"):
        df.loc[halt, col] = prev[halt]
    df.loc[halt, "close"] = prev[halt]
    df["high"] = df[["high", "open", "close"]].max(axis=1)
    df["low"] = df[["low", "open", "close"]].min(axis=1)
    return df.astype(float)


def crosscheck(
    data: Path, home: Path, codes: list[str] | None = None, raw: bool = False
) -> list[Row]:
    store = sample_store(data, home, codes)
    bars, listings = stored_bars(store, codes)
    mine = ours(bars, listings)
    rows = []
    for code, series in bars.items():
        theirs = backtrader_run(_frame(series), listings[code])
        also = (
            backtrader_run(raw_frame(data / "sample" / f"{code}.csv"), listings[code])
            if raw
            else None
        )
        rows.append(Row(code, len(series), mine[code], theirs, also))
    return rows


def print_crosscheck(rows: list[Row]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        "code", "bars", "trades (ours/bt)", "final equity ours", "final equity bt", "gap",
        "fills", "bt on raw CSV (halts as bars)",
    )  # fmt: skip
    for r in rows:
        ours_n, bt_n = r.trades
        raw = ""
        if r.raw is not None:
            same = r.raw.fills == r.ours.fills
            raw = "same" if same else f"{sum(f[1] == 'sell' for f in r.raw.fills)} trades, differs"
        table.add_row(
            r.code,
            f"{r.bars:,}",
            f"{ours_n}/{bt_n}",
            f"{r.ours.equity:,}",
            f"{r.theirs.equity:,}",
            f"{r.equity_gap:+,}",
            "match" if r.fills_match else r.first_difference(),
            raw,
        )
    console = Console(width=160)
    console.print(table)
    passed = sum(r.passed for r in rows)
    trades = sum(r.trades[0] for r in rows)
    console.print(
        f"cross-check: {passed}/{len(rows)} codes pass (same fills; equity within 1 KRW per "
        f"trade); {trades:,} trades compared"
    )
    raw_diff = [r.code for r in rows if r.raw is not None and r.raw.fills != r.ours.fills]
    if raw_diff:
        console.print(
            "fed the raw CSV with halt days as zero-volume bars, backtrader's trades differ on "
            f"{len(raw_diff)} codes ({', '.join(raw_diff)}): the halt rows enter the moving "
            "averages and shift the crosses. Both engines above read the imported bars, "
            "where halt days are skipped."
        )


# -- (b) speed --------------------------------------------------------------------------------


def synthetic(codes: int, bars: int, seed: int = 7) -> dict[str, np.ndarray]:
    """Random-walk daily bars on real KRX trading days (integer KRW, OHLC consistent)."""
    from stocklab.krx import trading_days
    from stocklab.model import daily_ts

    days = trading_days(date(2012, 1, 2), date(2026, 12, 30))[:bars]
    if len(days) < bars:
        raise ValueError(f"거래일이 {bars}개보다 적습니다")
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.02, (codes, bars))
    close = (20_000 * np.exp(np.cumsum(steps, axis=1))).astype(np.int64) + 100
    open_ = np.maximum((close * np.exp(rng.normal(0.0, 0.005, (codes, bars)))).astype(np.int64), 1)
    return {
        "ts": np.array([int(daily_ts(d).timestamp()) for d in days], dtype=np.int64),
        "open": open_,
        "high": np.maximum(open_, close) + rng.integers(0, 200, (codes, bars)),
        "low": np.maximum(np.minimum(open_, close) - rng.integers(0, 200, (codes, bars)), 1),
        "close": close,
        "volume": rng.integers(1_000, 1_000_000, (codes, bars)),
    }


class PeakRss:
    """The highest resident memory seen while the block runs, above what it started at."""

    def __init__(self, every: float = 0.002) -> None:
        import psutil

        self.process = psutil.Process()
        self.every = every
        self.peak = 0
        self.start = 0
        self._stop = threading.Event()

    def __enter__(self) -> PeakRss:
        self.start = self.peak = self.process.memory_info().rss
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.every)

    def __exit__(self, *exc: object) -> None:
        self.peak = max(self.peak, self.process.memory_info().rss)
        self._stop.set()
        self._thread.join()

    @property
    def added_mib(self) -> float:
        return (self.peak - self.start) / 2**20


def _timed(work: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """(best seconds, most memory added) over `repeat` runs."""
    best, memory = float("inf"), 0.0
    for _ in range(repeat):
        with PeakRss() as rss:
            started = time.perf_counter()
            work()
            best = min(best, time.perf_counter() - started)
        memory = max(memory, rss.added_mib)
    return best, memory


def speed_stocklab(path: str, out: Any) -> None:
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="numba-")  # an honest compile
    from stocklab.backtest.engine import run
    from stocklab.barseries import BarSeries
    from stocklab.krx import trading_days
    from stocklab.model import Timeframe
    from stocklab.trading.strategy import get_strategy

    data = dict(np.load(path))
    started = time.perf_counter()
    trading_days(date(2012, 1, 2), date(2012, 1, 31))
    calendar = time.perf_counter() - started
    n_codes, n = data["close"].shape
    no_value = np.full(n, -1, dtype=np.int64)
    bars = {
        f"{k:06d}": BarSeries(
            Timeframe.DAY, np.full(n, f"{k:06d}"), data["ts"], data["open"][k], data["high"][k],
            data["low"][k], data["close"][k], data["volume"][k], no_value,
        )
        for k in range(n_codes)
    }  # fmt: skip
    strategy = get_strategy("sma_cross", {"fast": FAST, "slow": SLOW})
    tiny = {c: s.take(slice(0, 100)) for c, s in list(bars.items())[:2]}
    started = time.perf_counter()
    run(strategy, tiny, check=False)
    compile_s = time.perf_counter() - started
    started = time.perf_counter()
    from stocklab.backtest.engine import verify

    verify(strategy, bars)
    check_s = time.perf_counter() - started
    seconds, memory = _timed(lambda: run(strategy, bars, check=False), repeat=3)
    out.put(
        {
            "engine": "stocklab",
            "seconds": seconds,
            "memory": memory,
            "once": f"numba compile {compile_s:.1f} s, KRX calendar {calendar:.1f} s; "
            f"lookahead check (20 codes) {check_s:.2f} s",
        }
    )


def speed_vectorbt(path: str, out: Any) -> None:
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="numba-")  # its compile, too
    try:
        import pandas as pd
        import vectorbt as vbt
    except Exception as exc:  # report why, do not fail the whole bench
        out.put({"engine": "vectorbt", "skipped": f"{type(exc).__name__}: {exc}"})
        return
    data = dict(np.load(path))
    index = pd.DatetimeIndex([_day(int(t)) for t in data["ts"].tolist()])
    close = pd.DataFrame(data["close"].T.astype(float), index=index)
    open_ = data["open"].T.astype(float)

    def work() -> Any:
        fast = vbt.MA.run(close, FAST, short_name="fast")
        slow = vbt.MA.run(close, SLOW, short_name="slow")
        entries = fast.ma_crossed_above(slow).vbt.fshift(1)
        exits = fast.ma_crossed_below(slow).vbt.fshift(1)
        pf = vbt.Portfolio.from_signals(
            close, entries.to_numpy(), exits.to_numpy(), price=open_, fees=0.00015,
            init_cash=CASH, size=np.inf, size_granularity=1,
        )  # fmt: skip
        return pf.value().sum(axis=1)

    started = time.perf_counter()
    work()
    first = time.perf_counter() - started
    seconds, memory = _timed(work, repeat=3)
    out.put(
        {
            "engine": "vectorbt",
            "seconds": seconds,
            "memory": memory,
            "once": f"first run (numba compile included) {first:.1f} s",
        }
    )


def speed_backtrader(path: str, out: Any) -> None:
    try:
        import backtrader  # noqa: F401
    except Exception as exc:
        out.put({"engine": "backtrader", "skipped": f"{type(exc).__name__}: {exc}"})
        return
    import pandas as pd

    from stocklab.backtest.inputs import Listing

    data = dict(np.load(path))
    index = pd.DatetimeIndex([_day(int(t)) for t in data["ts"].tolist()])
    frames = [
        pd.DataFrame(
            {c: data[c][k].astype(float) for c in ("open", "high", "low", "close", "volume")},
            index=index,
        )
        for k in range(data["close"].shape[0])
    ]
    listing = Listing()
    seconds, memory = _timed(lambda: [backtrader_run(f, listing) for f in frames], repeat=1)
    out.put({"engine": "backtrader", "seconds": seconds, "memory": memory, "once": "-"})


def speed(codes: int, bars: int) -> list[dict[str, Any]]:
    """Each engine in a fresh process on the same saved arrays; results in run order."""
    folder = Path(tempfile.mkdtemp(prefix="stocklab-bench-"))
    path = folder / "bars.npz"
    np.savez(path, **synthetic(codes, bars))
    context = mp.get_context("spawn")
    results = []
    for target in (speed_stocklab, speed_vectorbt, speed_backtrader):
        queue = context.Queue()
        proc = context.Process(target=target, args=(str(path), queue))
        proc.start()
        results.append(queue.get())
        proc.join()
    for r in results:
        if "seconds" in r:
            r["bars_per_s"] = codes * bars / r["seconds"]
    return results


def print_speed(results: list[dict[str, Any]], codes: int, bars: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    table = Table("engine", "run (s)", "bars/s", "peak memory added (MiB)", "one-time")
    by_name = {r["engine"]: r for r in results}
    for r in results:
        if "skipped" in r:
            table.add_row(r["engine"], "-", "-", "-", f"skipped: {r['skipped']}")
            continue
        table.add_row(
            r["engine"], f"{r['seconds']:.3f}", f"{r['bars_per_s']:,.0f}", f"{r['memory']:.0f}",
            r["once"],
        )  # fmt: skip
    console.print(f"speed: sma_cross({FAST}, {SLOW}) on {codes} codes × {bars:,} bars "
                  f"= {codes * bars:,} bars, per-code accounts")  # fmt: skip
    console.print(table)
    ours_r = by_name["stocklab"]["bars_per_s"]
    for name, target in (("vectorbt", TARGET_VS_VECTORBT), ("backtrader", TARGET_VS_BACKTRADER)):
        theirs = by_name.get(name, {}).get("bars_per_s")
        if theirs:
            ratio = ours_r / theirs
            verdict = "met" if ratio >= target else "NOT met"
            console.print(f"stocklab / {name}: {ratio:,.1f}× (target ≥ {target:g}×: {verdict})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="krx-daily folder")
    parser.add_argument("--codes", type=int, default=0, help="cross-check only N codes (0: all)")
    parser.add_argument("--speed-codes", type=int, default=500)
    parser.add_argument("--speed-bars", type=int, default=2_500)
    parser.add_argument("--no-crosscheck", action="store_true")
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()
    failed = False
    if not args.no_crosscheck:
        if not (args.data / "sample").is_dir():
            print(f"cross-check skipped: no sample data at {args.data / 'sample'}")
        else:
            codes = sorted(p.stem for p in (args.data / "sample").glob("*.csv"))
            codes = codes[: args.codes] if args.codes else codes
            with tempfile.TemporaryDirectory() as home:
                rows = crosscheck(args.data, Path(home), codes, raw=True)
            print_crosscheck(rows)
            failed = not all(r.passed for r in rows)
    if not args.no_speed:
        results = speed(args.speed_codes, args.speed_bars)
        print_speed(results, args.speed_codes, args.speed_bars)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
