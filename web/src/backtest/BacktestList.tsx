// 지난 백테스트: newest first; each row opens its result.

import { Link, useNavigate } from "react-router";
import type { BacktestSummary, CodeRow } from "../api";
import { ErrorBox } from "../components/ErrorBox";
import { direction, formatKstDate, formatKstTime, formatNumber } from "../format";
import { useT } from "../i18n";
import { useBacktests } from "../queries";
import { describeParams } from "../strategies";
import { formatPct } from "./stats";

function codeNames(bt: BacktestSummary, names: ReadonlyMap<string, CodeRow>, t: ReturnType<typeof useT>): string {
  const name = (c: string) => names.get(c)?.name ?? c;
  if (bt.code_count <= 3) return bt.codes.map(name).join(", ");
  return t("bt.codesMore", { first: bt.codes.slice(0, 2).map(name).join(", "), more: formatNumber(bt.code_count - 2) });
}

function Row({ bt, names }: { bt: BacktestSummary; names: ReadonlyMap<string, CodeRow> }) {
  const t = useT();
  const navigate = useNavigate();
  const ret = bt.stats.total_return;
  const to = `/backtests/${bt.backtest_id}`;
  return (
    <tr data-backtest-id={bt.backtest_id} className="clickable" onClick={() => navigate(to)}>
      <td className="text">
        <Link to={to} onClick={(e) => e.stopPropagation()}>
          <span className="nowrap">{formatKstDate(bt.created_at)}</span>{" "}
          <span className="nowrap">{formatKstTime(bt.created_at)}</span>
        </Link>
      </td>
      <td className="text">
        <code>{bt.strategy}</code>
        <div className="muted small">{describeParams(bt.params.strategy)}</div>
      </td>
      <td className="text codes-cell" title={bt.codes.join(", ") + (bt.code_count > bt.codes.length ? " …" : "")}>
        {codeNames(bt, names, t)}
      </td>
      <td className="text wide-only">
        {bt.start} ~ {bt.end}
      </td>
      <td className={`num ${direction(ret)}`}>{formatPct(ret, true)}</td>
      <td className="num wide-only">{formatPct(bt.stats.max_drawdown)}</td>
      <td className="num wide-only">{formatNumber(bt.stats.trades)}</td>
    </tr>
  );
}

export function BacktestList({ names }: { names: ReadonlyMap<string, CodeRow> }) {
  const t = useT();
  const list = useBacktests();
  const rows = list.data?.pages.flatMap((page) => page.items) ?? [];
  const total = list.data?.pages.at(-1)?.total ?? 0;
  return (
    <div className="card">
      <h2>{t("bt.list")}</h2>
      {list.isError ? (
        <ErrorBox error={list.error} onRetry={() => void list.refetch()} />
      ) : (
        <div className="table-wrap bt-list-wrap" aria-busy={list.isPending}>
          <table className="data bt-list" aria-label={t("bt.list")}>
            <thead>
              <tr>
                <th scope="col">{t("bt.col.created")}</th>
                <th scope="col" className="text">{t("bt.col.strategy")}</th>
                <th scope="col" className="text">{t("bt.col.codes")}</th>
                <th scope="col" className="text wide-only">{t("bt.col.period")}</th>
                <th scope="col">{t("stat.total_return")}</th>
                <th scope="col" className="wide-only">{t("stat.max_drawdown")}</th>
                <th scope="col" className="wide-only">{t("bt.col.trades")}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((bt) => (
                <Row key={bt.backtest_id} bt={bt} names={names} />
              ))}
            </tbody>
          </table>
          {list.isSuccess && rows.length === 0 && <p className="muted center">{t("bt.list.empty")}</p>}
          {list.hasNextPage && (
            <button type="button" className="more" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
              {t("bt.t.more", { count: formatNumber(total - rows.length) })}
            </button>
          )}
        </div>
      )}
    </div>
  );
}
