// Numbers and times as a Korean trader reads them: thousands separators, ▲/▼ changes,
// signed rates, and every time in KST whatever the browser's own time zone.

import type { Lang } from "./i18n";

/** KST is UTC+9 all year (Korea has had no daylight saving since 1988), so a fixed offset is exact. */
export const KST_OFFSET_SECONDS = 9 * 3600;

const NUMBER = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const DASH = "—";

/** 38050 → "38,050"; missing values → "—". */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return DASH;
  return NUMBER.format(value);
}

export const formatPrice = formatNumber;

export type Direction = "rise" | "fall" | "flat";

/** Which colour a change gets: red up, blue down, grey unchanged (or unknown). */
export function direction(value: number | null | undefined): Direction {
  if (value === null || value === undefined || value === 0 || Number.isNaN(value)) return "flat";
  return value > 0 ? "rise" : "fall";
}

/** A change in won with the Korean ▲/▼ marks: 50 → "▲50", -880 → "▼880", 0 → "0". */
export function formatChange(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return DASH;
  if (value === 0) return "0";
  return `${value > 0 ? "▲" : "▼"}${NUMBER.format(Math.abs(value))}`;
}

/** Basis points as a signed percent: 13 → "+0.13%", -459 → "-4.59%". */
export function formatRateBp(bp: number | null | undefined): string {
  if (bp === null || bp === undefined || Number.isNaN(bp)) return DASH;
  const sign = bp > 0 ? "+" : bp < 0 ? "-" : "";
  return `${sign}${(Math.abs(bp) / 100).toFixed(2)}%`;
}

/** A change relative to a base, in basis points (rounded), or null without a base. */
export function changeBp(value: number, base: number | null | undefined): number | null {
  if (base === null || base === undefined || base === 0) return null;
  return Math.round(((value - base) * 10000) / base);
}

/** Net quantities (investor flows): 33147 → "+33,147", -42284 → "-42,284". */
export function formatSigned(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return DASH;
  if (value === 0) return "0";
  return `${value > 0 ? "+" : "-"}${NUMBER.format(Math.abs(value))}`;
}

/** Large won amounts the Korean way (조/억/만) or with K/M/B/T in English. */
export function formatCompact(value: number | null | undefined, lang: Lang): string {
  if (value === null || value === undefined || Number.isNaN(value)) return DASH;
  const abs = Math.abs(value);
  const sign = value < 0 ? "-" : "";
  const one = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1).replace(/\.0$/, ""));
  if (lang === "ko") {
    if (abs >= 1e12) return `${sign}${one(abs / 1e12)}조`;
    if (abs >= 1e8) return `${sign}${one(abs / 1e8)}억`;
    if (abs >= 1e4) return `${sign}${one(abs / 1e4)}만`;
    return `${sign}${NUMBER.format(abs)}`;
  }
  if (abs >= 1e12) return `${sign}${one(abs / 1e12)}T`;
  if (abs >= 1e9) return `${sign}${one(abs / 1e9)}B`;
  if (abs >= 1e6) return `${sign}${one(abs / 1e6)}M`;
  if (abs >= 1e3) return `${sign}${one(abs / 1e3)}K`;
  return `${sign}${NUMBER.format(abs)}`;
}

/** Epoch seconds, or milliseconds from an ISO string or Date, normalised to epoch seconds. */
export function toEpochSeconds(value: number | string | Date): number {
  if (typeof value === "number") return value;
  const ms = typeof value === "string" ? Date.parse(value) : value.getTime();
  return Math.floor(ms / 1000);
}

const pad = (n: number) => String(n).padStart(2, "0");

interface KstParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

export function kstParts(value: number | string | Date): KstParts {
  const d = new Date((toEpochSeconds(value) + KST_OFFSET_SECONDS) * 1000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  };
}

/** "2024-11-15" (the KST calendar day). */
export function formatKstDate(value: number | string | Date): string {
  const p = kstParts(value);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** "15:30" in KST (seconds when asked for). */
export function formatKstTime(value: number | string | Date, seconds = false): string {
  const p = kstParts(value);
  return seconds ? `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` : `${pad(p.hour)}:${pad(p.minute)}`;
}

/** "2024-11-15 16:00" in KST. */
export function formatKstDateTime(value: number | string | Date, seconds = false): string {
  return `${formatKstDate(value)} ${formatKstTime(value, seconds)}`;
}

const WEEKDAYS: Record<Lang, string[]> = {
  ko: ["일", "월", "화", "수", "목", "금", "토"],
  en: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
};

/** "월" / "Mon": the KST weekday. */
export function kstWeekday(value: number | string | Date, lang: Lang): string {
  return WEEKDAYS[lang][kstParts(value).weekday] ?? "";
}

/** "2024-11-18 (월)": a trading day with its weekday. */
export function formatKstDay(value: number | string | Date, lang: Lang): string {
  return `${formatKstDate(value)} (${kstWeekday(value, lang)})`;
}

/** A span of time for run durations: "4.1초", "2분 5초" / "4.1 s", "2 min 5 s". */
export function formatDuration(ms: number, lang: Lang): string {
  if (!Number.isFinite(ms) || ms < 0) return DASH;
  const s = ms / 1000;
  const [sec, min, hr, day] = lang === "ko" ? ["초", "분", "시간", "일"] : [" s", " min", " h", " d"];
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)}${sec}`;
  const total = Math.round(s);
  if (total >= 86400) {
    const d = Math.floor(total / 86400);
    const rest = Math.floor((total % 86400) / 3600);
    return rest ? `${d}${day} ${rest}${hr}` : `${d}${day}`;
  }
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  if (h > 0) return m ? `${h}${hr} ${m}${min}` : `${h}${hr}`;
  return rest ? `${m}${min} ${rest}${sec}` : `${m}${min}`;
}

/** "3시간 후" / "in 3 h", "5분 전" / "5 min ago", relative to `now` (ms). */
export function formatRelative(target: number | string | Date, now: number, lang: Lang): string {
  const diff = toEpochSeconds(target) * 1000 - now;
  const span = formatDuration(Math.abs(diff) < 60_000 ? Math.abs(diff) : Math.round(Math.abs(diff) / 60_000) * 60_000, lang);
  if (lang === "ko") return diff >= 0 ? `${span} 후` : `${span} 전`;
  return diff >= 0 ? `in ${span}` : `${span} ago`;
}

/** An amount of money: "1,234,000원" / "₩1,234,000"; `signed` adds "+" to gains (P&L). */
export function formatWon(value: number | null | undefined, lang: Lang, signed = false): string {
  if (value === null || value === undefined || Number.isNaN(value)) return DASH;
  const sign = value < 0 ? "-" : signed && value > 0 ? "+" : "";
  const abs = NUMBER.format(Math.abs(value));
  return lang === "ko" ? `${sign}${abs}원` : `${sign}₩${abs}`;
}

/** A rate given in basis points, unsigned, two or three decimals: 20 → "0.20%", 1.5 → "0.015%". */
export function formatBp(bp: number): string {
  const text = (bp / 100).toFixed(3);
  return `${text.endsWith("0") ? text.slice(0, -1) : text}%`;
}
