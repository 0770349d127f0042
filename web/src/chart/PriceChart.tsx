// Candlesticks with moving-average overlays above a volume pane (lightweight-charts v5),
// and the server's indicators when toggled on: Bollinger bands and EMAs over the candles,
// RSI and MACD in panes below the volume (see indicators.ts).
// The chart is created once per mount and fed new data in place, so switching timeframe
// or range never rebuilds the canvas or shifts the layout.

import {
  CandlestickSeries,
  ColorType,
  CrosshairMode,
  HistogramSeries,
  LineSeries,
  TickMarkType,
  createChart,
  type IChartApi,
  type ISeriesApi,
  type Time,
} from "lightweight-charts";
import { useEffect, useRef } from "react";
import type { PriceSeries } from "../api";
import { KST_OFFSET_SECONDS, formatCompact, formatKstDate, formatKstDateTime, formatNumber } from "../format";
import type { Lang } from "../i18n";
import { BACKGROUND, BORDER, FALL, FONT, GRID, MA_COLORS, RISE, TEXT } from "../theme";
import { type Aligned, type IndicatorKey, IndicatorLayer } from "./indicators";
import { MA_PERIODS, type MaPeriod, type RangeKey, maLine, rangeStart, toCandles, toVolumes } from "./series";

interface Props {
  series: PriceSeries;
  range: RangeKey;
  maPeriods: readonly MaPeriod[];
  /** Indicators toggled on, and their columns aligned with `series` (null while loading). */
  indicators?: readonly IndicatorKey[];
  indicatorData?: Aligned | null;
  lang: Lang;
  label: string;
  /** Index of the bar under the crosshair, or null when the pointer leaves. */
  onHover: (index: number | null) => void;
}

interface Handles {
  chart: IChartApi;
  candles: ISeriesApi<"Candlestick">;
  volume: ISeriesApi<"Histogram">;
  ma: Map<MaPeriod, ISeriesApi<"Line">>;
  layer: IndicatorLayer;
}

const MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Calendar parts of a chart time: business days as given, timestamps already shifted to KST. */
function timeParts(time: Time): { y: number; m: number; d: number; hh: number; mm: number } {
  if (typeof time === "number") {
    const date = new Date(time * 1000);
    return {
      y: date.getUTCFullYear(),
      m: date.getUTCMonth() + 1,
      d: date.getUTCDate(),
      hh: date.getUTCHours(),
      mm: date.getUTCMinutes(),
    };
  }
  if (typeof time === "string") {
    const [y, m, d] = time.split("-").map(Number);
    return { y: y ?? 0, m: m ?? 1, d: d ?? 1, hh: 0, mm: 0 };
  }
  return { y: time.year, m: time.month, d: time.day, hh: 0, mm: 0 };
}

const pad = (n: number) => String(n).padStart(2, "0");

export function tickLabel(time: Time, type: TickMarkType, lang: Lang): string {
  const p = timeParts(time);
  switch (type) {
    case TickMarkType.Year:
      return String(p.y);
    case TickMarkType.Month:
      return lang === "ko" ? `${p.m}월` : (MONTHS_EN[p.m - 1] ?? String(p.m));
    case TickMarkType.DayOfMonth:
      return lang === "ko" ? `${p.m}/${p.d}` : `${MONTHS_EN[p.m - 1] ?? p.m} ${p.d}`;
    default:
      return `${pad(p.hh)}:${pad(p.mm)}`;
  }
}

/** The crosshair's time label: the trading day, or day and KST time for minute bars. */
export function crosshairLabel(time: Time): string {
  if (typeof time === "number") return formatKstDateTime(time - KST_OFFSET_SECONDS);
  const p = timeParts(time);
  return formatKstDate(Date.UTC(p.y, p.m - 1, p.d) / 1000 - KST_OFFSET_SECONDS);
}

const NONE: readonly IndicatorKey[] = [];

export function PriceChart({ series, range, maPeriods, indicators = NONE, indicatorData = null, lang, label, onHover }: Props) {
  const boxRef = useRef<HTMLDivElement>(null);
  const handles = useRef<Handles | null>(null);
  const hover = useRef(onHover);
  hover.current = onHover;

  useEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const chart = createChart(box, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: BACKGROUND },
        textColor: TEXT,
        fontFamily: FONT,
        fontSize: 11,
        panes: { separatorColor: BORDER, enableResize: false },
      },
      grid: { vertLines: { color: GRID }, horzLines: { color: GRID } },
      rightPriceScale: { borderColor: BORDER },
      // Narrow bars allowed, so "all" fits twenty years of daily bars on a laptop.
      timeScale: { borderColor: BORDER, rightOffset: 3, minBarSpacing: 0.1 },
      crosshair: { mode: CrosshairMode.Normal },
    });
    const priceFormat = { type: "custom" as const, minMove: 1, formatter: (p: number) => formatNumber(Math.round(p)) };
    const candles = chart.addSeries(CandlestickSeries, {
      upColor: RISE,
      downColor: FALL,
      borderUpColor: RISE,
      borderDownColor: FALL,
      wickUpColor: RISE,
      wickDownColor: FALL,
      priceFormat,
    });
    const ma = new Map<MaPeriod, ISeriesApi<"Line">>();
    for (const period of MA_PERIODS) {
      ma.set(
        period,
        chart.addSeries(LineSeries, {
          color: MA_COLORS[period],
          lineWidth: 1,
          priceLineVisible: false,
          lastValueVisible: false,
          crosshairMarkerVisible: false,
          priceFormat,
        }),
      );
    }
    const volume = chart.addSeries(
      HistogramSeries,
      {
        priceLineVisible: false,
        lastValueVisible: false,
        priceFormat: { type: "custom", minMove: 1, formatter: (v: number) => formatCompact(Math.round(v), "en") },
      },
      1,
    );
    const panes = chart.panes();
    panes[0]?.setStretchFactor(3);
    panes[1]?.setStretchFactor(1);

    chart.subscribeCrosshairMove((param) => {
      const index = param.logical;
      hover.current(param.point && index !== undefined ? Math.round(index) : null);
    });
    // How many bars are in view, for tests and for anyone inspecting the page.
    chart.timeScale().subscribeVisibleLogicalRangeChange((r) => {
      const n = candles.data().length;
      box.dataset.visibleBars = String(r ? visibleCount(r.from, r.to, n) : 0);
    });
    handles.current = { chart, candles, volume, ma, layer: new IndicatorLayer(chart) };
    return () => {
      handles.current = null;
      chart.remove();
    };
  }, []);

  useEffect(() => {
    const h = handles.current;
    if (!h) return;
    h.chart.applyOptions({
      localization: { locale: lang === "ko" ? "ko-KR" : "en-US", timeFormatter: crosshairLabel },
      timeScale: { tickMarkFormatter: (time: Time, type: TickMarkType) => tickLabel(time, type, lang) },
    });
  }, [lang]);

  useEffect(() => {
    const h = handles.current;
    const box = boxRef.current;
    if (!h || !box) return;
    h.chart.applyOptions({ timeScale: { timeVisible: series.timeframe === "1m", secondsVisible: false } });
    h.candles.setData(toCandles(series));
    h.volume.setData(toVolumes(series));
    for (const [period, line] of h.ma) line.setData(maLine(series, period));
    box.dataset.bars = String(series.t.length);
    box.dataset.timeframe = series.timeframe;
  }, [series]);

  useEffect(() => {
    const h = handles.current;
    if (!h) return;
    for (const [period, line] of h.ma) line.applyOptions({ visible: maPeriods.includes(period) });
  }, [maPeriods]);

  useEffect(() => {
    const h = handles.current;
    const box = boxRef.current;
    if (!h || !box) return;
    h.layer.sync(indicators, series, indicatorData);
    box.dataset.indicators = indicators.join(",");
    box.dataset.panes = String(h.chart.panes().length);
    box.dataset.indicatorSeries = String(h.layer.seriesCount());
  }, [indicators, indicatorData, series]);

  useEffect(() => {
    const h = handles.current;
    const n = series.t.length;
    if (!h || n === 0) return;
    // Logical indexes, not times: the same code serves business days and minute timestamps.
    const from = rangeStart(series.t, range);
    h.chart.timeScale().setVisibleLogicalRange({ from: from - 1, to: n - 1 + 3 });
  }, [series, range]);

  return <div ref={boxRef} className="chart-canvas" role="img" aria-label={label} data-testid="price-chart" />;
}

/** Bars whose index lies inside the logical range [from, to] of a series of n bars. */
export function visibleCount(from: number, to: number, n: number): number {
  const first = Math.max(0, Math.round(from));
  const last = Math.min(n - 1, Math.round(to));
  return Math.max(0, last - first + 1);
}
