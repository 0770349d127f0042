// 종목: the whole code list, searched as you type (name, code, or 초성) and filtered by market.
// The list is fetched once and filtered in the browser: no request per keystroke.

import { useDeferredValue, useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import type { Market } from "../api";
import { CollectingNote } from "../components/CollectingNote";
import { ErrorBox } from "../components/ErrorBox";
import { Segmented } from "../components/Segmented";
import { StockTable } from "../components/StockTable";
import { useT } from "../i18n";
import { useCodes } from "../queries";
import { type SortDir, type SortKey, buildIndex, filterCodes, sortCodes } from "../search";

type MarketFilter = "ALL" | "KOSPI" | "KOSDAQ";

export function StocksPage() {
  const t = useT();
  const [params, setParams] = useSearchParams();
  const [query, setQuery] = useState(() => params.get("q") ?? "");
  const marketParam = params.get("market");
  const market: MarketFilter = marketParam === "KOSPI" || marketParam === "KOSDAQ" ? marketParam : "ALL";
  const [sort, setSort] = useState<{ key: SortKey | null; dir: SortDir }>({ key: null, dir: "desc" });
  const deferred = useDeferredValue(query);
  const codes = useCodes();

  const index = useMemo(() => buildIndex(codes.data ?? []), [codes.data]);
  const rows = useMemo(
    () => sortCodes(filterCodes(index, deferred, market === "ALL" ? null : (market as Market)), sort.key, sort.dir),
    [index, deferred, market, sort],
  );
  const asOf = useMemo(() => {
    let last: string | null = null;
    for (const r of codes.data ?? []) if (r.last_date && (!last || r.last_date > last)) last = r.last_date;
    return last;
  }, [codes.data]);

  // Search and market live in the URL, so "back" from a stock returns to the same list.
  const update = (q: string, m: MarketFilter) => {
    const next = new URLSearchParams();
    if (q) next.set("q", q);
    if (m !== "ALL") next.set("market", m);
    setParams(next, { replace: true });
  };

  const onSort = (key: SortKey) =>
    setSort((s) => (s.key === key ? { key, dir: s.dir === "desc" ? "asc" : "desc" } : { key, dir: key === "name" ? "asc" : "desc" }));

  const total = codes.data?.length ?? 0;

  return (
    <section className="page page-fill">
      <div className="page-head">
        <h1>{t("stocks.title")}</h1>
        <span className="muted small">{asOf ? t("stocks.asOf", { date: asOf }) : "\u00a0"}</span>
      </div>
      <div className="toolbar">
        <label className="search">
          <span className="sr-only">{t("stocks.search")}</span>
          <input
            type="search"
            value={query}
            placeholder={t("stocks.searchPlaceholder")}
            aria-label={t("stocks.search")}
            autoComplete="off"
            onChange={(e) => {
              setQuery(e.target.value);
              update(e.target.value.trim(), market);
            }}
          />
        </label>
        <Segmented<MarketFilter>
          label={t("stocks.market")}
          value={market}
          onChange={(m) => update(query.trim(), m)}
          options={[
            { value: "ALL", label: t("stocks.all") },
            { value: "KOSPI", label: "KOSPI" },
            { value: "KOSDAQ", label: "KOSDAQ" },
          ]}
        />
        <span className="muted small count" aria-live="polite">
          {codes.data ? t("stocks.count", { shown: rows.length.toLocaleString("en-US"), total: total.toLocaleString("en-US") }) : "\u00a0"}
        </span>
      </div>
      {codes.isError ? (
        <ErrorBox error={codes.error} onRetry={() => void codes.refetch()} />
      ) : codes.isPending ? (
        <div className="stock-table loading" aria-busy="true">
          <p className="muted center">{t("common.loading")}</p>
        </div>
      ) : total === 0 ? (
        <div className="stock-table empty">
          <p className="muted center">
            <CollectingNote otherwise={t("stocks.emptyStore")} />
          </p>
        </div>
      ) : rows.length === 0 ? (
        <div className="stock-table empty">
          <p className="muted center">{t("stocks.empty")}</p>
        </div>
      ) : (
        <StockTable rows={rows} sort={sort} onSort={onSort} />
      )}
    </section>
  );
}
