// The order ticket's logic, apart from its looks: reading what was typed, checking it as
// the server will (tick grid, the day's band, quantity), the estimate of costs, and which
// prices stand for "reference" and "last" when the API has no quote route.

import type { OrderType, PriceSeries, Side } from "./api";
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
