"""Every job by name: what it does, the function that does it, and its default arguments.

The CLI (`stocklab collect daily`), the scheduler and the API all look jobs up here, so
"collect_daily" means one thing everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stocklab.jobs import collect
from stocklab.jobs.context import JobContext

JobFn = Callable[..., None]


@dataclass(frozen=True)
class Job:
    name: str
    fn: Callable[..., Any]
    description: str
    defaults: dict[str, Any] = field(default_factory=dict)
    trading_days_only: bool = False


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("collect_codes", collect.collect_codes, "종목 목록 수집 (instruments)"),
        Job(
            "collect_daily", collect.collect_daily, "일봉 수집 (daily bars)", trading_days_only=True
        ),
        Job(
            "collect_minute",
            collect.collect_minute,
            "분봉 수집 (minute bars)",
            trading_days_only=True,
        ),
        Job(
            "collect_flows",
            collect.collect_flows,
            "수급·신용·공매도 수집 (flows)",
            trading_days_only=True,
        ),
    )
}


def get_job(name: str) -> Job:
    try:
        return JOBS[name]
    except KeyError:
        raise ValueError(f"알 수 없는 작업 {name!r} (있는 작업: {', '.join(JOBS)})") from None


def call(job: Job, ctx: JobContext, args: dict[str, Any]) -> None:
    job.fn(ctx, **{**job.defaults, **args})
