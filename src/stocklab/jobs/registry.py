"""Every job by name: what it does, the function that does it, and its default arguments.

The CLI (`stocklab collect daily`), the scheduler and the API all look jobs up here, so
"collect_daily" means one thing everywhere.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from stocklab.jobs import backtest, collect, trade
from stocklab.jobs.context import JobContext


@dataclass(frozen=True)
class Job:
    name: str
    fn: Callable[..., Any]
    description: str
    defaults: dict[str, Any] = field(default_factory=dict)
    trading_days_only: bool = False
    cli_only: frozenset[str] = frozenset()
    """Arguments no schedule, API call or `--arg` may give: `live` is set only by
    `stocklab trade run --live`, after it has said what will trade and asked."""


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
        Job("backtest", backtest.backtest, "백테스트 (전략을 저장된 과거 봉으로 실행)"),
        Job(
            "trade",
            trade.trade,
            "매매 주기 (전략 신호 → 주문)",
            trading_days_only=True,
            cli_only=frozenset({"live"}),
        ),
        Job(
            "reconcile",
            trade.reconcile,
            "주문·체결·잔고 대사",
            trading_days_only=True,
            cli_only=frozenset({"live"}),
        ),
    )
}


def register(job: Job) -> Job:
    """Add a job (user-defined jobs live in modules named by `STOCKLAB_JOB_MODULES`)."""
    known = JOBS.get(job.name)
    if known is not None and _where(known) != _where(job):
        raise ValueError(f"작업 이름 {job.name!r}이 이미 있습니다 ({_where(known)})")
    JOBS[job.name] = job
    return job


def _where(job: Job) -> str:
    """Where a job's function is defined: the same module imported twice is the same job."""
    return f"{job.fn.__module__}.{job.fn.__qualname__}"


def load_job_modules(modules: Iterable[str]) -> None:
    """Import the modules that register extra jobs; a missing one is a clear error."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ValueError(f"작업 모듈 {module!r}을 불러올 수 없습니다: {exc}") from None


def get_job(name: str) -> Job:
    try:
        return JOBS[name]
    except KeyError:
        raise ValueError(f"알 수 없는 작업 {name!r} (있는 작업: {', '.join(JOBS)})") from None


def call(job: Job, ctx: JobContext, args: dict[str, Any]) -> None:
    """In the run's own process: its starter has already refused what it may not pass."""
    job.fn(ctx, **{**job.defaults, **coerce_args(job, args, trusted=True)})


def parameters(job: Job) -> dict[str, Any]:
    """The job's arguments and their types (the first parameter, the context, excluded)."""
    hints = typing.get_type_hints(job.fn)
    names = list(inspect.signature(job.fn).parameters)[1:]
    return {n: hints.get(n, Any) for n in names}


def coerce_args(job: Job, args: dict[str, Any], *, trusted: bool = False) -> dict[str, Any]:
    """Arguments from a command line, a cron table or JSON, as the job's types want them.

    Dates come as `YYYY-MM-DD`, code lists as `a,b` or a list, yes/no as true/false;
    unknown names are refused, and so are the job's CLI-only ones unless `trusted` (the
    run's own process, or `stocklab trade run --live` after its confirmation).
    """
    params = parameters(job)
    out: dict[str, Any] = {}
    for name, value in args.items():
        if name not in params:
            allowed = ", ".join(p for p in params if p not in job.cli_only) or "없음"
            raise ValueError(f"작업 {job.name}에 {name!r} 인자는 없습니다 (허용: {allowed})")
        if name in job.cli_only and not trusted:
            raise ValueError(
                f"작업 {job.name}의 {name} 인자는 여기서 줄 수 없습니다: 실거래는 "
                "`stocklab trade run --live`로만 켭니다 (무엇을 거래할지 보여 주고 확인을 받습니다)"
            )
        out[name] = _coerce(name, value, params[name])
    return out


_YES = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _coerce(name: str, value: Any, hint: Any) -> Any:
    if value is None:
        return None
    kinds = set(typing.get_args(hint)) | {hint}
    if bool in kinds and not isinstance(value, bool):
        if str(value).strip().lower() not in _YES:
            raise ValueError(f"인자 {name}={value!r}는 true 또는 false여야 합니다")
        return _YES[str(value).strip().lower()]
    try:
        if date in kinds and not isinstance(value, date):
            return date.fromisoformat(str(value))
        if any(typing.get_origin(k) in (Sequence, list) for k in kinds):
            items = value.split(",") if isinstance(value, str) else list(value)
            return [str(v).strip() for v in items if str(v).strip()]
        if int in kinds and not isinstance(value, int):
            return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"인자 {name}={value!r}의 형식이 맞지 않습니다") from None
    return value
