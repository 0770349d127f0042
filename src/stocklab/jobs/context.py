"""What a job gets to do its work: settings, the store, a market-data source, a clock,
a logger and a progress reporter. Jobs take everything from here, so tests can hand
them a fixed clock and the runner can capture their logs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from stocklab.agent.base import MarketData
from stocklab.config import Settings
from stocklab.jobs.progress import Progress
from stocklab.model import now_kst
from stocklab.runtime.sources import open_source
from stocklab.store import Store


@dataclass
class JobContext:
    settings: Settings
    store: Store
    run_id: str
    log: logging.Logger
    progress: Progress
    now: Callable[[], datetime] = now_kst
    counts: dict[str, int] = field(default_factory=dict)
    _sources: dict[str, MarketData] = field(default_factory=dict)

    def source(self, name: str | None = None) -> MarketData:
        """The named source, or the configured one (LS with keys, else the simulator)."""
        key = name or self.settings.market_source
        if key not in self._sources:
            self._sources[key] = open_source(key, self.settings, now=self.now)
        return self._sources[key]

    def count(self, kind: str, n: int) -> None:
        """Add `n` to the rows-per-kind tally that the run history shows."""
        if n:
            self.counts[kind] = self.counts.get(kind, 0) + n

    def close(self) -> None:
        for src in self._sources.values():
            src.close()
        self._sources.clear()
