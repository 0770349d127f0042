// The state of a launched backtest's run as the page shows it, driven by followRun.

import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { BacktestAccepted, JobRun } from "../api";
import { fetchRun as fetchFromApi, followRun } from "./follow";

export type FollowState =
  | { phase: "idle" }
  | { phase: "waiting" | "running"; accepted: BacktestAccepted; run: JobRun | null; since: number }
  | { phase: "succeeded"; accepted: BacktestAccepted; run: JobRun }
  | { phase: "failed"; accepted: BacktestAccepted; run: JobRun | null; error: unknown };

export function useFollowRun(
  accepted: BacktestAccepted | null,
  fetchRun: (runId: string, signal: AbortSignal) => Promise<JobRun> = fetchFromApi,
): FollowState {
  const [state, setState] = useState<FollowState>({ phase: "idle" });
  const client = useQueryClient();

  useEffect(() => {
    if (!accepted) {
      setState({ phase: "idle" });
      return;
    }
    const since = Date.now();
    const control = new AbortController();
    setState({ phase: "waiting", accepted, run: null, since });
    followRun(accepted.run_id, {
      fetchRun,
      signal: control.signal,
      onUpdate: (run) => setState({ phase: run ? "running" : "waiting", accepted, run, since }),
    }).then(
      (run) => {
        void client.invalidateQueries({ queryKey: ["backtests"] });
        setState(
          run.status === "succeeded"
            ? { phase: "succeeded", accepted, run }
            : { phase: "failed", accepted, run, error: null },
        );
      },
      (error: unknown) => {
        if (!control.signal.aborted) setState({ phase: "failed", accepted, run: null, error });
      },
    );
    return () => control.abort();
  }, [accepted, fetchRun, client]);

  return state;
}
