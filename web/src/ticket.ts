// The order ticket's logic, apart from its looks: reading what was typed, checking it as
// the server will (tick grid, the day's band, quantity), the estimate of costs, and which
// prices stand for "reference" and "last" when the API has no quote route.

import type { AccountLimits, OrderType, PriceSeries, Side } from "./api";
import { formatKstDate } from "./format";
import type { Translate } from "./i18n";
import { type CostEstimate, type PriceProblem, checkLimitPrice, estimateCosts } from "./krx";

/** The server's bound on a ticket's quantity (OrderIn.qty). */
export const MAX_QTY = 10_000_000;

/**
 * A whole number of won or shares as typed: "70,000" → 70000, "" → null, anything else
 * (letters, decimals, negatives) → NaN, which the checks refuse.
 */
export function parseCount(text: string): number | null {
  const bare = text.replace(/[,\s]/g, "");
  if (bare === "") return null;
  return /^\d+$/.test(bare) ? Number(bare) : Number.NaN;
}

export interface TicketInput {
  side: Side;
  orderType: OrderType;
  qtyText: string;
  priceText: string;
}

export interface Market {
  /** 기준가 (the previous close), null while unknown. */
  reference: number | null;
  /** The last price: what a market order is estimated at. */
  last: number | null;
  /** The instrument's kind ("stock", "etf", …): it picks the tick table. */
  kind: string;
  /** Sell-side tax in basis points for today. */
  taxBp: number;
}

export type QtyProblem = { kind: "missing" } | { kind: "invalid" } | { kind: "max"; max: number };

export interface TicketCheck {
  qty: number | null;
  price: number | null;
  qtyProblem: QtyProblem | null;
  /** Null for market orders and for valid limit prices. */
  priceProblem: PriceProblem | null;
  /** Amount, commission and tax, when there is a quantity and a price (or a last price) to go on. */
  costs: CostEstimate | null;
  /** True when the ticket may be sent. */
  ready: boolean;
}

export function checkTicket(input: TicketInput, market: Market): TicketCheck {
  const qty = parseCount(input.qtyText);
  const qtyProblem: QtyProblem | null =
    qty === null ? { kind: "missing" } : !Number.isSafeInteger(qty) || qty < 1 ? { kind: "invalid" } : qty > MAX_QTY ? { kind: "max", max: MAX_QTY } : null;
  const limit = input.orderType === "limit";
  const price = limit ? parseCount(input.priceText) : null;
  const priceProblem = limit ? checkLimitPrice(price, market.reference, market.kind) : null;
  const basis = limit ? (priceProblem === null ? price : null) : market.last;
  const costs = qtyProblem === null && qty !== null && basis !== null ? estimateCosts(input.side, qty * basis, market.taxBp) : null;
  return { qty, price, qtyProblem, priceProblem, costs, ready: qtyProblem === null && priceProblem === null };
}

/** What the risk rules look at, as the account and the market stand now. */
export interface Funds {
  orderable: number;
  sellable: number;
  equity: number;
  /** The value of this code already held. */
  held: number;
  limits: AccountLimits;
  /** The market's phase now (MarketStatus.phase). */
  phase: string;
  /** Today's upper limit: what a market buy may cost, and what the server reserves for it. */
  upper: number | null;
  /** The last price: what a market order is valued at. */
  last: number | null;
}

export type FundsProblem =
  | { kind: "closed"; phase: string }
  | { kind: "cash"; need: number; orderable: number; max: number }
  | { kind: "sellable"; sellable: number }
  | { kind: "value"; value: number; limit: number; max: number }
  | { kind: "weight"; after: number; cap: number; max: number };

const RATE_SCALE = 100_000_000;

/** The cash a buy holds, as the server counts it: the worst price times the quantity, plus commission. */
export function cashNeeded(qty: number, worst: number, commissionUnits: number): number {
  const amount = worst * qty;
  return amount + Math.floor((amount * commissionUnits) / RATE_SCALE);
}

interface Terms {
  side: Side;
  orderType: OrderType;
  /** A valid limit price, or null for a market order. */
  price: number | null;
}

/** The price the cash check uses (a market buy may fill up to the upper limit). */
const worstOf = (t: Terms, f: Funds) => (t.orderType === "limit" ? t.price : f.upper);
/** The price the value and weight checks use (the server's: the limit, else the last). */
const valueOf = (t: Terms, f: Funds) => (t.orderType === "limit" ? t.price : f.last);

/** The most shares the risk rules would take now (null while the prices are unknown). */
export function maxQty(t: Terms, f: Funds): number | null {
  if (t.side === "sell") return Math.min(f.sellable, MAX_QTY);
  const worst = worstOf(t, f);
  const value = valueOf(t, f);
  if (worst === null || value === null || worst <= 0 || value <= 0) return null;
  let byCash = Math.floor(f.orderable / worst);
  while (byCash > 0 && cashNeeded(byCash, worst, f.limits.commission_units) > f.orderable) byCash -= 1;
  const byValue = Math.floor(f.limits.max_order_krw / value);
  const cap = Math.floor((f.equity * f.limits.max_position_bp) / 10_000);
  const byWeight = f.equity > 0 ? Math.max(Math.floor((cap - f.held) / value), 0) : MAX_QTY;
  return Math.max(Math.min(byCash, byValue, byWeight, MAX_QTY), 0);
}

/** The first risk rule that would refuse `qty` shares, checked as the server checks them. */
export function checkFunds(t: Terms, qty: number, f: Funds): FundsProblem | null {
  if (!f.limits.phases.includes(f.phase)) return { kind: "closed", phase: f.phase };
  const max = maxQty(t, f) ?? 0;
  if (t.side === "sell") return qty > f.sellable ? { kind: "sellable", sellable: f.sellable } : null;
  const worst = worstOf(t, f);
  const value = valueOf(t, f);
  if (worst === null || value === null) return null;
  if (value * qty > f.limits.max_order_krw) return { kind: "value", value: value * qty, limit: f.limits.max_order_krw, max };
  const cap = Math.floor((f.equity * f.limits.max_position_bp) / 10_000);
  if (f.equity > 0 && f.held + value * qty > cap) return { kind: "weight", after: f.held + value * qty, cap, max };
  const need = cashNeeded(qty, worst, f.limits.commission_units);
  if (need > f.orderable) return { kind: "cash", need, orderable: f.orderable, max };
  return null;
}

export function fundsMessage(
  problem: FundsProblem,
  t: Translate,
  won: (n: number) => string,
  fmt: (n: number) => string,
  phaseName: (phase: string) => string,
): string {
  switch (problem.kind) {
    case "closed":
      return t("ticket.err.closed", { phase: phaseName(problem.phase) });
    case "sellable":
      return t("ticket.err.sellable", { qty: fmt(problem.sellable) });
    case "value":
      return t("ticket.err.value", { value: won(problem.value), limit: won(problem.limit), max: fmt(problem.max) });
    case "weight":
      return t("ticket.err.weight", { after: won(problem.after), cap: won(problem.cap), max: fmt(problem.max) });
    case "cash":
      return t("ticket.err.cash", { need: won(problem.need), orderable: won(problem.orderable), max: fmt(problem.max) });
  }
}

/** What is wrong with the price, in words that name the valid prices and the band. */
export function priceMessage(problem: PriceProblem, t: Translate, fmt: (n: number) => string): string {
  switch (problem.kind) {
    case "missing":
      return t("ticket.err.priceMissing");
    case "invalid":
      return t("ticket.err.price");
    case "band":
      return t("ticket.err.band", { lower: fmt(problem.lower), upper: fmt(problem.upper), reference: fmt(problem.reference) });
    case "tick": {
      const options = [problem.below, problem.above].filter((p): p is number => p !== null).map(fmt);
      return t("ticket.err.tick", { tick: fmt(problem.tick), options: options.join(t("ticket.or")) });
    }
  }
}

export function qtyMessage(problem: QtyProblem, t: Translate, fmt: (n: number) => string): string {
  switch (problem.kind) {
    case "missing":
      return t("ticket.err.qtyMissing");
    case "invalid":
      return t("ticket.err.qty");
    case "max":
      return t("ticket.err.qtyMax", { max: fmt(problem.max) });
  }
}

/**
 * 기준가: the close of the last trading day before `today` (KST "YYYY-MM-DD"). Daily bars
 * are stamped 00:00 KST of their day; a bar of today (held after the close) is skipped.
 */
export function referenceClose(daily: PriceSeries | undefined, today: string): { price: number; day: string } | null {
  if (!daily) return null;
  for (let i = daily.t.length - 1; i >= 0; i--) {
    const day = formatKstDate(daily.t[i]!);
    if (day < today) return { price: daily.close[i]!, day };
  }
  return null;
}

/**
 * The last price: today's newest minute bar when there is one, else today's daily close,
 * else the reference (before the open nothing has traded yet today).
 */
export function lastPrice(
  minute: PriceSeries | undefined,
  daily: PriceSeries | undefined,
  today: string,
  reference: number | null,
): number | null {
  const m = minute?.t.length ?? 0;
  if (minute && m > 0 && formatKstDate(minute.t[m - 1]!) === today) return minute.close[m - 1]!;
  const d = daily?.t.length ?? 0;
  if (daily && d > 0 && formatKstDate(daily.t[d - 1]!) === today) return daily.close[d - 1]!;
  return reference;
}

/** A client id for a ticket, so resending the same ticket (after a 401, say) places it once. */
export function newClientId(now: Date = new Date()): string {
  const bytes = new Uint8Array(4);
  crypto.getRandomValues(bytes);
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  const stamp = now.toISOString().replace(/\D/g, "").slice(0, 14);
  return `web-${stamp}-${hex}`;
}
