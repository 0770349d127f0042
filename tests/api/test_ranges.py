"""Far and odd values are the caller's mistake: every date, time and number parameter
has a range the OpenAPI document states, and a value outside it is a 4xx that names the
value and the range — never a 500 from arithmetic that overflowed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stocklab.bounds import FIRST_DAY, LAST_DAY, LAST_STATUS_DAY
from tests.api.conftest import Api

DATE_PARAMS = [
    ("/api/codes/005930/prices", "start", {}),
    ("/api/codes/005930/prices", "end", {}),
    ("/api/codes/005930/indicators", "start", {"names": "sma5"}),
    ("/api/codes/005930/indicators", "end", {"names": "sma5"}),
    ("/api/codes/005930/flows", "start", {}),
    ("/api/codes/005930/flows", "end", {}),
]
RANGE = f"{FIRST_DAY} ~ {LAST_DAY}"

far_days = st.one_of(
    st.dates(max_value=FIRST_DAY - timedelta(days=1)),
    st.dates(min_value=LAST_DAY + timedelta(days=1)),
    st.sampled_from([date.min, date.max]),
)
offsets = st.sampled_from([UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-12))])
fuzz = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def test_the_issue_examples_are_400_naming_value_and_range(api: Api) -> None:
    for url, params in [
        ("/api/codes/005930/prices", {"end": "9999-12-31"}),
        ("/api/codes/005930/prices", {"start": "0001-01-01"}),
        ("/api/codes/005930/indicators", {"names": "sma5", "end": "9999-12-31"}),
    ]:
        answer = api.client.get(url, params=params)
        assert answer.status_code == 400, answer.text
        problem = answer.json()
        value = next(iter(v for k, v in params.items() if k != "names"))
        assert value in problem["detail"], problem
        assert RANGE in problem["detail"], problem
    status = api.client.get("/api/market/status", params={"at": "9999-12-31T23:59:59+00:00"})
    assert status.status_code == 400
    assert "9999-12-31T23:59:59+00:00" in status.json()["detail"]
    assert f"~ {LAST_STATUS_DAY}" in status.json()["detail"]


@fuzz
@given(day=far_days, which=st.sampled_from(DATE_PARAMS), as_moment=st.booleans(), tz=offsets)
def test_far_dates_are_refused_with_the_range(
    api: Api, day: date, which: tuple[str, str, dict[str, str]], as_moment: bool, tz: timezone
) -> None:
    url, param, extra = which
    text = (
        datetime.combine(day, datetime.min.time(), tz).isoformat() if as_moment else day.isoformat()
    )
    answer = api.client.get(url, params={**extra, param: text})
    assert answer.status_code == 400, (url, param, text, answer.text)
    problem = answer.json()
    assert problem["param"] == param
    assert text in problem["detail"]
    assert RANGE in problem["detail"]


@fuzz
@given(day=st.dates(min_value=FIRST_DAY, max_value=LAST_DAY), which=st.sampled_from(DATE_PARAMS))
def test_dates_inside_the_range_are_answered(
    api: Api, day: date, which: tuple[str, str, dict[str, str]]
) -> None:
    url, param, extra = which
    answer = api.client.get(url, params={**extra, param: day.isoformat()})
    assert answer.status_code == 200, answer.text


@fuzz
@given(moment=st.datetimes(timezones=offsets))
def test_market_status_takes_any_moment_in_its_range_and_refuses_the_rest(
    api: Api, moment: datetime
) -> None:
    answer = api.client.get("/api/market/status", params={"at": moment.isoformat()})
    inside = date(2001, 1, 1) <= moment.date() <= LAST_STATUS_DAY
    assert answer.status_code == (200 if inside else 400), (moment, answer.text)
    if not inside:
        assert moment.isoformat() in answer.json()["detail"]


@fuzz
@given(
    number=st.one_of(
        st.integers(max_value=0), st.integers(min_value=100_001), st.sampled_from([2**63, -(2**63)])
    ),
    where=st.sampled_from(
        [
            ("/api/codes", "limit"),
            ("/api/codes/005930/prices", "limit"),
            ("/api/codes/005930/flows", "limit"),
            ("/api/orders", "limit"),
            ("/api/fills", "limit"),
            ("/api/backtests", "limit"),
            ("/api/jobs/runs", "limit"),
        ]
    ),
)
def test_numbers_out_of_range_are_4xx_naming_the_value(
    api: Api, number: int, where: tuple[str, str]
) -> None:
    url, param = where
    answer = api.client.get(url, params={param: str(number)})
    assert answer.status_code in (400, 422), answer.text
    detail = answer.json()["detail"]
    assert detail.startswith(f"{param}: ")
    assert str(number) in detail or f"{number:,}" in detail
    assert "\n" not in detail


def test_the_document_states_the_ranges(api: Api) -> None:
    doc = api.client.get("/api/openapi.json").json()
    prices = {
        p["name"]: p["schema"]
        for p in doc["paths"]["/api/codes/{code}/prices"]["get"]["parameters"]
    }
    assert [a["format"] for a in prices["end"]["anyOf"]] == ["date", "date-time"]
    assert all(a["pattern"].startswith("^(19|20)") for a in prices["end"]["anyOf"])
    assert prices["code"]["pattern"] == "^[0-9A-Z]{6}$"
    assert prices["limit"]["anyOf"][0]["maximum"] == 100_000
    status = doc["paths"]["/api/market/status"]["get"]["parameters"][0]["schema"]
    assert status["anyOf"][0]["format"] == "date-time"
