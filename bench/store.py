"""Storage benchmark: the embedded store against raw sqlite3 doing the same work.

Scenarios (defaults are the issue's sizes):
  ingest      1,000,000 minute bars (2,500 codes x 400) into an empty store
  re-ingest   100,000 of them again (identical rows: nothing to write)
  range 1m    one code's 400 minute bars (p50/p99 over many codes)
  range 1d    one code's 2,500 daily bars
  section     one timestamp across all 2,500 codes
  import-csv  (--import-csv FILE) `stocklab store import-csv` of a market file split per
              code (the 12-month file: 2,651 files, 639,878 rows; target ≥ 100,000 rows/s)
"raw" uses the same schema, the same batches and the same SQL an expert would write by
hand (executemany upsert; plain SELECT + fetchall) with none of the module's validation,
diffing, audit or conversion to columns; the ratio is store time / raw time.
The MongoDB backend runs at a small size against the mongoeco wire emulator, which is
orders of magnitude slower than mongod: its figures say the code path works, not how
fast MongoDB is.

    python bench/store.py [--codes 2500] [--minutes 400] [--no-mongo] [--json out.json]
    python bench/store.py --import-csv ../shared/data/krx-daily/market-2021-05-17_2022-05-16.csv.gz
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from stocklab.barseries import BarSeries
from stocklab.model import KST, daily_ts
from stocklab.store.sqlite import SqliteStore
from stocklab.store.sqlite.schema import MIGRATIONS

T0 = int(datetime(2024, 1, 2, 9, 0, tzinfo=KST).timestamp())
D0 = int(daily_ts(datetime(2014, 1, 2).date()).timestamp())
BATCH_CODES = 125  # 50,000 minute bars per save_bars call
TARGETS = {
    "ingest": "≥ 300,000 bars/s",
    "re-ingest": "≥ 500,000 bars/s",
    "range 1m (400)": "p50 ≤ 1 ms",
    "range 1d (2,500)": "p50 ≤ 3 ms",
    "section": "—",
}
UPSERT = (
    "INSERT INTO bars VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (code, tf, ts) DO UPDATE SET"
    " open=excluded.open, high=excluded.high, low=excluded.low, close=excluded.close,"
    " volume=excluded.volume, value=excluded.value"
    " WHERE (open, high, low, close, volume, value) IS NOT"
    " (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume, excluded.value)"
)


def codes_for(n: int) -> list[str]:
    return [f"{i:06d}" for i in range(1, n + 1)]


def synth(codes: list[str], per_code: int, start: int, step: int, tf: str, seed: int) -> BarSeries:
    """Random-walk OHLCV, consistent by construction, code-major order."""
    rng = np.random.default_rng(seed)
    n = len(codes) * per_code
    walk = rng.integers(-30, 31, size=(len(codes), per_code)).cumsum(axis=1)
    close = (rng.integers(5_000, 200_000, size=(len(codes), 1)) + walk * 10).clip(100).reshape(n)
    open_ = (close + rng.integers(-20, 21, size=n) * 5).clip(100)
    high = np.maximum(open_, close) + rng.integers(0, 10, size=n) * 5
    low = (np.minimum(open_, close) - rng.integers(0, 10, size=n) * 5).clip(50)
    ts = np.tile(start + step * np.arange(per_code, dtype=np.int64), len(codes))
    code = np.repeat(np.array(codes, dtype="<U6"), per_code)
    volume = rng.integers(0, 100_000, size=n)
    return BarSeries.from_arrays(tf, code, ts, open_, high, low, close, volume, volume * close)


def as_rows(s: BarSeries) -> list[tuple[Any, ...]]:
    tf = s.timeframe.value
    return list(
        zip(
            s.code.tolist(),
            [tf] * len(s),
            s.ts.tolist(),
            s.open.tolist(),
            s.high.tolist(),
            s.low.tolist(),
            s.close.tolist(),
            s.volume.tolist(),
            s.value.tolist(),
            strict=True,
        )
    )


def chunks(s: BarSeries, per_code: int) -> list[BarSeries]:
    size = BATCH_CODES * per_code
    return [s.take(slice(i, i + size)) for i in range(0, len(s), size)]


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def latencies(fn: Callable[[str], object], codes: list[str], n: int) -> tuple[float, float]:
    picks = [codes[(i * 7919) % len(codes)] for i in range(n)]
    for code in picks[:20]:
        fn(code)  # warm the page cache and statement cache
    samples = []
    for code in picks:
        t = time.perf_counter()
        fn(code)
        samples.append(time.perf_counter() - t)
    samples.sort()
    return statistics.median(samples) * 1e3, samples[int(len(samples) * 0.99) - 1] * 1e3


class Raw:
    """sqlite3 by hand: same file layout, same pragmas, no validation or audit."""

    def __init__(self, path: Path):
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "cache_size = -65536"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.executescript(MIGRATIONS[0])

    def save(self, rows: list[tuple[Any, ...]]) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.executemany(UPSERT, rows)
        self.conn.execute("COMMIT")

    def load(self, code: str, tf: str) -> list[tuple[Any, ...]]:
        return self.conn.execute(
            "SELECT ts, open, high, low, close, volume, value FROM bars"
            " WHERE code = ? AND tf = ? ORDER BY ts",
            (code, tf),
        ).fetchall()

    def section(self, codes: list[str], ts: int) -> list[tuple[Any, ...]]:
        marks = ",".join("?" * len(codes))
        return self.conn.execute(
            "SELECT code, ts, open, high, low, close, volume, value FROM bars"
            f" WHERE tf = '1m' AND ts = ? AND code IN ({marks}) ORDER BY code",
            (ts, *codes),
        ).fetchall()


def run_sqlite(args: argparse.Namespace, workdir: Path) -> dict[str, dict[str, float]]:
    codes = codes_for(args.codes)
    minute = synth(codes, args.minutes, T0, 60, "1m", seed=1)
    day_codes = codes[: args.daily_codes]
    daily = synth(day_codes, args.days, D0, 86_400, "1d", seed=2)
    minute_chunks = chunks(minute, args.minutes)
    minute_rows = [as_rows(c) for c in minute_chunks]
    again = minute.take(slice(0, args.reingest))
    again_rows = as_rows(again)
    out: dict[str, dict[str, float]] = {}

    # Ingest into empty files, alternating the two sides and keeping each one's best of
    # two, so that disk-cache and frequency warm-up favour neither.
    t_store = t_raw = float("inf")
    for attempt in range(2):
        s_path, r_path = workdir / f"store{attempt}.db", workdir / f"raw{attempt}.db"
        store = SqliteStore(s_path, actor="bench")
        raw = Raw(r_path)
        t_raw = min(t_raw, timed(lambda raw=raw: [raw.save(r) for r in minute_rows]))
        t_store = min(
            t_store,
            timed(lambda store=store: [store.save_bars(c, source="bench") for c in minute_chunks]),
        )
    out["ingest"] = {"store": len(minute) / t_store, "raw": len(minute) / t_raw, "unit": 1}
    store.save_bars(daily, source="bench")
    raw.save(as_rows(daily))

    t_store = timed(lambda: store.save_bars(again, source="bench"))
    t_raw = timed(lambda: raw.save(again_rows))
    out["re-ingest"] = {"store": len(again) / t_store, "raw": len(again) / t_raw, "unit": 1}

    n = args.queries
    for name, tf, pool in (("range 1m (400)", "1m", codes), ("range 1d (2,500)", "1d", day_codes)):
        s50, s99 = latencies(lambda c, tf=tf: store.load_bars(c, tf), pool, n)
        r50, r99 = latencies(lambda c, tf=tf: raw.load(c, tf), pool, n)
        out[name] = {"store": s50, "raw": r50, "store_p99": s99, "raw_p99": r99, "unit": 0}

    stamps = [T0 + 60 * ((i * 37) % args.minutes) for i in range(n // 10 or 1)]
    at = iter(stamps * 3)
    s50, s99 = latencies(
        lambda _c: store.cross_section("1m", datetime.fromtimestamp(next(at), KST)),
        codes,
        len(stamps),
    )
    at = iter(stamps * 3)
    r50, r99 = latencies(lambda _c: raw.section(codes, next(at)), codes, len(stamps))
    out["section"] = {"store": s50, "raw": r50, "store_p99": s99, "raw_p99": r99, "unit": 0}
    check = store.cross_section("1m", datetime.fromtimestamp(T0, KST))
    assert len(check) == args.codes, "cross-section must return every code"
    store.close()
    return out


def run_mongo(args: argparse.Namespace, workdir: Path) -> dict[str, float] | None:
    """A small run of the MongoDB backend on mongoeco (wire protocol, real pymongo)."""
    try:
        import mongoeco  # noqa: F401
    except ImportError:
        return None
    from stocklab.store.mongo import MongoStore

    script = Path(__file__).resolve().parents[1] / "tests" / "support" / "mongoeco_server.py"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(workdir)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().split()[1])
        store = MongoStore.connect(
            f"mongodb://127.0.0.1:{port}/bench?directConnection=true", actor="bench"
        )
        codes = codes_for(10)
        bars = synth(codes, args.mongo_bars // 10, T0, 60, "1m", seed=3)
        t_ingest = timed(lambda: store.save_bars(bars, source="bench"))
        t_again = timed(lambda: store.save_bars(bars, source="bench"))
        p50, _ = latencies(lambda c: store.load_bars(c, "1m"), codes, 50)
        store.close()
        return {
            "bars": len(bars),
            "ingest": len(bars) / t_ingest,
            "re-ingest": len(bars) / t_again,
            "range p50 ms": p50,
        }
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_import_csv(market: Path, workdir: Path) -> dict[str, float]:
    """Split `market` (code,date,...) into one file per code, then import them all into a
    fresh store through `import_csv`, as the command does; rows/s over the whole import."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet

    from stocklab.io.csvimport import import_csv

    table = pa_csv.read_csv(
        market,
        convert_options=pa_csv.ConvertOptions(
            column_types={"code": pa.string(), "date": pa.string()}
        ),
    )
    split = workdir / "split"
    split.mkdir()
    codes = table.column("code").to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")
    table, codes = table.take(pa.array(order)), codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    rest = table.drop_columns(["code"])
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        pa_csv.write_csv(
            rest.slice(a, b - a),
            split / f"{codes[a]}.csv",
            write_options=pa_csv.WriteOptions(quoting_style="none"),
        )
    files = sorted(split.glob("*.csv"))
    store = SqliteStore(workdir / "import.db", actor="bench")
    started = time.perf_counter()
    report = import_csv(store, files, source="csv")
    took = time.perf_counter() - started
    store.close()
    return {"files": len(files), "rows": report.rows, "seconds": took, "rows/s": report.rows / took}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--codes", type=int, default=2_500)
    p.add_argument("--minutes", type=int, default=400)
    p.add_argument("--reingest", type=int, default=100_000)
    p.add_argument("--daily-codes", type=int, default=50)
    p.add_argument("--days", type=int, default=2_500)
    p.add_argument("--queries", type=int, default=1_000)
    p.add_argument("--mongo-bars", type=int, default=1_000)
    p.add_argument("--no-mongo", action="store_true")
    p.add_argument("--json", type=Path)
    p.add_argument("--import-csv", type=Path, help="a market CSV (code,date,…) to split and import")
    args = p.parse_args()
    console = Console(width=130)
    if args.import_csv:
        with tempfile.TemporaryDirectory() as tmp:
            r = run_import_csv(args.import_csv, Path(tmp))
        console.print(
            f"import-csv: {r['files']:,} files, {r['rows']:,} rows in {r['seconds']:.1f} s = "
            f"{r['rows/s']:,.0f} rows/s (target ≥ 100,000 rows/s)"
        )
        if args.json:
            args.json.write_text(json.dumps({"import-csv": r}, indent=2))
        return
    with tempfile.TemporaryDirectory() as tmp:
        console.print(
            f"sqlite {sqlite3.sqlite_version}, python {sys.version.split()[0]}, "
            f"{args.codes:,} codes x {args.minutes} minute bars"
        )
        results = run_sqlite(args, Path(tmp))
        mongo = None if args.no_mongo else run_mongo(args, Path(tmp))

    table = Table("scenario", "stocklab sqlite", "raw sqlite3", "store / raw", "target")
    for name, r in results.items():
        if r["unit"]:
            store_s, raw_s = f"{r['store']:,.0f} bars/s", f"{r['raw']:,.0f} bars/s"
            ratio = r["raw"] / r["store"]
        else:
            store_s = f"p50 {r['store']:.3f} ms / p99 {r['store_p99']:.3f}"
            raw_s = f"p50 {r['raw']:.3f} ms / p99 {r['raw_p99']:.3f}"
            ratio = r["store"] / r["raw"]
        table.add_row(name, store_s, raw_s, f"{ratio:.2f}x", TARGETS[name])
    console.print(table)
    if mongo:
        console.print(
            f"mongodb backend on mongoeco (emulator, {mongo['bars']:,} bars): "
            f"ingest {mongo['ingest']:,.0f} bars/s, re-ingest {mongo['re-ingest']:,.0f} bars/s, "
            f"range p50 {mongo['range p50 ms']:.2f} ms"
        )
    if args.json:
        args.json.write_text(json.dumps({"sqlite": results, "mongo": mongo}, indent=2))


if __name__ == "__main__":
    main()
