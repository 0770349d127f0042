"""Collection benchmark: a new day for the whole simulated market, and LS at its rate limit.

1. Simulator: a store holding the simulated market's history up to day D; the clock moves
   to the evening of D+1 and `stocklab collect daily` runs as a user runs it. Reported:
   the whole command (interpreter start included) and the job itself (its run record).
   Target: under 5 s.
2. LS증권: the loopback LS test server (tests/support/ls_server.py) serves multi-page daily
   charts; two `stocklab collect daily --source ls` processes run at once, sharing one
   app key. Reported: the span of their t8410 calls against the ideal at the TR's limit
   (calls − 1) / limit, and whether any one-second window held too many. Target: within 10%.

    python bench/collect.py [--codes 2000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def stocklab(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stocklab", *args], env=env, capture_output=True, text=True
    )


def base_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")}
    env.update({"STOCKLAB_HOME": str(home), "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}", **extra})
    return env


def sim_new_day(codes: int, console: Console) -> dict[str, float]:
    from stocklab.store.sqlite import SqliteStore

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        sim = {"STOCKLAB_SIM_CODES": str(codes), "STOCKLAB_SIM_START": "2024-01-02"}
        env = base_env(home, **sim, STOCKLAB_SIM_NOW="2024-11-14T18:30:00+09:00")
        for step in (("collect", "codes"), ("collect", "daily")):
            result = stocklab(env, *step)
            assert result.returncode == 0, result.stderr
        env["STOCKLAB_SIM_NOW"] = "2024-11-15T18:30:00+09:00"
        started = time.perf_counter()
        result = stocklab(env, "collect", "daily")
        wall = time.perf_counter() - started
        assert result.returncode == 0, result.stderr
        run = SqliteStore(home / "stocklab.db").list_job_runs(job="collect_daily", limit=1)[0]
        assert run.counts.get("bars_1d") == codes, run.counts
        job = (run.ended_at - run.started_at).total_seconds() if run.ended_at else 0.0
    console.print(
        f"simulator, new day for {codes:,} codes: command {wall:.2f} s, job {job:.2f} s "
        f"(target < 5 s)",
        highlight=False,
    )
    return {"codes": codes, "command_s": wall, "job_s": job}


def ls_rate(console: Console) -> dict[str, float]:
    from stocklab.krx.calendar import trading_days
    from tests.support.ls_server import APPKEY, APPSECRET, LIMITS, daily_rows, serve

    # The last 100 sessions up to the collectors' clock (STOCKLAB_SIM_NOW below): a source
    # that stops short of the last closed session is an error, whatever day the bench runs.
    days = trading_days(date(2024, 5, 1), date(2024, 11, 15))[-100:]
    with tempfile.TemporaryDirectory() as tmp, serve(page_size={"t8410": 25}) as server:
        server.rows["t8410"] = daily_rows(days)
        home = Path(tmp) / "home"
        env = base_env(
            home,
            STOCKLAB_LS_APPKEY=APPKEY,
            STOCKLAB_LS_APPSECRET=APPSECRET,
            STOCKLAB_LS_BASE_URL=server.base_url,
            STOCKLAB_SOURCE="ls",
            STOCKLAB_SIM_NOW="2024-11-15T19:00:00+09:00",
        )
        codes = stocklab(env, "collect", "codes")
        assert codes.returncode == 0, codes.stderr
        command = [sys.executable, "-m", "stocklab", "collect", "daily"]
        since = ["--since", days[0].isoformat()]
        procs = [
            subprocess.Popen(
                [*command, "--codes", code, *since],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for code in ("000020", "005385")
        ]
        for p in procs:
            _, err = p.communicate(timeout=600)
            assert p.returncode == 0, err
        seen = sorted(s.at for s in server.seen("t8410"))
        violations = server.rate_violations()
    ideal = (len(seen) - 1) / LIMITS["t8410"]
    took = seen[-1] - seen[0]
    console.print(
        f"LS t8410 from two collector processes: {len(seen)} calls in {took:.2f} s, ideal "
        f"{ideal:.2f} s ({took / ideal:.2f}x; target ≤ 1.10x); windows over the limit: "
        f"{len(violations)}",
        highlight=False,
    )
    return {"calls": len(seen), "span_s": took, "ideal_s": ideal, "violations": len(violations)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--codes", type=int, default=2_000)
    args = parser.parse_args()
    console = Console(width=130)
    sim_new_day(args.codes, console)
    ls_rate(console)


if __name__ == "__main__":
    main()
