// Following a launched backtest run to its end: GET /api/jobs/runs/{run_id} every
// `interval` ms until the status is no longer "running". The run's record appears a moment
// after the 202 (the child process writes it), so a 404 means "not yet" for a grace period.
// A dropped connection is retried a few times before it counts as a failure.

import { ApiError, type BacktestAccepted, type JobRun, api } from "../api";

export const RUN_POLL_MS = 700;
export const NOT_FOUND_GRACE_MS = 30_000;
export const NETWORK_RETRIES = 3;

/** The run's record never appeared within the grace period. */
export class RunMissing extends Error {
  constructor(readonly runId: string) {
    super(`run ${runId} not found`);
    this.name = "RunMissing";
  }
}

export interface FollowOptions {
  fetchRun: (runId: string, signal: AbortSignal) => Promise<JobRun>;
  /** Each answer: the run, or null while it has not appeared yet. */
  onUpdate: (run: JobRun | null) => void;
  signal: AbortSignal;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
  interval?: number;
  grace?: number;
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export const isFinished = (run: JobRun | null | undefined): run is JobRun => !!run && run.status !== "running";

/** Resolves with the finished run (whatever its status); rejects on abort or a lasting failure. */
export async function followRun(runId: string, options: FollowOptions): Promise<JobRun> {
  const { fetchRun, onUpdate, signal } = options;
  const wait = options.sleep ?? sleep;
  const now = options.now ?? Date.now;
  const interval = options.interval ?? RUN_POLL_MS;
  const grace = options.grace ?? NOT_FOUND_GRACE_MS;
  const started = now();
  let dropped = 0;
  for (;;) {
    try {
      const run = await fetchRun(runId, signal);
      dropped = 0;
      onUpdate(run);
      if (isFinished(run)) return run;
    } catch (err) {
      if (signal.aborted) throw err;
      if (err instanceof ApiError && err.status === 404) {
        if (now() - started > grace) throw new RunMissing(runId);
        onUpdate(null);
      } else if (err instanceof ApiError && err.kind === "network" && dropped < NETWORK_RETRIES) {
        dropped += 1;
      } else {
        throw err;
      }
    }
    await wait(interval, signal);
  }
}

// ---- the run being followed survives a trip to the result page and back (sessionStorage)

const KEY = "stocklab.backtestRun";

export function rememberRun(accepted: BacktestAccepted | null): void {
  try {
    if (accepted) sessionStorage.setItem(KEY, JSON.stringify(accepted));
    else sessionStorage.removeItem(KEY);
  } catch {
    // followed on this page only
  }
}

export function rememberedRun(): BacktestAccepted | null {
  try {
    const text = sessionStorage.getItem(KEY);
    if (!text) return null;
    const value = JSON.parse(text) as Partial<BacktestAccepted>;
    return typeof value.run_id === "string" && typeof value.backtest_id === "string"
      ? (value as BacktestAccepted)
      : null;
  } catch {
    return null;
  }
}

export const fetchRun = (runId: string, signal: AbortSignal) => api.run(runId, signal);
