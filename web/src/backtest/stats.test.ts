import { describe, expect, it } from "vitest";
import { equityPoints, formatPct, formatStat, formatTradeTime, specOf, statList } from "./stats";

describe("statistics as the report prints them", () => {
  it("prints fractions as percentages with two decimals", () => {
    expect(formatPct(-0.015067199999999947)).toBe("-1.51%");
    expect(formatPct(0.0151, true)).toBe("+1.51%");
    expect(formatPct(12.3456)).toBe("1,234.56%");
    expect(formatPct(-0.00001, true)).toBe("0.00%");
    expect(formatPct(null)).toBe("—");
  });

  it("formats each kind: won, percent, ratio, days, count; null as —", () => {
    expect(formatStat(specOf("final_equity"), 29_547_984, "ko")).toBe("29,547,984원");
    expect(formatStat(specOf("final_equity"), 29_547_984, "en")).toBe("₩29,547,984");
    expect(formatStat(specOf("avg_trade_pnl"), 48_110, "ko")).toBe("+48,110원");
    expect(formatStat(specOf("total_return"), 0.25, "ko")).toBe("+25.00%");
    expect(formatStat(specOf("max_drawdown"), 0.0994, "ko")).toBe("9.94%");
    expect(formatStat(specOf("sharpe"), -0.10106, "ko")).toBe("-0.10");
    expect(formatStat(specOf("profit_factor"), null, "ko")).toBe("—");
    expect(formatStat(specOf("max_drawdown_duration"), 118, "ko")).toBe("118거래일");
    expect(formatStat(specOf("max_drawdown_duration"), 118, "en")).toBe("118 trading days");
    expect(formatStat(specOf("bars"), 12_345, "ko")).toBe("12,345");
  });

  it("lists the known statistics in the report's order, then any new ones", () => {
    const keys = statList({ trades: 3, final_equity: 1, initial_equity: 1, brand_new: 0.5 }).map((s) => s.key);
    expect(keys).toEqual(["initial_equity", "final_equity", "trades", "brand_new"]);
  });
});

describe("the equity curve's drawdown", () => {
  it("falls from the running peak, the starting equity the first one", () => {
    const points = equityPoints(
      [
        ["2024-01-02", 9_000_000],
        ["2024-01-03", 11_000_000],
        ["2024-01-04", 9_900_000],
        ["2024-01-05", 12_000_000],
      ],
      10_000_000,
    );
    expect(points.map((p) => Math.round(p.drawdown * 1000) / 10)).toEqual([-10, 0, -10, 0]);
  });
});

describe("trade times", () => {
  it("keeps daily dates and prints minute times in KST", () => {
    expect(formatTradeTime("2024-03-07")).toBe("2024-03-07");
    expect(formatTradeTime("2024-11-15T09:01:00+09:00")).toBe("2024-11-15 09:01");
    expect(formatTradeTime(null)).toBeNull();
  });
});
