"""The SQLite backend's operations and audit queries: job runs, backtests, the audit log."""

from __future__ import annotations

import json

from stocklab.model import AuditEntry, BacktestResult, BacktestSummary, JobRun
from stocklab.store.records import from_json
from stocklab.store.sqlite.connection import SqliteBase, _from_ms, _where


class SqliteOperations(SqliteBase):
    """`Operations` and `Audit` on SQLite."""

    def _list_job_runs(self, job: str | None, status: str | None, limit: int) -> list[JobRun]:
        where, params = _where(job=job, status=status)
        rows = self._read(
            f"SELECT data FROM job_runs{where} ORDER BY started_at DESC, run_id LIMIT ?",
            [*params, limit],
        )
        return [from_json(JobRun, r[0]) for r in rows]

    def _list_backtests(self, limit: int, offset: int) -> list[BacktestSummary]:
        rows = self._read(
            "SELECT summary, CASE WHEN summary IS NULL THEN data END FROM backtests"
            " ORDER BY created_at DESC, backtest_id LIMIT ? OFFSET ?",
            [limit, offset],
        )
        return [
            BacktestSummary.model_validate_json(summary)
            if summary is not None
            else BacktestSummary.of(from_json(BacktestResult, data))
            for summary, data in rows
        ]

    def _count_backtests(self) -> int:
        return int(self._read("SELECT count(*) FROM backtests", [])[0][0])

    def _list_audit(
        self, operation: str | None, collection: str | None, since: int | None, limit: int
    ) -> list[AuditEntry]:
        since_ms = None if since is None else since * 1000
        where, params = _where(operation=operation, collection=collection, ts__ge=since_ms)
        rows = self._read(
            "SELECT ts, operation, collection, count, actor, detail FROM audit"
            f"{where} ORDER BY id DESC LIMIT ?",
            [*params, limit],
        )
        return [
            AuditEntry(
                ts=_from_ms(ts),
                operation=op,
                collection=coll,
                count=count,
                actor=actor,
                detail=json.loads(detail),
            )
            for ts, op, coll, count, actor, detail in rows
        ]
