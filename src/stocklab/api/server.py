"""How the API is served: one uvicorn worker, the same for `stocklab up` and the benchmark."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI


def server_config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    """No access log (the trader's log stays readable), and no proxy-header rewriting:
    the server binds to loopback by default and sits behind no proxy."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
    )
