import { describe, expect, it } from "vitest";
import {
  checkLimitPrice,
  estimateCosts,
  isOnTick,
  priceLimits,
  roundToTick,
  sellTaxBp,
  stepTick,
  tickSize,
} from "./krx";

describe("tick sizes (2023 unified table)", () => {
  it.each([
    [1, 1],
    [1_999, 1],
    [2_000, 5],
    [4_995, 5],
    [5_000, 10],
    [19_990, 10],
    [20_000, 50],
    [49_950, 50],
    [50_000, 100],
    [199_900, 100],
    [200_000, 500],
    [499_500, 500],
    [500_000, 1_000],
    [1_234_000, 1_000],
  ])("%i → %i", (price, tick) => {
    expect(tickSize(price)).toBe(tick);
  });

  it("ETFs and ETNs step by 5 won at every price", () => {
    for (const price of [1_000, 4_525, 26_580, 150_000, 700_000]) expect(tickSize(price, "etf")).toBe(5);
    expect(tickSize(60_000, "ETN")).toBe(5);
    expect(isOnTick(26_585, "etf")).toBe(true);
    expect(isOnTick(26_585, "stock")).toBe(false);
    expect(isOnTick(26_583, "etf")).toBe(false);
  });

  it("knows the grid", () => {
    expect(isOnTick(70_000)).toBe(true);
    expect(isOnTick(70_050)).toBe(false);
    expect(isOnTick(1_999)).toBe(true);
    expect(isOnTick(2_003)).toBe(false);
    expect(isOnTick(0)).toBe(false);
    expect(isOnTick(-5)).toBe(false);
    expect(isOnTick(70_000.5)).toBe(false);
  });

  it("rounds to the grid, up into the next band when it must", () => {
    expect(roundToTick(70_050, "down")).toBe(70_000);
    expect(roundToTick(70_050, "up")).toBe(70_100);
    expect(roundToTick(19_995, "up")).toBe(20_000);
    expect(roundToTick(2_003, "down")).toBe(2_000);
    expect(roundToTick(499_900, "up")).toBe(500_000);
    expect(roundToTick(3, "down", "etf")).toBeNull();
    expect(roundToTick(3, "up", "etf")).toBe(5);
  });
});

describe("stepping by one tick across band boundaries", () => {
  it.each([
    // [price, up, down]
    [1_999, 2_000, 1_998],
    [2_000, 2_005, 1_999],
    [4_995, 5_000, 4_990],
    [5_000, 5_010, 4_995],
    [19_990, 20_000, 19_980],
    [20_000, 20_050, 19_990],
    [49_950, 50_000, 49_900],
    [50_000, 50_100, 49_950],
    [199_900, 200_000, 199_800],
    [200_000, 200_500, 199_900],
    [499_500, 500_000, 499_000],
    [500_000, 501_000, 499_500],
  ])("%i: ▲ %i, ▼ %i", (price, up, down) => {
    expect(stepTick(price, 1)).toBe(up);
    expect(stepTick(price, -1)).toBe(down);
  });

  it("snaps an off-grid price onto the grid in the direction of the step", () => {
    expect(stepTick(70_050, 1)).toBe(70_100);
    expect(stepTick(70_050, -1)).toBe(70_000);
    expect(stepTick(19_995, 1)).toBe(20_000);
  });

  it("ETFs step by 5 everywhere", () => {
    expect(stepTick(26_580, 1, "etf")).toBe(26_585);
    expect(stepTick(2_000, -1, "etf")).toBe(1_995);
    expect(stepTick(500_000, 1, "etf")).toBe(500_005);
  });

  it("never goes to zero", () => {
    expect(stepTick(1, -1)).toBeNull();
    expect(stepTick(5, -1, "etf")).toBeNull();
  });
});

describe("daily price limits (±30%)", () => {
  it.each([
    [10_550, 13_710, 7_390],
    [107_900, 140_200, 75_600],
    [4_525, 5_880, 3_170],
    [4_555, 5_920, 3_190],
  ])("reference %i → %i / %i (verified)", (reference, upper, lower) => {
    expect(priceLimits(reference)).toEqual({ lower, upper });
  });

  it("agrees with the server for the simulator's 삼성전자 (38,000 → 26,600 ~ 49,400)", () => {
    expect(priceLimits(38_000)).toEqual({ lower: 26_600, upper: 49_400 });
  });

  it("uses the ETF grid for ETFs", () => {
    // 26,580 × 1.3 = 34,554 → 34,550 (not 34,500 as a stock's 50-won tick would give)
    expect(priceLimits(26_580, "etf")).toEqual({ lower: 18_610, upper: 34_550 });
  });
});

describe("checking a limit price", () => {
  it("names the neighbours of an off-tick price", () => {
    expect(checkLimitPrice(70_050, 70_000)).toEqual({ kind: "tick", tick: 100, below: 70_000, above: 70_100 });
  });

  it("names the band (checked first, as the server does)", () => {
    expect(checkLimitPrice(95_000, 70_000)).toEqual({ kind: "band", lower: 49_000, upper: 91_000, reference: 70_000 });
    expect(checkLimitPrice(91_000, 70_000)).toBeNull();
    expect(checkLimitPrice(49_000, 70_000)).toBeNull();
  });

  it("checks the grid alone when the reference is unknown", () => {
    expect(checkLimitPrice(95_000, null)).toBeNull();
    expect(checkLimitPrice(95_050, null)?.kind).toBe("tick");
  });

  it("refuses a missing or non-positive price", () => {
    expect(checkLimitPrice(null, 70_000)).toEqual({ kind: "missing" });
    expect(checkLimitPrice(0, 70_000)).toEqual({ kind: "invalid" });
  });
});

describe("cost estimate", () => {
  it("charges 0.015% commission on buys, floored", () => {
    expect(estimateCosts("buy", 700_000, 20)).toEqual({ amount: 700_000, commission: 105, tax: 0, net: 700_105 });
    expect(estimateCosts("buy", 10_000, 20).commission).toBe(1);
  });

  it("adds the transaction tax on sells", () => {
    expect(estimateCosts("sell", 700_000, 20)).toEqual({ amount: 700_000, commission: 105, tax: 1_400, net: 698_495 });
  });

  it("takes the tax rate of the trade day, market and kind", () => {
    expect(sellTaxBp("2026-03-02", "KOSPI", "stock")).toBe(20);
    expect(sellTaxBp("2025-06-30", "KOSDAQ", "stock")).toBe(15);
    expect(sellTaxBp("2024-11-15", "KOSPI", "stock")).toBe(18);
    expect(sellTaxBp("2026-03-02", "KONEX", "stock")).toBe(10);
    expect(sellTaxBp("2026-03-02", "KOSPI", "etf")).toBe(0);
  });
});
