"""Charts as PNG bytes: price with indicators and trade marks, equity with its drawdown.

Figures are built on matplotlib's object API with the Agg canvas (no pyplot, no global
state, no display), so a job process or an API worker can render them side by side.
Labels are ASCII so that no CJK font is needed; buys are red and sells blue, the Korean
market's colours for up and down.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

BUY_COLOUR = "#d62728"
SELL_COLOUR = "#1f4e9c"
_KRW = FuncFormatter(lambda value, _pos: f"{value:,.0f}")


@dataclass(frozen=True, slots=True)
class Marks:
    """Where trades happened: times (datetime64) and prices (KRW)."""

    times: np.ndarray = field(default_factory=lambda: np.array([], dtype="datetime64[s]"))
    prices: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=100)
    return out.getvalue()


def price_chart(
    times: np.ndarray,
    close: np.ndarray,
    *,
    volume: np.ndarray | None = None,
    overlays: Mapping[str, np.ndarray] | None = None,
    buys: Marks | None = None,
    sells: Marks | None = None,
    title: str = "",
) -> bytes:
    """Close price with indicator lines and buy/sell marks; volume below when given."""
    fig = Figure(figsize=(11, 5.5 if volume is not None else 4.5), layout="constrained")
    if volume is not None:
        price_ax, volume_ax = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
        volume_ax.vlines(times, 0, volume, color="#999999", linewidth=0.8)  # one collection
        volume_ax.set_ylabel("volume")
        volume_ax.yaxis.set_major_formatter(_KRW)
    else:
        price_ax = fig.subplots()
    price_ax.plot(times, close, color="#222222", linewidth=0.9, label="close")
    for name, values in (overlays or {}).items():
        price_ax.plot(times, values, linewidth=0.9, label=name)
    for marks, colour, shape, label in (
        (buys, BUY_COLOUR, "^", "buy"),
        (sells, SELL_COLOUR, "v", "sell"),
    ):
        if marks is not None and len(marks.times):
            price_ax.scatter(
                marks.times, marks.prices, marker=shape, color=colour, s=36, zorder=3, label=label
            )
    price_ax.set_title(title, loc="left")
    price_ax.set_ylabel("KRW")
    price_ax.yaxis.set_major_formatter(_KRW)
    price_ax.grid(alpha=0.3)
    price_ax.legend(loc="upper left", fontsize=8, ncols=4)
    return _png(fig)


def equity_chart(times: np.ndarray, equity: np.ndarray, *, title: str = "") -> bytes:
    """Equity (KRW) above, drawdown from the running peak (%) below."""
    eq = np.asarray(equity, dtype=np.float64)
    peak = np.maximum.accumulate(eq) if len(eq) else eq
    with np.errstate(divide="ignore", invalid="ignore"):
        under = np.where(peak > 0, eq / peak - 1.0, 0.0)
    fig = Figure(figsize=(11, 5.5), layout="constrained")
    eq_ax, dd_ax = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    eq_ax.plot(times, eq, color="#222222", linewidth=1.0)
    eq_ax.set_title(title, loc="left")
    eq_ax.set_ylabel("equity (KRW)")
    eq_ax.yaxis.set_major_formatter(_KRW)
    eq_ax.grid(alpha=0.3)
    dd_ax.fill_between(times, under, 0.0, color=SELL_COLOUR, alpha=0.35, linewidth=0)
    dd_ax.set_ylabel("drawdown")
    dd_ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    dd_ax.grid(alpha=0.3)
    return _png(fig)
