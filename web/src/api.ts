// Typed client for the stocklab API (/api). Every failure becomes an ApiError whose
// `detail` is the server's problem+json detail (Korean, written for a person) when there is one.

import { readToken } from "./token";

export type Market = "KOSPI" | "KOSDAQ" | "KONEX";
export type Timeframe = "1d" | "1m";
export type JobStatus = "running" | "succeeded" | "failed" | "timed_out" | "skipped";
export type MarketPhase = "closed" | "pre_open" | "open" | "closing_auction" | "after_hours";
export type FlowKind = "investor" | "credit" | "short";

export interface CodeRow {
  code: string;
  name: string;
  market: Market;
  kind: string;
  source: string;
  last_close: number | null;
  change: number | null;
  /** basis points: 1% = 100 */
  change_bp: number | null;
  last_date: string | null;
}

export interface CodePage {
  total: number;
  limit: number;
  offset: number;
  items: CodeRow[];
}

export interface Instrument {
  code: string;
  name: string;
  market: Market;
  kind: string;
  listed_on: string | null;
  source: string;
}

export interface Coverage {
  code: string;
  timeframe: Timeframe;
  count: number;
  first: string;
  last: string;
  source: string | null;
}

export interface CodeDetail {
  instrument: Instrument;
  coverage: Coverage[];
  simulated: boolean;
}

/** Columns, index-aligned; `t` is epoch seconds (daily bars: 00:00 KST of the trading day). */
export interface PriceSeries {
  code: string;
  timeframe: Timeframe;
  source: string | null;
  count: number;
  t: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
  value: (number | null)[];
}

export interface FlowRow {
  day: string;
  kind: FlowKind;
  values: Record<string, number>;
  source: string;
}

export interface FlowList {
  code: string;
  count: number;
  items: FlowRow[];
}

export interface MarketStatus {
  at: string;
  phase: MarketPhase;
  session_day: string | null;
  next_open: string;
  is_trading_day: boolean;
}

export interface PlannedJob {
  name: string;
  description: string;
  cron: string;
  enabled: boolean;
  trading_days_only: boolean;
  timeout: number;
  next_run: string | null;
  last_status: JobStatus | null;
  last_started: string | null;
}

export interface JobList {
  scheduler_alive: boolean;
  jobs: PlannedJob[];
}

export interface JobRun {
  run_id: string;
  job: string;
  status: JobStatus;
  trigger: string;
  started_at: string;
  ended_at: string | null;
  pid: number | null;
  rows: number;
  counts: Record<string, number>;
  error: string | null;
  log_tail: string;
}

export interface RunAccepted {
  run_id: string;
  job: string;
  status: JobStatus;
}

export interface Overview {
  codes: number;
  bars: number;
  instruments: number;
  series: Coverage[];
}

export interface Health {
  status: "ok" | "degraded";
  version: string;
  python: string;
  time: string;
  store: { reachable?: boolean; backend?: string };
  scheduler: { alive?: boolean; pid?: number | null; heartbeat?: string | null };
}

/** Why a request failed: the server said no (`http`), or it could not be reached (`network`). */
export type ApiErrorKind = "http" | "network";

export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  /** HTTP status; 0 when the server was not reached. */
  readonly status: number;
  /** The problem+json `detail` (or null when the body had none). */
  readonly detail: string | null;
  /** The parameter at fault, when the server named one. */
  readonly param: string | null;

  constructor(kind: ApiErrorKind, status: number, detail: string | null, param: string | null) {
    super(detail ?? (kind === "network" ? "network error" : `HTTP ${status}`));
    this.name = "ApiError";
    this.kind = kind;
    this.status = status;
    this.detail = detail;
    this.param = param;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Turns a failed response into an ApiError, reading problem+json (or any JSON with `detail`). */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let detail: string | null = null;
  let param: string | null = null;
  const type = res.headers.get("content-type") ?? "";
  if (type.includes("json")) {
    try {
      const body: unknown = await res.json();
      if (isRecord(body)) {
        if (typeof body.detail === "string") detail = body.detail;
        else if (body.detail !== undefined) detail = JSON.stringify(body.detail);
        if (typeof body.param === "string") param = body.param;
      }
    } catch {
      // A broken body still leaves the status to report.
    }
  }
  return new ApiError("http", res.status, detail, param);
}

export type Query = Record<string, string | number | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

interface RequestOptions {
  method?: "GET" | "POST";
  query?: Query;
  signal?: AbortSignal;
  /** Overrides the token kept in the session (used by "run now" right after the dialog). */
  token?: string | null;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  // Reads need the token only when the server runs with STOCKLAB_API_AUTH_READS, but sending
  // the session's token costs nothing and makes that mode work too.
  const token = options.token !== undefined ? options.token : readToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(withQuery(path, options.query), {
      method: options.method ?? "GET",
      headers,
      signal: options.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError("network", 0, null, null);
  }
  if (!res.ok) throw await errorFromResponse(res);
  return (await res.json()) as T;
}

/** Largest page the list route serves; the client pages through the rest. */
export const CODE_PAGE_LIMIT = 5000;

export const api = {
  health: (signal?: AbortSignal) => request<Health>("/api/health", { signal }),
  marketStatus: (signal?: AbortSignal) => request<MarketStatus>("/api/market/status", { signal }),
  overview: (signal?: AbortSignal) => request<Overview>("/api/store/overview", { signal }),

  codes: (query: { market?: Market; q?: string; limit?: number; offset?: number }, signal?: AbortSignal) =>
    request<CodePage>("/api/codes", { query, signal }),

  /** The whole code list, in pages of the largest size the server allows. */
  async allCodes(signal?: AbortSignal): Promise<CodeRow[]> {
    const first = await api.codes({ limit: CODE_PAGE_LIMIT, offset: 0 }, signal);
    const rows = [...first.items];
    while (rows.length < first.total) {
      const page = await api.codes({ limit: CODE_PAGE_LIMIT, offset: rows.length }, signal);
      if (page.items.length === 0) break;
      rows.push(...page.items);
    }
    return rows;
  },

  code: (code: string, signal?: AbortSignal) =>
    request<CodeDetail>(`/api/codes/${encodeURIComponent(code)}`, { signal }),

  prices: (code: string, tf: Timeframe, signal?: AbortSignal) =>
    request<PriceSeries>(`/api/codes/${encodeURIComponent(code)}/prices`, { query: { tf }, signal }),

  flows: (code: string, kind: FlowKind, limit: number, signal?: AbortSignal) =>
    request<FlowList>(`/api/codes/${encodeURIComponent(code)}/flows`, {
      query: { kind, limit },
      signal,
    }),

  jobs: (signal?: AbortSignal) => request<JobList>("/api/jobs", { signal }),

  runs: (query: { name?: string; status?: JobStatus; limit?: number }, signal?: AbortSignal) =>
    request<JobRun[]>("/api/jobs/runs", { query, signal }),

  runJob: (name: string, token: string) =>
    request<RunAccepted>(`/api/jobs/${encodeURIComponent(name)}/run`, { method: "POST", token }),
};
