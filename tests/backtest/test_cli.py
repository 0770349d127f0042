"""`stocklab backtest …` as a person runs it: CSV in, a summary out, the files on disk."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.backtest.conftest import CODES, DAYS, synthetic_opens


def stocklab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stocklab", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},  # rich tables wide enough to read
    )


def write_csvs(folder: Path) -> None:
    folder.mkdir()
    for seed, code in enumerate(CODES[:2]):
        lines = ["date,open,high,low,close,volume"]
        for day, o in zip(DAYS, synthetic_opens(seed), strict=True):
            lines.append(f"{day},{o},{o + 100},{o - 50},{o + 50},100000")
        (folder / f"{code}.csv").write_text("\n".join(lines) + "\n")


def test_run_list_show_and_export(tmp_path: Path) -> None:
    write_csvs(tmp_path / "csv")
    assert stocklab("store", "import-csv", str(tmp_path / "csv")).returncode == 0
    done = stocklab(
        "backtest", "sma_cross", "--codes", "000010,000020", "--start", "2023-07-01",
        "--cash", "3000000", "--param", "fast=3", "--param", "slow=12",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = re.search(r"(bt-\d{14}-[0-9a-f]{6}) sma_cross\(fast=3, slow=12\)", done.stdout)
    assert found, done.stdout
    backtest_id = found.group(1)
    assert "총수익률" in done.stdout
    assert "6,000,000원" in done.stdout
    page = Path(re.search(r"보고서: (\S+)", done.stdout).group(1))
    assert page.is_file()
    assert (page.parent / "chart" / "equity.png").is_file()

    listed = stocklab("backtest", "list")
    assert listed.returncode == 0
    assert backtest_id in listed.stdout
    out = tmp_path / "out.json"
    shown = stocklab("backtest", "show", backtest_id, "--trades", "2", "--export", str(out))
    assert shown.returncode == 0, shown.stderr
    assert "진입" in shown.stdout
    assert json.loads(out.read_text())["backtest_id"] == backtest_id


def test_mistakes_end_with_one_line_and_exit_1(tmp_path: Path) -> None:
    unknown = stocklab("backtest", "nope")
    assert unknown.returncode == 1
    assert "알 수 없는 전략 'nope'" in unknown.stderr
    missing = stocklab("backtest", "show", "bt-20000101000000-000000")
    assert missing.returncode == 1
    assert "없습니다" in missing.stderr
    bad_date = stocklab("backtest", "sma_cross", "--start", "2024-13-01")
    assert bad_date.returncode == 2  # a usage error
    assert "YYYY-MM-DD" in bad_date.stderr
