"""Collect daily bars through `LsMarketData` in a process of its own, as a scheduler job does.

Usage: `ls_collect.py START END CODE...` (dates YYYY-MM-DD). Settings come from the
environment like any job's: STOCKLAB_HOME, STOCKLAB_LS_APPKEY, STOCKLAB_LS_APPSECRET,
STOCKLAB_LS_BASE_URL. Prints `<code> <bars> <first close>` per code.
"""

from __future__ import annotations

import sys
from datetime import date

from stocklab.config import load_settings
from stocklab.runtime.sources import ls_market_data


def main(start: str, end: str, *codes: str) -> None:
    with ls_market_data(load_settings()) as source:
        for code in codes:
            bars = source.daily_bars(code, date.fromisoformat(start), date.fromisoformat(end))
            first = int(bars.close[0]) if len(bars) else 0
            print(code, len(bars), first, flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
