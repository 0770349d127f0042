import { type IChartApi, LineSeries, createChart } from "lightweight-charts";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { IndicatorSeries, PriceSeries } from "../api";
import { quietCanvas } from "../test/canvas";
import { bars } from "../test/trading";
import {
  type Aligned,
  IndicatorLayer,
  alignIndicators,
  indicatorQuery,
  parseIndicators,
  toggleIndicator,
} from "./indicators";

const DAILY: PriceSeries = bars("1d", [
  ["2024-11-11T00:00:00", 100],
  ["2024-11-12T00:00:00", 110],
  ["2024-11-13T00:00:00", 105],
  ["2024-11-14T00:00:00", 120],
]);

const COLUMNS: Aligned = {
  bb20_upper: [null, 130, 131, 132],
  bb20_mid: [null, 110, 111, 112],
  bb20_lower: [null, 90, 91, 92],
  ema12: [null, null, 106, 110],
  ema26: [null, null, 104, 108],
  rsi14: [null, 55, 48.5, 61.25],
  macd: [null, 1, -0.5, 2],
  macd_signal: [null, 0.5, 0.2, 0.9],
  macd_hist: [null, 0.5, -0.7, 1.1],
};

describe("indicator toggles in the URL", () => {
  it("reads known keys in a fixed order and drops others", () => {
    expect(parseIndicators("macd,bb,nope")).toEqual(["bb", "macd"]);
    expect(parseIndicators(null)).toEqual([]);
  });

  it("toggles one key, keeping the order", () => {
    expect(toggleIndicator(["macd"], "rsi")).toEqual(["rsi", "macd"]);
    expect(toggleIndicator(["rsi", "macd"], "rsi")).toEqual(["macd"]);
  });
});

describe("the request and its columns", () => {
  it("asks for exactly the loaded daily bars", () => {
    expect(indicatorQuery(DAILY)).toEqual({ tf: "1d", start: "2024-11-11", end: "2024-11-14", limit: 4 });
  });

  it("names minute bars by their KST time with the offset", () => {
    const minute = bars("1m", [
      ["2024-11-15T09:00:00", 100],
      ["2024-11-15T10:29:00", 101],
    ]);
    expect(indicatorQuery(minute)).toEqual({
      tf: "1m",
      start: "2024-11-15T09:00:00+09:00",
      end: "2024-11-15T10:29:00+09:00",
      limit: 2,
    });
  });

  it("aligns columns with the bars by time, null where the route has none", () => {
    const data: IndicatorSeries = {
      code: "005930",
      timeframe: "1d",
      count: 3,
      t: [DAILY.t[1]!, DAILY.t[2]!, DAILY.t[3]!],
      columns: { rsi14: [55, null, 61.25] },
    };
    expect(alignIndicators(DAILY.t, data)).toEqual({ rsi14: [null, 55, null, 61.25] });
    const same = { ...data, t: DAILY.t, count: 4, columns: { rsi14: [null, 55, 48.5, 61.25] } };
    expect(alignIndicators(DAILY.t, same).rsi14).toEqual([null, 55, 48.5, 61.25]);
  });
});

describe("the indicator layer on a chart", () => {
  let chart: IChartApi;
  let layer: IndicatorLayer;
  const seriesPerPane = () => chart.panes().map((p) => p.getSeries().length);

  beforeEach(() => {
    quietCanvas();
    const box = document.createElement("div");
    document.body.append(box);
    chart = createChart(box, { width: 600, height: 400 });
    // as PriceChart has it: candles (pane 0) and volume (pane 1)
    chart.addSeries(LineSeries, {}, 0);
    chart.addSeries(LineSeries, {}, 1);
    layer = new IndicatorLayer(chart);
  });
  afterEach(() => {
    chart.remove();
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
  });

  it("adds the bands and EMAs on the price pane and removes them again", () => {
    layer.sync(["bb"], DAILY, COLUMNS);
    expect(seriesPerPane()).toEqual([4, 1]);
    layer.sync(["bb", "ema"], DAILY, COLUMNS);
    expect(seriesPerPane()).toEqual([6, 1]);
    expect(layer.seriesCount()).toBe(5);
    // the lines start where the server's values do
    const upper = chart.panes()[0]!.getSeries()[1]!;
    expect(upper.data().map((d) => ("value" in d ? d.value : null))).toEqual([130, 131, 132]);
    layer.sync(["ema"], DAILY, COLUMNS);
    expect(seriesPerPane()).toEqual([3, 1]);
    layer.sync([], DAILY, COLUMNS);
    expect(seriesPerPane()).toEqual([1, 1]);
    expect(layer.seriesCount()).toBe(0);
  });

  it("gives RSI and MACD a pane each, RSI on top, and takes the panes away with them", () => {
    layer.sync(["macd"], DAILY, COLUMNS);
    expect(seriesPerPane()).toEqual([1, 1, 3]); // histogram, MACD line, signal
    layer.sync(["rsi", "macd"], DAILY, COLUMNS);
    expect(seriesPerPane()).toEqual([1, 1, 1, 3]);
    expect(layer.oscillatorKeys()).toEqual(["rsi", "macd"]);
    expect(chart.panes()[2]!.getStretchFactor()).toBeCloseTo(1.2);
    // the histogram is coloured by sign, red up and blue down
    const hist = chart.panes()[3]!.getSeries()[0]!;
    const colors = hist.data().map((d) => ("color" in d ? d.color : null));
    expect(colors[0]).toMatch(/214, 0, 0/);
    expect(colors[1]).toMatch(/0, 81, 199/);
    layer.sync(["macd"], DAILY, COLUMNS);
    expect(seriesPerPane()).toEqual([1, 1, 3]);
    layer.sync([], DAILY, COLUMNS);
    expect(seriesPerPane()).toEqual([1, 1]);
  });

  it("keeps the RSI on a 0–100 scale with guides at 30 and 70", () => {
    layer.sync(["rsi"], DAILY, COLUMNS);
    const rsi = chart.panes()[2]!.getSeries()[0]!;
    expect(rsi.data()).toHaveLength(3);
    expect(rsi.options().autoscaleInfoProvider?.(() => null)).toEqual({ priceRange: { minValue: 0, maxValue: 100 } });
  });

  it("adds the series while the values load, and fills them when they arrive", () => {
    layer.sync(["rsi"], DAILY, null);
    expect(seriesPerPane()).toEqual([1, 1, 1]);
    expect(chart.panes()[2]!.getSeries()[0]!.data()).toHaveLength(0);
    layer.sync(["rsi"], DAILY, COLUMNS);
    expect(chart.panes()[2]!.getSeries()[0]!.data()).toHaveLength(3);
  });
});
