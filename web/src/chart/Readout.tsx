// The OHLCV line above the chart: the bar under the crosshair, or the latest bar.
// Prices are coloured against the previous close, as Korean quote screens do.

import type { PriceSeries } from "../api";
import { Change, Price, Rate } from "../components/Change";
import { changeBp, formatCompact, formatKstDate, formatKstDateTime, formatNumber } from "../format";
import { useT } from "../i18n";
import { MA_COLORS } from "../theme";
import type { MaPeriod } from "./series";

interface Props {
  series: PriceSeries;
  index: number | null;
  ma: ReadonlyMap<MaPeriod, (number | null)[]>;
  maPeriods: readonly MaPeriod[];
}

export function Readout({ series, index, ma, maPeriods }: Props) {
  const t = useT();
  const n = series.t.length;
  if (n === 0) return <div className="readout" aria-hidden="true" />;
  const i = index === null ? n - 1 : Math.min(Math.max(index, 0), n - 1);
  const prev = i > 0 ? series.close[i - 1]! : null;
  const close = series.close[i]!;
  const when = series.timeframe === "1d" ? formatKstDate(series.t[i]!) : formatKstDateTime(series.t[i]!);
  return (
    <div className="readout" data-testid="readout" data-index={i}>
      <span className="readout-time">{when}</span>
      <span>
        {t("stock.o")} <Price value={series.open[i]} base={prev} />
      </span>
      <span>
        {t("stock.h")} <Price value={series.high[i]} base={prev} />
      </span>
      <span>
        {t("stock.l")} <Price value={series.low[i]} base={prev} />
      </span>
      <span>
        {t("stock.c")} <Price value={close} base={prev} />
      </span>
      <span>
        <Change value={prev === null ? null : close - prev} /> <Rate bp={changeBp(close, prev)} />
      </span>
      <span title={formatNumber(series.volume[i])}>
        {t("stock.vol")} <span className="num">{formatCompact(series.volume[i], t.lang)}</span>
      </span>
      {maPeriods.map((p) => {
        const v = ma.get(p)?.[i];
        return (
          <span key={p} style={{ color: MA_COLORS[p] }} className="readout-ma">
            MA{p} <span className="num">{v === null || v === undefined ? "—" : formatNumber(Math.round(v))}</span>
          </span>
        );
      })}
    </div>
  );
}
