"""`max_instances=1` and coalescing, on real job processes: a slow job never runs twice at
once, and runs missed while the scheduler stalled become one run, not a burst."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

import pytest

from stocklab.model import JobRun, JobStatus, now_kst
from stocklab.scheduler.service import read_heartbeat
from tests.support.scheduling import QUIET, poll, running_scheduler


def test_a_slow_job_due_every_second_never_overlaps_itself(job_env: pytest.MonkeyPatch) -> None:
    jobs = {**QUIET, "test_slow": {"cron": "* * * * * *", "timeout": 30, "args": {"seconds": 3}}}
    with running_scheduler(job_env, jobs) as (scheduler, store):

        def three_done() -> list[JobRun] | None:
            done = [
                r
                for r in store.list_job_runs(job="test_slow", limit=100)
                if r.status is JobStatus.SUCCEEDED
            ]
            return done if len(done) >= 3 else None

        poll(three_done, timeout=40, every=0.2)
        assert read_heartbeat(scheduler.settings) is not None  # still alive after skipping overlaps
    history = sorted(store.list_job_runs(job="test_slow", limit=100), key=lambda r: r.started_at)
    assert not [r for r in history if r.status is JobStatus.RUNNING]
    assert len({r.pid for r in history}) == len(history)
    for before, after in itertools.pairwise(history):
        assert before.ended_at is not None
        assert before.ended_at <= after.started_at, f"{before.run_id} overlaps {after.run_id}"
        # the next run follows soon after: skipped instants are dropped, not the schedule
        assert after.started_at - before.ended_at < timedelta(seconds=5)
    for run in history[:3]:
        assert run.status is JobStatus.SUCCEEDED
        assert run.ended_at is not None
        assert run.ended_at - run.started_at >= timedelta(seconds=3)


def test_runs_missed_while_the_scheduler_stalled_coalesce_into_one(
    job_env: pytest.MonkeyPatch,
) -> None:
    jobs = {
        **QUIET,
        "test_echo": {"cron": "* * * * * *", "timeout": 30, "trading_days_only": False},
    }
    with running_scheduler(job_env, jobs) as (scheduler, store):
        aps = scheduler._aps  # to stall triggering, as a suspended machine or a blocked loop would
        poll(lambda: store.list_job_runs(job="test_echo", status=JobStatus.SUCCEEDED), 30)
        aps.pause()
        time.sleep(1)  # a run handed over just before the pause has shown itself by now
        poll(lambda: not scheduler.children.running(), 30)
        poll(lambda: not store.list_job_runs(status=JobStatus.RUNNING), 30)
        stalled = now_kst()
        time.sleep(4.5)  # at least four instants missed
        aps.resume()
        poll(scheduler.children.running, 10, every=0.02)  # the catch-up run has started
        aps.pause()  # nothing new from here on; what was already handed over still runs
        poll(lambda: not scheduler.children.running(), 30)
        time.sleep(2.5)  # were more catch-up runs handed over, the next one is running now
    caught_up = [
        r for r in store.list_job_runs(job="test_echo", limit=100) if r.started_at > stalled
    ]
    assert len(caught_up) == 1, [(r.run_id, r.started_at) for r in caught_up]
    assert caught_up[0].status is JobStatus.SUCCEEDED
