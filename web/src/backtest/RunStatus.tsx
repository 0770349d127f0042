// Where a launched backtest stands: waiting for its run to appear, running (with the time
// so far), finished (with a link to the result), or failed with the run's own error.

import { useEffect, useState } from "react";
import { Link } from "react-router";
import { ActionError } from "../components/ActionError";
import { errorMessage } from "../components/ErrorBox";
import { StatusBadge } from "../components/StatusBadge";
import { formatDuration } from "../format";
import { useT } from "../i18n";
import { RunMissing } from "./follow";
import type { FollowState } from "./useFollowRun";

/** The current time, ticking every `ms` while `on`. */
function useNow(on: boolean, ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [on, ms]);
  return now;
}

export function RunStatus({ follow, sendError }: { follow: FollowState; sendError: unknown }) {
  const t = useT();
  const going = follow.phase === "waiting" || follow.phase === "running";
  const now = useNow(going);

  let body = null;
  if (sendError) {
    body = <ActionError error={sendError} />;
  } else if (follow.phase === "waiting" || follow.phase === "running") {
    body = (
      <p className="run-line" data-phase={follow.phase}>
        <span className="spinner" aria-hidden="true" />
        {follow.phase === "waiting"
          ? t("bt.run.waiting")
          : t("bt.run.running", { elapsed: formatDuration(now - follow.since, t.lang) })}{" "}
        <code className="muted small">{follow.accepted.run_id}</code>
      </p>
    );
  } else if (follow.phase === "succeeded") {
    const { run, accepted } = follow;
    const took = run.ended_at ? Date.parse(run.ended_at) - Date.parse(run.started_at) : NaN;
    body = (
      <p className="run-line" data-phase="succeeded">
        <StatusBadge status="succeeded" /> {t("bt.run.succeeded", { elapsed: formatDuration(took, t.lang) })}{" "}
        <Link to={`/backtests/${accepted.backtest_id}`}>{t("bt.run.open")}</Link>
      </p>
    );
  } else if (follow.phase === "failed") {
    const { run, error } = follow;
    body = (
      <div className="error-box run-failed" role="alert" data-phase="failed">
        <strong>
          {t("bt.run.failed")} {run && <StatusBadge status={run.status} />}
        </strong>
        {run ? (
          <p>{run.error ?? run.status}</p>
        ) : error instanceof RunMissing ? (
          <p>{t("bt.run.missing")}</p>
        ) : (
          <p>{errorMessage(error, t)}</p>
        )}
        {run?.log_tail && (
          <details>
            <summary>{t("jobs.log")}</summary>
            <pre>{run.log_tail}</pre>
          </details>
        )}
      </div>
    );
  }

  return (
    <div className="run-status" role="status" aria-live="polite" aria-label={t("bt.run.label")}>
      {body}
    </div>
  );
}
