"""The SQLite backend's operations and audit: job runs, backtest results, the audit log."""

from __future__ import annotations

import json
from datetime import datetime

from stocklab.model import (
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
from stocklab.store.sqlite.connection import (
    SqliteBase,
    _dump,
    _from_ms,
    _ms,
    _one,
    _where,
)


class SqliteOperations(SqliteBase):
    """`Operations` and `Audit` on SQLite."""

    def save_job_run(self, run: JobRun) -> JobRun:
        check_record(run, JobRun)
        with self._write("save_job_run", "job_runs") as (conn, audit):
            conn.execute(
                "INSERT INTO job_runs VALUES (?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET"
                " job = excluded.job, status = excluded.status, started_at = excluded.started_at,"
                " data = excluded.data",
                (run.run_id, run.job, run.status.value, _ms(run.started_at), _dump(run)),
            )
            audit["count"] = 1
            audit["detail"] = {"run_id": run.run_id, "job": run.job, "status": run.status.value}
        return run

    def audit_event(self, operation: str, collection: str, detail: dict[str, object]) -> None:
        with self._write(operation, collection) as (_conn, audit):
            audit["detail"] = dict(detail)

    def get_job_run(self, run_id: str) -> JobRun | None:
        return _one(self._read("SELECT data FROM job_runs WHERE run_id = ?", [run_id]), JobRun)

    def list_job_runs(
        self, job: str | None = None, status: JobStatus | None = None, limit: int = 50
    ) -> list[JobRun]:
        check_limit(limit)
        where, params = _where(job=job, status=None if status is None else JobStatus(status).value)
        rows = self._read(
            f"SELECT data FROM job_runs{where} ORDER BY started_at DESC, run_id LIMIT ?",
            [*params, limit],
        )
        return [JobRun.model_validate_json(r[0]) for r in rows]

    def save_backtest(self, result: BacktestResult) -> WriteResult:
        check_record(result, BacktestResult)
        data = _dump(result)
        summary = _dump(BacktestSummary.of(result))
        with self._write("save_backtest", "backtests") as (conn, audit):
            row = conn.execute(
                "SELECT data FROM backtests WHERE backtest_id = ?", (result.backtest_id,)
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO backtests (backtest_id, created_at, data, summary)"
                    " VALUES (?, ?, ?, ?)",
                    (result.backtest_id, _ms(result.created_at), data, summary),
                )
                out = WriteResult(inserted=1)
            elif row[0] != data:
                conn.execute(
                    "UPDATE backtests SET created_at = ?, data = ?, summary = ?"
                    " WHERE backtest_id = ?",
                    (_ms(result.created_at), data, summary, result.backtest_id),
                )
                out = WriteResult(updated=1)
            else:
                out = WriteResult(unchanged=1)
            audit["count"] = out.inserted + out.updated
            audit["detail"] = {"backtest_id": result.backtest_id, "strategy": result.strategy}
        return out

    def get_backtest(self, backtest_id: str) -> BacktestResult | None:
        return _one(
            self._read("SELECT data FROM backtests WHERE backtest_id = ?", [backtest_id]),
            BacktestResult,
        )

    def list_backtests(self, limit: int = 50, offset: int = 0) -> list[BacktestSummary]:
        check_limit(limit)
        check_offset(offset)
        rows = self._read(
            "SELECT summary, CASE WHEN summary IS NULL THEN data END FROM backtests"
            " ORDER BY created_at DESC, backtest_id LIMIT ? OFFSET ?",
            [limit, offset],
        )
        return [
            BacktestSummary.model_validate_json(summary)
            if summary is not None
            else BacktestSummary.of(BacktestResult.model_validate_json(data))
            for summary, data in rows
        ]

    def count_backtests(self) -> int:
        return int(self._read("SELECT count(*) FROM backtests", [])[0][0])

    def list_audit(
        self,
        operation: str | None = None,
        collection: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        check_limit(limit)
        since_ms = None if since is None else int(time_range(since, None)[0] or 0) * 1000
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
