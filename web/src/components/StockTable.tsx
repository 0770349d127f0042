// The code list as a virtualized table: only the rows in view are in the DOM, so
// thousands of codes scroll as smoothly as ten.

import { useVirtualizer } from "@tanstack/react-virtual";
import { type MouseEvent, useRef } from "react";
import { Link, useNavigate } from "react-router";
import type { CodeRow } from "../api";
import { useT } from "../i18n";
import type { SortDir, SortKey } from "../search";
import { Change, Price, Rate } from "./Change";

export const ROW_HEIGHT = 52;

interface Props {
  rows: CodeRow[];
  sort: { key: SortKey | null; dir: SortDir };
  onSort: (key: SortKey) => void;
}

const COLUMNS: { key: SortKey; label: "stocks.col.name" | "stocks.col.close" | "stocks.col.change" | "stocks.col.rate" }[] = [
  { key: "name", label: "stocks.col.name" },
  { key: "close", label: "stocks.col.close" },
  { key: "change", label: "stocks.col.change" },
  { key: "rate", label: "stocks.col.rate" },
];

export function StockTable({ rows, sort, onSort }: Props) {
  const t = useT();
  const navigate = useNavigate();
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });

  const openRow = (e: MouseEvent, code: string) => {
    if ((e.target as HTMLElement).closest("a")) return; // the link navigates by itself
    void navigate(`/stocks/${code}`);
  };

  return (
    <div className="stock-table" role="table" aria-label={t("stocks.list")} aria-rowcount={rows.length + 1}>
      <div role="rowgroup" className="thead">
        <div role="row" className="stock-row head">
          {COLUMNS.map((c) => {
            const active = sort.key === c.key;
            const label = t(c.label);
            return (
              <div
                key={c.key}
                role="columnheader"
                className={`col-${c.key}`}
                aria-sort={active ? (sort.dir === "asc" ? "ascending" : "descending") : "none"}
              >
                <button type="button" onClick={() => onSort(c.key)} title={t("stocks.sortBy", { column: label })}>
                  {label}
                  <span className="sort-mark" aria-hidden="true">
                    {active ? (sort.dir === "asc" ? "▲" : "▼") : ""}
                  </span>
                </button>
              </div>
            );
          })}
        </div>
      </div>
      <div ref={scroller} className="tbody" role="rowgroup" tabIndex={-1}>
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((v) => {
            const row = rows[v.index]!;
            return (
              <div
                key={row.code}
                role="row"
                aria-rowindex={v.index + 2}
                className="stock-row"
                data-code={row.code}
                style={{ transform: `translateY(${v.start}px)`, height: ROW_HEIGHT }}
                onClick={(e) => openRow(e, row.code)}
              >
                <div role="cell" className="col-name">
                  <Link to={`/stocks/${row.code}`}>{row.name}</Link>
                  <span className="sub">
                    {row.code} · {row.market}
                  </span>
                </div>
                <div role="cell" className="col-close">
                  <Price value={row.last_close} base={row.change === null || row.last_close === null ? null : row.last_close - row.change} />
                </div>
                <div role="cell" className="col-change">
                  <Change value={row.change} />
                </div>
                <div role="cell" className="col-rate">
                  <Rate bp={row.change_bp} />
                </div>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
