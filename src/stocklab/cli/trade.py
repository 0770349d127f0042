"""`stocklab trade run|status|kill` and `stocklab orders list|cancel|modify`."""

from __future__ import annotations

import signal
import time
from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stocklab.agent.base import SourceError
from stocklab.cli import common
from stocklab.cli.jobs import report
from stocklab.config import Settings
from stocklab.errors import HomeUnusable, StorageFailure
from stocklab.jobs.runner import run_job
from stocklab.model import KST, JobStatus, OrderStatus
from stocklab.runtime.trading import account_name, open_manager
from stocklab.trading import risk
from stocklab.trading.orders import OPEN
from stocklab.trading.trader import configured

trade_app = typer.Typer(help="매매: 실행, 상태, 긴급 정지.", no_args_is_help=True)
orders_app = typer.Typer(help="주문: 목록, 취소, 정정.", no_args_is_help=True)

CYCLE = timedelta(minutes=5)


def _confirm_live(yes: bool) -> None:
    """Live trading says what will trade and needs a yes from the person starting it."""
    settings = common.settings()
    if not (settings.ls_appkey and settings.ls_appsecret):
        raise ValueError("실거래에는 STOCKLAB_LS_APPKEY와 STOCKLAB_LS_APPSECRET이 필요합니다")
    strategies = configured(settings.strategies)
    if not strategies:
        raise ValueError("설정된 전략이 없습니다 (stocklab.toml의 [[strategies]])")
    paper = _key_is_paper(settings)
    console = Console()
    if paper:
        console.print(
            "[bold yellow]LS증권 모의투자 모드[/bold yellow]: 이 앱 키는 모의투자 키입니다 "
            "(LS증권이 '모의투자 조회가 완료되었습니다'라고 답했습니다) — LS 모의투자 계좌로 "
            "주문을 내며, 실제 돈은 움직이지 않습니다"
        )
    else:
        console.print("[bold red]실거래 모드[/bold red]: LS증권 계좌로 실제 주문을 냅니다")
    console.print(
        f"  계좌 이름  {settings.live_account} (모의 계좌 {settings.trading_account}와 따로 "
        "기록됩니다; 계좌번호는 앱 키에 묶여 있습니다)"
    )
    for conf in strategies:
        console.print(f"  전략       {conf.strategy!r}: {', '.join(conf.codes)}", highlight=False)
    question = "이대로 LS 모의투자 매매를 시작할까요?" if paper else "이대로 실거래를 시작할까요?"
    if not yes and not typer.confirm(question, default=False):
        raise typer.Exit(1)


def _key_is_paper(settings: Settings) -> bool:
    """Ask LS what the key is (its answer decides, not a setting): a user who set
    STOCKLAB_LS_PAPER=true with a real key is stopped before any order."""
    from stocklab.runtime.sources import ls_broker

    try:
        with ls_broker(settings, paper=settings.ls_paper) as broker:
            paper = broker.key_is_paper()
    except SourceError as exc:
        raise ValueError(f"LS증권에 앱 키의 종류(모의투자/실전)를 묻지 못했습니다: {exc}") from None
    if settings.ls_paper and not paper:
        raise ValueError(
            "STOCKLAB_LS_PAPER=true인데 LS증권은 이 앱 키를 실전 키로 답했습니다 — 실제 돈으로 "
            "주문하게 됩니다. 실전으로 하려면 STOCKLAB_LS_PAPER를 false로 두고 다시 실행하세요"
        )
    return paper


@trade_app.command(
    "run", help="매매 주기를 5분마다 이 창에서 돌립니다 (기본 모의). --live는 실거래."
)
def run(
    live: Annotated[bool, typer.Option(help="LS증권 실거래 (확인을 받습니다)")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="실거래 확인을 건너뜁니다")] = False,
    once: Annotated[bool, typer.Option(help="한 주기만 돌고 끝냅니다")] = False,
) -> None:
    settings = common.settings()
    common.check_strategies(settings)
    if live:
        _confirm_live(yes)
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        if risk.is_killed(settings.home):
            common.err_console.print("긴급 정지가 켜져 있어 멈춥니다 (stocklab trade kill --off)")
            return
        finished = run_job("trade", {"live": live}, settings=settings, trigger="cli")
        report(finished)
        if once:
            if finished.status is not JobStatus.SUCCEEDED:
                raise typer.Exit(1)
            return
        wake = datetime.now(KST) + CYCLE
        while not stopping and datetime.now(KST) < wake and not risk.is_killed(settings.home):
            time.sleep(0.5)


@trade_app.command("status", help="계좌, 보유 종목, 미체결 주문, 긴급 정지 상태.")
def status() -> None:
    settings = common.settings()
    store = common.store(actor="cli")
    manager = open_manager(settings, store)
    manager.reconcile()
    balance = manager.broker.balance()
    console = Console()
    killed = risk.is_killed(settings.home)
    console.print(
        f"계좌 {manager.account_id} ({manager.broker.name}): 예수금 {balance.cash:,}원, "
        f"주문가능 {balance.orderable:,}원, 오늘 손익 {manager.day_pnl():+,}원"
        + (" — [red]긴급 정지 중[/red]" if killed else ""),
        highlight=False,
    )
    table = Table("종목", "수량", "평균가", "현재가", "평가손익")
    for p in store.list_positions(manager.account_id):
        if p.qty:
            price = manager.market.quote(p.code).price
            avg = p.cost // p.qty
            table.add_row(
                p.code, f"{p.qty:,}", f"{avg:,}", f"{price:,}", f"{(price - avg) * p.qty:+,}"
            )
    console.print(table)
    _orders_table(console, list(OPEN), 50)


@trade_app.command("kill", help="긴급 정지: 새 주문을 막고 미체결을 취소합니다 (--off로 해제).")
def kill(
    off: Annotated[bool, typer.Option("--off", help="긴급 정지 해제")] = False,
    keep_open: Annotated[bool, typer.Option(help="미체결 주문을 취소하지 않습니다")] = False,
) -> None:
    settings = common.settings()
    # The switch is a file, set first: it holds even when the store cannot be written.
    settings.ensure_home()
    try:
        risk.set_kill(settings.home, not off, reason="cli")
    except OSError as exc:
        path = risk.kill_path(settings.home)
        cause = exc.strerror or exc
        raise HomeUnusable(f"긴급 정지 파일 {path}를 바꿀 수 없습니다: {cause}") from None
    try:
        store = common.store(actor="cli")
        store.audit_event("kill_switch", "trading", {"on": not off, "by": "cli"})
    except StorageFailure as exc:
        done = "해제했습니다" if off else "켰습니다 (새 주문 차단)"
        undone = "기록하지 못했습니다" if off else "기록하지도, 미체결 주문을 취소하지도 못했습니다"
        common.err_console.print(
            f"[red]긴급 정지는 {done}; 저장소 오류로 {undone}: {escape(str(exc))}[/red]",
            highlight=False,
        )
        raise typer.Exit(1) from None
    if off:
        Console().print("긴급 정지를 해제했습니다")
        return
    if keep_open:
        Console().print("긴급 정지를 켰습니다: 새 주문 차단 (미체결 주문은 그대로)")
        return
    cancelled = len(open_manager(settings, store).cancel_all())
    live_open = store.list_orders(account_name(settings, live=True), list(OPEN), 1)
    if live_open:  # the live account's open orders are cancelled at LS too
        try:
            cancelled += len(open_manager(settings, store, live=True).cancel_all())
        except SourceError as exc:
            common.err_console.print(
                f"실거래 계좌의 미체결 주문을 취소하지 못했습니다: {escape(str(exc))} — "
                "HTS/MTS에서 확인하세요"
            )
    Console().print(f"긴급 정지를 켰습니다: 새 주문 차단, 미체결 {cancelled}건 취소 요청")


def _orders_table(
    console: Console, statuses: list[OrderStatus] | None, limit: int, live: bool = False
) -> None:
    settings = common.settings()
    rows = common.reader().list_orders(account_name(settings, live=live), statuses, limit)
    table = Table("주문", "종목", "매매", "수량", "가격", "체결", "상태", "사유")
    for o in rows:
        r = o.request
        table.add_row(
            o.client_id,
            r.code,
            "매수" if r.side.value == "buy" else "매도",
            f"{r.qty:,}",
            f"{r.price:,}" if r.price else "시장가",
            f"{o.filled_qty:,}",
            o.status.value,
            o.reason or "",
        )
    console.print(table)


@orders_app.command("list", help="주문 목록 (최근 것부터).")
def list_orders(
    status: Annotated[list[OrderStatus] | None, typer.Option(help="상태로 거르기")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="미체결만")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    live: Annotated[bool, typer.Option(help="실거래 계좌의 주문")] = False,
) -> None:
    _orders_table(Console(), list(OPEN) if open_only else status, limit, live)


@orders_app.command("cancel", help="주문을 취소합니다.")
def cancel(
    client_id: Annotated[str, typer.Argument(help="주문 (client id)")],
    live: Annotated[bool, typer.Option(help="실거래 계좌의 주문 (LS증권에 취소)")] = False,
) -> None:
    settings = common.settings()
    order = open_manager(settings, common.store(actor="cli"), live=live).cancel(client_id)
    Console().print(f"{order.client_id}: {order.status.value}")


@orders_app.command("modify", help="미체결 주문의 가격·수량을 정정합니다 (새 주문번호로 바뀝니다).")
def modify(
    client_id: Annotated[str, typer.Argument(help="주문 (client id)")],
    price: Annotated[int | None, typer.Option(min=1, help="새 가격 (원)")] = None,
    qty: Annotated[
        int | None, typer.Option(min=1, help="새 수량 (미체결 수량 이하; 나머지는 취소)")
    ] = None,
    live: Annotated[bool, typer.Option(help="실거래 계좌의 주문 (LS증권에 정정)")] = False,
) -> None:
    if price is None and qty is None:
        raise typer.BadParameter("--price나 --qty 중 하나는 주세요", param_hint="--price")
    settings = common.settings()
    manager = open_manager(settings, common.store(actor="cli"), live=live)
    new = manager.modify(client_id, price=price, qty=qty)
    r = new.request
    shown = f"{r.qty:,}주 {r.price:,}원" if r.price else f"{r.qty:,}주 시장가"
    Console().print(
        f"{client_id} → {new.client_id}: {shown}, {new.status.value}"
        + (f" ({new.reason})" if new.reason else ""),
        highlight=False,
    )
