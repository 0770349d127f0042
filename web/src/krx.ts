// KRX order-price rules, for the order ticket's instant feedback: the tick grid (호가가격단위,
// the unified table in force since 2023-01-25), the day's ±30% price limits (가격제한폭), and
// an estimate of commission and transaction tax. The server checks every order again
// (stocklab.krx.ticks / limits / fills); this mirrors it so the user learns before sending.

/** Instrument kinds as the API names them; ETFs, ETNs and ELWs trade on a flat 5-won grid. */
const FUND_KINDS = new Set(["etf", "etn", "elw"]);

export function isFund(kind: string | null | undefined): boolean {
  return FUND_KINDS.has((kind ?? "").toLowerCase());
}

/** (lowest price of the band, tick), ascending; the first band starts at 0. */
type Bands = readonly (readonly [number, number])[];

const STOCK_BANDS: Bands = [
  [0, 1],
  [2_000, 5],
  [5_000, 10],
  [20_000, 50],
  [50_000, 100],
  [200_000, 500],
  [500_000, 1_000],
];
const FUND_BANDS: Bands = [[0, 5]];

function bandsOf(kind: string | null | undefined): Bands {
  return isFund(kind) ? FUND_BANDS : STOCK_BANDS;
}

interface Band {
  low: number;
  tick: number;
  /** First price of the next band, or null for the top band. */
  high: number | null;
}

function bandOf(bands: Bands, price: number): Band {
  for (let i = bands.length - 1; i >= 0; i--) {
    const [low, tick] = bands[i]!;
    if (price >= low) return { low, tick, high: i + 1 < bands.length ? bands[i + 1]![0] : null };
  }
  const [low, tick] = bands[0]!;
  return { low, tick, high: bands.length > 1 ? bands[1]![0] : null };
}

/** A whole, positive won amount. */
export function isPositiveInt(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0;
}

/** The tick of the band that holds `price`: 70,000 → 100, 4,525 → 5, an ETF → 5. */
export function tickSize(price: number, kind: string | null = "stock"): number {
  return bandOf(bandsOf(kind), Math.max(price, 0)).tick;
}

/** True if an order may carry this price. */
export function isOnTick(price: number, kind: string | null = "stock"): boolean {
  if (!isPositiveInt(price)) return false;
  const { low, tick } = bandOf(bandsOf(kind), price);
  return (price - low) % tick === 0;
}

/**
 * Snap a price onto the grid. Rounding up may land on the next band's first price
 * (19,995 → 20,000). Rounding down below the lowest tick has no answer: null.
 */
export function roundToTick(price: number, direction: "down" | "up", kind: string | null = "stock"): number | null {
  if (!Number.isSafeInteger(price) || price <= 0) return direction === "up" ? bandOf(bandsOf(kind), 0).tick : null;
  const { low, tick, high } = bandOf(bandsOf(kind), price);
  const down = low + Math.floor((price - low) / tick) * tick;
  if (down === price) return price;
  if (direction === "up") return high === null ? down + tick : Math.min(down + tick, high);
  return down > 0 ? down : null;
}

/**
 * One tick up or down from a price, with the tick of the band the step lands in:
 * one above 1,999 is 2,000 and above 2,000 is 2,005; one below 2,000 is 1,999.
 * From a price off the grid, the first step snaps to the grid in that direction.
 * Null when the step would go to zero or below.
 */
export function stepTick(price: number, direction: 1 | -1, kind: string | null = "stock"): number | null {
  if (!isOnTick(price, kind)) return roundToTick(price, direction === 1 ? "up" : "down", kind);
  const bands = bandsOf(kind);
  if (direction === 1) return price + bandOf(bands, price).tick;
  const below = price - bandOf(bands, price - 1).tick;
  return below > 0 ? below : null;
}

/** The day's band: both ends on the grid. */
export interface PriceLimits {
  lower: number;
  upper: number;
}

/**
 * The day's limits from the reference price (기준가, normally the previous close):
 * upper = ref × 1.3 floored to the tick of the band it lands in, lower = ref × 0.7 ceiled
 * to its band's tick. Integer arithmetic, as on the server (floats put some one tick off).
 */
export function priceLimits(reference: number, kind: string | null = "stock"): PriceLimits {
  const upperRaw = Math.floor((reference * 130) / 100);
  const lowerRaw = Math.ceil((reference * 70) / 100);
  return {
    lower: roundToTick(lowerRaw, "up", kind) ?? lowerRaw,
    upper: roundToTick(upperRaw, "down", kind) ?? upperRaw,
  };
}

/** Why a limit price cannot be sent, with what would be valid. */
export type PriceProblem =
  | { kind: "missing" }
  | { kind: "invalid" }
  | { kind: "band"; lower: number; upper: number; reference: number }
  | { kind: "tick"; tick: number; below: number | null; above: number | null };

/**
 * Check a limit price the way the server does: the band first (when the reference is known),
 * then the grid. Null when the price may be sent.
 */
export function checkLimitPrice(
  price: number | null,
  reference: number | null,
  kind: string | null = "stock",
): PriceProblem | null {
  if (price === null) return { kind: "missing" };
  if (!isPositiveInt(price)) return { kind: "invalid" };
  if (reference !== null && isPositiveInt(reference)) {
    const { lower, upper } = priceLimits(reference, kind);
    if (price < lower || price > upper) return { kind: "band", lower, upper, reference };
  }
  if (!isOnTick(price, kind)) {
    return {
      kind: "tick",
      tick: tickSize(price, kind),
      below: roundToTick(price, "down", kind),
      above: roundToTick(price, "up", kind),
    };
  }
  return null;
}

// ---------------------------------------------------------------- costs (an estimate)

/** Brokerage commission per side, per 100,000 won: 15 = 0.015%, stocklab's default commission_rate. */
export const COMMISSION_PER_100K = 15;

/**
 * Securities transaction tax on a sale (농특세 included for KOSPI) in basis points, from
 * its first day. The server uses the settlement day (T+2); by the trade day this is an
 * estimate for the last two trading days of a year.
 */
const TAX_TABLE: readonly { from: string; main: number; konex: number }[] = [
  { from: "0000-01-01", main: 30, konex: 30 },
  { from: "2019-06-03", main: 25, konex: 10 },
  { from: "2021-01-01", main: 23, konex: 10 },
  { from: "2023-01-01", main: 20, konex: 10 },
  { from: "2024-01-01", main: 18, konex: 10 },
  { from: "2025-01-01", main: 15, konex: 10 },
  { from: "2026-01-01", main: 20, konex: 10 },
];

/** Sell-side tax rate in basis points for a trade on `day` ("YYYY-MM-DD"): 20 = 0.20%. */
export function sellTaxBp(day: string, market: string | null, kind: string | null): number {
  if (isFund(kind)) return 0;
  let row = TAX_TABLE[0]!;
  for (const r of TAX_TABLE) if (r.from <= day) row = r;
  return market === "KONEX" ? row.konex : row.main;
}

export interface CostEstimate {
  amount: number;
  commission: number;
  tax: number;
  /** Buys: amount + commission (what leaves the account); sells: amount − commission − tax. */
  net: number;
}

/** Commission and tax on an order's amount, each floored to the won as brokers do. */
export function estimateCosts(side: "buy" | "sell", amount: number, taxBp: number): CostEstimate {
  const commission = Math.floor((amount * COMMISSION_PER_100K) / 100_000);
  const tax = side === "sell" ? Math.floor((amount * taxBp) / 10_000) : 0;
  return { amount, commission, tax, net: side === "buy" ? amount + commission : amount - commission - tax };
}
