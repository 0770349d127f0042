"""Contract fuzzing: schemathesis generates requests from the app's own OpenAPI document
and runs every check it has — no 5xx, every status and body as documented, every
schema-valid request accepted and every schema-violating one refused — over single
requests (both generation modes) and over chained ones (the stateful phase).

(Driven through its Python API with hypothesis directly: schemathesis 4's pytest plugin
does not run under pytest 9.)"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from hypothesis.stateful import rule
from schemathesis import GenerationMode
from schemathesis.checks import CheckContext
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.specs.openapi.checks import positive_data_acceptance

from stocklab.config import load_settings
from tests.api.conftest import SIM_NOW, Api, filled_settings, serve

EXAMPLES = 30  # per operation and mode; bounded so CI stays fast
TIMEOUT = 60
"""Seconds a request may take: a loaded CI machine is slow, and a timeout in the stateful
phase cannot be replayed (the server's state has moved on), so it would hide the cause."""

CROSS_RULES = ("기간이 거꾸로입니다", "보다 작아야 합니다", "본문의 client_id와 다릅니다")
"""Rules between two values that JSON Schema cannot state, so the document states them in
words: start ≤ end, MACD's fast period below its slow one, one order key (body or
header) at a time. A schema-valid request
that breaks one is refused with 400 and these words; every other refusal of a
schema-valid request is a failure."""


def valid_data_accepted(ctx: CheckContext, response: Any, case: schemathesis.Case) -> bool | None:
    """schemathesis' positive_data_acceptance, except for the cross-value rules above."""
    if response.status_code == 400 and any(w in response.text for w in CROSS_RULES):
        return None
    return positive_data_acceptance(ctx, response, case)


def operations(base: str) -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_url(f"{base}/api/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def fuzz(
    operation: schemathesis.APIOperation, base: str, headers: dict[str, str] | None = None
) -> None:
    """Run one operation's generated cases, valid and invalid, through every check; fail
    with its label."""
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(
                base_url=base,
                headers=headers,
                timeout=TIMEOUT,
                excluded_checks=[positive_data_acceptance],
                additional_checks=[valid_data_accepted],
            )

        try:
            check()
        except Unsatisfiable:  # nothing to send wrong: no parameters and no body
            assert mode is GenerationMode.NEGATIVE, operation.label
        except Exception as exc:
            pytest.fail(f"{operation.label} ({mode.value}): {exc}")


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


def test_chained_requests_keep_the_contract(tmp_path: Path) -> None:
    """The stateful phase: schemathesis follows the document's links (an order placed,
    then read, changed and cancelled by the id it answered) with the token, in a session,
    and every answer along the way passes every check. Besides its own random orders
    (mostly refused), it gets resting limit orders on real codes, so the links have live
    orders to follow."""
    settings_ = filled_settings(tmp_path / "home", sim_now="2024-11-15T10:00:30+09:00")
    for api in serve(settings_):
        placed = chain(api)
        assert placed.count(201) >= 5, placed
        history = api.client.get("/api/orders", params={"limit": 1000}).json()
        assert {o["status"] for o in history} & {"cancelled", "replaced"}, "no link followed"


def chain(api: Api) -> list[int]:
    """Run the state machine against `api`; the statuses of the resting orders it placed."""
    schema = schemathesis.openapi.from_url(f"{api.base}/api/openapi.json")
    schema = schema.exclude(name=sorted(LAUNCHERS))
    machine = schema.as_state_machine()
    place = schema["/api/orders"]["POST"]
    codes = ["005930", "000660", "005380", "000270"]
    lowest = {c: api.client.get(f"/api/codes/{c}/quote").json()["lower"] for c in codes}
    tickets = st.builds(
        lambda code, qty: {"code": code, "side": "buy", "qty": qty, "price": lowest[code]},
        st.sampled_from(codes),
        st.integers(1, 5),
    )
    auth = api.auth()
    placed: list[int] = []

    class Chained(machine):  # type: ignore[misc,valid-type]
        @rule(target=machine.bundles["POST /api/orders -> 201"], body=tickets)
        def resting_order(self, body: dict[str, Any]) -> StepOutput:
            output = self.step(StepInput.initial(place.Case(body=body)))
            placed.append(output.response.status_code)
            return output

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": api.base, "headers": auth, "timeout": TIMEOUT}

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            case.validate_response(
                response,
                excluded_checks=[positive_data_acceptance],
                additional_checks=[valid_data_accepted],
                headers=auth,
            )

    Chained.run(
        settings=settings(
            max_examples=60,
            stateful_step_count=10,
            derandomize=True,  # the same sequences every run: the caller's asserts hold
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    return placed
