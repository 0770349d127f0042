"""The MongoDB backend's operations and audit: job runs, backtest results, the audit log."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING

from stocklab.barseries import from_epoch
from stocklab.model import (
    SUMMARY_CODES,
    AuditEntry,
    BacktestResult,
    BacktestSummary,
    JobRun,
    JobStatus,
)
from stocklab.store.base import (
    WriteResult,
    check_limit,
    check_offset,
    check_record,
    time_range,
)
from stocklab.store.mongo.connection import (
    MongoBase,
    _doc,
    _load,
    _match,
    _must,
    _translate_errors,
)


@_translate_errors
class MongoOperations(MongoBase):
    """`Operations` and `Audit` on MongoDB."""

    def save_job_run(self, run: JobRun) -> JobRun:
        self._guard("save_job_run")
        check_record(run, JobRun)
        self._c("job_runs").replace_one({"_id": run.run_id}, _doc(run), upsert=True)
        self._audit(
            "save_job_run",
            "job_runs",
            1,
            {"run_id": run.run_id, "job": run.job, "status": run.status.value},
        )
        return run

    def audit_event(self, operation: str, collection: str, detail: dict[str, object]) -> None:
        self._guard(operation)
        self._audit(operation, collection, 0, dict(detail))

    def get_job_run(self, run_id: str) -> JobRun | None:
        return _load(JobRun, self._c("job_runs").find_one({"_id": run_id}))

    def list_job_runs(
        self, job: str | None = None, status: JobStatus | None = None, limit: int = 50
    ) -> list[JobRun]:
        check_limit(limit)
        flt = _match(job=job, status=None if status is None else JobStatus(status).value)
        cursor = (
            self._c("job_runs")
            .find(flt)
            .sort([("started_at", DESCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        return [_must(JobRun, d) for d in cursor]

    def save_backtest(self, result: BacktestResult) -> WriteResult:
        self._guard("save_backtest")
        check_record(result, BacktestResult)
        before = _load(BacktestResult, self._c("backtests").find_one({"_id": result.backtest_id}))
        if before is None:
            self._c("backtests").insert_one({"_id": result.backtest_id, **_doc(result)})
            out = WriteResult(inserted=1)
        elif before != result:
            self._c("backtests").replace_one({"_id": result.backtest_id}, _doc(result))
            out = WriteResult(updated=1)
        else:
            out = WriteResult(unchanged=1)
        self._audit(
            "save_backtest",
            "backtests",
            out.inserted + out.updated,
            {"backtest_id": result.backtest_id, "strategy": result.strategy},
        )
        return out

    def get_backtest(self, backtest_id: str) -> BacktestResult | None:
        return _load(BacktestResult, self._c("backtests").find_one({"_id": backtest_id}))

    def list_backtests(self, limit: int = 50, offset: int = 0) -> list[BacktestSummary]:
        check_limit(limit)
        check_offset(offset)
        cursor = self._c("backtests").aggregate(
            [  # the server leaves trades, equity and most codes behind
                {"$sort": {"created_at": DESCENDING, "_id": ASCENDING}},
                {"$skip": offset},
                {"$limit": limit},
                {"$project": {"trades": 0, "equity": 0}},
                {
                    "$addFields": {
                        "code_count": {"$size": "$codes"},
                        "codes": {"$slice": ["$codes", SUMMARY_CODES]},
                    }
                },
            ]
        )
        return [_must(BacktestSummary, d) for d in cursor]

    def count_backtests(self) -> int:
        return int(self._c("backtests").count_documents({}))

    def list_audit(
        self,
        operation: str | None = None,
        collection: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        check_limit(limit)
        since_ts = None if since is None else from_epoch(int(time_range(since, None)[0] or 0))
        flt = _match(
            operation=operation,
            collection=collection,
            ts=None if since_ts is None else {"$gte": since_ts},
        )
        cursor = (
            self._c("audit")
            .find(flt, {"_id": 0})
            .sort([("ts", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [_must(AuditEntry, d) for d in cursor]
