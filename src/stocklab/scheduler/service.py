"""The scheduler: APScheduler cron triggers in Asia/Seoul, one process per run.

APScheduler decides *when* (cron, `max_instances=1`, coalescing missed runs, a misfire
grace time); `fire` decides *whether* (trading days only: a KRX holiday is recorded as a
skipped run) and hands the work to `run_in_process`. A job that fails, hangs or crashes
ends as a record; the scheduler itself keeps going. A heartbeat file tells the API that
the scheduler is alive.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from stocklab.config import Settings
from stocklab.jobs.runner import end_unstarted_runs, new_run_id, reap_stale_runs
from stocklab.krx import is_trading_day
from stocklab.model import KST, JobRun, JobStatus, now_kst
from stocklab.runtime.store import store_for
from stocklab.scheduler.config import JobSchedule, load_schedules
from stocklab.scheduler.process import Children, prune_logs, run_in_process

log = logging.getLogger("stocklab.scheduler")
# APScheduler logs every run and every overlap skip; the run history says it better.
logging.getLogger("apscheduler").setLevel(logging.ERROR)

HEARTBEAT_SECONDS = 15
MISFIRE_GRACE_SECONDS = 300
WORKERS = 4


@dataclass(frozen=True)
class PlannedJob:
    """A job as `schedule list` and the API show it."""

    name: str
    cron: str
    enabled: bool
    trading_days_only: bool
    timeout: int
    next_run: datetime | None


class Scheduler:
    """Owns the cron triggers, the running job processes and the heartbeat."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        extra: dict[str, JobSchedule] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or settings.now
        self.schedules = {**load_schedules(settings), **(extra or {})}
        self.children = Children()
        self.store = store_for(settings, actor="scheduler")
        self._aps = BackgroundScheduler(
            timezone=KST,
            executors={"default": ThreadPoolExecutor(WORKERS)},
            job_defaults={
                "max_instances": 1,
                "coalesce": True,
                "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            },
        )
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    # -- running ---------------------------------------------------------------------

    def start(self) -> None:
        self.settings.ensure_home()
        reap_stale_runs(self.store)
        prune_logs(self.settings)
        for schedule in self.schedules.values():
            if schedule.enabled:
                self._aps.add_job(
                    self.fire, schedule.trigger(), args=[schedule.name], id=schedule.name,
                    name=schedule.name,
                )  # fmt: skip
        self._aps.start()
        self._beat = threading.Thread(target=self._heartbeat, name="heartbeat", daemon=True)
        self._beat.start()
        log.info("스케줄러 시작: 작업 %d개 (pid %d)", len(self._aps.get_jobs()), os.getpid())

    def run_once(
        self, name: str, *, trigger: str = "manual", delay: float = 0.0, run_id: str | None = None
    ) -> str:
        """Queue one run of `name` now (or after `delay` seconds); returns its run id."""
        if name not in self.schedules:
            raise ValueError(f"알 수 없는 작업 {name!r} (있는 작업: {', '.join(self.schedules)})")
        run_id = run_id or new_run_id(name)
        when = datetime.now(KST) + timedelta(seconds=delay)
        self._aps.add_job(
            self.fire, "date", run_date=when, args=[name],
            kwargs={"trigger": trigger, "run_id": run_id, "calendar": False},
            id=run_id, misfire_grace_time=None,
        )  # fmt: skip
        return run_id

    def run_sequence(self, names: list[str], *, trigger: str = "manual") -> None:
        """Queue runs that must follow each other (codes before bars); stops at a failure."""
        for name in names:
            if name not in self.schedules:
                raise ValueError(f"알 수 없는 작업 {name!r}")

        def chain() -> None:
            for name in names:
                run = self.fire(name, trigger=trigger, calendar=False)
                if run is None or run.status is not JobStatus.SUCCEEDED:
                    log.warning("%s가 끝나지 못해 다음 작업을 건너뜁니다", name)
                    return

        self._aps.add_job(chain, "date", run_date=datetime.now(KST), misfire_grace_time=None)

    def shutdown(self) -> None:
        """Stop triggering, stop every job process, let their records be finished."""
        self._stop.set()
        if self._aps.running:
            self._aps.pause()  # no new runs from here on
        self.children.stop_all()
        if self._aps.running:
            self._aps.shutdown(wait=True)
        # runs queued here that never started (or whose thread never settled) end too
        end_unstarted_runs(self.store, "stocklab이 종료되어 시작하지 않았습니다")
        self._heartbeat_file().unlink(missing_ok=True)
        self.store.close()
        log.info("스케줄러 종료")

    def fire(
        self,
        name: str,
        *,
        trigger: str = "schedule",
        at: datetime | None = None,
        run_id: str | None = None,
        calendar: bool = True,
    ) -> JobRun | None:
        """One run of `name` now: on a schedule, skipped on non-trading days if the job says so.

        A run asked for by a person (`calendar=False`) runs whatever the day. Returns the
        finished record, or None when the scheduler is shutting down.
        """
        schedule = self.schedules[name]
        when = (at or self.clock()).astimezone(KST)
        if calendar and schedule.trading_days_only and not is_trading_day(when.date()):
            skipped = JobRun(
                run_id=run_id or new_run_id(name),
                job=name,
                status=JobStatus.SKIPPED,
                trigger=trigger,
                started_at=now_kst(),
                ended_at=now_kst(),
                pid=os.getpid(),
                error=f"{when:%Y-%m-%d}은 KRX 휴장일이라 건너뜁니다",
            )
            self.store.save_job_run(skipped)
            log.info("%s 건너뜀: %s는 휴장일", name, when.date())
            return skipped
        if self.children.closing:
            log.info("%s: 종료 중이라 시작하지 않습니다", name)
            queued = self.store.get_job_run(run_id) if run_id else None
            if queued is not None and queued.status is JobStatus.RUNNING:
                self.store.save_job_run(
                    queued.model_copy(
                        update={
                            "status": JobStatus.INTERRUPTED,
                            "ended_at": now_kst(),
                            "error": "stocklab이 종료되어 시작하지 않았습니다",
                        }
                    )
                )
            return None
        return run_in_process(
            self.settings, name, schedule.args, trigger=trigger, timeout=schedule.timeout,
            children=self.children, store=self.store, run_id=run_id,
        )  # fmt: skip

    # -- what is planned ---------------------------------------------------------------

    def planned(self) -> list[PlannedJob]:
        jobs = {j.id: j for j in self._aps.get_jobs()} if self._aps.running else {}
        now = datetime.now(KST)
        out = []
        for s in self.schedules.values():
            aps = jobs.get(s.name)
            if aps is not None:
                nxt = aps.next_run_time
            else:
                nxt = s.trigger().get_next_fire_time(None, now) if s.enabled else None
            out.append(PlannedJob(s.name, s.cron, s.enabled, s.trading_days_only, s.timeout, nxt))
        return out

    # -- heartbeat ---------------------------------------------------------------------

    def _heartbeat_file(self) -> Path:
        return heartbeat_path(self.settings)

    def _heartbeat(self) -> None:
        while not self._stop.is_set():
            write_heartbeat(self.settings, self.planned())
            self._stop.wait(HEARTBEAT_SECONDS)


def heartbeat_path(settings: Settings) -> Path:
    return settings.home / "scheduler.json"


def write_heartbeat(settings: Settings, planned: list[PlannedJob]) -> None:
    """Atomically write who runs the scheduler, when it last beat, and what comes next."""
    path = heartbeat_path(settings)
    data: dict[str, Any] = {
        "pid": os.getpid(),
        "heartbeat": datetime.now(KST).isoformat(),
        "jobs": [
            {
                "name": p.name,
                "cron": p.cron,
                "enabled": p.enabled,
                "trading_days_only": p.trading_days_only,
                "timeout": p.timeout,
                "next_run": p.next_run.isoformat() if p.next_run else None,
            }
            for p in planned
        ],
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def read_heartbeat(
    settings: Settings, max_age: float = 3 * HEARTBEAT_SECONDS
) -> dict[str, Any] | None:
    """The scheduler's last heartbeat if it is recent and its process lives, else None."""
    path = heartbeat_path(settings)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        beat = datetime.fromisoformat(data["heartbeat"])
        os.kill(int(data["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if (datetime.now(KST) - beat).total_seconds() > max_age:
        return None
    return data
