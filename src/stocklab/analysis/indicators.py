"""Technical indicators over whole columns of bars, vectorised (numpy and pandas' ewm).

Definitions follow TA-Lib's defaults, so values can be checked against it and against
charting tools that use it: moving averages start once `n` values exist (NaN before);
EMA is seeded with the SMA of its first `n` values; RSI and ATR use Wilder's smoothing
(α = 1/n) seeded with a plain mean; Bollinger bands use the population standard
deviation. TA-Lib is the reference the tests compare with (when it is installed), not a
run-time dependency: this floor needs numpy and pandas only, and the formulas are short.

Indicators are floats (they are not money): prices go in as integer KRW and come out as
float64 arrays of the same length, NaN where the indicator is not yet defined.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_PERIOD = 500
NAMES_HELP = "sma20, ema12, rsi14, macd (12·26·9) 또는 macd12_26_9, bb20, atr14, vol20"
"""The name patterns `compute` understands (numbers are periods, 1–500)."""
_PERIOD = r"(?:[1-9][0-9]?|[1-4][0-9]{2}|500)"
NAME_PATTERN = rf"(?:(?:sma|ema|rsi|atr|vol|bb){_PERIOD}|macd(?:{_PERIOD}_{_PERIOD}_{_PERIOD})?)"
"""One name `compute` takes, as a regular expression (what an API document can state)."""


def _floats(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def _check_period(n: int) -> int:
    if not 1 <= n <= MAX_PERIOD:
        raise ValueError(f"지표 기간 {n}은 1~{MAX_PERIOD} 사이여야 합니다")
    return n


def sma(values: np.ndarray, n: int) -> np.ndarray:
    """Mean of the last `n` values (from a cumulative sum: one pass, no window copies)."""
    x = _floats(values)
    out = np.full(len(x), np.nan)
    if len(x) >= _check_period(n):
        c = np.cumsum(np.concatenate(([0.0], x)))
        out[n - 1 :] = (c[n:] - c[:-n]) / n
    return out


def _smoothed(values: np.ndarray, n: int, alpha: float, first: int) -> np.ndarray:
    """y[first] = mean(values[first-n+1 .. first]), then y = y_prev + α (x - y_prev).

    The recursion runs in pandas' compiled ewm (adjust=False), seeded by the mean.
    """
    x = _floats(values)
    out = np.full(len(x), np.nan)
    if len(x) > first:
        seeded = x[first:].copy()
        seeded[0] = x[first - n + 1 : first + 1].mean()
        out[first:] = pd.Series(seeded).ewm(alpha=alpha, adjust=False).mean().to_numpy()
    return out


def ema(values: np.ndarray, n: int) -> np.ndarray:
    """Exponential moving average, α = 2 / (n + 1), seeded with the SMA of the first n."""
    return _smoothed(values, _check_period(n), 2.0 / (n + 1), n - 1)


def rsi(close: np.ndarray, n: int = 14) -> np.ndarray:
    """Wilder's relative strength index (0–100); first value at bar n."""
    _check_period(n)
    x = _floats(close)
    out = np.full(len(x), np.nan)
    if len(x) <= n:
        return out
    change = np.diff(x)
    gain = _smoothed(np.maximum(change, 0.0), n, 1.0 / n, n - 1)[n - 1 :]
    loss = _smoothed(np.maximum(-change, 0.0), n, 1.0 / n, n - 1)[n - 1 :]
    total = gain + loss
    with np.errstate(invalid="ignore", divide="ignore"):
        out[n:] = np.where(total > 0, 100.0 * gain / total, 0.0)
    return out


@dataclass(frozen=True, slots=True)
class Macd:
    macd: np.ndarray
    signal: np.ndarray
    hist: np.ndarray


def macd(close: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9) -> Macd:
    """EMA(fast) − EMA(slow), its EMA(signal), and their difference (the histogram).

    As in TA-Lib, both EMAs start at bar slow−1: the fast one is seeded there with the
    mean of the last `fast` closes, so the line has no early stretch of a lone fast EMA.
    """
    if fast >= slow:
        raise ValueError(f"MACD: fast({fast})는 slow({slow})보다 작아야 합니다")
    line = _smoothed(close, fast, 2.0 / (fast + 1), slow - 1) - ema(close, slow)
    sig = np.full(len(line), np.nan)
    start = slow - 1
    if len(line) > start:
        sig[start:] = ema(line[start:], signal)
    return Macd(line, sig, line - sig)


@dataclass(frozen=True, slots=True)
class Bands:
    mid: np.ndarray
    upper: np.ndarray
    lower: np.ndarray


def bollinger(close: np.ndarray, n: int = 20, k: float = 2.0) -> Bands:
    """SMA(n) ± k population standard deviations of the last n closes."""
    x = _floats(close)
    mid = sma(x, n)
    std = np.full(len(x), np.nan)
    if len(x) >= n:
        std[n - 1 :] = np.lib.stride_tricks.sliding_window_view(x, n).std(axis=1)
    return Bands(mid, mid + k * std, mid - k * std)


def atr(high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int = 14) -> np.ndarray:
    """Wilder's average true range; the true range needs the previous close, so bar 0 has
    none and the first ATR (bar n) is the mean of the true ranges of bars 1..n."""
    _check_period(n)
    h, lo, c = _floats(high), _floats(low), _floats(close)
    out = np.full(len(c), np.nan)
    if len(c) <= n:
        return out
    prev = c[:-1]
    tr = np.maximum(h[1:], prev) - np.minimum(lo[1:], prev)
    out[1:] = _smoothed(tr, n, 1.0 / n, n - 1)
    return out


Columns = dict[str, np.ndarray]
_SIMPLE = re.compile(r"(sma|ema|rsi|atr|vol|bb)([0-9]{1,3})")
_MACD = re.compile(r"macd(?:([0-9]{1,3})_([0-9]{1,3})_([0-9]{1,3}))?")


def _one(name: str, h: np.ndarray, lo: np.ndarray, c: np.ndarray, v: np.ndarray) -> Columns:
    simple = _SIMPLE.fullmatch(name)
    if simple:
        kind, n = simple.group(1), int(simple.group(2))
        if n < 1 or n > MAX_PERIOD:
            raise ValueError(f"지표 {name!r}: 기간은 1~{MAX_PERIOD} 사이여야 합니다")
        makers: dict[str, Callable[[], Columns]] = {
            "sma": lambda: {name: sma(c, n)},
            "ema": lambda: {name: ema(c, n)},
            "rsi": lambda: {name: rsi(c, n)},
            "atr": lambda: {name: atr(h, lo, c, n)},
            "vol": lambda: {name: sma(v, n)},
            "bb": lambda: _bands(name, bollinger(c, n)),
        }
        return makers[kind]()
    m = _MACD.fullmatch(name)
    if m:
        fast, slow, sig = (int(g) for g in m.groups()) if m.group(1) else (12, 26, 9)
        for p in (fast, slow, sig):
            _check_period(p)
        out = macd(c, fast, slow, sig)
        return {name: out.macd, f"{name}_signal": out.signal, f"{name}_hist": out.hist}
    raise ValueError(f"알 수 없는 지표 {name!r}: {NAMES_HELP} 형식만 됩니다")


def _bands(name: str, bands: Bands) -> Columns:
    return {f"{name}_mid": bands.mid, f"{name}_upper": bands.upper, f"{name}_lower": bands.lower}


def lookback(names: list[str]) -> int:
    """Bars of history that make every named indicator defined and settled: the longest
    period, three times over for the smoothed ones (EMA, RSI, ATR, MACD)."""
    longest = 0
    for name in names:
        numbers = [int(n) for n in re.findall(r"[0-9]+", name)] or [26, 9]
        smooth = name.startswith(("ema", "rsi", "atr", "macd"))
        longest = max(longest, sum(numbers) * (3 if smooth else 1))
    return longest


def compute(
    names: list[str],
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
) -> Columns:
    """Named indicators as columns aligned with the bars (see `NAMES_HELP` for the names).

    Multi-line indicators give several columns: `bb20` → `bb20_mid`, `bb20_upper`,
    `bb20_lower`; `macd` → `macd`, `macd_signal`, `macd_hist`.
    """
    out: Columns = {}
    for name in names:
        out.update(_one(name.strip().lower(), high, low, close, volume))
    return out
