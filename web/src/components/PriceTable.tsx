// 일별 시세: the latest daily bars, newest first, each coloured against the day before.

import type { UseQueryResult } from "@tanstack/react-query";
import type { PriceSeries } from "../api";
import { changeBp, formatNumber } from "../format";
import { useT } from "../i18n";
import { Change, Price, Rate } from "./Change";
import { ErrorBox } from "./ErrorBox";
import { KstDay } from "./KstDay";

export const RECENT_ROWS = 20;

export function PriceTable({ query }: { query: UseQueryResult<PriceSeries> }) {
  const t = useT();
  const s = query.data;
  const n = s?.t.length ?? 0;
  const indexes = Array.from({ length: Math.min(n, RECENT_ROWS) }, (_, k) => n - 1 - k);
  return (
    <div className="card table-card">
      <h2>{t("stock.recent")}</h2>
      {query.isError ? (
        <ErrorBox error={query.error} onRetry={() => void query.refetch()} />
      ) : (
        <div className="table-wrap" aria-busy={query.isPending}>
          <table className="data" aria-label={t("stock.recent")}>
            <thead>
              <tr>
                <th scope="col">{t("stock.col.date")}</th>
                <th scope="col">{t("stocks.col.close")}</th>
                <th scope="col" className="wide-only">{t("stocks.col.change")}</th>
                <th scope="col">{t("stocks.col.rate")}</th>
                <th scope="col" className="wide-only">{t("stock.col.open")}</th>
                <th scope="col" className="wide-only">{t("stock.col.high")}</th>
                <th scope="col" className="wide-only">{t("stock.col.low")}</th>
                <th scope="col">{t("stock.col.volume")}</th>
              </tr>
            </thead>
            <tbody>
              {s &&
                indexes.map((i) => {
                  const prev = i > 0 ? s.close[i - 1]! : null;
                  const close = s.close[i]!;
                  return (
                    <tr key={s.t[i]}>
                      <td>
                        <KstDay value={s.t[i]!} lang={t.lang} />
                      </td>
                      <td>
                        <Price value={close} base={prev} />
                      </td>
                      <td className="wide-only">
                        <Change value={prev === null ? null : close - prev} />
                      </td>
                      <td>
                        <Rate bp={changeBp(close, prev)} />
                      </td>
                      <td className="wide-only">
                        <Price value={s.open[i]} base={prev} />
                      </td>
                      <td className="wide-only">
                        <Price value={s.high[i]} base={prev} />
                      </td>
                      <td className="wide-only">
                        <Price value={s.low[i]} base={prev} />
                      </td>
                      <td className="num">{formatNumber(s.volume[i])}</td>
                    </tr>
                  );
                })}
            </tbody>
          </table>
          {s && n === 0 && <p className="muted center">{t("stock.noBars")}</p>}
        </div>
      )}
    </div>
  );
}
