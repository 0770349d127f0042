"""Columns of bars obey the same rules as Bar records, checked in one vectorised pass."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from stocklab.barseries import BarSeries, BarValidationError
from stocklab.model import KST, Bar

T0 = int(datetime(2024, 1, 2, 9, 0, tzinfo=KST).timestamp())


def cols(n: int = 4) -> dict[str, np.ndarray]:
    close = 1_000 + np.arange(n, dtype=np.int64) * 5
    return {
        "ts": T0 + 60 * np.arange(n, dtype=np.int64),
        "open": close,
        "high": close + 5,
        "low": close - 5,
        "close": close,
        "volume": np.arange(n, dtype=np.int64),
    }


def test_round_trip_between_columns_and_records() -> None:
    s = BarSeries.from_arrays("1m", "005930", **cols(), value=[1, 2, 3, 4])
    records = s.to_bars()
    assert all(isinstance(b, Bar) for b in records)
    assert records[1].ts == datetime(2024, 1, 2, 9, 1, tzinfo=KST)
    again = BarSeries.from_bars(records)
    assert again.close.tolist() == s.close.tolist()
    assert again.value.tolist() == [1, 2, 3, 4]
    frame = s.to_pandas()
    assert str(frame.index.tz) == "Asia/Seoul"
    assert frame["close"].tolist() == [1000, 1005, 1010, 1015]


@pytest.mark.parametrize(
    ("column", "bad", "message"),
    [
        ("high", lambda c: c["high"] - 20, "고가"),
        ("low", lambda c: c["low"] + 20, "저가"),
        ("close", lambda c: c["close"] * 0, "종가가 0 이하"),
        ("volume", lambda c: c["volume"] - 10, "거래량"),
        ("ts", lambda c: c["ts"] + 1, "분 단위"),
        ("open", lambda c: c["open"].astype(float), "정수"),
        ("ts", lambda c: np.append(c["ts"], T0), "길이"),
    ],
)
def test_breaches_name_the_row(column: str, bad: object, message: str) -> None:
    c = cols()
    c[column] = bad(c)  # type: ignore[operator]
    with pytest.raises(BarValidationError, match=message):
        BarSeries.from_arrays("1m", "005930", **c)


def test_duplicates_and_bad_codes_in_a_code_column() -> None:
    c = cols(2)
    c["ts"] = np.array([T0, T0])
    with pytest.raises(BarValidationError, match="두 번"):
        BarSeries.from_arrays("1m", "005930", **c)
    with pytest.raises(ValueError, match="종목코드"):
        BarSeries.from_arrays("1m", np.array(["005930", "59300"]), **cols(2))
    ok = BarSeries.from_arrays(
        "1m", np.array(["035720", "005930"]), **{**cols(2), "ts": np.array([T0, T0])}
    )
    assert ok.sorted().code.tolist() == ["005930", "035720"]
    assert not ok.is_sorted()
    assert ok.sorted().is_sorted()
