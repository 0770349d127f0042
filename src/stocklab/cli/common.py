"""What every subcommand shares: the settings, the consoles, opening the store."""

from __future__ import annotations

import logging
import re
from contextlib import suppress
from datetime import date
from functools import cache

from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from stocklab.bounds import PORTS, check_day
from stocklab.config import ConfigError, Settings, load_settings
from stocklab.runtime.store import store_for
from stocklab.store import Store, StoreMissing, StoreReader
from stocklab.store.sqlite import SqliteStore

err_console = Console(stderr=True, soft_wrap=True)


class BadOption(ValueError):
    """An option's value out of its format or range: one line naming both, exit 2."""


_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(text: str | None, name: str) -> date | None:
    """A `YYYY-MM-DD` option within `bounds.FIRST_DAY`..`LAST_DAY`, or a one-line error
    naming the option (far dates overflow the arithmetic behind a range)."""
    if text is None:
        return None
    day = None
    if _DATE_RE.fullmatch(text):
        with suppress(ValueError):
            day = date.fromisoformat(text)
    if day is None:
        raise BadOption(f"{name} {text!r}: 날짜는 YYYY-MM-DD 형식이어야 합니다")
    try:
        return check_day(day, name)
    except ValueError as exc:
        raise BadOption(str(exc)) from None


def check_port(port: int, name: str = "--port") -> int:
    return check_number(port, name, PORTS)


def check_number(value: float, name: str, bounds: tuple[int, int]) -> float:
    """A number option within its range (NaN and infinity are outside every range)."""
    low, high = bounds
    if not low <= value <= high:  # False for NaN too
        raise BadOption(f"{name} {value}는 범위 밖입니다 (허용: {low} ~ {high:,})")
    return value


@cache
def settings() -> Settings:
    """The settings, read once per command; a bad value raises ConfigError (exit 2)."""
    s = load_settings()
    logging.basicConfig(
        level=s.log_level,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False)],
    )
    return s


def check_strategies(s: Settings) -> None:
    """The `[[strategies]]` checked at start: an unknown name or a bad parameter stops
    the command with one line (exit 2), before anything runs."""
    from stocklab.trading.trader import configured

    try:
        configured(s.strategies)
    except ValueError as exc:
        raise ConfigError(f"설정 오류: {exc}") from None


def store(actor: str = "cli") -> Store:
    """The configured store, for writing (creates the data directory on first use)."""
    s = settings()
    s.ensure_home()
    return store_for(s, actor=actor)


def reader() -> StoreReader:
    """The configured store, read-only. It creates nothing: on a fresh data directory it
    says so in one line and answers as an empty store does."""
    try:
        return store_for(settings(), actor="cli", readonly=True)
    except StoreMissing as exc:
        err_console.print(f"[yellow]{escape(str(exc))}[/yellow]", highlight=False)
        return SqliteStore.blank(exc.path, actor="cli")
