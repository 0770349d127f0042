// Pure conversions from the API's price columns to what lightweight-charts draws.
// Daily bars are business days ("YYYY-MM-DD", the KST trading date). Minute bars are
// shifted by +9 h before they become UTCTimestamps: the chart labels its axis in UTC,
// so the shift makes it print KST wall-clock times whatever the browser's time zone.

import type {
  CandlestickData,
  HistogramData,
  LineData,
  Time,
  UTCTimestamp,
} from "lightweight-charts";
import type { PriceSeries, Timeframe } from "../api";
import { KST_OFFSET_SECONDS, formatKstDate, kstParts } from "../format";
import {
  FALL,
  FALL_VOLUME,
  FLAT,
  FLAT_VOLUME,
  RISE,
  RISE_VOLUME,
} from "../theme";

export function chartTime(t: number, tf: Timeframe): Time {
  return tf === "1d" ? formatKstDate(t) : ((t + KST_OFFSET_SECONDS) as UTCTimestamp);
}

/** Candle colour by its own body (양봉 red, 음봉 blue, doji grey). */
export function candleColor(open: number, close: number): string {
  return close > open ? RISE : close < open ? FALL : FLAT;
}

export function toCandles(s: PriceSeries): CandlestickData<Time>[] {
  const out: CandlestickData<Time>[] = new Array(s.t.length);
  for (let i = 0; i < s.t.length; i++) {
    const open = s.open[i]!;
    const close = s.close[i]!;
    const bar: CandlestickData<Time> = {
      time: chartTime(s.t[i]!, s.timeframe),
      open,
      high: s.high[i]!,
      low: s.low[i]!,
      close,
    };
    if (open === close) Object.assign(bar, { color: FLAT, borderColor: FLAT, wickColor: FLAT });
    out[i] = bar;
  }
  return out;
}

export function toVolumes(s: PriceSeries): HistogramData<Time>[] {
  const out: HistogramData<Time>[] = new Array(s.t.length);
  for (let i = 0; i < s.t.length; i++) {
    const open = s.open[i]!;
    const close = s.close[i]!;
    out[i] = {
      time: chartTime(s.t[i]!, s.timeframe),
      value: s.volume[i]!,
      color: close > open ? RISE_VOLUME : close < open ? FALL_VOLUME : FLAT_VOLUME,
    };
  }
  return out;
}

/** Simple moving average; null until `period` values are in (a running sum: O(n)). */
export function movingAverage(values: readonly number[], period: number): (number | null)[] {
  const out: (number | null)[] = new Array(values.length).fill(null);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= period) sum -= values[i - period]!;
    if (i >= period - 1) out[i] = sum / period;
  }
  return out;
}

export function maLine(s: PriceSeries, period: number): LineData<Time>[] {
  const ma = movingAverage(s.close, period);
  const out: LineData<Time>[] = [];
  for (let i = 0; i < ma.length; i++) {
    const value = ma[i];
    if (value !== null && value !== undefined) out.push({ time: chartTime(s.t[i]!, s.timeframe), value });
  }
  return out;
}

export const MA_PERIODS = [5, 20, 60, 120] as const;
export type MaPeriod = (typeof MA_PERIODS)[number];

export const RANGES = {
  "1d": ["1M", "3M", "1Y", "5Y", "ALL"],
  "1m": ["1H", "1D", "5D", "ALL"],
} as const satisfies Record<Timeframe, readonly string[]>;

export type RangeKey = (typeof RANGES)[Timeframe][number];

export const DEFAULT_RANGE: Record<Timeframe, RangeKey> = { "1d": "1Y", "1m": "1D" };

export function isRange(tf: Timeframe, value: string | null): value is RangeKey {
  return value !== null && (RANGES[tf] as readonly string[]).includes(value);
}

/** Epoch seconds of 00:00 KST on the given KST calendar day (month may under/overflow). */
function kstMidnight(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) / 1000 - KST_OFFSET_SECONDS;
}

function firstIndexAtOrAfter(t: readonly number[], from: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first bar a range preset shows (the last bar is always in view). */
export function rangeStart(t: readonly number[], range: RangeKey): number {
  if (t.length === 0 || range === "ALL") return 0;
  const last = t[t.length - 1]!;
  const p = kstParts(last);
  let from: number;
  switch (range) {
    case "1M":
      from = kstMidnight(p.year, p.month - 1, p.day + 1);
      break;
    case "3M":
      from = kstMidnight(p.year, p.month - 3, p.day + 1);
      break;
    case "1Y":
      from = kstMidnight(p.year - 1, p.month, p.day + 1);
      break;
    case "5Y":
      from = kstMidnight(p.year - 5, p.month, p.day + 1);
      break;
    case "1H":
      from = last - 3600 + 60;
      break;
    case "1D":
      from = kstMidnight(p.year, p.month, p.day);
      break;
    case "5D": {
      // five trading sessions back: count distinct KST days from the end
      let days = 0;
      let prev = "";
      let i = t.length - 1;
      for (; i >= 0; i--) {
        const day = formatKstDate(t[i]!);
        if (day !== prev) {
          days += 1;
          prev = day;
          if (days > 5) break;
        }
      }
      return i + 1;
    }
  }
  return Math.min(firstIndexAtOrAfter(t, from), t.length - 1);
}
