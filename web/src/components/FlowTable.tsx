// 투자자별 순매수: net shares bought by each investor group per day, newest first.

import { type MessageKey, useT } from "../i18n";
import { useFlows } from "../queries";
import { Signed } from "./Change";
import { CollectingNote } from "./CollectingNote";
import { ErrorBox } from "./ErrorBox";
import { KstDay } from "./KstDay";

const COLUMNS: { field: string; label: MessageKey; wide?: boolean }[] = [
  { field: "individual_net_qty", label: "stock.col.individual" },
  { field: "foreign_net_qty", label: "stock.col.foreign" },
  { field: "institution_net_qty", label: "stock.col.institution" },
  { field: "other_corp_net_qty", label: "stock.col.otherCorp", wide: true },
];

export function FlowTable({ code, enabled }: { code: string; enabled: boolean }) {
  const t = useT();
  const flows = useFlows(code, "investor", enabled);
  // The API answers oldest first; a quote screen reads newest first.
  const items = [...(flows.data?.items ?? [])].sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : 0));
  return (
    <div className="card table-card">
      <h2>{t("stock.flows")}</h2>
      {flows.isError ? (
        <ErrorBox error={flows.error} onRetry={() => void flows.refetch()} />
      ) : (
        <div className="table-wrap" aria-busy={flows.isPending}>
          <table className="data" aria-label={t("stock.flows")}>
            <thead>
              <tr>
                <th scope="col">{t("stock.col.date")}</th>
                {COLUMNS.map((c) => (
                  <th key={c.field} scope="col" className={c.wide ? "wide-only" : undefined}>
                    {t(c.label)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {items.map((row) => (
                <tr key={row.day}>
                  <td>
                    <KstDay value={`${row.day}T00:00:00+09:00`} lang={t.lang} />
                  </td>
                  {COLUMNS.map((c) => (
                    <td key={c.field} className={c.wide ? "wide-only" : undefined}>
                      <Signed value={row.values[c.field]} />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {flows.isSuccess && items.length === 0 && <p className="muted center"><CollectingNote otherwise={t("stock.noFlows")} /></p>}
        </div>
      )}
    </div>
  );
}
