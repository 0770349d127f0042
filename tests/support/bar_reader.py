"""A child process that keeps reading while writers write; exits when STOP_FILE appears.

usage: bar_reader.py STORE_PATH STOP_FILE — prints "reads <n> max_seen <bars>".
"""

import sys
import time
from pathlib import Path

from stocklab.store.sqlite import SqliteStore


def main() -> None:
    store = SqliteStore(sys.argv[1], readonly=True)
    stop = Path(sys.argv[2])
    reads = max_seen = 0
    while not stop.exists():
        overview = store.bar_overview()
        for cov in overview[:5]:
            loaded = store.load_bars(cov.code, cov.timeframe)
            assert len(loaded) >= 1
            assert loaded.ts.tolist() == sorted(loaded.ts.tolist())
        max_seen = max(max_seen, sum(c.count for c in overview))
        reads += 1
        time.sleep(0.001)
    print(f"reads {reads} max_seen {max_seen}", flush=True)


if __name__ == "__main__":
    main()
