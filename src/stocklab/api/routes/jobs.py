"""The schedule, the run history, and "run now" (a mutating route: token required)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from stocklab.api.deps import Reader, SettingsDep
from stocklab.api.errors import BadParam
from stocklab.api.launch import Launcher
from stocklab.api.schemas import JobList, JobRunOut, PlannedJobOut, RunAccepted, problems
from stocklab.jobs.registry import JOBS, get_job
from stocklab.model import JobRun, JobStatus
from stocklab.scheduler.config import load_schedules
from stocklab.scheduler.service import read_heartbeat
from stocklab.store import NotFound

read_router = APIRouter(
    prefix="/api/jobs", tags=["jobs"], responses=problems(400, 401, 404, 422, 503)
)
write_router = APIRouter(prefix="/api/jobs", tags=["jobs"], responses=problems(400, 401, 422, 503))


def _out(run: JobRun) -> JobRunOut:
    return JobRunOut(**run.model_dump(exclude={"args"}))


@read_router.get("", response_model=JobList, summary="작업 일정과 다음 실행 (KST)")
def schedule(request: Request, reader: Reader, settings: SettingsDep) -> JobList:
    scheduler = request.app.state.scheduler
    beat = read_heartbeat(settings)
    if scheduler is not None:
        planned = {p.name: p.next_run for p in scheduler.planned()}
    elif beat:
        planned = {j["name"]: j["next_run"] for j in beat["jobs"]}
    else:
        planned = {}
    jobs = []
    for s in load_schedules(settings).values():
        last = reader.list_job_runs(job=s.name, limit=1)
        jobs.append(
            PlannedJobOut(
                name=s.name,
                description=JOBS[s.name].description,
                cron=s.cron,
                enabled=s.enabled,
                trading_days_only=s.trading_days_only,
                timeout=s.timeout,
                next_run=planned.get(s.name) if s.enabled else None,
                last_status=last[0].status if last else None,
                last_started=last[0].started_at if last else None,
            )
        )
    return JobList(scheduler_alive=beat is not None or scheduler is not None, jobs=jobs)


@read_router.get("/runs", response_model=list[JobRunOut], summary="실행 기록 (최근 것부터)")
def runs(
    reader: Reader,
    name: Annotated[
        str | None,
        Query(
            max_length=64,
            description="작업 이름",
            json_schema_extra={"anyOf": [{"type": "string", "enum": list(JOBS)}]},
        ),
    ] = None,
    status_: Annotated[JobStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1_000)] = 50,
) -> list[JobRunOut]:
    if name is not None and name not in JOBS:
        raise BadParam("name", f"알 수 없는 작업 {name!r} (있는 작업: {', '.join(JOBS)})")
    return [_out(r) for r in reader.list_job_runs(job=name, status=status_, limit=limit)]


@read_router.get("/runs/{run_id}", response_model=JobRunOut, summary="실행 기록 하나")
def one_run(run_id: str, reader: Reader) -> JobRunOut:
    run = reader.get_job_run(run_id)
    if run is None:
        raise NotFound(f"실행 기록 {run_id}가 없습니다 (아직 시작하지 않았을 수 있습니다)")
    return _out(run)


@write_router.post(
    "/{name}/run",
    response_model=RunAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    summary="작업을 지금 한 번 실행 (토큰 필요)",
    responses=problems(429),
)
def run_now(name: str, request: Request) -> RunAccepted:
    """Everything that can refuse the run is checked before its record is written."""
    launch: Launcher = request.app.state.launch
    schedules = launch.schedules()  # loads the user's job modules too
    try:
        get_job(name)
    except ValueError as exc:
        raise BadParam("name", str(exc)) from None
    if name not in schedules:
        hint = " 백테스트는 POST /api/backtests로 시작합니다." if name == "backtest" else ""
        raise BadParam(
            "name",
            f"작업 {name!r}은 인자가 필요하거나 일정에 없어 지금 실행할 수 없습니다 "
            f"(지금 실행할 수 있는 작업: {', '.join(schedules)}).{hint}",
        )
    run_id = launch(name)
    return RunAccepted(run_id=run_id, job=name, status=JobStatus.RUNNING)
