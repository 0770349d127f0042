"""Import daily bars (and optionally instruments) from CSV files into the store.

A file holds `date,open,high,low,close,volume` (any order, any case, extra columns ignored),
an optional `value` (traded KRW; empty means unknown) and an optional `code`; without a
`code` column the file name must be the code (`005930.csv`, `005930.csv.gz`). A purely
numeric code shorter than six digits in a `code` column lost its leading zeros to a
spreadsheet and is padded (`20` → `000020`); a file name is never padded.

Every data line ends up in exactly one bucket, so `read = stored + skipped + rejected`:

- rejected (reason each, checked in this order): wrong number of fields (a truncated
  line), bad code, unparsable or impossible date (strictly `YYYY-MM-DD`), empty,
  non-numeric or non-integer number (`12.5` — prices are integer KRW), negative number,
  close 0, open/high/low 0 with volume traded, some but not all of open/high/low 0, high
  below low, high more than the rounding tolerance below max(open, close) or low more than
  it above min(open, close), and a code and date already seen earlier in the same file
  (the first line wins);
- skipped: halt days — open, high and low 0, volume 0, close > 0. The source has no
  prices for them and storing the previous close as OHLC would invent a bar;
- repaired: split-adjusted prices rounded to the won can leave high a won or two below
  open or close (low above them). Within the tolerance — 1% of the price, at least 1 KRW —
  high is raised to max(open, close) and low lowered to min(open, close): no new price is
  made up, the range only widens to the prices the row itself reports. A row needing both
  counts under both reasons;
- stored: everything else, through one validated `BarSeries` per file, which the store
  reports back as inserted, updated (a stored row differed) or unchanged.

A file that cannot be read at all (missing, not UTF-8, broken gzip, missing columns) is
reported as failed and the other files still import. Parsing is columnar (pyarrow) so the
639,878-row market file takes seconds; there is never one Python object per row.
"""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from stocklab.barseries import (
    NO_VALUE,
    BarSeries,
    BarValidationError,
    repair_rounding,
    within_rounding,
)
from stocklab.model import Instrument, Market, Timeframe, check_code, daily_ts
from stocklab.store import MAX_LIMIT, Store, check_source

REQUIRED = ("date", "open", "high", "low", "close", "volume")
SUFFIXES = (".csv", ".csv.gz")
MAX_EXAMPLES = 3
"""Example lines kept per rejection reason."""

WRONG_FIELDS = "열 개수가 맞지 않음 (잘린 줄)"
BAD_CODE = "종목코드가 올바르지 않음"
BAD_DATE = "날짜를 읽을 수 없음 (YYYY-MM-DD)"
EMPTY = "빈 값"
NOT_NUMBER = "숫자가 아닌 값"
NOT_INTEGER = "정수가 아닌 가격·거래량"
NEGATIVE = "음수 가격·거래량"
ZERO_CLOSE = "종가 0"
ZERO_OHL_TRADED = "시가·고가·저가 0인데 거래량 있음"
ZERO_PRICE = "시가·고가·저가 중 일부만 0"
HIGH_BELOW_LOW = "고가가 저가보다 낮음"
HIGH_GAP = "고가가 시가·종가보다 반올림 오차 이상 낮음"
LOW_GAP = "저가가 시가·종가보다 반올림 오차 이상 높음"
DUPLICATE = "같은 종목·날짜가 앞에 이미 있음"
FUTURE = "마지막 거래일 뒤의 날짜 (아직 없는 봉)"
CUT_SHORT = (
    "마지막 줄이 줄바꿈 없이 끝남 (파일이 잘렸을 수 있음; 온전한 줄이면 끝에 줄바꿈을 넣으세요)"
)
HALT = "거래정지(시가·고가·저가 0)"
RAISED_HIGH = "고가를 시가·종가까지 올림 (수정주가 반올림)"
LOWERED_LOW = "저가를 시가·종가까지 내림 (수정주가 반올림)"

_INT_RE = r"^-?[0-9]{1,18}$"
_DECIMAL_RE = r"^-?[0-9]*\.[0-9]+$"
_SECONDS_PER_DAY = 86_400
_KST_OFFSET = 9 * 3_600


@dataclass
class Tally:
    """Rows read and rows refused, with a few example lines per reason."""

    rows: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def reject(self, reason: str, examples: Iterable[str], n: int = 1) -> None:
        self.rejected[reason] += n
        kept = self.examples.setdefault(reason, [])
        kept.extend(list(examples)[: MAX_EXAMPLES - len(kept)])


@dataclass
class FileReport(Tally):
    """What importing one file did. `error` is set when the file could not be read at all."""

    path: Path = Path()
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    repaired: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    error: str | None = None


@dataclass
class ImportReport:
    """Per-file reports and their totals; `inserted` is what the summary calls imported."""

    files: list[FileReport] = field(default_factory=list)

    def _sum(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    def _counter(self, name: str) -> Counter[str]:
        return sum((getattr(f, name) for f in self.files), Counter())

    @property
    def rows(self) -> int:
        return self._sum("rows")

    @property
    def inserted(self) -> int:
        return self._sum("inserted")

    @property
    def updated(self) -> int:
        return self._sum("updated")

    @property
    def unchanged(self) -> int:
        return self._sum("unchanged")

    @property
    def repaired(self) -> Counter[str]:
        return self._counter("repaired")

    @property
    def skipped(self) -> Counter[str]:
        return self._counter("skipped")

    @property
    def rejected(self) -> Counter[str]:
        return self._counter("rejected")

    @property
    def examples(self) -> dict[str, list[str]]:
        merged: dict[str, list[str]] = {}
        for f in self.files:
            for reason, lines in f.examples.items():
                kept = merged.setdefault(reason, [])
                kept.extend(lines[: MAX_EXAMPLES - len(kept)])
        return merged

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if f.error is not None]


@dataclass
class InstrumentReport(Tally):
    """What importing a `code,name,market` file did."""

    path: Path = Path()
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    error: str | None = None


class FileProblem(Exception):
    """The whole file is unusable; the message says why, for the report."""


def import_csv(
    store: Store,
    paths: Sequence[Path],
    *,
    source: str = "csv",
    progress: Callable[[Path, int], None] | None = None,
    last_day: date | None = None,
) -> ImportReport:
    """Import daily bars from each file; `progress(path, rows)` runs after every file.

    Rows dated after `last_day` (the last closed session) are refused: no such bar exists
    yet, and storing one would put every later collection's resume point in the future."""
    check_source(source)
    report = ImportReport()
    for path in paths:
        file_report = FileReport(path=path)
        try:
            _import_file(store, path, source, file_report, last_day)
        except FileProblem as exc:
            file_report.error = str(exc)
        report.files.append(file_report)
        if progress is not None:
            progress(path, file_report.rows)
    return report


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given; a directory stands for its `*.csv` and `*.csv.gz` files, sorted."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.name.endswith(SUFFIXES))
        else:
            out.append(path)
    return out


# -- one file -------------------------------------------------------------------------


def _import_file(
    store: Store, path: Path, source: str, report: FileReport, last_day: date | None
) -> None:
    if not path.name.endswith(SUFFIXES):
        raise FileProblem("CSV 파일이 아닙니다 (.csv 또는 .csv.gz)")
    header = _header(path)
    index = _column_index(header)
    file_code = None if "code" in index else _code_from_name(path)
    table, bad_lines = _read_table(path, header)
    if bad_lines:
        report.rows += len(bad_lines)
        where = [f"{path.name}:{line} {_clip(text)}" for line, text in bad_lines[:MAX_EXAMPLES]]
        report.reject(WRONG_FIELDS, where, len(bad_lines))
    rows = _Rows(table, index, _line_numbers(table.num_rows, bad_lines), path.name)
    cut = not _ends_with_newline(path) and table.num_rows > 0
    if cut and bad_lines and bad_lines[-1][0] > int(rows.lines[-1]):
        cut = False  # the cut line is the refused one: it has too few fields
    keep = rows.classify(report, file_code, last_day, cut)
    if not keep.any():
        return
    series = rows.series(keep)
    try:
        result = store.save_bars(series, source=source)
    except BarValidationError as exc:  # the classifier missed a rule: refuse, never store
        raise FileProblem(f"검증 실패로 저장하지 않았습니다: {exc}") from None
    report.inserted += result.inserted
    report.updated += result.updated
    report.unchanged += result.unchanged


def _ends_with_newline(path: Path) -> bool:
    """Whether the file's last byte ends a line: a copy or download cut short does not."""
    if path.name.endswith(".gz"):
        last = b""
        with gzip.open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                last = chunk
        return last.endswith(b"\n")
    with path.open("rb") as f:
        f.seek(0, 2)
        if f.tell() == 0:
            return True
        f.seek(-1, 2)
        return f.read(1) == b"\n"


def _open_text(path: Path) -> IO[str]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def _header(path: Path) -> list[str]:
    try:
        with _open_text(path) as f:
            first = f.readline()
    except FileNotFoundError:
        raise FileProblem("파일이 없습니다") from None
    except IsADirectoryError:
        raise FileProblem("파일이 아니라 디렉터리입니다") from None
    except UnicodeDecodeError:
        raise FileProblem("UTF-8 텍스트가 아닙니다") from None
    except (OSError, EOFError) as exc:
        raise FileProblem(f"읽을 수 없습니다 ({exc})") from None
    header = next(csv.reader([first]), [])
    if not any(h.strip() for h in header):
        raise FileProblem("비어 있거나 머리글 줄이 없습니다")
    return header


def _column_index(header: list[str]) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    wanted = (*REQUIRED, "code", "value")
    doubled = sorted(n for n, k in Counter(names).items() if k > 1 and n in wanted)
    if doubled:
        raise FileProblem(f"같은 이름의 열이 두 번 있습니다: {', '.join(doubled)}")
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise FileProblem(
            f"필수 열이 없습니다: {', '.join(missing)} (필요: {','.join(REQUIRED)}[,code][,value])"
        )
    return {n: i for i, n in enumerate(names) if n in wanted}


def _code_from_name(path: Path) -> str:
    stem = path.name.removesuffix(".gz").removesuffix(".csv")
    try:
        return check_code(stem)
    except ValueError:
        raise FileProblem(
            f"파일 이름 {stem!r}이 종목코드(영문 대문자·숫자 6자리)가 아니고 code 열도 없습니다"
        ) from None


def _read_table(path: Path, header: list[str]) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Every column as text; lines with the wrong number of fields are collected, not read.

    Single-threaded so pyarrow reports the physical line number of each refused line.
    """
    bad: list[tuple[int, str]] = []

    def refuse(row: pa_csv.InvalidRow) -> str:
        bad.append((row.number, row.text))
        return "skip"

    def read(handler: Callable[[pa_csv.InvalidRow], str] | None) -> pa.Table:
        return pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(use_threads=False),
            parse_options=pa_csv.ParseOptions(
                invalid_row_handler=handler, ignore_empty_lines=False
            ),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(header, pa.string())),
        )

    try:
        try:  # without a handler pyarrow reads about twice as fast; a bad line raises
            table = read(None)
        except pa.ArrowInvalid:
            table = read(refuse)
    except (pa.ArrowException, OSError, EOFError) as exc:
        raise FileProblem(f"CSV로 읽을 수 없습니다 ({exc})") from None
    return table.combine_chunks(), bad


def _line_numbers(n_rows: int, bad_lines: list[tuple[int, str]]) -> np.ndarray:
    """The file line of each table row: data starts on line 2, refused lines leave gaps."""
    lines = np.arange(2, 2 + n_rows + len(bad_lines), dtype=np.int64)
    return lines[~np.isin(lines, [line for line, _ in bad_lines])]


class _Rows:
    """The text columns of one file, turned into checked integer columns.

    Each row gets at most one reason (the first rule that fires); rows left without one
    are stored, after `_repair` widened high/low where rounding explains the gap.
    """

    def __init__(self, table: pa.Table, index: dict[str, int], lines: np.ndarray, name: str):
        self.table = table
        self.index = index
        self.lines = lines
        self.name = name
        n = table.num_rows
        self.reason = np.full(n, "", dtype=object)
        self.blank = self._blank()
        self.codes = np.full(n, "", dtype="<U6")
        self.ts = np.zeros(n, dtype=np.int64)
        self.ints: dict[str, np.ndarray] = {}

    def classify(
        self, report: FileReport, file_code: str | None, last_day: date | None, cut: bool
    ) -> np.ndarray:
        """Decide every row; fill the report; return the mask of rows to store."""
        if cut:  # its last field may be a number cut inside (a volume of 11 for 11,520)
            last = np.zeros(len(self.reason), dtype=bool)
            last[-1] = True
            self._mark(last, CUT_SHORT)
        if file_code is None:
            self._parse_codes()
        else:
            self.codes[:] = file_code
        self._parse_dates()
        if last_day is not None:
            self._mark(self.ts > int(daily_ts(last_day).timestamp()), FUTURE)
        for name in (*REQUIRED[1:], "value"):
            if name in self.index:
                self._parse_int(name)
        self._check_prices()
        self._mark_duplicates()
        self._repair(report)
        self._count(report)
        return (self.reason == "") & ~self.blank

    def _text(self, name: str) -> pa.Array:
        return pc.utf8_trim_whitespace(self.table.column(self.index[name]).combine_chunks())

    def _mark(self, mask: np.ndarray | pa.Array, reason: str) -> None:
        """Give `reason` to the rows in `mask` that have no reason yet (first rule wins)."""
        if isinstance(mask, pa.Array):
            mask = mask.to_numpy(zero_copy_only=False)
        self.reason[mask & (self.reason == "")] = reason

    def _blank(self) -> np.ndarray:
        """Empty lines (and lines of only commas) are layout, not data: not counted."""
        filled = np.zeros(self.table.num_rows, dtype=bool)
        for column in self.table.columns:
            filled |= pc.not_equal(column.combine_chunks(), "").to_numpy(zero_copy_only=False)
        return ~filled

    def _parse_codes(self) -> None:
        encoded = pc.dictionary_encode(self._text("code"))
        fixed = [_fix_code(c) for c in encoded.dictionary.to_pylist()]
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        valid = np.array([c is not None for c in fixed], dtype=bool)
        self.codes = np.array([c or "" for c in fixed], dtype="<U6")[indices]
        self._mark(~valid[indices], BAD_CODE)

    def _parse_dates(self) -> None:
        """Parse each distinct date once (a market file has ~250 dates over 640k rows)."""
        encoded = pc.dictionary_encode(self._text("date"))
        words = encoded.dictionary
        parsed = pc.strptime(words, format="%Y-%m-%d", unit="s", error_is_null=True)
        # strptime rolls 2020-02-30 over to March; only a date that prints back as written counts.
        valid = pc.fill_null(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), words), False)
        days = pc.fill_null(pc.cast(parsed, pa.date32()), 0).cast(pa.int32()).to_numpy()
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        self._mark(~valid.to_numpy(zero_copy_only=False)[indices], BAD_DATE)
        # daily_ts(day): 00:00 KST of the trading date, in epoch seconds.
        self.ts = days.astype(np.int64)[indices] * _SECONDS_PER_DAY - _KST_OFFSET

    def _parse_int(self, name: str) -> None:
        text = self._text(name)
        empty = pc.equal(text, "")
        ok = pc.match_substring_regex(text, _INT_RE)
        values = pc.cast(pc.if_else(ok, text, "0"), pa.int64()).to_numpy()
        optional = name == "value"  # the traded value may be unknown
        if not optional:
            self._mark(empty, EMPTY)
        self._mark(pc.match_substring_regex(text, _DECIMAL_RE), NOT_INTEGER)
        self._mark(pc.invert(pc.or_(ok, empty) if optional else ok), NOT_NUMBER)
        self._mark(values < 0, NEGATIVE)
        if optional:
            values = np.where(empty.to_numpy(zero_copy_only=False), NO_VALUE, values)
        self.ints[name] = values

    def _check_prices(self) -> None:
        o, h, lo, c, v = (self.ints[k] for k in REQUIRED[1:])
        ohl_zero = (o == 0) & (h == 0) & (lo == 0)
        self._mark(ohl_zero & (v == 0) & (c > 0), HALT)
        self._mark(c == 0, ZERO_CLOSE)
        self._mark(ohl_zero, ZERO_OHL_TRADED)
        self._mark((o == 0) | (h == 0) | (lo == 0), ZERO_PRICE)
        self._mark(h < lo, HIGH_BELOW_LOW)
        top, bottom = np.maximum(o, c), np.minimum(o, c)
        self._mark(~within_rounding(top - h, top), HIGH_GAP)
        self._mark(~within_rounding(lo - bottom, bottom), LOW_GAP)

    def _mark_duplicates(self) -> None:
        """Among rows still in play, a repeated (code, date) is refused after its first line."""
        live = np.flatnonzero(((self.reason == "") | (self.reason == HALT)) & ~self.blank)
        ranked = live[np.lexsort((live, self.ts[live], self.codes[live]))]
        repeat = (self.codes[ranked][1:] == self.codes[ranked][:-1]) & (
            self.ts[ranked][1:] == self.ts[ranked][:-1]
        )
        self.reason[ranked[1:][repeat]] = DUPLICATE

    def _repair(self, report: FileReport) -> None:
        o, h, lo, c = (self.ints[k] for k in REQUIRED[1:5])
        good = self.reason == ""
        fix = repair_rounding(o, h, lo, c)  # the same repair as every collector's
        raised, lowered = good & fix.raised, good & fix.lowered
        self.ints["high"] = np.where(raised, fix.high, h)
        self.ints["low"] = np.where(lowered, fix.low, lo)
        for reason, mask in ((RAISED_HIGH, raised), (LOWERED_LOW, lowered)):
            if mask.any():
                report.repaired[reason] += int(mask.sum())

    def _count(self, report: FileReport) -> None:
        report.rows += int((~self.blank).sum())
        refused = (self.reason != "") & ~self.blank
        for reason in dict.fromkeys(self.reason[refused].tolist()):
            rows = np.flatnonzero(refused & (self.reason == reason))
            if reason == HALT:
                report.skipped[reason] += len(rows)
            else:
                examples = [self._where(i) for i in rows[:MAX_EXAMPLES].tolist()]
                report.reject(reason, examples, len(rows))

    def _where(self, i: int) -> str:
        text = ",".join(str(v) for v in self.table.slice(i, 1).to_pylist()[0].values())
        return f"{self.name}:{self.lines[i]} {_clip(text)}"

    def series(self, keep: np.ndarray) -> BarSeries:
        """The rows to store, validated once more by `BarSeries` itself."""
        return BarSeries.from_arrays(
            Timeframe.DAY,
            self.codes[keep],
            self.ts[keep],
            *(self.ints[k][keep] for k in REQUIRED[1:]),
            self.ints["value"][keep] if "value" in self.ints else None,
        )


def _clip(text: str, width: int = 80) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _fix_code(text: str) -> str | None:
    """A KRX code, zero-padding a number that lost its leading zeros; None if not a code."""
    if text.isascii() and text.isdigit() and len(text) < 6:
        text = text.zfill(6)
    try:
        return check_code(text)
    except ValueError:
        return None


# -- instruments ------------------------------------------------------------------------

INSTRUMENT_COLUMNS = ("code", "name", "market")
BAD_MARKET = "알 수 없는 시장 (KOSPI, KOSDAQ, KONEX)"
BAD_NAME = "종목명이 비었거나 100자를 넘음"
DUPLICATE_CODE = "같은 종목코드가 앞에 이미 있음"


def import_instruments(store: Store, path: Path) -> InstrumentReport:
    """Upsert instruments from a `code,name,market` file; kind and listing date are kept."""
    report = InstrumentReport(path=path)
    try:
        rows = _instrument_rows(path)
    except FileProblem as exc:
        report.error = str(exc)
        return report
    known = {i.code: i for i in store.list_instruments(limit=MAX_LIMIT)}
    items: dict[str, Instrument] = {}
    for line, row in rows:
        report.rows += 1
        item_or_reason = _instrument(row, known)
        where = [f"{path.name}:{line} {_clip(','.join(row.values()))}"]
        if isinstance(item_or_reason, str):
            report.reject(item_or_reason, where)
        elif item_or_reason.code in items:
            report.reject(DUPLICATE_CODE, where)
        else:
            items[item_or_reason.code] = item_or_reason
    result = store.upsert_instruments(items.values())
    report.inserted, report.updated, report.unchanged = (
        result.inserted,
        result.updated,
        result.unchanged,
    )
    return report


def _instrument_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        with _open_text(path) as f:
            reader = csv.DictReader(f)
            fields = [n.strip().lower() for n in reader.fieldnames or []]
            missing = [n for n in INSTRUMENT_COLUMNS if n not in fields]
            if missing:
                raise FileProblem(
                    f"필수 열이 없습니다: {', '.join(missing)} (필요: code,name,market)"
                )
            reader.fieldnames = fields
            return [
                (reader.line_num, {k: (row[k] or "").strip() for k in INSTRUMENT_COLUMNS})
                for row in reader
                if any(row.values())
            ]
    except FileNotFoundError:
        raise FileProblem("파일이 없습니다") from None
    except UnicodeDecodeError:
        raise FileProblem("UTF-8 텍스트가 아닙니다") from None
    except (OSError, EOFError, csv.Error) as exc:
        raise FileProblem(f"읽을 수 없습니다 ({exc})") from None


def _instrument(row: dict[str, str], known: dict[str, Instrument]) -> Instrument | str:
    """The record for one row, or the reason it is refused."""
    code = _fix_code(row["code"])
    if code is None:
        return BAD_CODE
    try:
        market = Market(row["market"].upper())
    except ValueError:
        return BAD_MARKET
    if not 1 <= len(row["name"]) <= 100:
        return BAD_NAME
    old = known.get(code)
    if old is None:
        return Instrument(code=code, name=row["name"], market=market)
    return old.model_copy(update={"name": row["name"], "market": market})
