"""Progress of long work: a rich bar on a terminal, plain log lines everywhere else.

A job run by the scheduler writes to a log file, where a redrawn bar is noise; a person
at a terminal wants done/total, the rate and the time left.
"""

from __future__ import annotations

import logging
import sys
import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress


class Progress:
    """`start(total, what)`, `advance(n)`, `finish()`; chooses its display itself."""

    def __init__(
        self, log: logging.Logger, *, interactive: bool | None = None, every: float = 10.0
    ):
        self.log = log
        self.interactive = sys.stderr.isatty() if interactive is None else interactive
        self.every = every
        self._rich: RichProgress | None = None
        self._task: int | None = None
        self.total = 0
        self.done = 0
        self.what = ""
        self._started = 0.0
        self._last_line = 0.0

    def start(self, total: int, what: str) -> None:
        self.finish()
        self.total, self.done, self.what = total, 0, what
        self._started = self._last_line = time.monotonic()
        if self.interactive:
            self._rich = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._rich.start()
            self._task = self._rich.add_task(what, total=total, rate="")
        else:
            self.log.info("%s: %d개 시작", what, total)

    def advance(self, n: int = 1) -> None:
        self.done += n
        elapsed = max(time.monotonic() - self._started, 1e-9)
        rate = self.done / elapsed
        if self._rich is not None and self._task is not None:
            self._rich.update(self._task, advance=n, rate=f"{rate:,.1f}/s")
        elif time.monotonic() - self._last_line >= self.every:
            self._last_line = time.monotonic()
            left = (self.total - self.done) / rate if rate else 0
            self.log.info(
                "%s: %d/%d (%.0f%%), %.1f/s, 남은 시간 약 %.0f초",
                self.what, self.done, self.total, 100 * self.done / max(self.total, 1), rate, left,
            )  # fmt: skip

    def finish(self) -> None:
        if self._rich is not None:
            self._rich.stop()
            self._rich = None
            self._task = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.finish()
