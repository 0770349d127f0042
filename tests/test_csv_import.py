"""CSV import and export against the real KRX sample and hand-written broken files.

Every expected count is recomputed here from the raw files with the `csv` module, so the
importer's classifier is checked against an independent reading, not against itself.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from stocklab.barseries import NO_VALUE, BarSeries
from stocklab.io.csvimport import (
    BAD_CODE,
    BAD_DATE,
    BAD_MARKET,
    BAD_NAME,
    DUPLICATE,
    DUPLICATE_CODE,
    EMPTY,
    HALT,
    HIGH_BELOW_LOW,
    HIGH_GAP,
    LOWERED_LOW,
    NEGATIVE,
    NOT_INTEGER,
    NOT_NUMBER,
    RAISED_HIGH,
    WRONG_FIELDS,
    ZERO_CLOSE,
    ZERO_OHL_TRADED,
    ZERO_PRICE,
    FileReport,
    ImportReport,
    expand_paths,
    import_csv,
    import_instruments,
)
from stocklab.io.export import export_bars, format_for
from stocklab.model import Timeframe, daily_ts
from stocklab.store import BarCoverage, Store, StoreReader, open_store
from tests.support.paths import SHARED

DATA = SHARED / "data" / "krx-daily"
"""The real KRX daily data (located by tests/conftest.py)."""
MARKET_FILE = "market-2021-05-17_2022-05-16.csv.gz"
HEADER = "date,open,high,low,close,volume\n"


@dataclass
class RawCounts:
    """What the raw files hold, counted row by row with the csv module."""

    rows: int = 0
    halts: int = 0
    ohl_zero_traded: int = 0
    high_below: int = 0
    low_above: int = 0
    first_high_below: tuple[str, str, list[int]] | None = None
    codes_with_prices: set[str] = field(default_factory=set)


def raw_counts(paths: list[Path]) -> RawCounts:
    counts = RawCounts()
    for path in paths:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", newline="") as f:
            for row in csv.DictReader(f):
                counts.rows += 1
                o, h, lo, c, v = (int(row[k]) for k in ("open", "high", "low", "close", "volume"))
                if o == h == lo == 0:
                    counts.halts += v == 0
                    counts.ohl_zero_traded += v != 0
                    continue
                code = row.get("code") or path.name.removesuffix(".csv")
                counts.codes_with_prices.add(code)
                if h < max(o, c):
                    counts.high_below += 1
                    if counts.first_high_below is None:
                        counts.first_high_below = (code, row["date"], [o, h, lo, c, v])
                counts.low_above += lo > min(o, c)
    return counts


def new_store(path: Path) -> Store:
    return open_store(f"sqlite:///{path}")


def stored_series(reader: StoreReader) -> Iterator[tuple[str, BarSeries]]:
    for cov in reader.bar_overview():
        yield cov.code, reader.load_bars(cov.code, cov.timeframe)


@pytest.fixture(scope="module")
def sample_files() -> list[Path]:
    folder = DATA / "sample"
    if not folder.is_dir():
        pytest.skip(f"real KRX sample data not found at {folder}")
    return sorted(folder.glob("*.csv"))


@pytest.fixture(scope="module")
def imported(
    sample_files: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Store, ImportReport, list[tuple[Path, int]]]:
    """The 40 sample files imported once into a fresh store (shared: importing takes ~1 s)."""
    store = new_store(tmp_path_factory.mktemp("sample") / "s.db")
    calls: list[tuple[Path, int]] = []
    report = import_csv(store, sample_files, progress=lambda p, n: calls.append((p, n)))
    return store, report, calls


# -- the real sample --------------------------------------------------------------------


def test_sample_import_counts_match_an_independent_reading(sample_files, imported) -> None:
    store, report, calls = imported
    raw = raw_counts(sample_files)
    assert len(sample_files) == 40
    assert (raw.rows, raw.halts, raw.high_below, raw.low_above) == (90_577, 155, 761, 0)
    assert raw.ohl_zero_traded == 0
    assert report.rows == raw.rows
    assert report.skipped == {HALT: raw.halts}
    assert report.repaired == {RAISED_HIGH: raw.high_below}
    assert report.rejected == {}
    assert report.failed == []
    assert report.inserted == raw.rows - raw.halts == 90_422
    assert (report.updated, report.unchanged) == (0, 0)
    assert [p for p, _ in calls] == sample_files
    assert sum(n for _, n in calls) == raw.rows
    assert sum(c.count for c in store.bar_overview()) == report.inserted
    assert len(store.bar_overview()) == 40


def test_second_import_adds_nothing(sample_files, imported) -> None:
    store, first, _ = imported
    again = import_csv(store, sample_files)
    assert again.inserted == 0
    assert again.updated == 0
    assert again.unchanged == first.inserted
    assert again.skipped == first.skipped
    assert again.repaired == first.repaired
    assert sum(c.count for c in store.bar_overview()) == first.inserted


def test_halt_days_are_absent_and_the_split_day_is_present(imported) -> None:
    store, _, _ = imported
    bars = store.load_bars("005930", "1d", date(2018, 5, 1), date(2018, 5, 4))
    assert bars.datetimes() == [daily_ts(date(2018, 5, 4))]
    assert (int(bars.open[0]), int(bars.close[0]), int(bars.volume[0])) == (
        53_000,
        51_900,
        39_565_391,
    )


def test_every_stored_bar_is_consistent(imported) -> None:
    store, report, _ = imported
    total = 0
    for _, s in stored_series(store):
        assert (s.low <= np.minimum(s.open, s.close)).all()
        assert (np.maximum(s.open, s.close) <= s.high).all()
        assert ((s.ts + 9 * 3600) % 86_400 == 0).all()
        total += len(s)
    assert total == report.inserted


def test_a_repaired_row_has_high_raised_to_open_or_close(sample_files, imported) -> None:
    store, _, _ = imported
    first = raw_counts(sample_files).first_high_below
    assert first is not None
    code, day, (o, h, lo, c, v) = first
    assert h < max(o, c)
    bar = store.load_bars(code, "1d", date.fromisoformat(day), date.fromisoformat(day)).to_bars()
    assert len(bar) == 1
    assert (bar[0].open, bar[0].high, bar[0].low, bar[0].close, bar[0].volume) == (
        o,
        max(o, c),
        lo,
        c,
        v,
    )


def test_market_file_imports_with_its_two_traded_zero_rows_rejected(tmp_path) -> None:
    path = DATA / MARKET_FILE
    if not path.is_file():
        pytest.skip(f"{path} not found")
    raw = raw_counts([path])
    store = new_store(tmp_path / "m.db")
    report = import_csv(store, [path])
    assert report.rows == raw.rows == 639_878
    assert report.skipped == {HALT: raw.halts}
    assert report.repaired == {RAISED_HIGH: raw.high_below}
    assert report.rejected == {ZERO_OHL_TRADED: raw.ohl_zero_traded} == {ZERO_OHL_TRADED: 2}
    assert report.inserted == raw.rows - raw.halts - raw.ohl_zero_traded
    assert report.examples[ZERO_OHL_TRADED][0].startswith(f"{MARKET_FILE}:")
    assert len(store.bar_overview()) == len(raw.codes_with_prices) == 2_591


# -- broken files -------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def only(report: ImportReport, path: Path) -> FileReport:
    (found,) = [f for f in report.files if f.path == path]
    return found


def test_bad_rows_are_rejected_by_reason_and_good_rows_stored(tmp_path) -> None:
    lines = [
        "2020-01-02,100,110,90,105,1000",  # 2 good
        "2020-01-03,abc,110,90,105,1000",  # 3 non-numeric
        "2020-01-06,-100,110,90,105,1000",  # 4 negative
        "2020-02-30,100,110,90,105,1000",  # 5 no such date
        "yesterday,100,110,90,105,1000",  # 6 not a date
        "2020-01-02,101,111,91,106,2000",  # 7 duplicate of line 2
        "2020-01-07,100.5,110,90,105,1000",  # 8 decimal
        "2020-01-08,,110,90,105,1000",  # 9 empty
        "",  # 10 blank line: layout, not data
        "2020-01-09,100,110,90,0,1000",  # 11 close 0
        "2020-01-10,0,0,0,105,500",  # 12 no prices but traded
        "2020-01-13,0,110,90,105,1000",  # 13 open 0 only
        "2020-01-14,100,80,90,95,1000",  # 14 high below low
        "2020-01-15,100,101,90,105,1000",  # 15 high 4% below close: not rounding
        "2020-01-16,100,110,101,105,1000",  # 16 low 1 above open: rounding
        "2020-01-17,0,0,0,105,0",  # 17 halt day
        "2020-01-20,100,104,90,105,1000",  # 18 high 1 below close: rounding
        "2020-01-21,100,110,80,105,1000,7",  # 19 one field too many
        "2020-01-22,100,110,20,105,1000",  # 20 good: a long lower wick
        "2020-01-23,100,1",  # 21 half-written last line
    ]
    path = write(tmp_path / "005930.csv", HEADER + "\n".join(lines))
    store = new_store(tmp_path / "s.db")
    report = import_csv(store, [path])
    f = only(report, path)
    assert f.error is None
    assert f.rejected == {
        NOT_NUMBER: 1,
        NEGATIVE: 1,
        BAD_DATE: 2,
        DUPLICATE: 1,
        NOT_INTEGER: 1,
        EMPTY: 1,
        ZERO_CLOSE: 1,
        ZERO_OHL_TRADED: 1,
        ZERO_PRICE: 1,
        HIGH_BELOW_LOW: 1,
        HIGH_GAP: 1,
        WRONG_FIELDS: 2,
    }
    assert f.skipped == {HALT: 1}
    assert f.repaired == {LOWERED_LOW: 1, RAISED_HIGH: 1}
    assert f.rows == 19
    assert f.inserted == 4
    assert f.rows == f.inserted + sum(f.skipped.values()) + sum(f.rejected.values())
    assert f.examples[WRONG_FIELDS] == [
        "005930.csv:19 2020-01-21,100,110,80,105,1000,7",
        "005930.csv:21 2020-01-23,100,1",
    ]
    assert f.examples[NOT_NUMBER] == ["005930.csv:3 2020-01-03,abc,110,90,105,1000"]
    assert f.examples[DUPLICATE] == ["005930.csv:7 2020-01-02,101,111,91,106,2000"]
    assert f.examples[HIGH_GAP] == ["005930.csv:15 2020-01-15,100,101,90,105,1000"]

    stored = {b.trading_date.isoformat(): b for b in store.load_bars("005930", "1d").to_bars()}
    assert sorted(stored) == ["2020-01-02", "2020-01-16", "2020-01-20", "2020-01-22"]
    first = stored["2020-01-02"]
    assert (first.open, first.high, first.low, first.close, first.volume) == (
        100,
        110,
        90,
        105,
        1000,
    )
    assert (stored["2020-01-16"].low, stored["2020-01-16"].high) == (100, 110)
    assert (stored["2020-01-20"].low, stored["2020-01-20"].high) == (90, 105)


def test_unusable_files_fail_alone_and_the_others_still_import(tmp_path) -> None:
    good = write(tmp_path / "000660.csv", HEADER + "2020-01-02,100,110,90,105,1000\n")
    not_code = write(tmp_path / "prices.csv", HEADER + "2020-01-02,100,110,90,105,1000\n")
    lowercase = write(tmp_path / "00088k.csv", HEADER + "2020-01-02,100,110,90,105,1000\n")
    no_volume = write(tmp_path / "035420.csv", "date,open,high,low,close\n2020-01-02,1,1,1,1\n")
    empty = write(tmp_path / "035720.csv", "")
    text = write(tmp_path / "notes.txt", "hello\n")
    cp949 = tmp_path / "051910.csv"
    cp949.write_bytes("날짜,시가,고가,저가,종가,거래량\n".encode("cp949"))
    cp949_body = tmp_path / "005490.csv"
    good_lines = "".join(f"2020-01-{d:02},1,1,1,1,1\n" for d in range(1, 29)) * 40  # > 8 KiB
    cp949_body.write_bytes((HEADER + good_lines + "2020-02-03,1,1,1,1,1\n").encode())
    with cp949_body.open("ab") as f:
        f.write("2020-02-04,1,1,1,1,삼성\n".encode("cp949"))
    broken_gz = tmp_path / "068270.csv.gz"
    broken_gz.write_bytes(gzip.compress((HEADER + "2020-01-02,1,1,1,1,1\n" * 500).encode())[:60])
    missing = tmp_path / "nowhere" / "005380.csv"
    paths = [good, not_code, lowercase, no_volume, empty, text, cp949, cp949_body, broken_gz]
    paths.append(missing)

    store = new_store(tmp_path / "s.db")
    report = import_csv(store, paths)

    errors = {f.path.name: f.error for f in report.files}
    assert errors["000660.csv"] is None
    assert "파일 이름 'prices'" in errors["prices.csv"]
    assert "code 열도 없습니다" in errors["prices.csv"]
    assert "파일 이름 '00088k'" in errors["00088k.csv"]
    assert errors["035420.csv"].startswith("필수 열이 없습니다: volume")
    assert errors["035720.csv"] == "비어 있거나 머리글 줄이 없습니다"
    assert errors["notes.txt"] == "CSV 파일이 아닙니다 (.csv 또는 .csv.gz)"
    assert errors["051910.csv"] == "UTF-8 텍스트가 아닙니다"
    assert errors["068270.csv.gz"].startswith(("읽을 수 없습니다", "CSV로 읽을 수 없습니다"))
    assert errors["005490.csv"].startswith("CSV로 읽을 수 없습니다")
    assert "UTF8" in errors["005490.csv"]
    assert errors["005380.csv"] == "파일이 없습니다"
    assert len(report.failed) == 9
    assert report.inserted == 1
    assert [c.code for c in store.bar_overview()] == ["000660"]


def test_dates_must_be_real_iso_dates(tmp_path) -> None:
    days = ["2020-1-6", "2020-02-30", "2020/01/02", "20200103", "2021-02-29", "2020-02-29"]
    body = "".join(f"{d},100,110,90,105,1000\n" for d in days)
    path = write(tmp_path / "005930.csv", HEADER + body)
    store = new_store(tmp_path / "s.db")
    f = only(import_csv(store, [path]), path)
    assert f.rejected == {BAD_DATE: 5}
    assert f.examples[BAD_DATE] == [
        "005930.csv:2 2020-1-6,100,110,90,105,1000",
        "005930.csv:3 2020-02-30,100,110,90,105,1000",
        "005930.csv:4 2020/01/02,100,110,90,105,1000",
    ]
    assert store.load_bars("005930", "1d").datetimes() == [daily_ts(date(2020, 2, 29))]


def test_header_only_and_blank_files_read_nothing_without_failing(tmp_path) -> None:
    header_only = write(tmp_path / "005930.csv", HEADER)
    blanks = write(tmp_path / "000660.csv", HEADER + "\n\n,,,,,\n")
    report = import_csv(new_store(tmp_path / "s.db"), [header_only, blanks])
    assert [(f.rows, f.inserted, f.error) for f in report.files] == [(0, 0, None), (0, 0, None)]


def test_gzip_file_with_code_column_pads_numeric_codes(tmp_path) -> None:
    rows = [
        "code,date,open,high,low,close,volume,value,name",
        "20,2020-01-02,100,110,90,105,1000,105000,동화약품",
        "00088K,2020-01-02,200,210,190,205,10,2050,한화3우B",
        "00088K,2020-01-03,200,210,190,205,10,,한화3우B",
        "abc,2020-01-02,100,110,90,105,1000,,?",
        "1234567,2020-01-02,100,110,90,105,1000,,?",
        "000020,2020-01-03,100,110,90,105,1000,-5,동화약품",
        "000020,2020-01-06,100,110,90,105,1000,-1,동화약품",
    ]
    path = tmp_path / "market.csv.gz"
    path.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    store = new_store(tmp_path / "s.db")
    report = import_csv(store, [path], source="krx-file")
    f = only(report, path)
    assert f.error is None
    assert f.rejected == {BAD_CODE: 2, NEGATIVE: 2}
    assert f.inserted == 3
    assert [(c.code, c.count, c.source) for c in store.bar_overview()] == [
        ("000020", 1, "krx-file"),
        ("00088K", 2, "krx-file"),
    ]
    assert store.load_bars("000020", "1d").value.tolist() == [105_000]
    assert store.load_bars("00088K", "1d").value.tolist() == [2_050, NO_VALUE]


def test_a_file_name_is_never_padded(tmp_path) -> None:
    path = write(tmp_path / "5930.csv", HEADER + "2020-01-02,100,110,90,105,1000\n")
    report = import_csv(new_store(tmp_path / "s.db"), [path])
    assert report.failed[0].error is not None
    assert "'5930'" in report.failed[0].error


def test_bad_source_is_refused_before_reading(tmp_path) -> None:
    with pytest.raises(ValueError, match="source"):
        import_csv(new_store(tmp_path / "s.db"), [tmp_path / "x.csv"], source="")


def test_expand_paths_lists_csv_files_of_a_directory(tmp_path) -> None:
    for name in ("b.csv", "a.csv.gz", "c.txt"):
        write(tmp_path / name, "")
    assert expand_paths([tmp_path, tmp_path / "z.csv"]) == [
        tmp_path / "a.csv.gz",
        tmp_path / "b.csv",
        tmp_path / "z.csv",
    ]


# -- instruments ---------------------------------------------------------------------------


def test_instruments_file_is_upserted_and_bad_rows_reported(tmp_path) -> None:
    real = DATA / "all-instruments.csv"
    if not real.is_file():
        pytest.skip(f"{real} not found")
    with real.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    store = new_store(tmp_path / "s.db")
    report = import_instruments(store, real)
    assert report.error is None
    assert report.rows == len(rows) == 2_600
    assert report.inserted == len(rows)
    assert report.rejected == {}
    assert store.count_instruments() == 2_600
    konex = sum(r["market"] == "KONEX" for r in rows)
    assert store.count_instruments(market="KONEX") == konex == 126
    assert import_instruments(store, real).unchanged == 2_600

    odd = write(
        tmp_path / "odd.csv",
        "code,name,market\n20,동화약품,kospi\n000020,동화약품,KOSPI\n"
        "ABCDEFG,?,KOSPI\n123456,무명,NYSE\n654321,,KOSDAQ\n",
    )
    report = import_instruments(store, odd)
    assert report.rejected == {
        DUPLICATE_CODE: 1,
        BAD_CODE: 1,
        BAD_MARKET: 1,
        BAD_NAME: 1,
    }
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 1)


def test_instruments_file_without_market_column_fails(tmp_path) -> None:
    path = write(tmp_path / "i.csv", "code,name\n005930,삼성전자\n")
    report = import_instruments(new_store(tmp_path / "s.db"), path)
    assert report.error == "필수 열이 없습니다: market (필요: code,name,market)"


# -- export -------------------------------------------------------------------------------


@pytest.fixture
def three_codes(sample_files, tmp_path) -> tuple[Store, int]:
    store = new_store(tmp_path / "a.db")
    files = [p for p in sample_files if p.stem in ("005930", "003550", "000270")]
    return store, import_csv(store, files).inserted


def test_csv_export_round_trips_through_import(three_codes, tmp_path) -> None:
    store, count = three_codes
    out = tmp_path / "bars.csv"
    assert export_bars(store, out, fmt="csv", timeframe="1d") == count
    with out.open(newline="") as f:
        head = next(csv.reader(f))
    assert head == ["code", "date", "open", "high", "low", "close", "volume", "value"]

    copy = new_store(tmp_path / "b.db")
    report = import_csv(copy, [out])
    assert (report.rows, report.inserted) == (count, count)
    assert (report.repaired, report.skipped, report.rejected) == ({}, {}, {})
    for (code, a), (code_b, b) in zip(stored_series(store), stored_series(copy), strict=True):
        assert code == code_b
        for name in ("ts", "open", "high", "low", "close", "volume", "value"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), (code, name)
    assert import_csv(store, [out]).unchanged == count
    assert list(tmp_path.glob(".*.tmp")) == []


def test_parquet_export_has_typed_columns_and_the_same_rows(three_codes, tmp_path) -> None:
    store, _ = three_codes
    out = tmp_path / "bars.parquet"
    rows = export_bars(store, out, fmt="parquet", timeframe="1d", codes=["005930"])
    expected = store.load_bars("005930", "1d")
    assert rows == len(expected) == 2_550
    table = pq.read_table(out)
    assert table.schema.field("ts").type == pa.timestamp("ms", tz="Asia/Seoul")
    assert table.schema.field("date").type == pa.date32()
    for name in ("open", "high", "low", "close", "volume", "value"):
        assert table.schema.field(name).type == pa.int64()
    assert table.column("code").unique().to_pylist() == ["005930"]
    assert np.array_equal(table.column("close").to_numpy(), expected.close)
    assert table.column("ts").to_pylist()[0] == expected.datetimes()[0]
    assert table.column("date").to_pylist()[-1] == date(2022, 5, 16)
    assert table.column("value").null_count == rows


def test_export_filters_by_code_and_dates(three_codes, tmp_path) -> None:
    store, _ = three_codes
    out = tmp_path / "may.csv"
    rows = export_bars(
        store,
        out,
        fmt="csv",
        timeframe="1d",
        codes=["005930", "000270"],
        start=date(2018, 5, 1),
        end=date(2018, 5, 8),
    )
    lines = out.read_text().splitlines()
    assert rows == len(lines) - 1 == 6
    assert lines[1] == "005930,2018-05-04,53000,53900,51800,51900,39565391,"
    assert {line.split(",")[0] for line in lines[1:]} == {"005930", "000270"}


def test_minute_bars_export_with_offset_timestamps(tmp_path) -> None:
    store = new_store(tmp_path / "s.db")
    start = int(daily_ts(date(2024, 1, 2)).timestamp()) + 9 * 3600
    store.save_bars(
        BarSeries.from_arrays(
            Timeframe.MINUTE,
            "005930",
            [start, start + 60],
            [100, 101],
            [102, 103],
            [99, 100],
            [101, 102],
            [10, 0],
            [1_010, NO_VALUE],
        )
    )
    out = tmp_path / "m.csv"
    assert export_bars(store, out, fmt="csv", timeframe="1m") == 2
    assert out.read_text().splitlines() == [
        "code,ts,open,high,low,close,volume,value",
        "005930,2024-01-02T09:00:00+09:00,100,102,99,101,10,1010",
        "005930,2024-01-02T09:01:00+09:00,101,103,100,102,0,",
    ]
    pq_out = tmp_path / "m.parquet"
    export_bars(store, pq_out, fmt="parquet", timeframe="1m")
    table = pq.read_table(pq_out)
    assert "date" not in table.column_names
    assert table.column("ts").to_pylist()[0].isoformat() == "2024-01-02T09:00:00+09:00"
    assert table.column("value").to_pylist() == [1_010, None]


def test_export_refuses_bad_requests_and_leaves_no_file(three_codes, tmp_path) -> None:
    store, _ = three_codes
    out = tmp_path / "x.csv"
    with pytest.raises(ValueError, match="봉이 없는 종목: 999999"):
        export_bars(store, out, fmt="csv", timeframe="1d", codes=["999999"])
    with pytest.raises(ValueError, match="종목코드"):
        export_bars(store, out, fmt="csv", timeframe="1d", codes=["5930"])
    with pytest.raises(ValueError, match="거꾸로"):
        export_bars(
            store, out, fmt="csv", timeframe="1d", start=date(2020, 2, 1), end=date(2020, 1, 1)
        )
    with pytest.raises(ValueError, match="출력 디렉터리가 없습니다"):
        export_bars(store, tmp_path / "no" / "x.csv", fmt="csv", timeframe="1d")
    assert not out.exists()
    assert format_for(Path("a.PARQUET")) == "parquet"
    assert format_for(Path("a.txt"), "csv") == "csv"
    with pytest.raises(ValueError, match="확장자"):
        format_for(Path("a.txt"))


class BreaksAfterFirstCode:
    """A real store's reader whose second `load_bars` fails, as a dying disk or DB would."""

    def __init__(self, reader: StoreReader):
        self.reader = reader
        self.calls = 0

    def bar_overview(self) -> list[BarCoverage]:
        return self.reader.bar_overview()

    def load_bars(self, *args: Any, **kwargs: Any) -> BarSeries:
        self.calls += 1
        if self.calls > 1:
            raise OSError("disk gone")
        return self.reader.load_bars(*args, **kwargs)


def test_an_interrupted_export_keeps_the_previous_file(three_codes, tmp_path) -> None:
    store, _ = three_codes
    out = tmp_path / "bars.csv"
    out.write_text("previous export\n")
    broken = BreaksAfterFirstCode(store)
    with pytest.raises(OSError, match="disk gone"):
        export_bars(broken, out, fmt="csv", timeframe="1d")  # type: ignore[arg-type]
    assert broken.calls == 2
    assert out.read_text() == "previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
