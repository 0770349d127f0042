// What the store holds per timeframe (from /api/store/overview): the codes a backtest of
// that timeframe can use and the days they span.

import type { Overview, Timeframe } from "../api";
import { formatKstDate } from "../format";
import { type Holdings, NO_HOLDINGS } from "./form";

export function holdingsOf(overview: Overview | undefined, tf: Timeframe): Holdings {
  if (!overview) return NO_HOLDINGS;
  const codes = new Set<string>();
  let first: string | null = null;
  let last: string | null = null;
  for (const s of overview.series) {
    if (s.timeframe !== tf || s.count === 0) continue;
    codes.add(s.code);
    const a = formatKstDate(s.first);
    const b = formatKstDate(s.last);
    if (first === null || a < first) first = a;
    if (last === null || b > last) last = b;
  }
  return { codes, first, last };
}
