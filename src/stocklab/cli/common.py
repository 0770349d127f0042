"""What every subcommand shares: the settings, the consoles, opening the store."""

from __future__ import annotations

import logging
from datetime import date
from functools import cache

from rich.console import Console
from rich.logging import RichHandler

from stocklab.config import Settings, load_settings
from stocklab.store import Store, StoreReader, open_store

err_console = Console(stderr=True, soft_wrap=True)


def parse_date(text: str | None, name: str) -> date | None:
    """A `YYYY-MM-DD` option, or a one-line error naming the option."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} {text!r}: 날짜는 YYYY-MM-DD 형식이어야 합니다") from None


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


def store(actor: str = "cli") -> Store:
    """The configured store, for writing (creates the data directory on first use)."""
    s = settings()
    s.ensure_home()
    return open_store(s.store_url, actor=actor)


def reader() -> StoreReader:
    """The configured store, read-only. It creates nothing: on a fresh data directory it
    raises StoreMissing, one line saying there is no data yet."""
    return open_store(settings().store_url, actor="cli", readonly=True)
