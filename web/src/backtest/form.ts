// The backtest form's values, their checks and the request they become. Pure: the page
// renders what `checkForm` says, the tests call it directly. The checks mirror the
// server's (BacktestIn, the strategies' Params, the store check); the server checks again.

import type { BacktestDetail, BacktestRequest, StrategyName, Timeframe } from "../api";
import type { MessageKey, Vars } from "../i18n";
import { STRATEGIES, type StrategySpec, strategySpec } from "../strategies";

export const MIN_CASH = 10_000;
/** The server's MAX_CASH (stocklab.backtest.layout). */
export const MAX_CASH = 1_000_000_000_000;
export const DEFAULT_CASH = 10_000_000;
/** Percent of a bar's volume (the API takes the fraction: 10 → "0.1"). */
export const DEFAULT_PARTICIPATION = "10";

export interface FormValues {
  strategy: StrategyName;
  /** Typed text of every strategy's parameters, so switching strategies loses nothing. */
  params: Record<StrategyName, Record<string, string>>;
  codes: string[];
  /** "YYYY-MM-DD", or "" for everything held. */
  start: string;
  end: string;
  /** As typed: "10,000,000". */
  cash: string;
  sharedCash: boolean;
  /** Percent, as typed: "10" is 10% of a bar's volume. */
  participation: string;
}

export type Field = "codes" | "start" | "end" | "cash" | "participation" | `param.${string}`;

export interface Problem {
  key: MessageKey;
  vars?: Vars;
  /** Named in the message as the word for the timeframe ("일봉"), filled in at render. */
  tf?: Timeframe;
}

export type Problems = Partial<Record<Field, Problem>>;

/** What the store holds for the strategy's timeframe, for the checks that need it. */
export interface Holdings {
  /** Codes with bars of the timeframe (null: not known yet, nothing is refused). */
  codes: ReadonlySet<string> | null;
  /** First and last day held ("YYYY-MM-DD"), over all codes. */
  first: string | null;
  last: string | null;
}

export const NO_HOLDINGS: Holdings = { codes: null, first: null, last: null };

function defaultParams(spec: StrategySpec): Record<string, string> {
  return Object.fromEntries(spec.params.map((p) => [p.key, String(p.default)]));
}

export function initialForm(): FormValues {
  return {
    strategy: "sma_cross",
    params: Object.fromEntries(STRATEGIES.map((s) => [s.name, defaultParams(s)])) as FormValues["params"],
    codes: [],
    start: "",
    end: "",
    cash: groupDigits(String(DEFAULT_CASH)),
    sharedCash: false,
    participation: DEFAULT_PARTICIPATION,
  };
}

/** "10000000" → "10,000,000"; anything but digits is left as typed (the check says why). */
export function groupDigits(text: string): string {
  const bare = text.replace(/[,\s]/g, "");
  return /^\d+$/.test(bare) ? bare.replace(/^0+(?=\d)/, "").replace(/\B(?=(\d{3})+(?!\d))/g, ",") : text;
}

function parseInteger(text: string): number | null {
  const bare = text.replace(/[,\s]/g, "");
  if (!/^\d+$/.test(bare)) return null;
  const n = Number(bare);
  return Number.isSafeInteger(n) ? n : null;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar day as "YYYY-MM-DD" (2024-02-30 is not). */
export function isDay(text: string): boolean {
  const m = DAY.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

/** Percent text → the API's fraction as an exact decimal string: "12.5" → "0.125". */
export function participationFraction(percent: string): string | null {
  const m = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(percent.trim());
  if (!m) return null;
  const hundredths = Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
  if (hundredths <= 0 || hundredths > 10_000) return null;
  // hundredths of a percent are ten-thousandths of the whole: four decimals at most
  const whole = Math.floor(hundredths / 10_000);
  const rest = String(hundredths % 10_000).padStart(4, "0").replace(/0+$/, "");
  return rest ? `${whole}.${rest}` : String(whole);
}

export interface Checked {
  problems: Problems;
  /** The request to send, when nothing is wrong. */
  request: BacktestRequest | null;
}

export function checkForm(form: FormValues, holdings: Holdings = NO_HOLDINGS): Checked {
  const problems: Problems = {};
  const spec = strategySpec(form.strategy) ?? STRATEGIES[0]!;
  const tf = spec.timeframe;

  const params: Record<string, number> = {};
  const typed = form.params[spec.name] ?? {};
  for (const p of spec.params) {
    const n = parseInteger(typed[p.key] ?? "");
    if (n === null || n < p.min || n > p.max) {
      problems[`param.${p.key}`] = { key: "bt.err.int", vars: { min: p.min, max: p.max } };
    } else params[p.key] = n;
  }
  if (Object.keys(params).length === spec.params.length && spec.check) {
    const wrong = spec.check(params);
    if (wrong) problems[`param.${wrong.key}`] = { key: wrong.message, vars: params };
  }

  if (holdings.codes) {
    const missing = form.codes.filter((c) => !holdings.codes!.has(c));
    if (missing.length > 0) problems.codes = { key: "bt.err.codes", vars: { codes: missing.join(", ") }, tf };
  }

  if (form.start && !isDay(form.start)) problems.start = { key: "bt.err.date" };
  if (form.end && !isDay(form.end)) problems.end = { key: "bt.err.date" };
  if (!problems.start && !problems.end) {
    if (form.start && form.end && form.start > form.end) problems.start = { key: "bt.err.order" };
    else if (holdings.first && holdings.last) {
      const outside = (form.start && form.start > holdings.last) || (form.end && form.end < holdings.first);
      if (outside) {
        problems[form.start && form.start > holdings.last ? "start" : "end"] = {
          key: "bt.err.noData",
          vars: { first: holdings.first, last: holdings.last },
          tf,
        };
      }
    }
  }

  const cash = parseInteger(form.cash);
  if (cash === null || cash < MIN_CASH || cash > MAX_CASH) {
    problems.cash = { key: "bt.err.cash", vars: { min: groupDigits(String(MIN_CASH)), max: groupDigits(String(MAX_CASH)) } };
  }
  const participation = participationFraction(form.participation);
  if (participation === null) problems.participation = { key: "bt.err.participation" };

  if (Object.keys(problems).length > 0 || cash === null || participation === null) return { problems, request: null };
  return {
    problems,
    request: {
      strategy: spec.name,
      params,
      codes: form.codes,
      start: form.start || null,
      end: form.end || null,
      cash,
      shared_cash: form.sharedCash,
      participation,
    },
  };
}

/** "0.1" → "10", "0.125" → "12.5": the stored fraction as the form's percent. */
export function percentText(fraction: string | number | undefined): string {
  const n = Number(fraction);
  if (!Number.isFinite(n) || n <= 0) return DEFAULT_PARTICIPATION;
  return String(Math.round(n * 10_000) / 100);
}

/** The form that would run a stored backtest again ("이 설정으로 다시"). */
export function formFromRecord(record: Pick<BacktestDetail, "strategy" | "params" | "codes" | "start" | "end">): FormValues {
  const form = initialForm();
  const spec = strategySpec(record.strategy);
  if (!spec) return form;
  const own = record.params.strategy ?? {};
  const params = { ...form.params[spec.name] };
  for (const p of spec.params) if (own[p.key] !== undefined) params[p.key] = String(own[p.key]);
  return {
    ...form,
    strategy: spec.name,
    params: { ...form.params, [spec.name]: params },
    codes: [...record.codes],
    start: record.start,
    end: record.end,
    cash: typeof record.params.cash === "number" ? groupDigits(String(record.params.cash)) : form.cash,
    sharedCash: record.params.shared_cash === true,
    participation: percentText(record.params.participation),
  };
}

const STORAGE_KEY = "stocklab.backtestForm";

/** The form as last edited in this tab (so "back" from a result finds it as it was). */
export function loadForm(): FormValues {
  try {
    const text = sessionStorage.getItem(STORAGE_KEY);
    if (!text) return initialForm();
    const saved = JSON.parse(text) as Partial<FormValues>;
    const base = initialForm();
    const strategy = strategySpec(String(saved.strategy)) ? (saved.strategy as StrategyName) : base.strategy;
    return {
      ...base,
      ...saved,
      strategy,
      params: { ...base.params, ...(saved.params ?? {}) },
      codes: Array.isArray(saved.codes) ? saved.codes.filter((c) => typeof c === "string") : [],
    };
  } catch {
    return initialForm();
  }
}

export function saveForm(form: FormValues): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(form));
  } catch {
    // kept for this page only
  }
}
