"""A child process for the multi-process store tests: writes minute bars batch by batch.

usage: bar_writer.py STORE_PATH PREFIX BATCHES ROWS [SHARED]
Each batch is one code (PREFIX + batch number) with ROWS minute bars, written by one
save_bars call; after each commit it prints "batch <i> <inserted> <unchanged>".
With SHARED, every batch also writes the same bars of code 999999 first.
"""

import sys
from datetime import datetime

import numpy as np

from stocklab.barseries import BarSeries
from stocklab.model import KST
from stocklab.store.sqlite import SqliteStore

T0 = int(datetime(2024, 1, 2, 9, 0, tzinfo=KST).timestamp())


def batch(code: str, rows: int, salt: int) -> BarSeries:
    ts = T0 + 60 * np.arange(rows, dtype=np.int64)
    close = 10_000 + (np.arange(rows, dtype=np.int64) * 7 + salt) % 500
    return BarSeries.from_arrays("1m", code, ts, close, close + 10, close - 10, close, ts % 1000)


def main() -> None:
    path, prefix, batches, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    shared = len(sys.argv) > 5
    store = SqliteStore(path, actor=f"writer-{prefix}")
    for i in range(batches):
        if shared:
            r = store.save_bars(batch("999999", 200, 0).take(slice(i * 5, i * 5 + 5)), source="w")
            print(f"shared {i} {r.inserted} {r.unchanged}", flush=True)
        r = store.save_bars(batch(f"{prefix}{i:04d}", rows, i), source="w")
        print(f"batch {i} {r.inserted} {r.unchanged}", flush=True)


if __name__ == "__main__":
    main()
