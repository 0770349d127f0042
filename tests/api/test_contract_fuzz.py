"""Contract fuzzing: schemathesis generates requests from the app's own OpenAPI document
and checks every answer: no 5xx, and every response matches its documented schema.

(Driven through its Python API with hypothesis directly: schemathesis 4's pytest plugin
does not run under pytest 9.)"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from stocklab.config import load_settings
from tests.api.conftest import SIM_NOW, Api, filled_settings, serve

EXAMPLES = 40  # per operation; bounded so CI stays fast
CHECKS = [
    not_a_server_error,  # no 5xx, whatever the input
    status_code_conformance,  # every status answered is documented
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,  # every body matches its documented schema
]
# Not checked: "every schema-valid request succeeds" — a backwards date range or an unknown
# code is schema-valid and must be a 4xx, which is the point of the error contract.


def operations(base: str) -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_url(f"{base}/api/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def fuzz(
    operation: schemathesis.APIOperation, base: str, headers: dict[str, str] | None = None
) -> None:
    """Run one operation's generated cases through the checks; fail with its label."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=base, checks=CHECKS, headers=headers)

    try:
        check()
    except Exception as exc:
        pytest.fail(f"{operation.label}: {exc}")


def test_no_server_errors_and_responses_match_the_schema(served_home: Path) -> None:
    settings_ = load_settings(
        home=served_home, sim_codes=40, sim_start=date(2024, 6, 3), sim_now=SIM_NOW
    )
    for api in serve(settings_):
        ops = operations(api.base)
        assert len(ops) >= 10
        for operation in ops:
            fuzz(operation, api.base)


# Starting a job or a backtest runs a real child process per example; their bad input is
# tested on its own (tests/api/test_routes.py, tests/backtest/test_api.py).
LAUNCHERS = {"POST /api/jobs/{name}/run", "POST /api/backtests"}


def test_mutating_routes_with_the_token(tmp_path: Path) -> None:
    """Past the token, the bodies themselves: orders, cancels, the kill switch. A store of
    its own, in a session (10:00:30), so orders reach the paper broker."""
    settings_ = filled_settings(tmp_path / "home", sim_now="2024-11-15T10:00:30+09:00")
    for api in serve(settings_):
        ops = [
            op
            for op in operations(api.base)
            if op.method.upper() != "GET" and op.label not in LAUNCHERS
        ]
        assert {op.label for op in ops} >= {"POST /api/orders", "POST /api/kill"}
        for operation in ops:
            fuzz(operation, api.base, headers=api.auth())


def test_schema_documents_errors(api: Api) -> None:
    doc = api.client.get("/api/openapi.json").json()
    prices = doc["paths"]["/api/codes/{code}/prices"]["get"]["responses"]
    assert {"200", "400", "404", "422"} <= set(prices)
    assert "application/problem+json" in prices["400"]["content"]
    run = doc["paths"]["/api/jobs/{name}/run"]["post"]["responses"]
    assert "401" in run
