"""What every subcommand shares: the settings, the consoles, opening the store."""

from __future__ import annotations

import logging
from datetime import date
from functools import cache

from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from stocklab.config import Settings, load_settings
from stocklab.store import Store, StoreMissing, StoreReader, open_store
from stocklab.store.sqlite import SqliteStore

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
    says so in one line and answers as an empty store does."""
    try:
        return open_store(settings().store_url, actor="cli", readonly=True)
    except StoreMissing as exc:
        err_console.print(f"[yellow]{escape(str(exc))}[/yellow]", highlight=False)
        return SqliteStore.blank(exc.path, actor="cli")
