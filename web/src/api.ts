// Typed client for the stocklab API (/api). Every failure becomes an ApiError whose
// `detail` is the server's problem+json detail (Korean, written for a person) when there is one.

import { readToken } from "./token";

export type Market = "KOSPI" | "KOSDAQ" | "KONEX";
export type Timeframe = "1d" | "1m";
export type JobStatus = "running" | "succeeded" | "failed" | "timed_out" | "skipped" | "interrupted";
export type MarketPhase = "closed" | "pre_open" | "open" | "closing_auction" | "after_hours";
export type FlowKind = "investor" | "credit" | "short";
export type Side = "buy" | "sell";
export type OrderType = "limit" | "market";
export type OrderStatus =
  | "new"
  | "submitted"
  | "accepted"
  | "partially_filled"
  | "filled"
  | "cancel_requested"
  | "modify_requested"
  | "cancelled"
  | "replaced"
  | "rejected"
  | "expired";

/** Statuses an order can still leave (it may fill or be cancelled): the server's OPEN set. */
export const OPEN_STATUSES: readonly OrderStatus[] = [
  "new",
  "submitted",
  "accepted",
  "partially_filled",
  "cancel_requested",
  "modify_requested",
];

export function isOpen(status: OrderStatus): boolean {
  return OPEN_STATUSES.includes(status);
}

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

/** Integer KRW throughout. */
export interface Account {
  account_id: string;
  broker: string;
  /** 예수금 */
  cash: number;
  /** 주문가능: cash less what open buy orders hold */
  orderable: number;
  /** 총자산: cash + positions_value */
  equity: number;
  /** 평가금액 */
  positions_value: number;
  day_pnl: number;
  killed: boolean;
  limits: AccountLimits;
}

/** The risk rules' settings: the ticket refuses before sending what they would refuse. */
export interface AccountLimits {
  max_order_krw: number;
  /** 1% = 100 */
  max_position_bp: number;
  /** The commission rate × 10⁸, as the server computes the cash an order needs. */
  commission_units: number;
  /** Market phases (MarketStatus.phase) in which orders are taken. */
  phases: string[];
}

export interface Position {
  code: string;
  name: string | null;
  qty: number;
  /** 매도가능: held less what open sells hold */
  sellable: number;
  avg_price: number;
  price: number;
  value: number;
  pnl: number;
  /** basis points: 1% = 100 */
  pnl_bp: number;
}

export interface OrderRequest {
  client_id: string;
  account_id: string;
  code: string;
  side: Side;
  qty: number;
  order_type: OrderType;
  price: number | null;
}

export interface Order {
  request: OrderRequest;
  status: OrderStatus;
  broker_order_id: string | null;
  filled_qty: number;
  filled_amount: number;
  reason: string | null;
  /** What refused it: a risk rule's name, or `broker` (then its code is in `reason`). */
  rule?: string | null;
  /** For an order made by a 정정: the client id of the order it replaced. */
  replaces?: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface Fill {
  fill_id: string;
  client_id: string;
  account_id: string;
  code: string;
  side: Side;
  qty: number;
  price: number;
  commission: number;
  tax: number;
  ts: string;
}

/** The body of PATCH /api/orders/{id}: what a 정정 changes. */
export interface OrderChange {
  price?: number;
  qty?: number;
}

/**
 * True when a request may or may not have reached the server (no answer, a timeout, a
 * gateway or server error): the same key may be sent again, the server answers the first order.
 */
export function outcomeUnknown(err: unknown): boolean {
  return err instanceof ApiError && (err.kind === "network" || err.status === 408 || err.status >= 500);
}

/** The body of POST /api/orders; `price` only for limit orders. */
export interface OrderTicket {
  code: string;
  side: Side;
  qty: number;
  order_type: OrderType;
  price?: number;
  client_id?: string;
}

export interface KillState {
  killed: boolean;
  /** Client ids of the orders cancelled by turning the switch on. */
  cancelled: string[];
}

// ---- backtests and indicators

/** The strategies the server knows (there is no listing route: see src/strategies.ts). */
export type StrategyName = "sma_cross" | "ten_tick";

/** The body of POST /api/backtests. Empty `codes`: every code with bars of the strategy's timeframe. */
export interface BacktestRequest {
  strategy: string;
  params: Record<string, number>;
  codes: string[];
  start: string | null;
  end: string | null;
  /** KRW: per code's account, or in all when `shared_cash`. */
  cash: number;
  shared_cash: boolean;
  /** A fraction of each bar's volume, as a decimal string ("0.1"): the server takes ≤ 4 places. */
  participation: string;
}

export interface BacktestAccepted {
  run_id: string;
  job: string;
  status: JobStatus;
  backtest_id: string;
}

/**
 * Ratios are fractions (0.0151 = 1.51%), money integer KRW; a ratio whose denominator is
 * zero (no volatility, no losing trade) is null. Keys the page does not know are shown as sent.
 */
export interface BacktestStats {
  initial_equity?: number;
  final_equity?: number;
  total_return?: number;
  annual_return?: number | null;
  volatility?: number | null;
  sharpe?: number | null;
  sortino?: number | null;
  max_drawdown?: number;
  max_drawdown_duration?: number;
  trades?: number;
  win_rate?: number | null;
  profit_factor?: number | null;
  avg_trade_pnl?: number | null;
  exposure?: number;
  turnover?: number;
  commission?: number;
  tax?: number;
  costs?: number;
  codes?: number;
  bars?: number;
  open_positions?: number;
  [key: string]: number | null | undefined;
}

/** What the run was given, as stored: the strategy's own parameters under `strategy`. */
export interface BacktestParams {
  strategy?: Record<string, unknown>;
  timeframe?: Timeframe;
  cash?: number;
  shared_cash?: boolean;
  commission_rate?: string;
  participation?: string;
  [key: string]: unknown;
}

export interface BacktestSummary {
  backtest_id: string;
  strategy: string;
  params: BacktestParams;
  /** In a list: the first 20 codes only; `code_count` says how many there are. */
  codes: string[];
  code_count: number;
  start: string;
  end: string;
  created_at: string;
  stats: BacktestStats;
}

/** GET /api/backtests: one page of summaries, newest first. */
export interface BacktestPage {
  total: number;
  limit: number;
  offset: number;
  items: BacktestSummary[];
}

export type TradeReason = "signal" | "take_profit" | "stop_loss" | "max_holding" | "open";

/** One round trip. Times: "YYYY-MM-DD" for daily runs, ISO with offset for minute runs. */
export interface BacktestTrade {
  code: string;
  entry_at: string;
  /** null while still held at the end (valued at the last close). */
  exit_at: string | null;
  qty: number;
  entry_price: number;
  exit_price: number | null;
  bought: number;
  sold: number;
  commission: number;
  tax: number;
  pnl: number;
  return: number;
  bars: number;
  reason: TradeReason | string;
}

export interface BacktestLinks {
  report: string | null;
  json_export: string;
  charts: string[];
}

export interface BacktestDetail extends BacktestSummary {
  trades: BacktestTrade[];
  /** [KST date, equity in KRW], one point a day. */
  equity: [string, number][];
  links: BacktestLinks;
}

/** Indicator columns aligned with `t` (the price route's times); null where undefined. */
export interface IndicatorSeries {
  code: string;
  timeframe: Timeframe;
  count: number;
  t: number[];
  columns: Record<string, (number | null)[]>;
}

export interface IndicatorQuery {
  tf: Timeframe;
  /** YYYY-MM-DD or an ISO time (inclusive). */
  start?: string;
  end?: string;
  limit?: number;
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

export type Query = Record<string, string | number | boolean | readonly string[] | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (Array.isArray(value)) for (const v of value) params.append(key, v); // ?status=a&status=b
    else if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

interface RequestOptions {
  method?: "GET" | "POST" | "PATCH" | "DELETE";
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
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
  const init: RequestInit = { method: options.method ?? "GET", headers, signal: options.signal };
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  let res: Response;
  try {
    res = await fetch(withQuery(path, options.query), init);
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

  /** Bars of a timeframe; the newest `limit` when given (the server's default: 5,000). */
  prices: (code: string, tf: Timeframe, signal?: AbortSignal, limit?: number) =>
    request<PriceSeries>(`/api/codes/${encodeURIComponent(code)}/prices`, { query: { tf, limit }, signal }),

  flows: (code: string, kind: FlowKind, limit: number, signal?: AbortSignal) =>
    request<FlowList>(`/api/codes/${encodeURIComponent(code)}/flows`, {
      query: { kind, limit },
      signal,
    }),

  jobs: (signal?: AbortSignal) => request<JobList>("/api/jobs", { signal }),

  runs: (query: { name?: string; status?: JobStatus; limit?: number }, signal?: AbortSignal) =>
    request<JobRun[]>("/api/jobs/runs", { query, signal }),

  /** One run of a job; 404 until the launched process has written its first record. */
  run: (runId: string, signal?: AbortSignal) =>
    request<JobRun>(`/api/jobs/runs/${encodeURIComponent(runId)}`, { signal }),

  startBacktest: (body: BacktestRequest, token: string) =>
    request<BacktestAccepted>("/api/backtests", { method: "POST", body, token }),

  /** Newest first, without trades and equity, a page at a time. */
  backtests: (limit: number, offset: number, signal?: AbortSignal) =>
    request<BacktestPage>("/api/backtests", { query: { limit, offset }, signal }),

  backtest: (id: string, signal?: AbortSignal) =>
    request<BacktestDetail>(`/api/backtests/${encodeURIComponent(id)}`, { signal }),

  indicators: (code: string, names: readonly string[], query: IndicatorQuery, signal?: AbortSignal) =>
    request<IndicatorSeries>(`/api/codes/${encodeURIComponent(code)}/indicators`, {
      query: { names: names.join(","), ...query },
      signal,
    }),

  runJob: (name: string, token: string) =>
    request<RunAccepted>(`/api/jobs/${encodeURIComponent(name)}/run`, { method: "POST", token }),

  account: (signal?: AbortSignal) => request<Account>("/api/account", { signal }),
  positions: (signal?: AbortSignal) => request<Position[]>("/api/positions", { signal }),

  /** Newest first. `open` asks for the open ones; `status` for any of these statuses. */
  orders: (query: { status?: readonly OrderStatus[]; open?: boolean; limit?: number }, signal?: AbortSignal) =>
    request<Order[]>("/api/orders", {
      query: { status: query.status, open: query.open ? "true" : undefined, limit: query.limit },
      signal,
    }),

  /** Oldest first. */
  fills: (query: { client_id?: string; limit?: number }, signal?: AbortSignal) =>
    request<Fill[]>("/api/fills", { query, signal }),

  placeOrder: (ticket: OrderTicket, token: string) =>
    request<Order>("/api/orders", { method: "POST", body: ticket, token }),

  /** 정정: a new price and/or a smaller quantity; answers the new order (its `replaces` is the old). */
  modifyOrder: (clientId: string, change: OrderChange, token: string) =>
    request<Order>(`/api/orders/${encodeURIComponent(clientId)}`, { method: "PATCH", body: change, token }),

  cancelOrder: (clientId: string, token: string) =>
    request<Order>(`/api/orders/${encodeURIComponent(clientId)}`, { method: "DELETE", token }),

  killState: (signal?: AbortSignal) => request<KillState>("/api/kill", { signal }),

  setKill: (on: boolean, cancelOpen: boolean, token: string) =>
    request<KillState>("/api/kill", { method: "POST", body: { on, cancel_open: cancelOpen }, token }),
};
