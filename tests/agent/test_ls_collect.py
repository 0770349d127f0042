"""Acceptance: two collector processes against one LS server stay within the TR's limit
together, share one token, and finish within 10% of the limit's ideal time."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from tests.support.ls_server import (
    APPKEY,
    APPSECRET,
    LIMITS,
    LsTestServer,
    daily_rows,
    ls_server_fixture,  # noqa: F401 (the ls_server fixture)
)

SUPPORT = Path(__file__).resolve().parents[1] / "support"


def test_two_collectors_share_the_rate_limit_and_the_token(
    ls_server: LsTestServer, tmp_path: Path
) -> None:
    ls_server.rows["t8410"] = daily_rows([date(2024, 9, 5), date(2024, 9, 6)])
    env = {
        **os.environ,
        "STOCKLAB_HOME": str(tmp_path / "home"),
        "STOCKLAB_LS_APPKEY": APPKEY,
        "STOCKLAB_LS_APPSECRET": APPSECRET,
        "STOCKLAB_LS_BASE_URL": ls_server.base_url,
    }
    batches = [["005930", "000660", "035420", "051910"], ["000020", "005385", "078020", "001200"]]
    collectors = [
        subprocess.Popen(
            [sys.executable, str(SUPPORT / "ls_collect.py"), "2024-09-02", "2024-09-06", *codes],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for codes in batches
    ]
    outputs = [c.communicate(timeout=120) for c in collectors]

    for collector, codes, (out, err) in zip(collectors, batches, outputs, strict=True):
        assert collector.returncode == 0, err
        assert out.split("\n")[:-1] == [f"{code} 2 4010" for code in codes]
    # the server's per-second check passes (serve() asserts it again at teardown)
    assert ls_server.rate_violations() == []
    assert ls_server.excess == []
    assert len(ls_server.issued) == 1  # one token for both processes
    seen = sorted(s.at for s in ls_server.seen("t8410"))
    assert len(seen) == 8
    # 8 calls at 1/s: the last can come (8 - 1) / 1 s after the first, and within 10% of it.
    ideal = (len(seen) - 1) / LIMITS["t8410"]
    took = seen[-1] - seen[0]
    print(f"t8410 x{len(seen)} from two processes: {took:.2f}s (ideal {ideal:.2f}s)")
    assert ideal <= took <= ideal * 1.1
