"""The web client end to end: `stocklab up` on a fresh data directory filled by the offline
simulator, and `npm run e2e` driving Debian's chromium against it (web/e2e/run.mjs says
what it checks). The client is built first when web/dist is missing or older than its
sources (build.py). Screenshots of each page go to artifacts/e2e/ at the repository root.

The clock is fixed inside the session (Friday 10:30 KST), so orders are accepted: the e2e
places, lists and cancels them. Being fixed, it never reaches the next minute, so nothing
fills; an accepted order stays open. The store holds daily bars from 2019-11-01, a little
over five years: the e2e backtests sma_cross over 2024 before checking the HTML report
against the page, and times the stock page's chart of five years of daily bars (it must be
drawn within 1 s of navigation; the `chart 5Y:` lines report the figures)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.web.build import WEB, npm

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
SIM_NOW = "2024-11-15T10:30:00+09:00"
# A little over five years of daily bars before SIM_NOW: the e2e charts the 5년 range.
SIM_START = "2019-11-01"

# The project's test command installs chromium and sets this: there, a missing browser
# is a failure, not a skip (CI must not pass without the browser test).
REQUIRED = os.environ.get("STOCKLAB_REQUIRE_BROWSER") == "1"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not REQUIRED,
        reason=f"{CHROMIUM} is missing (the project's set-up installs Debian's chromium)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str
    home: Path
    log: Path

    @property
    def token(self) -> str:
        return (self.home / "api-token").read_text(encoding="utf-8").strip()


def _wait(what: str, check: Callable[[], bool], timeout: float, log: Path) -> None:
    end = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < end:
        try:
            if check():
                return
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.5)
    tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
    pytest.fail(f"timed out waiting for {what} ({last}); stocklab up said:\n{tail}")


def _ready(client: httpx.Client) -> bool:
    """Health answers, daily bars are held, and the start-up collection has finished
    (its last job brings today's minute bars so far, which the e2e charts)."""
    if client.get("/api/health").status_code != 200:
        return False
    overview = client.get("/api/store/overview").json()
    if overview["bars"] == 0:
        return False
    runs = client.get("/api/jobs/runs", params={"name": "collect_minute"}).json()
    return any(r["status"] == "succeeded" for r in runs)


def _collect_flows(client: httpx.Client, token: str, log: Path) -> None:
    """Investor flows are not part of the start-up collection; the stock page shows them."""
    res = client.post("/api/jobs/collect_flows/run", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 202, res.text
    run_id = res.json()["run_id"]

    def finished() -> bool:
        runs = client.get("/api/jobs/runs", params={"name": "collect_flows"}).json()
        run = next((r for r in runs if r["run_id"] == run_id), None)
        if run and run["status"] not in ("running",):
            assert run["status"] == "succeeded", run
            return True
        return False

    _wait("collect_flows", finished, 120, log)


@pytest.fixture
def server(web_built: None, tmp_path: Path) -> Iterator[Server]:
    """`stocklab up` on a fresh home (built first: it serves web/dist only if there at start)."""
    home = tmp_path / "home"
    port = _free_port()
    # Only our settings: nothing from the caller's STOCKLAB_* may point elsewhere.
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKLAB_")}
    env.update(
        STOCKLAB_HOME=str(home),
        STOCKLAB_SOURCE="sim",
        STOCKLAB_SIM_CODES="300",
        STOCKLAB_SIM_START=SIM_START,
        STOCKLAB_SIM_NOW=SIM_NOW,
    )
    log = tmp_path / "up.log"
    with log.open("w") as out:
        # cwd: a directory without .env or stocklab.toml, so only the env above applies.
        proc = subprocess.Popen(
            [sys.executable, "-m", "stocklab", "up", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            _wait("stocklab up to serve collected bars", lambda: _ready(client), 180, log)
            srv = Server(base=base, home=home, log=log)
            _collect_flows(client, srv.token, log)
        yield srv
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.timeout(1200)
def test_web_client_in_a_real_browser(server: Server, figure: Callable[[str], None]) -> None:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: ./scripts/test installs it (apt)"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    env = {
        **os.environ,
        "STOCKLAB_E2E_URL": server.base,
        "STOCKLAB_E2E_TOKEN_FILE": str(server.home / "api-token"),
        "STOCKLAB_E2E_ARTIFACTS": str(ARTIFACTS),
        "STOCKLAB_CHROMIUM": str(CHROMIUM),
    }
    done = subprocess.run(
        [npm(), "run", "--silent", "e2e"],
        cwd=WEB,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    print(done.stdout)
    print(done.stderr, file=sys.stderr)
    # The chart's time to five years of daily bars (run.mjs fails the run over 1 s).
    timings = [line.strip() for line in done.stdout.splitlines() if "chart 5Y:" in line]
    for line in timings:
        figure(line)
    assert done.returncode == 0, f"npm run e2e failed:\n{done.stdout}\n{done.stderr}"
    assert len(timings) == 2, f"the e2e did not report the chart's timings:\n{done.stdout}"
    shots = sorted(ARTIFACTS.glob("*.png"))
    print("screenshots:", *(str(p) for p in shots), sep="\n  ")
    names = {p.stem for p in shots}
    for page in (
        "01-dashboard",
        "02-stocks-search",
        "03-stock-daily",
        "04-stock-minute",
        "06-jobs-run",
        "10-stock-ticket-error",
        "11-stock-ticket-placed",
        "12-orders-open",
        "13-orders-cancelled",
        "14-portfolio",
        "15-orders-killed",
        "18-backtest-form",
        "19-backtest-result",
        "20-backtest-report",
        "21-stock-indicators",
        "23-stock-5y",
    ):
        assert page in names, f"no screenshot {page}.png in {ARTIFACTS}"
