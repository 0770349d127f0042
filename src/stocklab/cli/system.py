"""`stocklab up`: the whole system in one command — scheduler, API server and web client.

On the embedded defaults it needs nothing else: the store is a file in the data
directory and the market is the offline simulator. On a first start with an empty store
it collects the code list and the daily history once, in the background. Ctrl-C or
SIGTERM stops the server, every job process, and finishes their run records.
"""

from __future__ import annotations

import errno
import signal
import socket
import threading
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from stocklab import __version__
from stocklab.cli import common
from stocklab.config import Settings, redact_url


def _port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ValueError(
                    f"{host}:{port}를 이미 다른 프로그램이 쓰고 있습니다 — "
                    "--port로 다른 포트를 고르세요"
                ) from None
            raise ValueError(f"{host}:{port}에 바인드할 수 없습니다: {exc.strerror}") from None


def _serve_until_signalled(server: uvicorn.Server) -> None:
    """Serve in a thread; this (main) thread owns SIGINT/SIGTERM, so that shutdown always
    reaches the cleanup below instead of uvicorn re-raising the signal at exit."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    thread = threading.Thread(target=server.run, name="api", daemon=True)
    thread.start()
    try:
        while not stop.wait(0.25):
            if not thread.is_alive():
                raise ValueError("API 서버가 예기치 않게 멈췄습니다; 위의 로그를 확인하세요")
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _banner(settings: Settings, shown: str, port: int, *, starting: bool) -> list[str]:
    from stocklab.api.auth import token_path

    source = settings.market_source
    lines = [
        f"[bold]stocklab {__version__}[/bold] — http://{shown}:{port}/",
        f"  API 문서   http://{shown}:{port}/api/docs",
        f"  API 토큰   {token_path(settings)} (쓰기 요청에 필요)",
        f"  저장소     {redact_url(settings.store_url)}",
        f"  데이터     {source}" + (" (모의시장, 네트워크 없이 동작)" if source == "sim" else ""),
    ]
    if starting:
        lines.append("  처음 시작: 종목 목록과 일봉을 받는 중입니다 (작업 화면에서 진행 확인)")
    if shown not in ("localhost", "::1"):
        lines.append(
            "[yellow]  주의: 외부에서 접속할 수 있는 주소입니다; "
            "STOCKLAB_API_AUTH_READS=true를 권합니다[/yellow]"
        )
    lines.append("  멈추려면 Ctrl-C")
    return lines


def up(
    host: Annotated[str | None, typer.Option(help="바인드 주소 (기본 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="포트 (기본 8000)")] = None,
    bootstrap: Annotated[
        bool, typer.Option(help="저장소가 비어 있으면 종목과 일봉을 한 번 받습니다")
    ] = True,
) -> None:
    """시스템 시작: 스케줄러, API 서버, 웹 화면 (start everything; Ctrl-C stops it)."""
    from stocklab.api import create_app, server_config
    from stocklab.api.auth import ensure_token
    from stocklab.scheduler.service import Scheduler

    settings = common.settings()
    common.check_strategies(settings)
    ensure_token(settings)  # a weak or unreadable token stops here, before the store opens
    host = host or settings.api_host
    port = common.check_port(port if port is not None else settings.api_port)
    _port_free(host, port)
    store = common.store(actor="up")
    empty = store.count_instruments() == 0
    scheduler = Scheduler(settings)
    app = create_app(settings, scheduler=scheduler)
    console = Console()
    scheduler.start()
    try:
        if bootstrap and empty:
            first = ["collect_codes", "collect_daily"]
            if settings.market_source == "sim":  # offline and fast: the last session's minutes too
                first.append("collect_minute")
            scheduler.run_sequence(first, trigger="cli")
        shown = "localhost" if host in ("127.0.0.1", "::1") else host
        for line in _banner(settings, shown, port, starting=bootstrap and empty):
            console.print(line, highlight=False)
        server = uvicorn.Server(server_config(app, host, port))
        _serve_until_signalled(server)
    finally:
        console.print("종료하는 중: 실행 중인 작업을 멈추고 기록을 마무리합니다…")
        scheduler.shutdown()
        store.close()
