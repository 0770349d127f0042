"""Bars in columns: the fast path between collectors, the store, the API and backtests.

A `BarSeries` holds many bars of one timeframe as numpy arrays, validated in one
vectorised pass with the same rules as `model.Bar`. Building a million `Bar` objects
costs seconds; checking a million rows in columns costs milliseconds.
Timestamps are int64 epoch seconds (UTC); `value` uses -1 for "not reported".
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from stocklab.model import KST, Bar, Timeframe, check_code

_KST_OFFSET = 9 * 3600
NO_VALUE = -1
COLUMNS = ("ts", "open", "high", "low", "close", "volume", "value")


class BarValidationError(ValueError):
    """A batch of bars breaks a rule; the message names the first offending row."""


def _epoch(ts: datetime) -> int:
    return int(ts.timestamp())


def within_rounding(gap: np.ndarray, price: np.ndarray) -> np.ndarray:
    """A gap of at most 1% of the price, or 1 KRW on prices under 100, is rounding."""
    return gap <= np.maximum(price, 100) // 100


@dataclass(frozen=True, slots=True)
class Repair:
    """High and low after `repair_rounding`, and which rows it widened."""

    high: np.ndarray
    low: np.ndarray
    raised: np.ndarray
    lowered: np.ndarray

    @property
    def rows(self) -> np.ndarray:
        return self.raised | self.lowered


def repair_rounding(
    open: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray
) -> Repair:
    """The one repair every collector and the CSV import apply to upstream bars.

    Split-adjusted prices rounded to the won can leave high a won or two below open or
    close (low above them): 202 codes of a year's market file have such rows. Within the
    rounding tolerance high is raised to max(open, close) and low lowered to min(open,
    close) — no price is made up, the range only widens to prices the row itself reports.
    A wider gap is left as it is, for validation to refuse: that is not rounding."""
    top, bottom = np.maximum(open, close), np.minimum(open, close)
    raised = (high < top) & within_rounding(top - high, top)
    lowered = (low > bottom) & within_rounding(low - bottom, bottom)
    return Repair(np.where(raised, top, high), np.where(lowered, bottom, low), raised, lowered)


@dataclass(frozen=True, slots=True, eq=False)
class BarSeries:
    """Validated columns of bars of one timeframe, possibly of many codes.

    Build it with `from_arrays` or `from_bars` (both validate); the constructor is for
    trusted data already checked, such as rows read back from the store.
    """

    timeframe: Timeframe
    code: np.ndarray  # '<U6'
    ts: np.ndarray  # int64 epoch seconds
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    value: np.ndarray  # int64, NO_VALUE when unknown
    repaired: np.ndarray | None = None
    """Rows `repair_rounding` widened on the way in (None: none were), for the run's count."""

    # -- construction ---------------------------------------------------------------

    @classmethod
    def from_arrays(
        cls,
        timeframe: Timeframe | str,
        code: str | Sequence[str] | np.ndarray,
        ts: Sequence[int] | np.ndarray,
        open: Sequence[int] | np.ndarray,
        high: Sequence[int] | np.ndarray,
        low: Sequence[int] | np.ndarray,
        close: Sequence[int] | np.ndarray,
        volume: Sequence[int] | np.ndarray,
        value: Sequence[int] | np.ndarray | None = None,
        *,
        repair: bool = False,
    ) -> BarSeries:
        """Validate and wrap columns. `code` may be one code for every row; `repair`
        (for upstream data) applies `repair_rounding` first and remembers the rows."""
        tf = Timeframe(timeframe)
        ts_arr = _int_column("ts", ts)
        n = len(ts_arr)
        if isinstance(code, str):
            codes = np.full(n, check_code(code), dtype="<U6")
        else:
            codes = np.asarray(code)
            if codes.dtype.kind not in "UO" or codes.shape != (n,):
                raise BarValidationError("code 열은 길이가 같은 문자열 배열이어야 합니다")
            for c in np.unique(codes):
                check_code(str(c))
            codes = codes.astype("<U6")
        cols = {
            name: _int_column(name, arr, n)
            for name, arr in (
                ("open", open),
                ("high", high),
                ("low", low),
                ("close", close),
                ("volume", volume),
            )
        }
        val = (
            np.full(n, NO_VALUE, dtype=np.int64)
            if value is None
            else _int_column("value", value, n)
        )
        repaired = None
        if repair and n:
            fix = repair_rounding(cols["open"], cols["high"], cols["low"], cols["close"])
            if fix.rows.any():
                cols["high"], cols["low"], repaired = fix.high, fix.low, fix.rows
        series = cls(tf, codes, ts_arr, **cols, value=val, repaired=repaired)
        series.validate()
        return series

    @classmethod
    def from_bars(cls, bars: Iterable[Bar], timeframe: Timeframe | str | None = None) -> BarSeries:
        """Columns from validated `Bar` records (all of one timeframe)."""
        items = list(bars)
        if not items:
            if timeframe is None:
                raise BarValidationError("빈 봉 목록에는 timeframe을 지정해야 합니다")
            return cls.empty(Timeframe(timeframe))
        tf = Timeframe(timeframe) if timeframe is not None else items[0].timeframe
        for bar in items:
            if not isinstance(bar, Bar):
                raise BarValidationError(f"Bar 레코드가 아닌 값: {type(bar).__name__}")
            if bar.timeframe is not tf:
                raise BarValidationError(
                    f"한 묶음에 timeframe이 섞였습니다: {tf.value}와 {bar.timeframe.value}"
                )
        return cls.from_arrays(
            tf,
            np.array([b.code for b in items], dtype="<U6"),
            [_epoch(b.ts) for b in items],
            [b.open for b in items],
            [b.high for b in items],
            [b.low for b in items],
            [b.close for b in items],
            [b.volume for b in items],
            [NO_VALUE if b.value is None else b.value for b in items],
        )

    @classmethod
    def empty(cls, timeframe: Timeframe | str) -> BarSeries:
        z = np.zeros(0, dtype=np.int64)
        return cls(Timeframe(timeframe), np.zeros(0, dtype="<U6"), z, z, z, z, z, z, z)

    @classmethod
    def from_rows(cls, timeframe: Timeframe, code: str | np.ndarray, rows: Any) -> BarSeries:
        """Trusted rows (ts, o, h, l, c, v, value) as read back from a store.

        `rows` may be any iterable of 7-tuples, such as a database cursor: the values are
        streamed into one array without building a list of tuples first.
        """
        flat = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64)
        arr = flat.reshape(-1, 7)
        codes = np.full(len(arr), code, dtype="<U6") if isinstance(code, str) else code
        return cls(timeframe, codes, *(np.ascontiguousarray(arr[:, i]) for i in range(7)))

    # -- validation -----------------------------------------------------------------

    def validate(self) -> None:
        """Check every row with the rules of `model.Bar`; raise on the first breach."""
        checks: list[tuple[np.ndarray, str]] = [
            (self.open <= 0, "시가가 0 이하"),
            (self.high <= 0, "고가가 0 이하"),
            (self.low <= 0, "저가가 0 이하"),
            (self.close <= 0, "종가가 0 이하"),
            (self.volume < 0, "거래량이 음수"),
            (self.value < NO_VALUE, "거래대금이 음수"),
            (
                self.low > np.minimum(self.open, self.close),
                "저가가 시가·종가보다 높음 (low ≤ open, close)",
            ),
            (
                self.high < np.maximum(self.open, self.close),
                "고가가 시가·종가보다 낮음 (open, close ≤ high)",
            ),
        ]
        if self.timeframe is Timeframe.DAY:
            checks.append(((self.ts + _KST_OFFSET) % 86_400 != 0, "일봉 시각이 00:00 KST가 아님"))
        else:
            checks.append((self.ts % 60 != 0, "분봉 시각이 분 단위가 아님"))
        for bad, why in checks:
            if bad.any():
                i = int(np.argmax(bad))
                raise BarValidationError(f"{self._where(i)}: {why} — {self._row_text(i)}")
        if len(self) > 1 and not self.is_sorted():
            order = np.lexsort((self.ts, self.code))
            same = (self.code[order][1:] == self.code[order][:-1]) & (
                self.ts[order][1:] == self.ts[order][:-1]
            )
            if same.any():
                i = int(order[int(np.argmax(same)) + 1])
                raise BarValidationError(f"{self._where(i)}: 같은 종목·시각의 봉이 두 번 있습니다")

    def _where(self, i: int) -> str:
        when = datetime.fromtimestamp(int(self.ts[i]), KST)
        fmt = "%Y-%m-%d" if self.timeframe is Timeframe.DAY else "%Y-%m-%d %H:%M"
        return f"{i}번째 봉 ({self.code[i]} {when:{fmt}})"

    def _row_text(self, i: int) -> str:
        return (
            f"O {self.open[i]:,} H {self.high[i]:,} L {self.low[i]:,} "
            f"C {self.close[i]:,} V {self.volume[i]:,}"
        )

    # -- access ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.ts)

    def __iter__(self) -> Iterator[Bar]:
        return iter(self.to_bars())

    def to_bars(self) -> list[Bar]:
        """Records, one per row (slow on millions of rows; use columns there)."""
        return [
            Bar(
                code=str(c),
                timeframe=self.timeframe,
                ts=datetime.fromtimestamp(t, KST),
                open=o,
                high=h,
                low=lo,
                close=cl,
                volume=v,
                value=None if val == NO_VALUE else val,
            )
            for c, t, o, h, lo, cl, v, val in zip(
                self.code.tolist(),
                self.ts.tolist(),
                self.open.tolist(),
                self.high.tolist(),
                self.low.tolist(),
                self.close.tolist(),
                self.volume.tolist(),
                self.value.tolist(),
                strict=True,
            )
        ]

    def take(self, index: np.ndarray | slice) -> BarSeries:
        """A subset of rows (a boolean mask, an index array or a slice)."""
        return BarSeries(
            self.timeframe,
            self.code[index],
            self.ts[index],
            self.open[index],
            self.high[index],
            self.low[index],
            self.close[index],
            self.volume[index],
            self.value[index],
            None if self.repaired is None else self.repaired[index],
        )

    @property
    def repaired_count(self) -> int:
        """How many rows `repair_rounding` widened."""
        return 0 if self.repaired is None else int(self.repaired.sum())

    def is_sorted(self) -> bool:
        """True when rows are strictly ordered by (code, ts): sorted and without duplicates."""
        c, t = self.code, self.ts
        later = (c[1:] > c[:-1]) | ((c[1:] == c[:-1]) & (t[1:] > t[:-1]))
        return bool(later.all())

    def sorted(self) -> BarSeries:
        """Rows ordered by (code, ts); free when they already are."""
        if self.is_sorted():
            return self
        return self.take(np.lexsort((self.ts, self.code)))

    def codes(self) -> list[str]:
        return [str(c) for c in np.unique(self.code)]

    def datetimes(self) -> list[datetime]:
        return [datetime.fromtimestamp(t, KST) for t in self.ts.tolist()]

    def to_pandas(self) -> Any:
        """A DataFrame indexed by KST time, with nullable `value`."""
        import pandas as pd

        idx = pd.to_datetime(self.ts, unit="s", utc=True).tz_convert(KST)
        frame = pd.DataFrame(
            {
                "code": self.code,
                "open": self.open,
                "high": self.high,
                "low": self.low,
                "close": self.close,
                "volume": self.volume,
                "value": pd.array(
                    np.where(self.value == NO_VALUE, None, self.value), dtype="Int64"
                ),
            },
            index=idx,
        )
        frame.index.name = "ts"
        return frame


def _int_column(name: str, data: Any, n: int | None = None) -> np.ndarray:
    arr = np.asarray(data)
    if arr.dtype.kind == "b" or (arr.dtype.kind not in "iu" and arr.size):
        raise BarValidationError(
            f"{name} 열은 정수여야 합니다 (받은 자료형: {arr.dtype}); "
            "금액·수량에 실수는 쓰지 않습니다"
        )
    arr = arr.astype(np.int64, copy=False).reshape(-1)
    if n is not None and len(arr) != n:
        raise BarValidationError(f"{name} 열의 길이 {len(arr)}가 ts 열의 길이 {n}와 다릅니다")
    return arr


def epoch_seconds(ts: datetime) -> int:
    """Epoch seconds of an aware datetime (naive ones are refused)."""
    if ts.tzinfo is None:
        raise ValueError("timezone-aware datetime이 필요합니다")
    return int(ts.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).astimezone(KST)
