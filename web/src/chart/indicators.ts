// Indicator overlays of the stock chart: Bollinger bands and EMA(12/26) over the candles,
// RSI(14) and MACD(12·26·9) each in a pane of its own below the volume. The values are the
// server's (GET /api/codes/{code}/indicators over exactly the loaded bars), not computed
// here, so the page shows what backtests and reports compute.

import {
  HistogramSeries,
  type IChartApi,
  type ISeriesApi,
  type HistogramData,
  LineSeries,
  LineStyle,
  type LineData,
  type SeriesType,
  type Time,
} from "lightweight-charts";
import type { IndicatorQuery, IndicatorSeries, PriceSeries } from "../api";
import { formatKstDate, formatKstTime, formatNumber } from "../format";
import { FALL_VOLUME, RISE_VOLUME } from "../theme";
import { chartTime } from "./series";

export const INDICATOR_KEYS = ["bb", "ema", "rsi", "macd"] as const;
export type IndicatorKey = (typeof INDICATOR_KEYS)[number];
export type OverlayKey = "bb" | "ema";
export type OscillatorKey = "rsi" | "macd";
/** Top to bottom below the volume pane. */
export const OSCILLATORS: readonly OscillatorKey[] = ["rsi", "macd"];
export const isOscillator = (k: IndicatorKey): k is OscillatorKey => k === "rsi" || k === "macd";

/** Asked for in one request, whichever are on, so toggling never fetches again. */
export const INDICATOR_NAMES = ["bb20", "ema12", "ema26", "rsi14", "macd"] as const;

export const RSI_GUIDES = [30, 70] as const;

/** None of them red or blue (those mean rise and fall), nor an MA's colour. */
export const INDICATOR_COLORS = {
  bb: "#94a3b8",
  ema12: "#0c8599",
  ema26: "#8f5b00",
  rsi: "#7048e8",
  macd: "#343a40",
  signal: "#f08c00",
} as const;

interface LineSpec {
  column: string;
  label: string;
  color: string;
  style?: LineStyle;
}

export const OVERLAY_LINES: Record<OverlayKey, readonly LineSpec[]> = {
  bb: [
    { column: "bb20_upper", label: "BB↑", color: INDICATOR_COLORS.bb },
    { column: "bb20_mid", label: "BB", color: INDICATOR_COLORS.bb, style: LineStyle.Dashed },
    { column: "bb20_lower", label: "BB↓", color: INDICATOR_COLORS.bb },
  ],
  ema: [
    { column: "ema12", label: "EMA12", color: INDICATOR_COLORS.ema12 },
    { column: "ema26", label: "EMA26", color: INDICATOR_COLORS.ema26 },
  ],
};

/** `?ind=bb,rsi` ↔ the keys that are on, in a fixed order; unknown names are dropped. */
export function parseIndicators(text: string | null): IndicatorKey[] {
  const wanted = new Set((text ?? "").split(","));
  return INDICATOR_KEYS.filter((k) => wanted.has(k));
}

export function toggleIndicator(on: readonly IndicatorKey[], key: IndicatorKey): IndicatorKey[] {
  const next = new Set(on);
  if (next.has(key)) next.delete(key);
  else next.add(key);
  return INDICATOR_KEYS.filter((k) => next.has(k));
}

/** One bar's time as the indicators route takes it: a KST day, or an ISO time with +09:00. */
function routeTime(t: number, tf: PriceSeries["timeframe"]): string {
  return tf === "1d" ? formatKstDate(t) : `${formatKstDate(t)}T${formatKstTime(t, true)}+09:00`;
}

/** The request that covers exactly the loaded bars. */
export function indicatorQuery(s: PriceSeries): IndicatorQuery {
  const n = s.t.length;
  if (n === 0) return { tf: s.timeframe };
  return { tf: s.timeframe, start: routeTime(s.t[0]!, s.timeframe), end: routeTime(s.t[n - 1]!, s.timeframe), limit: n };
}

/** Columns index-aligned with the loaded bars (matched by time; null where the route has none). */
export type Aligned = Record<string, (number | null)[]>;

export function alignIndicators(t: readonly number[], data: IndicatorSeries): Aligned {
  const same = data.t.length === t.length && data.t.every((x, i) => x === t[i]);
  const at = same ? null : new Map(data.t.map((x, i) => [x, i]));
  const out: Aligned = {};
  for (const [name, values] of Object.entries(data.columns)) {
    out[name] = same
      ? values.map((v) => (v === null || Number.isNaN(v) ? null : v))
      : t.map((x) => {
          const i = at!.get(x);
          const v = i === undefined ? null : values[i];
          return v === null || v === undefined || Number.isNaN(v) ? null : v;
        });
  }
  return out;
}

export function lineData(s: PriceSeries, values: readonly (number | null)[] | undefined): LineData<Time>[] {
  const out: LineData<Time>[] = [];
  if (!values) return out;
  for (let i = 0; i < s.t.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) out.push({ time: chartTime(s.t[i]!, s.timeframe), value: v });
  }
  return out;
}

export function histogramData(s: PriceSeries, values: readonly (number | null)[] | undefined): HistogramData<Time>[] {
  const out: HistogramData<Time>[] = [];
  if (!values) return out;
  for (let i = 0; i < s.t.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined)
      out.push({ time: chartTime(s.t[i]!, s.timeframe), value: v, color: v >= 0 ? RISE_VOLUME : FALL_VOLUME });
  }
  return out;
}

/** An indicator value for the readout: prices as won, RSI and MACD with two decimals. */
export function formatIndicator(value: number | null | undefined, decimals = 0): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return decimals === 0
    ? formatNumber(Math.round(value))
    : value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

// ---- the series on the chart

/** How tall an oscillator pane is against the volume pane (stretch factors: candles 3, volume 1). */
export const OSCILLATOR_STRETCH = 1.2;

const QUIET = { priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false } as const;
const PRICE = { type: "custom" as const, minMove: 1, formatter: (p: number) => formatNumber(Math.round(p)) };
const OSC_FORMAT = { type: "price" as const, precision: 2, minMove: 0.01 };

/**
 * Adds and removes the indicator series of a chart as the toggles change: overlays on the
 * price pane, an oscillator pane per RSI/MACD (kept in that order: turning RSI on while MACD
 * is shown rebuilds both, so RSI stays on top). Empty panes go away with their last series.
 */
export class IndicatorLayer {
  private readonly overlays = new Map<OverlayKey, ISeriesApi<"Line">[]>();
  private oscillators: { key: OscillatorKey; series: ISeriesApi<SeriesType>[] }[] = [];

  constructor(
    private readonly chart: IChartApi,
    private readonly pricePane = 0,
    private readonly firstOscillatorPane = 2,
  ) {}

  /** Series this layer holds (for tests and the chart's data attributes). */
  seriesCount(): number {
    let n = 0;
    for (const lines of this.overlays.values()) n += lines.length;
    for (const o of this.oscillators) n += o.series.length;
    return n;
  }

  oscillatorKeys(): OscillatorKey[] {
    return this.oscillators.map((o) => o.key);
  }

  sync(on: readonly IndicatorKey[], s: PriceSeries, data: Aligned | null): void {
    for (const key of ["bb", "ema"] as const) {
      const present = this.overlays.get(key);
      if (on.includes(key) && !present) {
        this.overlays.set(
          key,
          OVERLAY_LINES[key].map((spec) =>
            this.chart.addSeries(
              LineSeries,
              { ...QUIET, color: spec.color, lineWidth: 1, lineStyle: spec.style ?? LineStyle.Solid, priceFormat: PRICE },
              this.pricePane,
            ),
          ),
        );
      } else if (!on.includes(key) && present) {
        for (const line of present) this.chart.removeSeries(line);
        this.overlays.delete(key);
      }
      const lines = this.overlays.get(key);
      if (lines) OVERLAY_LINES[key].forEach((spec, i) => lines[i]?.setData(lineData(s, data?.[spec.column])));
    }

    const wanted = OSCILLATORS.filter((k) => on.includes(k));
    const have = this.oscillatorKeys();
    if (wanted.join() !== have.join()) {
      for (const o of this.oscillators) for (const series of o.series) this.chart.removeSeries(series);
      this.oscillators = wanted.map((key, i) => ({ key, series: this.addOscillator(key, this.firstOscillatorPane + i) }));
    }
    for (const o of this.oscillators) this.fillOscillator(o.key, o.series, s, data);

    const panes = this.chart.panes();
    for (let i = this.firstOscillatorPane; i < panes.length; i++) panes[i]!.setStretchFactor(OSCILLATOR_STRETCH);
  }

  private addOscillator(key: OscillatorKey, pane: number): ISeriesApi<SeriesType>[] {
    if (key === "rsi") {
      const rsi = this.chart.addSeries(
        LineSeries,
        {
          color: INDICATOR_COLORS.rsi,
          lineWidth: 1,
          priceLineVisible: false,
          crosshairMarkerVisible: false,
          title: "RSI14",
          priceFormat: { type: "price", precision: 1, minMove: 0.1 },
          autoscaleInfoProvider: () => ({ priceRange: { minValue: 0, maxValue: 100 } }),
        },
        pane,
      );
      rsi.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.08 } });
      for (const price of RSI_GUIDES)
        rsi.createPriceLine({ price, color: "#adb5bd", lineStyle: LineStyle.Dashed, lineWidth: 1, axisLabelVisible: true, title: "" });
      return [rsi];
    }
    const hist = this.chart.addSeries(HistogramSeries, { ...QUIET, priceFormat: OSC_FORMAT }, pane);
    const line = this.chart.addSeries(
      LineSeries,
      { color: INDICATOR_COLORS.macd, lineWidth: 1, priceLineVisible: false, crosshairMarkerVisible: false, title: "MACD", priceFormat: OSC_FORMAT },
      pane,
    );
    const signal = this.chart.addSeries(
      LineSeries,
      { ...QUIET, color: INDICATOR_COLORS.signal, lineWidth: 1, priceFormat: OSC_FORMAT },
      pane,
    );
    return [hist, line, signal];
  }

  private fillOscillator(key: OscillatorKey, series: ISeriesApi<SeriesType>[], s: PriceSeries, data: Aligned | null) {
    if (key === "rsi") {
      series[0]?.setData(lineData(s, data?.rsi14));
      return;
    }
    const [hist, line, signal] = series;
    hist?.setData(histogramData(s, data?.macd_hist));
    line?.setData(lineData(s, data?.macd));
    signal?.setData(lineData(s, data?.macd_signal));
  }
}
