"""The token: made once (0600), required where it should be, refused when weak."""

from __future__ import annotations

from pathlib import Path

import pytest

from stocklab.api.auth import ensure_token, token_path
from stocklab.config import ConfigError, load_settings
from tests.api.conftest import SIM_NOW, serve


def test_token_file_is_made_once_with_owner_only_access(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "home")
    first = ensure_token(settings)
    path = token_path(settings)
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(first) >= 32
    assert ensure_token(settings) == first


@pytest.mark.parametrize("weak", ["", "changeme", "short-token", "   "])
def test_weak_or_empty_tokens_refuse_to_serve(tmp_path: Path, weak: str) -> None:
    settings = load_settings(home=tmp_path / "home", api_token=weak)
    with pytest.raises(ConfigError, match="토큰"):
        ensure_token(settings)


def test_reads_need_the_token_when_configured_and_cors_is_closed_by_default(
    served_home: Path,
) -> None:
    settings = load_settings(home=served_home, sim_now=SIM_NOW, api_auth_reads=True)
    for api in serve(settings):
        open_read = api.client.get("/api/codes")
        assert open_read.status_code == 401
        assert api.client.get("/api/codes", headers=api.auth()).status_code == 200
        preflight = api.client.options(
            "/api/codes",
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_only_the_configured_origin(served_home: Path) -> None:
    origin = "http://localhost:5173"
    settings = load_settings(home=served_home, sim_now=SIM_NOW, api_cors_origins=[origin])
    for api in serve(settings):
        ok = api.client.get("/api/health", headers={"Origin": origin})
        assert ok.headers["access-control-allow-origin"] == origin
        other = api.client.get("/api/health", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers
