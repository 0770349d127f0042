"""Export stored bars to CSV or Parquet.

CSV columns: `code`, `date` (daily, ISO date) or `ts` (minute, ISO datetime with +09:00),
`open, high, low, close, volume`, and `value` (empty when unknown) — the layout
`csvimport.import_csv` reads, so a daily export imports back unchanged.
Parquet has the same columns with int64 prices and a nullable int64 `value`; it always
carries `ts` as a timezone-aware timestamp (Asia/Seoul), daily files have `date` besides.

The file is written under a temporary name in the target directory and renamed at the end,
so an interrupted export never leaves a half-written file under the requested name.
"""

from __future__ import annotations

import csv
import os
import secrets
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import IO, Literal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from stocklab.barseries import NO_VALUE, BarSeries
from stocklab.model import KST, Timeframe, check_code
from stocklab.store import StoreReader, date_range

Format = Literal["csv", "parquet"]
FORMATS: tuple[Format, ...] = ("csv", "parquet")
PRICE_COLUMNS = ("open", "high", "low", "close", "volume")
_KST_OFFSET = 9 * 3_600
_PARQUET_BATCH = 200_000
"""Rows buffered before a Parquet row group is written."""


def format_for(path: Path, requested: str | None = None) -> Format:
    """The format asked for, else the one the file name implies; ValueError if neither."""
    if requested is not None:
        if requested not in FORMATS:
            raise ValueError(f"형식 {requested!r}: csv 또는 parquet여야 합니다")
        return "csv" if requested == "csv" else "parquet"
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise ValueError(
        f"출력 파일 {path.name}의 확장자로 형식을 알 수 없습니다: .csv 또는 .parquet를 쓰거나 "
        "--format을 지정하세요"
    )


def export_bars(
    reader: StoreReader,
    out: Path,
    *,
    fmt: Format,
    timeframe: Timeframe | str,
    codes: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> int:
    """Write the bars of `codes` (default: every stored code) to `out`; return rows written."""
    tf = Timeframe(timeframe)
    date_range(start, end)
    selected = _codes(reader, tf, codes)
    if not out.parent.is_dir():
        raise ValueError(f"출력 디렉터리가 없습니다: {out.parent}")
    if out.is_dir():
        raise ValueError(f"출력 경로가 디렉터리입니다: {out}")
    batches = (reader.load_bars(code, tf, start, end) for code in selected)
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        if fmt == "csv":
            with tmp.open("x", encoding="utf-8", newline="") as f:
                rows = _write_csv(f, tf, batches)
        else:
            with tmp.open("xb") as fb:
                rows = _write_parquet(fb, tf, batches)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return rows


def _codes(reader: StoreReader, tf: Timeframe, codes: Sequence[str] | None) -> list[str]:
    """The codes to export; a requested code with no bars of `tf` is an error, not silence."""
    stored = sorted({c.code for c in reader.bar_overview() if c.timeframe is tf})
    if codes is None:
        return stored
    wanted = list(dict.fromkeys(check_code(c) for c in codes))
    absent = [c for c in wanted if c not in stored]
    if absent:
        raise ValueError(f"저장소에 {tf.value} 봉이 없는 종목: {', '.join(absent)}")
    return wanted


def _write_csv(f: IO[str], tf: Timeframe, batches: Iterator[BarSeries]) -> int:
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(("code", "date" if tf is Timeframe.DAY else "ts", *PRICE_COLUMNS, "value"))
    rows = 0
    for s in batches:
        values = np.where(s.value == NO_VALUE, "", s.value.astype(str))
        prices = (getattr(s, name).tolist() for name in PRICE_COLUMNS)
        writer.writerows(zip(s.code.tolist(), _when(s, tf), *prices, values.tolist(), strict=True))
        rows += len(s)
    return rows


def _when(s: BarSeries, tf: Timeframe) -> list[str]:
    """ISO text of each bar's time on the exchange clock: a date, or a datetime at +09:00."""
    local = (s.ts + _KST_OFFSET).astype("datetime64[s]")
    if tf is Timeframe.DAY:
        return local.astype("datetime64[D]").astype(str).tolist()
    return [f"{t}+09:00" for t in np.datetime_as_string(local, unit="s").tolist()]


def _write_parquet(f: IO[bytes], tf: Timeframe, batches: Iterator[BarSeries]) -> int:
    schema = _schema(tf)
    rows = 0
    pending: list[pa.Table] = []
    with pq.ParquetWriter(f, schema) as writer:
        for s in batches:
            pending.append(_table(s, schema))
            rows += len(s)
            if sum(t.num_rows for t in pending) >= _PARQUET_BATCH:
                writer.write_table(pa.concat_tables(pending))
                pending = []
        if pending:
            writer.write_table(pa.concat_tables(pending))
    return rows


def _schema(tf: Timeframe) -> pa.Schema:
    fields = [pa.field("code", pa.string(), nullable=False)]
    if tf is Timeframe.DAY:
        fields.append(pa.field("date", pa.date32(), nullable=False))
    fields.append(pa.field("ts", pa.timestamp("ms", tz=str(KST)), nullable=False))
    fields += [pa.field(name, pa.int64(), nullable=False) for name in PRICE_COLUMNS]
    fields.append(pa.field("value", pa.int64()))
    return pa.schema(fields)


def _table(s: BarSeries, schema: pa.Schema) -> pa.Table:
    columns: dict[str, pa.Array] = {"code": pa.array(s.code.astype(str))}
    if "date" in schema.names:
        columns["date"] = pa.array((s.ts + _KST_OFFSET) // 86_400, pa.int32()).cast(pa.date32())
    columns["ts"] = pa.array(s.ts * 1000, schema.field("ts").type)
    for name in PRICE_COLUMNS:
        columns[name] = pa.array(getattr(s, name), pa.int64())
    columns["value"] = pa.array(s.value, pa.int64(), mask=s.value == NO_VALUE)
    return pa.Table.from_pydict(columns, schema=schema)
