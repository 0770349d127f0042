"""Listing backtests: a page of summaries against reading whole records.

A large backtest (2,000 codes, 5,000 trades, ten years of equity) is megabytes of JSON;
the list route must not read them. This stores `--count` such records and times a page
of 50 summaries (`list_backtests`) against reading one whole record (`get_backtest`).
Target: a page of 50 in ≤ 50 ms however large the records are.

    python bench/backtests.py [--count 60]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from stocklab.model import KST, BacktestResult
from stocklab.store.sqlite import SqliteStore

CREATED = datetime(2024, 11, 15, 16, 0, tzinfo=KST)  # fixed: no wall clock in the figures


def big(n: int) -> BacktestResult:
    codes = [f"{i:06d}" for i in range(2_000)]
    trade = {
        "code": "000001", "entry_at": "2020-01-02", "exit_at": "2020-02-03", "qty": 10,
        "entry_price": 50_000, "exit_price": 51_000, "pnl": 9_000, "reason": "signal",
    }  # fmt: skip
    days = [date(2014, 1, 2) + timedelta(days=d) for d in range(3_650)]
    return BacktestResult(
        backtest_id=f"bt-{n:04d}", strategy="sma_cross", params={"fast": 5, "slow": 20},
        codes=codes, start=days[0], end=days[-1], created_at=CREATED + timedelta(minutes=n),
        stats={"total_return": 0.1, "trades": 5_000},
        trades=[trade] * 5_000, equity=[(d, 10_000_000 + i) for i, d in enumerate(days)],
    )  # fmt: skip


def ms(fn: object, times: int = 20) -> float:
    runs = []
    for _ in range(times):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "stocklab.db", actor="bench")
        for n in range(args.count):
            store.save_backtest(big(n))
        size = (Path(tmp) / "stocklab.db").stat().st_size / 1e6
        page = ms(lambda: store.list_backtests(50))
        one = ms(lambda: store.get_backtest("bt-0000"), times=5)
        print(f"{args.count} backtests, store {size:,.0f} MB")
        print(f"  list_backtests(50)  p50 {page:8.2f} ms   (target ≤ 50 ms)")
        print(f"  get_backtest (one)  p50 {one:8.2f} ms   (a whole record, for scale)")
        store.close()


if __name__ == "__main__":
    main()
