import { describe, expect, it } from "vitest";
import type { PriceSeries } from "../api";
import { FALL, FLAT, RISE } from "../theme";
import { visibleCount } from "./PriceChart";
import { chartTime, maLine, movingAverage, rangeStart, toCandles, toVolumes } from "./series";

const DAY = 86400;
// 00:00 KST of 2024-11-11 (Mon) .. 2024-11-15 (Fri), as the API sends daily bars.
const MON = Date.UTC(2024, 10, 10, 15) / 1000;

function daily(closes: number[], opens?: number[]): PriceSeries {
  const t = closes.map((_, i) => MON + i * DAY);
  return {
    code: "005930",
    timeframe: "1d",
    source: "sim",
    count: closes.length,
    t,
    open: opens ?? closes,
    high: closes.map((c) => c + 100),
    low: closes.map((c) => c - 100),
    close: closes,
    volume: closes.map(() => 1000),
    value: closes.map(() => null),
  };
}

describe("chart times", () => {
  it("gives daily bars their KST trading date as a business day", () => {
    expect(chartTime(MON, "1d")).toBe("2024-11-11");
  });

  it("shifts minute bars so the UTC-labelled axis reads KST", () => {
    const nineAm = Date.UTC(2024, 10, 15, 0, 0) / 1000; // 09:00 KST
    const shifted = chartTime(nineAm, "1m") as number;
    expect(new Date(shifted * 1000).getUTCHours()).toBe(9);
  });
});

describe("candles and volume", () => {
  it("colours by the candle's body: red up, blue down, grey doji", () => {
    const s = daily([110, 90, 100], [100, 100, 100]);
    const candles = toCandles(s);
    expect(candles[0]).toMatchObject({ time: "2024-11-11", open: 100, close: 110 });
    expect(candles[0]).not.toHaveProperty("color"); // series upColor (red) applies
    expect(candles[2]).toMatchObject({ color: FLAT });
    const volumes = toVolumes(s);
    expect(volumes.map((v) => v.value)).toEqual([1000, 1000, 1000]);
    expect(volumes[0]?.color).toMatch(/214, 0, 0/);
    expect(volumes[1]?.color).toMatch(/0, 81, 199/);
    expect([RISE, FALL]).toEqual(["#d60000", "#0051c7"]);
  });
});

describe("moving averages", () => {
  it("averages the last n closes, null until n are in", () => {
    expect(movingAverage([1, 2, 3, 4, 5], 3)).toEqual([null, null, 2, 3, 4]);
    expect(movingAverage([10, 20], 5)).toEqual([null, null]);
  });

  it("becomes a line that starts at the n-th bar", () => {
    const line = maLine(daily([100, 200, 300, 400, 500]), 5);
    expect(line).toEqual([{ time: "2024-11-15", value: 300 }]);
  });
});

describe("range presets", () => {
  it("starts a month back from the last bar", () => {
    // a bar every calendar day from 2024-01-01 to 2024-11-15
    const first = Date.UTC(2023, 11, 31, 15) / 1000;
    const t = Array.from({ length: 320 }, (_, i) => first + i * DAY);
    const start = rangeStart(t, "1M");
    expect(new Date((t[start]! + 9 * 3600) * 1000).toISOString().slice(0, 10)).toBe("2024-10-16");
    expect(rangeStart(t, "ALL")).toBe(0);
    expect(rangeStart(t, "5Y")).toBe(0);
  });

  it("shows the last session and the last hour of minute bars", () => {
    const open14 = Date.UTC(2024, 10, 14, 0, 0) / 1000;
    const open15 = Date.UTC(2024, 10, 15, 0, 0) / 1000;
    const t = [...Array.from({ length: 381 }, (_, i) => open14 + i * 60), ...Array.from({ length: 381 }, (_, i) => open15 + i * 60)];
    expect(rangeStart(t, "1D")).toBe(381);
    expect(rangeStart(t, "1H")).toBe(t.length - 60);
    expect(rangeStart(t, "5D")).toBe(0);
  });

  it("counts the bars inside a logical range", () => {
    expect(visibleCount(-1, 216, 214)).toBe(214);
    expect(visibleCount(190, 216, 214)).toBe(24);
    expect(visibleCount(10.2, 19.6, 214)).toBe(11);
  });
});
