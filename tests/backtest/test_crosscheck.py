"""The cross-check of the benchmark on a few codes of the real sample: every fill (date,
side, shares, price) and the final equity match backtrader doing the same work. The
benchmark (`python bench/backtest.py`) runs all 40 codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.backtest import crosscheck

CODES = ["005930", "068270", "207940"]
"""Samsung (three halt days), Celltrion (years of bars without volume), Samsung Biologics
(a long halt): the codes where engines are most likely to part."""


def test_trades_and_final_equity_match_backtrader(sample_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("backtrader", reason="backtrader가 없어 교차 검증을 건너뜁니다")
    rows = crosscheck(sample_dir.parent, tmp_path, CODES)
    assert [r.code for r in rows] == CODES
    for row in rows:
        assert row.trades[0] > 10, row.code
        assert row.fills_match, f"{row.code}: {row.first_difference()}"
        assert row.equity_gap == 0, row.code
        assert row.passed
