// 작업: the schedule (next run in KST, last result, "run now") and the run history with
// status, rows and errors. "Run now" asks for the API token once per session; a 401
// forgets it and asks again with the server's message.

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { type JobRun, type JobStatus, type PlannedJob, type RunAccepted, api } from "../api";
import { ErrorBox } from "../components/ErrorBox";
import { StatusBadge } from "../components/StatusBadge";
import { useTokenApi, withToken } from "../components/TokenProvider";
import {
  formatDuration,
  formatKstDateTime,
  formatNumber,
  formatRelative,
} from "../format";
import { translateOr, useT } from "../i18n";
import { keys, useJobs, useRuns } from "../queries";

const STATUSES: JobStatus[] = ["running", "succeeded", "failed", "timed_out", "skipped", "interrupted"];

/** POST /api/jobs/{name}/run with the session's token, asking for one (again) on 401. */
function useRunJob(onLaunched: (run: RunAccepted) => void) {
  const tokens = useTokenApi();
  const client = useQueryClient();
  return useMutation({
    // null: the user cancelled the token dialog
    mutationFn: (name: string): Promise<RunAccepted | null> => withToken(tokens, (token) => api.runJob(name, token)),
    onSuccess: (run) => {
      if (!run) return;
      onLaunched(run);
      void client.invalidateQueries({ queryKey: ["runs"] });
      void client.invalidateQueries({ queryKey: keys.jobs });
    },
  });
}

function ScheduleTable({
  jobs,
  pendingJob,
  onRun,
}: {
  jobs: PlannedJob[];
  pendingJob: string | null;
  onRun: (name: string) => void;
}) {
  const t = useT();
  const now = Date.now();
  return (
    <div className="table-wrap">
      <table className="data jobs" aria-label={t("jobs.schedule")}>
        <thead>
          <tr>
            <th scope="col">{t("jobs.col.job")}</th>
            <th scope="col">{t("jobs.col.schedule")}</th>
            <th scope="col">{t("jobs.col.next")}</th>
            <th scope="col">{t("jobs.col.last")}</th>
            <th scope="col">{t("jobs.col.action")}</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.name} data-job={job.name}>
              <td className="text">
                <code>{job.name}</code>
                <div className="muted small">{job.description}</div>
              </td>
              <td className="text">
                <code>{job.cron}</code>
                {job.trading_days_only && <span className="tag">{t("jobs.tradingDaysOnly")}</span>}
                {!job.enabled && <span className="tag off">{t("jobs.disabled")}</span>}
              </td>
              <td className="text">
                {job.next_run ? (
                  <>
                    {formatKstDateTime(job.next_run)}
                    <div className="muted small">{formatRelative(job.next_run, now, t.lang)}</div>
                  </>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td className="text">
                <StatusBadge status={job.last_status} />
                {job.last_started && <div className="muted small">{formatKstDateTime(job.last_started)}</div>}
              </td>
              <td>
                <button
                  type="button"
                  className="primary"
                  aria-label={t("jobs.runNowLabel", { job: job.name })}
                  disabled={pendingJob === job.name}
                  onClick={() => onRun(job.name)}
                >
                  {t("jobs.runNow")}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RunRow({ run, highlight }: { run: JobRun; highlight: boolean }) {
  const t = useT();
  const started = Date.parse(run.started_at);
  const ended = run.ended_at ? Date.parse(run.ended_at) : Date.now();
  const counts = Object.entries(run.counts)
    .map(([k, v]) => `${k} ${formatNumber(v)}`)
    .join(", ");
  return (
    <tr data-run-id={run.run_id} data-status={run.status} className={highlight ? "highlight" : undefined}>
      <td className="text">{formatKstDateTime(run.started_at, true)}</td>
      <td className="text">
        <code title={run.run_id}>{run.job}</code>
      </td>
      <td className="text">
        <StatusBadge status={run.status} />
      </td>
      <td className="text">{translateOr(t.lang, `trigger.${run.trigger}`, run.trigger)}</td>
      <td>{formatDuration(ended - started, t.lang)}</td>
      <td title={counts || undefined} data-label={t("jobs.col.rows")}>
        {formatNumber(run.rows)}
      </td>
      <td className="text error-cell">
        {run.error && <div className="fall-text">{run.error}</div>}
        {run.log_tail && (
          <details>
            <summary>{t("jobs.log")}</summary>
            <pre>{run.log_tail}</pre>
          </details>
        )}
      </td>
    </tr>
  );
}

export function JobsPage() {
  const t = useT();
  const jobs = useJobs();
  const [jobFilter, setJobFilter] = useState<string | null>(null);
  const [statusFilter, setStatusFilter] = useState<JobStatus | null>(null);
  const [launched, setLaunched] = useState<RunAccepted | null>(null);
  const runs = useRuns(jobFilter, statusFilter, 50, launched?.run_id ?? null);
  const runJob = useRunJob(setLaunched);
  const launchedRun = launched ? runs.data?.find((r) => r.run_id === launched.run_id) : undefined;
  const client = useQueryClient();
  // When a run starts or ends, the schedule's "last result" and next run change too.
  const running = (runs.data ?? [])
    .filter((r) => r.status === "running")
    .map((r) => r.run_id)
    .join(",");
  useEffect(() => {
    void client.invalidateQueries({ queryKey: keys.jobs });
  }, [client, running]);
  const anyRunning = (runs.data ?? []).some((r) => r.status === "running");

  return (
    <section className="page">
      <div className="page-head">
        <h1>{t("jobs.title")}</h1>
        {jobs.data && (
          <span className={`badge ${jobs.data.scheduler_alive ? "ok" : "bad"}`}>
            {jobs.data.scheduler_alive ? t("dash.schedulerAlive") : t("dash.schedulerDown")}
          </span>
        )}
      </div>

      <div className="card">
        <h2>{t("jobs.schedule")}</h2>
        {jobs.isError ? (
          <ErrorBox error={jobs.error} onRetry={() => void jobs.refetch()} />
        ) : jobs.isPending ? (
          <p className="muted placeholder-rows">{t("common.loading")}</p>
        ) : (
          <ScheduleTable
            jobs={jobs.data.jobs}
            pendingJob={runJob.isPending ? (runJob.variables ?? null) : null}
            onRun={(name) => runJob.mutate(name)}
          />
        )}
        <div className="launch-status" role="status" aria-live="polite">
          {runJob.isError && <ErrorBox error={runJob.error} bare />}
          {launched && !runJob.isError && (
            <p data-run-id={launched.run_id}>
              {t("jobs.launched", { job: launched.job })} <code>{launched.run_id}</code>{" "}
              <StatusBadge status={launchedRun?.status ?? launched.status} />
            </p>
          )}
        </div>
      </div>

      <div className="card">
        <div className="card-head">
          <h2>{t("jobs.runs")}</h2>
          <div className="filters">
            <select
              aria-label={t("jobs.filterJob")}
              value={jobFilter ?? ""}
              onChange={(e) => setJobFilter(e.target.value || null)}
            >
              <option value="">{t("jobs.allJobs")}</option>
              {(jobs.data?.jobs ?? []).map((j) => (
                <option key={j.name} value={j.name}>
                  {j.name}
                </option>
              ))}
            </select>
            <select
              aria-label={t("jobs.filterStatus")}
              value={statusFilter ?? ""}
              onChange={(e) => setStatusFilter((e.target.value || null) as JobStatus | null)}
            >
              <option value="">{t("jobs.allStatuses")}</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {translateOr(t.lang, `status.${s}`, s)}
                </option>
              ))}
            </select>
          </div>
        </div>
        <p className="muted small refresh-note">{anyRunning ? t("jobs.refreshing") : "\u00a0"}</p>
        {runs.isError ? (
          <ErrorBox error={runs.error} onRetry={() => void runs.refetch()} />
        ) : (
          <div className="table-wrap runs-wrap" aria-busy={runs.isPending}>
            <table className="data runs" aria-label={t("jobs.runs")}>
              <thead>
                <tr>
                  <th scope="col">{t("jobs.col.started")}</th>
                  <th scope="col">{t("jobs.col.job")}</th>
                  <th scope="col">{t("jobs.col.status")}</th>
                  <th scope="col">{t("jobs.col.trigger")}</th>
                  <th scope="col">{t("jobs.col.duration")}</th>
                  <th scope="col">{t("jobs.col.rows")}</th>
                  <th scope="col">{t("jobs.col.error")}</th>
                </tr>
              </thead>
              <tbody>
                {(runs.data ?? []).map((run) => (
                  <RunRow key={run.run_id} run={run} highlight={run.run_id === launched?.run_id} />
                ))}
              </tbody>
            </table>
            {runs.isSuccess && runs.data.length === 0 && <p className="muted center">{t("jobs.noRuns")}</p>}
          </div>
        )}
      </div>
    </section>
  );
}
