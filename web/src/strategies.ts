// The strategies a backtest can run, with their parameters: the one place the client
// knows them. They mirror the server's `stocklab.trading.strategy` (SmaCrossParams,
// TenTickParams); the server has no listing route yet, and checks every request again.

import type { StrategyName, Timeframe } from "./api";
import type { MessageKey } from "./i18n";

export interface ParamSpec {
  key: string;
  label: MessageKey;
  hint: MessageKey;
  min: number;
  max: number;
  default: number;
}

/** A rule across parameters (sma_cross: fast < slow); returns the key at fault and why. */
export type CrossCheck = (values: Record<string, number>) => { key: string; message: MessageKey } | null;

export interface StrategySpec {
  name: StrategyName;
  label: MessageKey;
  description: MessageKey;
  timeframe: Timeframe;
  params: readonly ParamSpec[];
  check?: CrossCheck;
}

export const STRATEGIES: readonly StrategySpec[] = [
  {
    name: "sma_cross",
    label: "strategy.sma_cross",
    description: "strategy.sma_cross.about",
    timeframe: "1d",
    params: [
      { key: "fast", label: "strategy.sma_cross.fast", hint: "strategy.bars", min: 1, max: 500, default: 5 },
      { key: "slow", label: "strategy.sma_cross.slow", hint: "strategy.bars", min: 2, max: 1000, default: 20 },
    ],
    check: (v) =>
      v.fast !== undefined && v.slow !== undefined && v.fast >= v.slow
        ? { key: "fast", message: "strategy.sma_cross.order" }
        : null,
  },
  {
    name: "ten_tick",
    label: "strategy.ten_tick",
    description: "strategy.ten_tick.about",
    timeframe: "1m",
    params: [
      { key: "qty", label: "strategy.ten_tick.qty", hint: "strategy.shares", min: 1, max: 1_000_000, default: 10 },
      { key: "ticks", label: "strategy.ten_tick.ticks", hint: "strategy.ticks", min: 1, max: 100, default: 10 },
    ],
  },
];

export function strategySpec(name: string): StrategySpec | undefined {
  return STRATEGIES.find((s) => s.name === name);
}

/** "fast 5 · slow 20" from a stored run's strategy parameters. */
export function describeParams(params: Record<string, unknown> | undefined): string {
  if (!params) return "";
  return Object.entries(params)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(" · ");
}
