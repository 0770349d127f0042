"""The MongoDB backend's operations and audit queries: job runs, backtests, the audit log."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING

from stocklab.barseries import from_epoch
from stocklab.model import SUMMARY_CODES, AuditEntry, BacktestSummary, JobRun
from stocklab.store.mongo.connection import MongoBase, _match, _must


class MongoOperations(MongoBase):
    """`Operations` and `Audit` on MongoDB."""

    def _list_job_runs(self, job: str | None, status: str | None, limit: int) -> list[JobRun]:
        cursor = (
            self._c("job_runs")
            .find(_match(job=job, status=status))
            .sort([("started_at", DESCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        return [_must(JobRun, d) for d in cursor]

    def _list_backtests(self, limit: int, offset: int) -> list[BacktestSummary]:
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

    def _count_backtests(self) -> int:
        return int(self._c("backtests").count_documents({}))

    def _list_audit(
        self, operation: str | None, collection: str | None, since: int | None, limit: int
    ) -> list[AuditEntry]:
        flt = _match(
            operation=operation,
            collection=collection,
            ts=None if since is None else {"$gte": from_epoch(since)},
        )
        cursor = (
            self._c("audit")
            .find(flt, {"_id": 0})
            .sort([("ts", DESCENDING), ("_id", DESCENDING)])
            .limit(limit)
        )
        return [_must(AuditEntry, d) for d in cursor]
