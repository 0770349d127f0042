"""API benchmark: stocklab's price route against a Flask app of the seed's shape.

Both servers read the same embedded store (filled by the simulator). The seed's shape is
Flask + flask-restful with a Resource per route returning a list of row dicts; stocklab
answers columns through orjson. Load comes from a second process on loopback.

Two measures, side by side in one run:
- throughput: as many requests as N keep-alive connections can send (`wrk` when it is
  installed, Debian package `wrk`; else a Python generator of concurrent clients, which is
  itself the limit at a few thousand requests/s; the table says which);
- latency at a fixed rate (200 requests/s): an open-loop Python generator (threads with
  `http.client`) sends each request at its due time whatever the earlier ones are doing,
  and counts latency from that due time, so a stall shows in the p99 instead of slowing
  the load down (wrk, a closed loop, would hide it).

    python bench/api.py [--seconds 8] [--connections 8] [--rounds 2] [--rate 200] [--codes 50]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import queue
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from rich.console import Console
from rich.table import Table

SIM_NOW = "2024-11-15T16:00:00+09:00"
DAY = "2024-11-15"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fill(home: Path, codes: int) -> None:
    """A store with a year of daily bars for every code and one day of minute bars."""
    from stocklab.config import load_settings
    from stocklab.jobs.runner import run_job

    settings = load_settings(
        home=home, sim_codes=codes, sim_start=date(2023, 11, 1), sim_now=SIM_NOW
    )
    for job, args in (
        ("collect_codes", {}),
        ("collect_daily", {}),
        ("collect_minute", {"codes": ["005930"]}),
    ):
        run = run_job(job, args, settings=settings, interactive=False)
        assert run.error is None, run.error


# -- the two servers (each runs in its own process) -----------------------------------------


def serve_stocklab(home: str, port: int) -> None:
    import uvicorn

    from stocklab.api import create_app, server_config
    from stocklab.config import load_settings

    settings = load_settings(home=Path(home), sim_now=SIM_NOW)
    app = create_app(settings, web_dist=None)
    uvicorn.Server(server_config(app, "127.0.0.1", port)).run()  # as `stocklab up` serves it


def serve_flask(home: str, port: int) -> None:
    """The seed's shape: Flask + flask-restful, rows as dicts, the stdlib JSON encoder."""
    import logging

    from flask import Flask, request
    from flask_restful import Api, Resource

    from stocklab.store import open_store

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    reader = open_store(f"sqlite:///{Path(home) / 'stocklab.db'}", readonly=True)
    app = Flask(__name__)
    api = Api(app)

    class Price(Resource):
        def get(self, code: str) -> list[dict[str, Any]]:
            tf = request.args.get("tf", "1d")
            start, end = request.args.get("start"), request.args.get("end")
            bars = reader.load_bars(
                code,
                tf,
                date.fromisoformat(start) if start else None,
                date.fromisoformat(end) if end else None,
            )
            return [
                {
                    "time": int(t),
                    "open": int(o),
                    "high": int(h),
                    "low": int(lo),
                    "close": int(c),
                    "volume": int(v),
                }
                for t, o, h, lo, c, v in zip(
                    bars.ts, bars.open, bars.high, bars.low, bars.close, bars.volume, strict=True
                )
            ]

    api.add_resource(Price, "/codes/<string:code>/price")
    app.run(host="127.0.0.1", port=port, threaded=True)


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not start: {url}")


# -- load -----------------------------------------------------------------------------------


def _client_load(url: str, seconds: float, connections: int, out: Any) -> None:
    """Runs in its own process: N keep-alive clients in threads, every latency recorded."""
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def worker() -> None:
        nonlocal errors
        mine: list[float] = []
        bad = 0
        with httpx.Client(timeout=10) as client:
            while time.monotonic() < stop:
                t = time.perf_counter()
                r = client.get(url)
                mine.append(time.perf_counter() - t)
                bad += r.status_code != 200
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    out.put({"latencies": latencies, "elapsed": elapsed, "errors": errors})


def _in_process(target: Any, *args: Any, wait: float) -> dict[str, float]:
    """Runs a load generator in a second process; its latencies summed up, in ms."""
    ctx = mp.get_context("spawn")
    queue: mp.Queue[dict[str, Any]] = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get(timeout=wait + 60)
    proc.join()
    lat = sorted(result["latencies"])
    return {
        "rps": len(lat) / result["elapsed"],
        "p50": statistics.median(lat) * 1e3,
        "p99": lat[int(len(lat) * 0.99) - 1] * 1e3,
        "max": lat[-1] * 1e3,
        "errors": result["errors"],
    }


def load_python(url: str, seconds: float, connections: int) -> dict[str, float]:
    return _in_process(_client_load, url, seconds, connections, wait=seconds)


def _paced_load(url: str, rate: float, seconds: float, connections: int, out: Any) -> None:
    """Runs in its own process: a dispatcher hands each request's due time to N keep-alive
    clients (threads with `http.client`, light enough not to be the limit at this rate);
    when all are busy the request waits in the queue, and its wait counts."""
    parts = urlsplit(url)
    path = f"{parts.path}?{parts.query}"
    jobs: queue.SimpleQueue[float | None] = queue.SimpleQueue()
    ready = threading.Barrier(connections + 1)
    latencies: list[float] = []
    errors = 0

    def get(conn: http.client.HTTPConnection) -> int:
        conn.request("GET", path)
        res = conn.getresponse()
        res.read()
        return res.status

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        get(conn)  # connect before the clock starts
        ready.wait()
        while (due := jobs.get()) is not None:
            status = get(conn)
            latencies.append(time.perf_counter() - due)  # list.append is atomic
            errors += status != 200
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    ready.wait()
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        due = start + i / rate
        time.sleep(max(0.0, due - time.perf_counter()))
        jobs.put(due)
    for _ in threads:
        jobs.put(None)
    for t in threads:
        t.join()
    out.put({"latencies": latencies, "elapsed": time.perf_counter() - start, "errors": errors})


def load_paced(url: str, rate: float, seconds: float, connections: int) -> dict[str, float]:
    return _in_process(_paced_load, url, rate, seconds, connections, wait=seconds)


def load_wrk(url: str, seconds: float, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(token: str) -> float:
        for suffix, scale in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
            if token.endswith(suffix):
                return float(token.removesuffix(suffix)) * scale
        raise ValueError(token)

    lines = out.splitlines()
    rps = float(next(x for x in lines if x.startswith("Requests/sec")).split()[1])
    p50 = ms(next(x for x in lines if x.strip().startswith("50%")).split()[1])
    p99 = ms(next(x for x in lines if x.strip().startswith("99%")).split()[1])
    errors = sum(int(x.split()[-1]) for x in lines if "Non-2xx" in x)
    return {"rps": rps, "p50": p50, "p99": p99, "errors": errors}


STOCKLAB = "stocklab (FastAPI + orjson columns)"
FLASK = "seed shape (Flask + flask-restful rows)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rate", type=float, default=200, help="requests/s of the paced run")
    parser.add_argument("--rounds", type=int, default=2, help="throughput: best of N")
    parser.add_argument("--codes", type=int, default=50)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    console = Console(width=130)
    generator = "wrk" if shutil.which("wrk") else "python (httpx, threads)"
    load = load_wrk if shutil.which("wrk") else load_python
    cases = {
        "1d, one year": "?tf=1d&start=2023-11-15&end=2024-11-15",
        "1m, one day": f"?tf=1m&start={DAY}&end={DAY}",
    }
    results: dict[str, dict[str, dict[str, float]]] = {}
    paced: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        fill(home, args.codes)
        ports = {"stocklab": free_port(), "flask": free_port()}
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        procs = [
            subprocess.Popen(
                [sys.executable, __file__, "--serve", name, str(home), str(port)], env=env
            )
            for name, port in ports.items()
        ]
        try:
            wait_up(f"http://127.0.0.1:{ports['stocklab']}/api/health")
            wait_up(f"http://127.0.0.1:{ports['flask']}/codes/005930/price?tf=1d")
            for case, query in cases.items():
                urls = {
                    STOCKLAB: f"http://127.0.0.1:{ports['stocklab']}/api/codes/005930/prices{query}",
                    FLASK: f"http://127.0.0.1:{ports['flask']}/codes/005930/price{query}",
                }
                results[case], paced[case] = {}, {}
                for url in urls.values():
                    load(url, 1.0, args.connections)  # warm up
                # Best of `--rounds`, the servers alternating, so a burst of other work on
                # this small machine does not decide the comparison.
                for _ in range(args.rounds):
                    for name, url in urls.items():
                        r = load(url, args.seconds, args.connections)
                        if r["rps"] > results[case].get(name, {"rps": 0.0})["rps"]:
                            body = httpx.get(url).json()
                            r["bars"] = len(body["t"]) if isinstance(body, dict) else len(body)
                            results[case][name] = r
                for name, url in urls.items():
                    paced[case][name] = load_paced(url, args.rate, args.seconds, args.connections)
        finally:
            for p in procs:
                p.terminate()
                p.wait(timeout=10)
    each = f"{args.connections} connections, best of {args.rounds} × {args.seconds:.0f}s"
    table = Table(title=f"GET prices, throughput: {each}, load: {generator}")
    for col in ("case", "server", "bars", "requests/s", "vs seed", "p50 ms", "p99 ms", "errors"):
        table.add_column(col)
    for case, by_server in results.items():
        base = by_server[FLASK]["rps"]
        for name, r in by_server.items():
            table.add_row(
                case, name, f"{int(r['bars']):,}", f"{r['rps']:,.0f}", f"{r['rps'] / base:.2f}×",
                f"{r['p50']:.2f}", f"{r['p99']:.2f}", str(int(r["errors"])),
            )  # fmt: skip
    console.print(table)
    table = Table(
        title=f"GET prices, latency at {args.rate:.0f} requests/s (open loop, from the due time)"
    )
    for col in ("case", "server", "requests/s", "p50 ms", "p99 ms", "max ms", "errors"):
        table.add_column(col)
    for case, by_server in paced.items():
        for name, r in by_server.items():
            table.add_row(
                case, name, f"{r['rps']:,.0f}", f"{r['p50']:.2f}", f"{r['p99']:.2f}",
                f"{r['max']:.2f}", str(int(r["errors"])),
            )  # fmt: skip
    console.print(table)
    console.print(
        "targets: one year of daily prices p99 ≤ 10 ms at 200 requests/s; "
        "throughput ≥ 3× the seed shape"
    )
    if args.json:
        args.json.write_text(json.dumps({"throughput": results, "paced": paced}, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        server, home_dir, port_text = sys.argv[2], sys.argv[3], int(sys.argv[4])
        (serve_stocklab if server == "stocklab" else serve_flask)(home_dir, port_text)
    else:
        main()
