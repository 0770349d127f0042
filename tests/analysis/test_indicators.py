"""Indicators against hand computations, and against TA-Lib where it is installed."""

from __future__ import annotations

import numpy as np
import pytest

from stocklab.analysis import indicators as ind

CLOSES = np.array([10, 11, 12, 11, 13, 14, 13, 15], dtype=np.int64)


def test_sma_by_hand() -> None:
    out = ind.sma(CLOSES, 3)
    assert np.isnan(out[:2]).all()
    assert out[2:].tolist() == pytest.approx([11, 34 / 3, 12, 38 / 3, 40 / 3, 14])


def test_ema_is_seeded_with_the_sma_then_smoothed() -> None:
    out = ind.ema(CLOSES, 3)  # α = 2 / (3 + 1) = 0.5
    assert np.isnan(out[:2]).all()
    expected = [11.0]
    for x in CLOSES[3:]:
        expected.append(expected[-1] + 0.5 * (x - expected[-1]))
    assert out[2:].tolist() == pytest.approx(expected)  # 11, 11, 12, 13, 13, 14


def test_rsi_by_hand_with_wilders_smoothing() -> None:
    out = ind.rsi(CLOSES, 3)
    # changes: +1 +1 −1 +2 +1 −1 +2; first averages over three: gain 2/3, loss 1/3
    gain, loss = 2 / 3, 1 / 3
    expected = [100 * gain / (gain + loss)]
    for change in (2, 1, -1, 2):
        gain = (gain * 2 + max(change, 0)) / 3
        loss = (loss * 2 + max(-change, 0)) / 3
        expected.append(100 * gain / (gain + loss))
    assert np.isnan(out[:3]).all()
    assert out[3:].tolist() == pytest.approx(expected)
    assert ind.rsi(np.full(10, 5), 3)[-1] == 0.0  # no movement at all
    assert ind.rsi(np.arange(1, 11), 3)[-1] == 100.0  # only gains


def test_bollinger_uses_the_population_deviation() -> None:
    bands = ind.bollinger(np.array([1, 2, 3, 4]), 4, 2.0)
    std = np.sqrt(((np.array([1, 2, 3, 4]) - 2.5) ** 2).mean())
    assert bands.mid[-1] == 2.5
    assert bands.upper[-1] == pytest.approx(2.5 + 2 * std)
    assert bands.lower[-1] == pytest.approx(2.5 - 2 * std)


def test_atr_by_hand() -> None:
    high = np.array([12, 13, 15, 14])
    low = np.array([10, 11, 12, 11])
    close = np.array([11, 12, 14, 12])
    # true ranges of bars 1..3: max(13,11)-min(11,11)=2, max(15,12)-min(12,12)=3, 14-11=3
    out = ind.atr(high, low, close, 2)
    assert np.isnan(out[:2]).all()
    assert out[2] == pytest.approx(2.5)  # mean of the first two true ranges
    assert out[3] == pytest.approx(2.5 + (3 - 2.5) / 2)


def test_compute_names_columns_and_refuses_unknown_names() -> None:
    v = np.arange(1, 61, dtype=np.int64)
    cols = ind.compute(["sma5", "bb20", "macd", "vol3", "MACD5_10_3"], v, v, v, v)
    assert set(cols) == {
        "sma5", "bb20_mid", "bb20_upper", "bb20_lower", "macd", "macd_signal", "macd_hist",
        "vol3", "macd5_10_3", "macd5_10_3_signal", "macd5_10_3_hist",
    }  # fmt: skip
    assert all(len(c) == 60 for c in cols.values())
    for bad in ("sma", "foo20", "sma0", "sma9999", "macd1_2"):
        with pytest.raises(ValueError, match="지표"):
            ind.compute([bad], v, v, v, v)
    assert ind.lookback(["sma20"]) == 20
    assert ind.lookback(["ema12", "macd"]) == (26 + 9) * 3


def test_the_same_values_as_ta_lib() -> None:
    talib = pytest.importorskip("talib", reason="TA-Lib이 설치되지 않아 비교를 건너뜁니다")
    rng = np.random.default_rng(3)
    close = 10_000 + np.cumsum(rng.integers(-150, 151, 400))
    high = close + rng.integers(0, 100, 400)
    low = close - rng.integers(0, 100, 400)
    f, h, lo = close.astype(float), high.astype(float), low.astype(float)
    pairs = [
        (ind.sma(close, 20), talib.SMA(f, 20)),
        (ind.ema(close, 12), talib.EMA(f, 12)),
        (ind.rsi(close, 14), talib.RSI(f, 14)),
        (ind.atr(high, low, close, 14), talib.ATR(h, lo, f, 14)),
        (ind.bollinger(close, 20).upper, talib.BBANDS(f, 20, 2, 2)[0]),
    ]
    macd, signal, hist = talib.MACD(f, 12, 26, 9)
    ours = ind.macd(close)
    pairs += [(ours.macd[33:], macd[33:]), (ours.signal, signal), (ours.hist, hist)]
    for mine, theirs in pairs:
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-6, equal_nan=True)
