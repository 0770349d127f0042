"""`stocklab store …`: what the store holds, importing and exporting bars."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from stocklab.cli import common
from stocklab.io.csvimport import (
    ImportReport,
    InstrumentReport,
    expand_paths,
    import_csv,
    import_instruments,
)
from stocklab.io.export import export_bars, format_for
from stocklab.krx import last_closed_session
from stocklab.model import Timeframe, check_code
from stocklab.store import check_source, date_range

store_app = typer.Typer(help="저장소: 현황, CSV 가져오기, 내보내기.", no_args_is_help=True)


@store_app.command(help="저장소 현황: 종목·주기별 봉 수, 처음과 마지막, 출처.")
def info() -> None:
    """Print what the store holds: per code and timeframe, how many bars and their span."""
    reader = common.reader()
    overview = reader.bar_overview()
    console = Console()
    console.print(f"저장소: {reader.describe()}")
    if not overview:
        console.print("보관 중인 봉이 없습니다. `stocklab store import-csv PATH…`로 가져오세요.")
        return
    table = Table("종목", "주기", "봉 수", "처음", "마지막", "출처")
    for c in overview:
        fmt = "%Y-%m-%d" if c.timeframe.value == "1d" else "%Y-%m-%d %H:%M"
        table.add_row(
            c.code,
            c.timeframe.value,
            f"{c.count:,}",
            f"{c.first:{fmt}}",
            f"{c.last:{fmt}}",
            c.source or "",
        )
    console.print(table)
    total = sum(c.count for c in overview)
    codes = len({c.code for c in overview})
    console.print(f"합계: {codes:,}종목, {total:,}봉, 종목 {reader.count_instruments():,}개 등록")


@store_app.command(
    "import-csv",
    help="일봉 CSV를 가져옵니다: 수정주가 반올림 오차는 고치고 거래정지일은 건너뛰며, "
    "말이 안 되는 행은 사유별로 거부합니다. 읽은 파일이 있으면 종료 코드 0, 모두 실패하면 1.",
)
def import_csv_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="일봉 CSV 파일(.csv, .csv.gz) 또는 그런 파일이 든 디렉터리. "
            "열: date,open,high,low,close,volume[,code][,value]",
            show_default=False,
        ),
    ],
    source: Annotated[str, typer.Option(help="저장할 출처 이름 (1~32자)")] = "csv",
    instruments: Annotated[
        Path | None,
        typer.Option(help="함께 등록할 종목 목록 CSV (code,name,market)", show_default=False),
    ] = None,
) -> None:
    """Import daily bars from CSV: repair rounding, skip halt days, reject the rest by reason.

    Exit code 0 when any file was read (even with rejected rows), 1 when none could be.
    """
    check_source(source)
    files = expand_paths(paths)
    if not files:
        raise ValueError(f"가져올 CSV 파일이 없습니다: {', '.join(map(str, paths))}")
    store = common.store(actor="cli:import-csv")
    console = Console()
    listed = import_instruments(store, instruments) if instruments is not None else None
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=common.err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("가져오는 중", total=len(files))
        report = import_csv(
            store,
            files,
            source=source,
            progress=lambda path, rows: bar.update(
                task, advance=1, description=f"{path.name} {rows:,}행"
            ),
            last_day=last_closed_session(common.settings().now()),
        )
    if listed is not None:
        _print_instruments(console, listed)
    _print_import(console, report)
    if len(report.failed) == len(report.files) or (listed is not None and listed.error):
        raise typer.Exit(1)


def _print_import(console: Console, report: ImportReport) -> None:
    table = Table("구분", "사유", "행 수", title=f"CSV 가져오기: 파일 {len(report.files):,}개")
    table.add_row("읽은 행", "", f"{report.rows:,}")
    table.add_row("가져옴", "새로 저장", f"{report.inserted:,}")
    table.add_row("이미 있음", "같은 값이 저장돼 있음", f"{report.unchanged:,}")
    table.add_row("갱신됨", "저장된 값과 달라 덮어씀", f"{report.updated:,}")
    _reason_rows(table, "고침", report.repaired)
    _reason_rows(table, "건너뜀", report.skipped)
    _reason_rows(table, "거부", report.rejected)
    table.add_row("실패한 파일", "", f"{len(report.failed):,}")
    console.print(table)
    _print_examples(console, report.examples)
    for f in report.failed:
        console.print(f"[red]실패[/red] {escape(str(f.path))}: {escape(f.error or '')}")


def _print_instruments(console: Console, report: InstrumentReport) -> None:
    if report.error:
        console.print(
            f"[red]종목 목록 실패[/red] {escape(str(report.path))}: {escape(report.error)}"
        )
        return
    console.print(
        f"종목 목록 {report.path.name}: {report.rows:,}행 — 새로 등록 {report.inserted:,}, "
        f"갱신 {report.updated:,}, 그대로 {report.unchanged:,}, "
        f"거부 {sum(report.rejected.values()):,}",
        highlight=False,
    )
    for reason, n in report.rejected.most_common():
        console.print(f"  거부 {n:,}행: {reason}", highlight=False)
    _print_examples(console, report.examples)


def _reason_rows(table: Table, label: str, counts: Counter[str]) -> None:
    if not counts:
        table.add_row(label, "", "0")
    for reason, n in counts.most_common():
        table.add_row(label, reason, f"{n:,}")


def _print_examples(console: Console, examples: dict[str, list[str]]) -> None:
    for reason, lines in examples.items():
        console.print(f"거부 예시 — {reason}:", highlight=False)
        for line in lines:
            console.print(f"  {line}", highlight=False, markup=False)


@store_app.command(
    help="저장된 봉을 CSV 또는 Parquet로 내보냅니다 (임시 파일에 다 쓴 뒤 이름을 바꿉니다)."
)
def export(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="출력 파일 (.csv 또는 .parquet)", show_default=False)
    ],
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="csv 또는 parquet (기본: 출력 파일 확장자로 결정)"),
    ] = None,
    timeframe: Annotated[str, typer.Option("--timeframe", "-t", help="봉 주기: 1d 또는 1m")] = "1d",
    code: Annotated[
        list[str] | None,
        typer.Option("--code", "-c", help="종목코드 (여러 번 또는 쉼표로; 기본: 전부)"),
    ] = None,
    start: Annotated[str | None, typer.Option(help="시작일 YYYY-MM-DD (포함)")] = None,
    end: Annotated[str | None, typer.Option(help="종료일 YYYY-MM-DD (포함)")] = None,
) -> None:
    """Export stored bars to CSV or Parquet (written to a temp file, renamed when complete)."""
    # Check every input before the store is opened: a typo should not create a database.
    kind = format_for(out, fmt)
    tf = _timeframe(timeframe)
    first, last = common.parse_date(start, "--start"), common.parse_date(end, "--end")
    date_range(first, last)
    codes = [check_code(c.strip()) for item in code or [] for c in item.split(",") if c.strip()]
    try:
        rows = export_bars(
            common.reader(),
            out,
            fmt=kind,
            timeframe=tf,
            codes=codes or None,
            start=first,
            end=last,
        )
    except OSError as exc:
        raise ValueError(f"{out}에 쓸 수 없습니다: {exc.strerror or exc}") from None
    if rows == 0:
        common.err_console.print("[yellow]조건에 맞는 봉이 없습니다 (빈 파일을 썼습니다).[/yellow]")
    Console().print(f"{out}: {rows:,}행을 썼습니다.", highlight=False)


@store_app.command(
    help="한 종목의 봉을 기간으로 지웁니다 (감사 기록에 남습니다). "
    "잘못 가져온 봉을 바로잡을 때 씁니다."
)
def delete(
    code: Annotated[str, typer.Option("--code", "-c", help="종목코드", show_default=False)],
    start: Annotated[str | None, typer.Option(help="시작일 YYYY-MM-DD (포함; 기본: 처음)")] = None,
    end: Annotated[str | None, typer.Option(help="종료일 YYYY-MM-DD (포함; 기본: 끝)")] = None,
    timeframe: Annotated[str, typer.Option("--timeframe", "-t", help="봉 주기: 1d 또는 1m")] = "1d",
    yes: Annotated[bool, typer.Option("--yes", help="확인 없이 지웁니다")] = False,
) -> None:
    """Delete one code's bars in a range, through the store (audited as cli:store-delete)."""
    code = check_code(code.strip())
    tf = _timeframe(timeframe)
    first, last = common.parse_date(start, "--start"), common.parse_date(end, "--end")
    date_range(first, last)
    reader = common.reader()
    held = reader.load_bars(code, tf, start=first, end=last)
    span = f"{first or '처음'} ~ {last or '끝'}"
    if len(held) == 0:
        Console().print(f"{code} {tf.value} {span}: 지울 봉이 없습니다.", highlight=False)
        return
    days = held.datetimes()
    what = f"{code} {tf.value} 봉 {len(held):,}개 ({days[0]:%Y-%m-%d} ~ {days[-1]:%Y-%m-%d})"
    if not yes and not typer.confirm(f"{what}를 지울까요?", default=False):
        raise typer.Exit(1)
    deleted = common.store(actor="cli:store-delete").delete_bars(code, tf, first, last)
    Console().print(f"{what}: {deleted:,}개를 지웠습니다 (감사 기록에 남김).", highlight=False)


def _timeframe(text: str) -> Timeframe:
    try:
        return Timeframe(text)
    except ValueError:
        raise ValueError(f"--timeframe {text!r}: 1d 또는 1m이어야 합니다") from None
