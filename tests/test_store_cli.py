"""`stocklab store …` run as a user runs it: a real subprocess, a real store, real files."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.support.cli import stocklab as run

CODES = ("005930", "003550", "000270")


def count(output: str, label: str, reason: str = "") -> int:
    """The number in the summary-table row whose first cell is `label` and that names `reason`."""
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│┃ ").split("│")]
        if cells and cells[0] == label and reason in line:
            return int(cells[-1].replace(",", ""))
    raise AssertionError(f"no row {label!r} {reason!r} in:\n{output}")


def raw_rows(paths: list[Path]) -> tuple[int, int, int]:
    """(rows, halt days, high below open/close) read independently with the csv module."""
    rows = halts = high_below = 0
    for path in paths:
        with path.open(newline="") as f:
            for row in csv.DictReader(f):
                o, h, lo, c = (int(row[k]) for k in ("open", "high", "low", "close"))
                rows += 1
                halts += o == h == lo == 0
                high_below += 0 < h < max(o, c)
    return rows, halts, high_below


@pytest.fixture
def three(sample_dir: Path) -> list[Path]:
    return [sample_dir / f"{code}.csv" for code in CODES]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_import_reports_reasons_and_a_second_run_adds_nothing(home, three) -> None:
    rows, halts, high_below = raw_rows(three)
    assert (halts, high_below) == (21, 76)

    first = run(home, "store", "import-csv", *map(str, three))
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert count(out, "읽은 행") == rows
    assert count(out, "가져옴") == rows - halts
    assert count(out, "이미 있음") == 0
    assert count(out, "건너뜀", "거래정지(시가·고가·저가 0)") == halts
    assert count(out, "고침", "고가를 시가·종가까지 올림") == high_below
    assert count(out, "거부") == 0
    assert count(out, "실패한 파일") == 0
    assert "Traceback" not in first.stderr

    second = run(home, "store", "import-csv", *map(str, three))
    assert second.returncode == 0, second.stderr
    assert count(second.stdout, "가져옴") == 0
    assert count(second.stdout, "이미 있음") == rows - halts
    assert count(second.stdout, "갱신됨") == 0


def test_info_lists_codes_and_export_writes_parquet(home, three, sample_dir, tmp_path) -> None:
    empty = run(home, "store", "info")
    assert empty.returncode == 0, empty.stderr
    assert "보관 중인 봉이 없습니다" in empty.stdout

    instruments = sample_dir.parent / "instruments.csv"
    imported = run(home, "store", "import-csv", *map(str, three), "--instruments", str(instruments))
    assert imported.returncode == 0, imported.stderr
    assert "종목 목록 instruments.csv: 40행 — 새로 등록 40" in imported.stdout
    stored = count(imported.stdout, "가져옴")

    info = run(home, "store", "info")
    assert info.returncode == 0, info.stderr
    for code in CODES:
        assert re.search(rf"{code}\s*│\s*1d\s*│", info.stdout), info.stdout
    assert f"합계: 3종목, {stored:,}봉, 종목 40개 등록" in info.stdout

    out = tmp_path / "bars.out"
    exported = run(home, "store", "export", "--out", str(out), "--format", "parquet")
    assert exported.returncode == 0, exported.stderr
    assert f"{stored:,}행을 썼습니다" in exported.stdout
    table = pq.read_table(out)
    assert table.num_rows == stored
    assert sorted(table.column("code").unique().to_pylist()) == sorted(CODES)

    by_suffix = tmp_path / "may.csv"
    picked = run(
        home,
        "store",
        "export",
        "-o",
        str(by_suffix),
        "--code",
        "005930",
        "--start",
        "2018-05-01",
        "--end",
        "2018-05-04",
    )
    assert picked.returncode == 0, picked.stderr
    assert by_suffix.read_text().splitlines()[1:] == [
        "005930,2018-05-04,53000,53900,51800,51900,39565391,"
    ]


def test_bad_store_setting_is_one_line_and_exit_2(home) -> None:
    result = run(home, "store", "info", STOCKLAB_STORE="bogus")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "STOCKLAB_STORE" in lines[0]


def test_missing_file_is_reported_without_a_traceback(home, tmp_path, three) -> None:
    missing = tmp_path / "nope" / "005930.csv"
    alone = run(home, "store", "import-csv", str(missing))
    assert alone.returncode == 1
    assert f"실패 {missing}: 파일이 없습니다" in alone.stdout
    assert "Traceback" not in alone.stderr

    with_good = run(home, "store", "import-csv", str(missing), str(three[0]))
    assert with_good.returncode == 0, with_good.stderr
    assert count(with_good.stdout, "실패한 파일") == 1
    assert count(with_good.stdout, "가져옴") > 0


def test_rejected_rows_are_listed_with_examples(home, tmp_path) -> None:
    bad = tmp_path / "005930.csv"
    bad.write_text(
        "date,open,high,low,close,volume\n2020-01-02,100,110,90,105,1000\n2020-01-03,1,x,1,1,1\n"
    )
    result = run(home, "store", "import-csv", str(bad))
    assert result.returncode == 0, result.stderr
    assert count(result.stdout, "거부", "숫자가 아닌 값") == 1
    assert "005930.csv:3 2020-01-03,1,x,1,1,1" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2020-13-01"], "--start '2020-13-01': 날짜는 YYYY-MM-DD 형식이어야 합니다"),
        (["--start", "2020-03-01", "--end", "2020-01-01"], "기간이 거꾸로입니다"),
        (["--code", "5930"], "종목코드 '5930'는 올바르지 않습니다"),
        (["--timeframe", "1w"], "--timeframe '1w': 1d 또는 1m이어야 합니다"),
    ],
)
def test_export_input_errors_are_one_line(home, tmp_path, args, message) -> None:
    out = tmp_path / "x.csv"
    result = run(home, "store", "export", "--out", str(out), *args)
    assert result.returncode == (2 if "YYYY-MM-DD" in message else 1)  # usage: 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert not out.exists()


def test_export_without_a_known_format_says_so(home, tmp_path) -> None:
    result = run(home, "store", "export", "--out", str(tmp_path / "bars.txt"))
    assert result.returncode == 1
    assert "--format을 지정하세요" in result.stderr
