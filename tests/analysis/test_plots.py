"""Charts come back as real PNG images of the expected size."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.image import imread

from stocklab.analysis.plots import Marks, equity_chart, price_chart

PNG = b"\x89PNG\r\n\x1a\n"


def _shape(png: bytes) -> tuple[int, ...]:
    return imread(io.BytesIO(png), format="png").shape


def test_price_chart_with_overlays_marks_and_volume() -> None:
    times = np.arange("2024-01-01", "2024-03-01", dtype="datetime64[D]")
    close = np.linspace(10_000, 12_000, len(times)).astype(np.int64)
    png = price_chart(
        times,
        close,
        volume=np.full(len(times), 1_000),
        overlays={"sma5": close.astype(float)},
        buys=Marks(times[[3]], close[[3]]),
        sells=Marks(times[[9]], close[[9]]),
        title="005930",
    )
    assert png.startswith(PNG)
    assert _shape(png)[:2] == (550, 1100)


def test_equity_chart() -> None:
    days = np.arange("2024-01-01", "2024-01-11", dtype="datetime64[D]")
    png = equity_chart(days, np.array([100, 110, 90, 95, 120, 100, 100, 105, 130, 125]))
    assert png.startswith(PNG)
    assert _shape(png)[:2] == (550, 1100)
