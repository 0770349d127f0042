// The indicators' values at the bar under the crosshair (or the latest), one line below the
// OHLC readout. The line is always there (a hint while nothing is on), so toggling an
// indicator never moves the chart.

import type { ReactNode } from "react";
import { errorMessage } from "../components/ErrorBox";
import { useT } from "../i18n";
import { type Aligned, INDICATOR_COLORS, type IndicatorKey, formatIndicator } from "./indicators";

interface Props {
  on: readonly IndicatorKey[];
  data: Aligned | null;
  /** Bars loaded, and the one under the crosshair (null: the latest). */
  bars: number;
  index: number | null;
  error: unknown;
}

function Value({ label, color, children }: { label: string; color?: string; children: ReactNode }) {
  return (
    <span style={color ? { color } : undefined}>
      {label} <span className="num">{children}</span>
    </span>
  );
}

export function IndicatorReadout({ on, data, bars, index, error }: Props) {
  const t = useT();
  let body: ReactNode;
  if (on.length === 0) body = <span className="muted">{t("stock.indHint")}</span>;
  else if (error) body = <span className="fall-text">{errorMessage(error, t)}</span>;
  else if (!data || bars === 0) body = <span className="muted">{t("common.loading")}</span>;
  else {
    const i = index === null ? bars - 1 : Math.min(Math.max(index, 0), bars - 1);
    const v = (column: string) => data[column]?.[i] ?? null;
    body = (
      <>
        {on.includes("bb") && (
          <Value label="BB20" color={INDICATOR_COLORS.bb}>
            {formatIndicator(v("bb20_upper"))} · {formatIndicator(v("bb20_mid"))} · {formatIndicator(v("bb20_lower"))}
          </Value>
        )}
        {on.includes("ema") && (
          <>
            <Value label="EMA12" color={INDICATOR_COLORS.ema12}>
              {formatIndicator(v("ema12"))}
            </Value>
            <Value label="EMA26" color={INDICATOR_COLORS.ema26}>
              {formatIndicator(v("ema26"))}
            </Value>
          </>
        )}
        {on.includes("rsi") && (
          <Value label="RSI14" color={INDICATOR_COLORS.rsi}>
            {formatIndicator(v("rsi14"), 1)}
          </Value>
        )}
        {on.includes("macd") && (
          <Value label="MACD">
            {formatIndicator(v("macd"), 2)}{" "}
            <span style={{ color: INDICATOR_COLORS.signal }}>
              {t("ind.signal")} {formatIndicator(v("macd_signal"), 2)}
            </span>{" "}
            <span className="muted">
              {t("ind.hist")} {formatIndicator(v("macd_hist"), 2)}
            </span>
          </Value>
        )}
      </>
    );
  }
  return (
    <div className="readout ind-readout" data-testid="indicator-readout" aria-live="off">
      {body}
    </div>
  );
}
