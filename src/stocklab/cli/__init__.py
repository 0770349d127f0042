"""The `stocklab` command. Subcommands live in modules named for their area.

Errors a user can fix (bad settings, an unreachable store, bad input) end as one clear
line and a non-zero exit code: 2 for settings and usage, 1 for everything else.
"""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console
from rich.markup import escape

from stocklab import __version__
from stocklab.cli.backtest import backtest_app
from stocklab.cli.collect import collect_app
from stocklab.cli.common import BadOption, err_console, settings
from stocklab.cli.jobs import jobs_app, schedule_app
from stocklab.cli.store import store_app
from stocklab.cli.strategy import strategy_app
from stocklab.cli.system import up
from stocklab.cli.trade import orders_app, trade_app
from stocklab.config import ConfigError, redact_url
from stocklab.errors import StorageFailure
from stocklab.store import StoreError

app = typer.Typer(
    name="stocklab",
    help="stocklab — 한국 주식(KOSPI·KOSDAQ) 자동매매 시스템: 수집, 저장, 분석, 매매.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.add_typer(store_app, name="store")
app.add_typer(collect_app, name="collect")
app.add_typer(jobs_app, name="jobs")
app.add_typer(schedule_app, name="schedule")
app.add_typer(trade_app, name="trade")
app.add_typer(orders_app, name="orders")
app.add_typer(strategy_app, name="strategy")
app.add_typer(backtest_app, name="backtest")
app.command()(up)


@app.command()
def version() -> None:
    """버전 출력 (print the version)."""
    Console().print(f"stocklab {__version__}")


@app.command("config")
def show_config() -> None:
    """설정 보기, 비밀값은 가림 (show the effective settings)."""
    s = settings()
    console = Console()
    console.print(f"home        {s.home}")
    console.print(f"store       {redact_url(s.store_url)}")
    console.print(f"log_level   {s.log_level}")
    console.print(f"commission  {s.commission_rate} (편도)")


def main() -> None:
    """Entry point: typer handles usage errors (exit 2); ours become one line and a code."""
    try:
        app()
    except (ConfigError, BadOption) as exc:
        err_console.print(f"[red]{escape(str(exc))}[/red]", highlight=False)
        sys.exit(2)
    except (StoreError, StorageFailure, ValueError) as exc:  # a full disk, a corrupt file…
        err_console.print(f"[red]오류: {escape(str(exc))}[/red]", highlight=False)
        sys.exit(1)


logging.getLogger("stocklab").addHandler(logging.NullHandler())
