"""`stocklab up`: bring the system up on the configured (by default embedded) store."""

from __future__ import annotations

from rich.console import Console

from stocklab import __version__
from stocklab.cli import common
from stocklab.config import redact_url


def up() -> None:
    """시스템 시작: 데이터 디렉터리와 저장소를 준비하고 현황을 보여줍니다 (start stocklab)."""
    s = common.settings()
    console = Console()
    store = common.store(actor="up")
    overview = store.bar_overview()
    console.print(f"[bold]stocklab {__version__}[/bold]")
    console.print(f"데이터 디렉터리: {s.home}")
    health = "정상" if store.ping() else "응답 없음"
    console.print(f"저장소: {redact_url(s.store_url)} ({store.backend}, {health})")
    codes = len({c.code for c in overview})
    console.print(
        f"보관: 종목 {store.count_instruments():,}개 등록, {codes:,}종목의 봉 "
        f"{sum(c.count for c in overview):,}개"
    )
    console.print(
        "이 버전에서 돌아가는 부분은 저장소와 명령줄입니다. "
        "`stocklab store import-csv 파일…`로 일봉을 가져오고 `stocklab store info`로 확인하세요."
    )
    store.close()
