"""The HTML report opens from disk with its charts beside it; the JSON export reads back."""

from __future__ import annotations

import re
from pathlib import Path

from stocklab.backtest.engine import run
from stocklab.backtest.report import format_stat, overlay_names, write_report
from stocklab.backtest.result import new_backtest_id, to_record
from stocklab.model import BacktestResult
from stocklab.trading.strategy import get_strategy
from tests.backtest.conftest import CODES, DAYS, synthetic_opens
from tests.backtest.helpers import daily


def test_report_page_charts_and_json(tmp_path: Path) -> None:
    bars = {c: daily(c, DAYS, synthetic_opens(i)) for i, c in enumerate(CODES)}
    result = run(get_strategy("sma_cross", {"fast": 3, "slow": 10}), bars)
    record = to_record(result, new_backtest_id())
    assert re.fullmatch(r"bt-\d{14}-[0-9a-f]{6}", record.backtest_id)
    page = write_report(record, tmp_path / record.backtest_id, bars)
    html = page.read_text(encoding="utf-8")
    images = re.findall(r'<img src="([^"]+)"', html)
    assert "chart/equity.png" in images
    assert {f"chart/price-{c}.png" for c in CODES} <= set(images)
    for src in images:
        assert (page.parent / src).read_bytes().startswith(b"\x89PNG"), src
    assert 'href="result.json"' in html
    assert "총수익률" in html
    assert record.backtest_id in html
    again = BacktestResult.model_validate_json((page.parent / "result.json").read_text())
    assert again == record


def test_formatting_and_overlays() -> None:
    assert format_stat("total_return", 0.1234) == "12.34%"
    assert format_stat("costs", 1_234_567) == "1,234,567원"
    assert format_stat("sharpe", None) == "-"
    assert overlay_names("sma_cross", {"strategy": {"fast": 5, "slow": 20}}) == ["sma5", "sma20"]
    assert overlay_names("ten_tick", {"strategy": {}}) == ["sma20"]
