"""A pytest plugin that moves the wall clock of the whole test process (every thread,
`time.time()`, `datetime.now()`) to `STOCKLAB_TEST_WALLCLOCK` and lets it tick from
there, so the clock matrix can prove no test depends on when CI runs.

Load it with `-p tests.support.wallclock`; without the variable it does nothing.
"""

from __future__ import annotations

import os
from datetime import datetime

import pytest
import time_machine

_travel: time_machine.travel | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _travel
    when = os.environ.get("STOCKLAB_TEST_WALLCLOCK")
    if when:
        _travel = time_machine.travel(datetime.fromisoformat(when), tick=True)
        _travel.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _travel is not None:
        _travel.stop()
