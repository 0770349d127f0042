"""The FastAPI application: routers per area, auth per router, problem+json errors,
and the built web client served at `/` so one port serves the whole product."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from stocklab import __version__
from stocklab.api import errors, gate
from stocklab.api.auth import ensure_token, require_token
from stocklab.api.launch import Launcher
from stocklab.api.routes import backtests, codes, jobs, system, trading
from stocklab.config import Settings
from stocklab.errors import SourceError, StorageFailure
from stocklab.jobs.runner import reap_stale_runs
from stocklab.runtime.store import store_for
from stocklab.runtime.trading import open_manager
from stocklab.store import Store

if TYPE_CHECKING:
    from stocklab.scheduler.service import Scheduler

log = logging.getLogger("stocklab.api")

PACKAGED_WEB = Path(__file__).resolve().parents[1] / "webclient"
"""The built web client inside an installed package (setup.py copies it at build time)."""
CHECKOUT_WEB = Path(__file__).resolve().parents[3] / "web" / "dist"
"""Where `npm run build` puts the web client in a source checkout."""
WEB_DIST = PACKAGED_WEB if (PACKAGED_WEB / "index.html").is_file() else CHECKOUT_WEB


def create_app(
    settings: Settings, *, scheduler: Scheduler | None = None, web_dist: Path | None = WEB_DIST
) -> FastAPI:
    """The API over the configured store; refuses to build with an empty or weak token."""
    token = ensure_token(settings)
    app = FastAPI(
        title="stocklab API",
        version=__version__,
        description=(
            "한국 주식 자동매매 시스템 stocklab의 REST API. "
            "변경하는 요청에는 Bearer 토큰이 필요합니다."
        ),
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
        # No OpenTelemetry: nothing leaves the machine, and the per-request check of the
        # providers cost about a tenth of a price request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    store = store_for(settings, actor="api")
    app.state.settings = settings
    app.state.store = store
    app.state.reader = store.reader()
    app.state.token = token
    app.state.scheduler = scheduler
    app.state.launch = Launcher(app, settings)
    try:
        reap_stale_runs(store)  # runs a killed server left 'running' end 'interrupted'
    except StorageFailure as exc:  # a broken store still serves health and the kill switch
        log.warning("could not check the run history at start: %s", exc)
    _open_trading(app, settings, store)
    errors.install(app)
    gate.install(app)  # the token and body size, before any body is read
    app.add_middleware(GZipMiddleware, minimum_size=2_000)  # the code list and long series
    if settings.api_cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api_cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    # Reads are open on loopback unless STOCKLAB_API_AUTH_READS asks for the token too;
    # attaching the check only then keeps the OpenAPI document honest about it.
    writes = [Depends(require_token)]
    reads = writes if settings.api_auth_reads else []
    app.include_router(system.router, dependencies=reads)
    app.include_router(codes.router, dependencies=reads)
    app.include_router(jobs.read_router, dependencies=reads)
    app.include_router(jobs.write_router, dependencies=writes)
    app.include_router(trading.read_router, dependencies=reads)
    app.include_router(trading.write_router, dependencies=writes)
    app.include_router(backtests.read_router, dependencies=reads)
    app.include_router(backtests.write_router, dependencies=writes)
    if web_dist is not None and (web_dist / "index.html").is_file():
        _serve_web(app, web_dist)
    return app


def _open_trading(app: FastAPI, settings: Settings, store: Store) -> None:
    """The one order manager the trading routes share. Building it opens no connection
    and loads nothing (the simulator builds its market on first use); a configured source
    that cannot be opened (a key missing) leaves the rest of the API serving, and the
    trading routes answer with its error."""
    app.state.order_manager = None
    app.state.order_manager_error = None
    try:
        app.state.order_manager = open_manager(settings, store)
    except (SourceError, StorageFailure) as exc:  # the trading routes answer 503 with it
        log.warning("주문 관리자를 만들지 못했습니다: %s", exc)
        app.state.order_manager_error = exc


class _HashedAssets(StaticFiles):
    """Vite names every file in assets/ by a hash of its content, so a browser may keep it
    as long as it likes: a new build brings new names."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


# index.html names the current build's assets: the browser asks again every time.
_FRESH = {"Cache-Control": "no-cache"}


def _serve_web(app: FastAPI, dist: Path) -> None:
    """Static assets, and index.html for every client-side route (but never for /api)."""
    assets = dist / "assets"
    if assets.is_dir():
        app.mount("/assets", _HashedAssets(directory=assets), name="assets")
    index = dist / "index.html"

    @app.get("/{path:path}", include_in_schema=False, response_model=None)
    def web(path: str) -> FileResponse | JSONResponse:
        if path.startswith("api/") or path == "api":
            return errors.problem(
                404, f"/{path}: 없는 주소입니다 (API 문서: /api/docs)", f"/{path}"
            )
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and dist.resolve() in candidate.parents:
            return FileResponse(candidate)
        return FileResponse(index, headers=_FRESH)
