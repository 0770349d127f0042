// Backtest fixtures for component tests, shaped as the API sends them (a sma_cross run on
// three codes over the simulator's 2024, and the store overview that lists what is held).

import type { BacktestDetail, BacktestTrade, JobRun, Overview } from "../api";

export const OVERVIEW: Overview = {
  codes: 3,
  bars: 729,
  instruments: 3,
  series: ["005930", "000660", "069500"].flatMap((code) => [
    { code, timeframe: "1d" as const, count: 213, first: "2024-01-02T00:00:00+09:00", last: "2024-11-14T00:00:00+09:00", source: "sim" },
    { code, timeframe: "1m" as const, count: 90, first: "2024-11-15T09:00:00+09:00", last: "2024-11-15T10:29:00+09:00", source: "sim" },
  ]),
};

export function trade(changes: Partial<BacktestTrade> = {}): BacktestTrade {
  return {
    code: "005930",
    entry_at: "2024-03-07",
    exit_at: "2024-03-15",
    qty: 261,
    entry_price: 38_250,
    exit_price: 36_450,
    bought: 9_983_250,
    sold: 9_513_450,
    commission: 2_924,
    tax: 17_124,
    pnl: -489_848,
    return: -0.049066987203565976,
    bars: 7,
    reason: "signal",
    ...changes,
  };
}

export const STATS = {
  initial_equity: 30_000_000,
  final_equity: 29_547_984,
  total_return: -0.015067199999999947,
  annual_return: -0.017340559139182643,
  volatility: 0.11436160830490043,
  sharpe: null,
  sortino: -0.176136019755559,
  max_drawdown: 0.0262,
  max_drawdown_duration: 118,
  trades: 17,
  win_rate: 0.23529411764705882,
  profit_factor: null,
  avg_trade_pnl: -48_110,
  exposure: 0.46146614431471283,
  turnover: 11.32179057683877,
  commission: 51_630,
  tax: 299_586,
  costs: 351_216,
  codes: 3,
  bars: 639,
  open_positions: 1,
};

export function detail(changes: Partial<BacktestDetail> = {}): BacktestDetail {
  const id = changes.backtest_id ?? "bt-20241115103000-abcdef";
  return {
    backtest_id: id,
    strategy: "sma_cross",
    params: {
      strategy: { fast: 5, slow: 20 },
      timeframe: "1d",
      cash: 10_000_000,
      shared_cash: false,
      commission_rate: "0.00015",
      participation: "0.1",
    },
    codes: ["005930", "000660", "069500"],
    code_count: 3,
    start: "2024-01-02",
    end: "2024-11-14",
    created_at: "2024-11-15T10:30:07.783+09:00",
    stats: STATS,
    trades: [
      trade(),
      trade({ code: "000660", entry_at: "2024-03-29", exit_at: "2024-05-27", qty: 158, entry_price: 62_200, exit_price: 63_900, commission: 2_950, tax: 18_211, pnl: 247_439, return: 0.0252 }),
      trade({ code: "069500", entry_at: "2024-10-14", exit_at: null, qty: 75, entry_price: 146_000, exit_price: null, sold: 0, commission: 1_642, tax: 0, pnl: 365_858, return: 0.0334, reason: "open" }),
    ],
    equity: [
      ["2024-01-02", 30_000_000],
      ["2024-01-03", 30_500_000],
      ["2024-01-04", 29_700_900],
      ["2024-11-14", 29_547_984],
    ],
    links: {
      report: `/api/backtests/${id}/report`,
      json_export: `/api/backtests/${id}/result.json`,
      charts: [`/api/backtests/${id}/chart/equity.png`],
    },
    ...changes,
  };
}

export function jobRun(status: JobRun["status"], changes: Partial<JobRun> = {}): JobRun {
  return {
    run_id: "backtest-1",
    job: "backtest",
    status,
    trigger: "api",
    started_at: "2024-11-15T10:30:00+09:00",
    ended_at: status === "running" ? null : "2024-11-15T10:30:08.800+09:00",
    pid: 42,
    rows: status === "succeeded" ? 19 : 0,
    counts: {},
    error: null,
    log_tail: "",
    ...changes,
  };
}
