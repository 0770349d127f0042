// A backtest's statistics, equity and trades as a person reads them. The labels and the
// kinds follow the server's HTML report (stocklab.backtest.report: STAT_LABELS, _PERCENT,
// _KRW), so the page and the report say the same thing; a null ratio shows as "—".

import type { HistogramData, LineData, Time } from "lightweight-charts";
import type { BacktestStats } from "../api";
import { formatKstDateTime, formatNumber, formatWon } from "../format";
import type { Lang, MessageKey } from "../i18n";

export type StatKind = "krw" | "pct" | "ratio" | "days" | "count";

export interface StatSpec {
  key: string;
  kind: StatKind;
  /** Coloured red/blue by sign (returns and P&L). */
  signed?: boolean;
}

/** In the report's order. */
export const STATS: readonly StatSpec[] = [
  { key: "initial_equity", kind: "krw" },
  { key: "final_equity", kind: "krw" },
  { key: "total_return", kind: "pct", signed: true },
  { key: "annual_return", kind: "pct", signed: true },
  { key: "volatility", kind: "pct" },
  { key: "sharpe", kind: "ratio" },
  { key: "sortino", kind: "ratio" },
  { key: "max_drawdown", kind: "pct" },
  { key: "max_drawdown_duration", kind: "days" },
  { key: "trades", kind: "count" },
  { key: "win_rate", kind: "pct" },
  { key: "profit_factor", kind: "ratio" },
  { key: "avg_trade_pnl", kind: "krw", signed: true },
  { key: "exposure", kind: "pct" },
  { key: "turnover", kind: "ratio" },
  { key: "commission", kind: "krw" },
  { key: "tax", kind: "krw" },
  { key: "costs", kind: "krw" },
  { key: "open_positions", kind: "count" },
  { key: "codes", kind: "count" },
  { key: "bars", kind: "count" },
];

/** The few that lead the page, big. */
export const HEADLINE = ["final_equity", "total_return", "annual_return", "max_drawdown", "sharpe", "trades", "win_rate"] as const;

export const statLabel = (key: string): MessageKey => `stat.${key}` as MessageKey;

const DASH = "—";
const TWO = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A fraction as a percent with two decimals: 0.0151 → "1.51%"; `signed` adds "+" to gains. */
export function formatPct(value: number | null | undefined, signed = false): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  const pct = value * 100;
  const text = TWO.format(Math.abs(pct));
  if (text === "0.00") return "0.00%";
  return `${pct < 0 ? "-" : signed ? "+" : ""}${text}%`;
}

export function formatRatio(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  return TWO.format(value);
}

export function formatStat(spec: StatSpec, value: number | null | undefined, lang: Lang): string {
  if (value === null || value === undefined) return DASH;
  switch (spec.kind) {
    case "krw":
      return formatWon(value, lang, spec.signed);
    case "pct":
      return formatPct(value, spec.signed);
    case "ratio":
      return formatRatio(value);
    case "days":
      return lang === "ko" ? `${formatNumber(value)}거래일` : `${formatNumber(value)} trading days`;
    case "count":
      return formatNumber(value);
  }
}

/** Every statistic to list: the known ones in order, then any the server added. */
export function statList(stats: BacktestStats): StatSpec[] {
  const known = STATS.filter((s) => s.key in stats);
  const extra = Object.keys(stats)
    .filter((k) => !STATS.some((s) => s.key === k))
    .map((key): StatSpec => ({ key, kind: Number.isInteger(stats[key]) ? "count" : "ratio" }));
  return [...known, ...extra];
}

export function specOf(key: string): StatSpec {
  return STATS.find((s) => s.key === key) ?? { key, kind: "ratio" };
}

// ---- equity and drawdown

export interface EquityPoint {
  day: string;
  equity: number;
  /** Fall from the running peak (the initial equity counts as the first peak), ≤ 0, a fraction. */
  drawdown: number;
}

/** The curve with its drawdown; the deepest one equals the stats' max_drawdown. */
export function equityPoints(equity: readonly [string, number][], initial: number | undefined): EquityPoint[] {
  let peak = initial && initial > 0 ? initial : (equity[0]?.[1] ?? 0);
  return equity.map(([day, value]) => {
    peak = Math.max(peak, value);
    return { day, equity: value, drawdown: peak > 0 ? value / peak - 1 : 0 };
  });
}

export function equityLine(points: readonly EquityPoint[]): LineData<Time>[] {
  return points.map((p) => ({ time: p.day, value: p.equity }));
}

export function drawdownBars(points: readonly EquityPoint[], color: string): HistogramData<Time>[] {
  return points.map((p) => ({ time: p.day, value: p.drawdown * 100, color }));
}

// ---- trades

/** "2024-03-07" as it is (daily runs); an ISO time as KST "2024-11-15 09:01" (minute runs). */
export function formatTradeTime(value: string | null): string | null {
  if (value === null) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : formatKstDateTime(value);
}
