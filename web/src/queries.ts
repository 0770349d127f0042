// One place for query keys and polling intervals, so pages share cached data
// (the code list fetched by the Stocks page is the one the Dashboard ranks).

import { QueryClient, useQuery } from "@tanstack/react-query";
import { ApiError, type FlowKind, type JobStatus, type JobRun, type Timeframe, api } from "./api";

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        // A 4xx will not get better by asking again; a dropped connection might.
        retry: (count, error) => !(error instanceof ApiError && error.kind === "http" && error.status < 500) && count < 1,
      },
    },
  });
}

export const keys = {
  health: ["health"] as const,
  marketStatus: ["market-status"] as const,
  overview: ["overview"] as const,
  codes: ["codes"] as const,
  code: (code: string) => ["code", code] as const,
  prices: (code: string, tf: Timeframe) => ["prices", code, tf] as const,
  flows: (code: string, kind: FlowKind) => ["flows", code, kind] as const,
  jobs: ["jobs"] as const,
  runs: (name: string | null, status: JobStatus | null, limit: number) => ["runs", name, status, limit] as const,
};

export const useHealth = () =>
  useQuery({ queryKey: keys.health, queryFn: ({ signal }) => api.health(signal), refetchInterval: 30_000 });

export const useMarketStatus = () =>
  useQuery({ queryKey: keys.marketStatus, queryFn: ({ signal }) => api.marketStatus(signal), refetchInterval: 30_000 });

export const useOverview = () =>
  useQuery({ queryKey: keys.overview, queryFn: ({ signal }) => api.overview(signal), refetchInterval: 60_000 });

export const useCodes = () =>
  useQuery({ queryKey: keys.codes, queryFn: ({ signal }) => api.allCodes(signal), staleTime: 60_000 });

export const useCode = (code: string) =>
  useQuery({ queryKey: keys.code(code), queryFn: ({ signal }) => api.code(code, signal) });

export const usePrices = (code: string, tf: Timeframe, enabled = true) =>
  useQuery({
    queryKey: keys.prices(code, tf),
    queryFn: ({ signal }) => api.prices(code, tf, signal),
    enabled,
    staleTime: 60_000,
  });

export const FLOW_ROWS = 20;

export const useFlows = (code: string, kind: FlowKind, enabled = true) =>
  useQuery({
    queryKey: keys.flows(code, kind),
    queryFn: ({ signal }) => api.flows(code, kind, FLOW_ROWS, signal),
    enabled,
  });

export const useJobs = () =>
  useQuery({ queryKey: keys.jobs, queryFn: ({ signal }) => api.jobs(signal), refetchInterval: 10_000 });

const POLL_FAST = 1_500;
const POLL_SLOW = 10_000;

/** Poll fast while a run is running, or while a just-launched run has not finished yet. */
export function runsInterval(runs: JobRun[] | undefined, watchRunId: string | null): number {
  const list = runs ?? [];
  if (list.some((r) => r.status === "running")) return POLL_FAST;
  if (watchRunId && !list.some((r) => r.run_id === watchRunId)) return POLL_FAST;
  return POLL_SLOW;
}

export const useRuns = (name: string | null, status: JobStatus | null, limit = 50, watchRunId: string | null = null) =>
  useQuery({
    queryKey: keys.runs(name, status, limit),
    queryFn: ({ signal }) => api.runs({ name: name ?? undefined, status: status ?? undefined, limit }, signal),
    refetchInterval: (q) => runsInterval(q.state.data, watchRunId),
  });
