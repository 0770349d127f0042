"""Far and odd values on the command line, and strict settings: each is one line naming
the value and its range (exit 2, a usage error), never an OverflowError's traceback."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stocklab.bounds import FIRST_DAY, LAST_DAY, PORTS
from stocklab.cli.common import BadOption, check_port, parse_date
from tests.support.cli import stocklab

RANGE = f"{FIRST_DAY} ~ {LAST_DAY}"


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("far", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize(
    "command",
    [
        ["backtest", "sma_cross", "--end"],
        ["backtest", "sma_cross", "--start"],
        ["store", "export", "--out", "{tmp}/x.csv", "--end"],
        ["store", "export", "--out", "{tmp}/x.csv", "--start"],
        ["store", "delete", "--code", "005930", "--yes", "--end"],
        ["collect", "daily", "--since"],
        ["collect", "minute", "--day"],
        ["collect", "flows", "--since"],
    ],
)
def test_far_dates_are_usage_errors_naming_value_and_range(
    tmp_path: Path, command: list[str], far: str
) -> None:
    home = tmp_path / "home"
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    result = stocklab(home, *args, far)
    assert result.returncode == 2, (result.stdout, result.stderr)
    line = one_line(result)
    assert far in line
    assert RANGE in line
    assert args[-1] in line  # the option at fault
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("port", ["70000", "0", "-1", "65536"])
def test_a_port_out_of_range_is_one_line(tmp_path: Path, port: str) -> None:
    result = stocklab(tmp_path / "home", "up", "--port", port)
    assert result.returncode == 2, result.stderr
    line = one_line(result)
    assert f"--port {port}" in line
    assert "1 ~ 65,535" in line


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["backtest", "sma_cross", "--cash", "-5"], "--cash -5는 범위 밖입니다 (허용: 1 ~ "),
        (["backtest", "sma_cross", "--cash", str(10**30)], "범위 밖"),
        (["backtest", "sma_cross", "--participation", "nan"], "0 초과 1 이하"),
        (["backtest", "sma_cross", "--participation", "abc"], "0 초과 1 이하"),
        (["jobs", "run", "collect_codes", "--timeout", "inf"], "--timeout inf는 범위 밖"),
        (["jobs", "run", "collect_codes", "--timeout", "-1"], "(허용: 1 ~ 86,400)"),
    ],
)
def test_numbers_out_of_range_are_one_line_and_record_nothing(
    tmp_path: Path, args: list[str], words: str
) -> None:
    home = tmp_path / "home"
    result = stocklab(home, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert words in one_line(result)
    assert not (home / "stocklab.db").exists()  # no run was recorded as failed


@given(st.dates())
def test_every_date_parses_or_is_refused_with_the_range(day: date) -> None:
    text = day.isoformat()
    if FIRST_DAY <= day <= LAST_DAY:
        assert parse_date(text, "--end") == day
    else:
        with pytest.raises(BadOption, match=f"--end {text}.*{RANGE}"):
            parse_date(text, "--end")


@given(st.integers())
def test_every_port_is_kept_or_refused_with_the_range(port: int) -> None:
    low, high = PORTS
    if low <= port <= high:
        assert check_port(port) == port
    else:
        with pytest.raises(BadOption, match=f"--port {port}는 범위 밖"):
            check_port(port)


def test_the_day_after_the_last_is_refused_and_the_last_is_not() -> None:
    assert parse_date(LAST_DAY.isoformat(), "--end") == LAST_DAY
    with pytest.raises(BadOption):
        parse_date((LAST_DAY + timedelta(days=1)).isoformat(), "--end")


def test_strategies_that_are_not_json_stop_with_exit_2(tmp_path: Path) -> None:
    result = stocklab(tmp_path / "home", "config", STOCKLAB_STRATEGIES="[bad")
    assert result.returncode == 2, result.stderr
    line = one_line(result)
    assert "STOCKLAB_STRATEGIES" in line
    assert "JSON" in line


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ('[{"name": "nope", "codes": ["005930"]}]', "알 수 없는 전략 'nope'"),
        ('[{"name": "sma_cross", "codes": ["005930"], "params": {"fast": 50, "slow": 5}}]', "fast"),
        ('[{"name": "sma_cross", "codes": ["005930"], "params": {"fast": "x"}}]', "fast"),
    ],
)
@pytest.mark.parametrize("command", [["trade", "run", "--once"], ["up", "--port", "1"]])
def test_a_bad_strategy_entry_is_refused_at_start(
    tmp_path: Path, entry: str, words: str, command: list[str]
) -> None:
    home = tmp_path / "home"
    result = stocklab(home, *command, STOCKLAB_STRATEGIES=entry)
    assert result.returncode == 2, (result.stdout, result.stderr)
    line = one_line(result)
    assert "strategies[0]" in line
    assert words in line
    assert not (home / "stocklab.db").exists()  # refused before anything ran
