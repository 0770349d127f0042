// One place for query keys and polling intervals, so pages share cached data
// (the code list fetched by the Stocks page is the one the Dashboard ranks).

import { QueryClient, keepPreviousData, useInfiniteQuery, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef } from "react";
import {
  ApiError,
  type FlowKind,
  type IndicatorQuery,
  type JobRun,
  type JobStatus,
  type Order,
  type OrderStatus,
  type Timeframe,
  api,
} from "./api";

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
  lastMinute: (code: string) => ["last-minute", code] as const,
  account: ["account"] as const,
  positions: ["positions"] as const,
  orders: (filter: OrderFilter) => ["orders", filter] as const,
  fills: (clientId: string, filledQty: number) => ["fills", clientId, filledQty] as const,
  kill: ["kill"] as const,
  backtests: (limit: number) => ["backtests", "list", limit] as const,
  backtest: (id: string) => ["backtests", "one", id] as const,
  indicators: (code: string, names: readonly string[], query: IndicatorQuery) =>
    ["indicators", code, names.join(","), query] as const,
};

/** Every query that an order, a cancel or the kill switch changes. */
export const TRADING_KEYS = [["account"], ["positions"], ["orders"], ["fills"], ["kill"]] as const;

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

const RECENT_RUNS = 20;

/** The newest runs of every job: what is collecting now, and what just finished. */
const useRecentRuns = () => useRuns(null, null, RECENT_RUNS);

const isCollect = (r: JobRun) => r.job.startsWith("collect_");

/** The collection runs in progress (the first start's, or a scheduled one): pages that show
 * collected data say "수집 중" instead of asking the user to run one. */
export function useCollecting(): JobRun[] {
  const runs = useRecentRuns();
  return useMemo(() => (runs.data ?? []).filter((r) => isCollect(r) && r.status === "running"), [runs.data]);
}

/** Every query whose answer a collection changes. */
export const COLLECTED_KEYS = [["codes"], ["code"], ["overview"], ["prices"], ["flows"], ["last-minute"], ["indicators"]] as const;

/** The recent finished collections, as a key that changes whenever another one ends. */
export function lastCollected(runs: JobRun[] | undefined): string {
  return (runs ?? [])
    .filter((r) => isCollect(r) && r.status !== "running")
    .map((r) => r.run_id)
    .sort()
    .join(",");
}

/** Refetches the collected data each time a collection ends, so the 종목 list and the stock
 * page fill in by themselves on first start (no reload). Mounted once, in the layout. */
export function useRefreshOnCollect(): void {
  const runs = useRecentRuns();
  const client = useQueryClient();
  const seen = useRef<string | undefined>(undefined);
  const last = runs.data ? lastCollected(runs.data) : undefined;
  useEffect(() => {
    if (last === undefined) return;
    if (seen.current !== undefined && seen.current !== last) {
      for (const queryKey of COLLECTED_KEYS) void client.invalidateQueries({ queryKey });
    }
    seen.current = last;
  }, [last, client]);
}

/** The newest minute bar (today's last trade, once the session has begun): refreshed while open. */
export const useLastMinute = (code: string, enabled = true) =>
  useQuery({
    queryKey: keys.lastMinute(code),
    queryFn: ({ signal }) => api.prices(code, "1m", signal, 1),
    enabled,
    staleTime: 15_000,
    refetchInterval: 30_000,
  });

// ---- trading: the account moves with every fill, so these poll every few seconds.

export const TRADING_POLL = 5_000;
export const ORDERS_POLL = 3_000;

export const useAccount = () =>
  useQuery({ queryKey: keys.account, queryFn: ({ signal }) => api.account(signal), refetchInterval: TRADING_POLL, staleTime: 2_000 });

export const usePositions = () =>
  useQuery({
    queryKey: keys.positions,
    queryFn: ({ signal }) => api.positions(signal),
    refetchInterval: TRADING_POLL,
    staleTime: 2_000,
  });

/** The 주문 page's status filter: which statuses each choice asks the server for. */
export type OrderFilter = "all" | "open" | "filled" | "cancelled" | "rejected";

export const ORDER_FILTERS: Record<OrderFilter, { open?: boolean; status?: readonly OrderStatus[] }> = {
  all: {},
  open: { open: true },
  filled: { status: ["filled", "partially_filled"] },
  cancelled: { status: ["cancelled", "replaced", "expired"] },
  rejected: { status: ["rejected"] },
};

export const ORDER_LIMIT = 200;

export const useOrders = (filter: OrderFilter, enabled = true) =>
  useQuery({
    queryKey: keys.orders(filter),
    queryFn: ({ signal }) => api.orders({ ...ORDER_FILTERS[filter], limit: ORDER_LIMIT }, signal),
    enabled,
    // Switching filters keeps the last list on screen until the new one arrives: no flash of empty.
    placeholderData: keepPreviousData,
    refetchInterval: ORDERS_POLL,
    staleTime: 1_000,
  });

/**
 * An order's fills. The key holds the filled quantity, so they are fetched again exactly when
 * the (polled) order says more has filled; the previous list stays on screen meanwhile.
 */
export const useFills = (order: Order, enabled: boolean) =>
  useQuery({
    queryKey: keys.fills(order.request.client_id, order.filled_qty),
    queryFn: ({ signal }) => api.fills({ client_id: order.request.client_id }, signal),
    enabled,
    placeholderData: keepPreviousData,
  });

export const useKill = () =>
  useQuery({ queryKey: keys.kill, queryFn: ({ signal }) => api.killState(signal), refetchInterval: TRADING_POLL });

// ---- backtests and indicators

export const BACKTEST_LIST_LIMIT = 50;

/** Past backtests, a page at a time ("더 보기" asks for the next). */
export const useBacktests = () =>
  useInfiniteQuery({
    queryKey: keys.backtests(BACKTEST_LIST_LIMIT),
    queryFn: ({ signal, pageParam }) => api.backtests(BACKTEST_LIST_LIMIT, pageParam, signal),
    initialPageParam: 0,
    getNextPageParam: (last) => {
      const next = last.offset + last.items.length;
      return last.items.length > 0 && next < last.total ? next : undefined;
    },
    staleTime: 10_000,
  });

/** A finished backtest never changes: fetched once. */
export const useBacktest = (id: string | null) =>
  useQuery({
    queryKey: keys.backtest(id ?? ""),
    queryFn: ({ signal }) => api.backtest(id!, signal),
    enabled: id !== null,
    staleTime: Infinity,
  });

/** Indicator columns for exactly the loaded bars (the query names their first and last). */
export const useIndicators = (code: string, names: readonly string[], query: IndicatorQuery, enabled: boolean) =>
  useQuery({
    queryKey: keys.indicators(code, names, query),
    queryFn: ({ signal }) => api.indicators(code, names, query, signal),
    enabled,
    staleTime: 60_000,
  });
