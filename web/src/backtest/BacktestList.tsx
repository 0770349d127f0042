// 지난 백테스트: newest first; each row opens its result.

import { Link, useNavigate } from "react-router";
import type { BacktestSummary, CodeRow } from "../api";
import { ErrorBox } from "../components/ErrorBox";
import { direction, formatKstDate, formatKstTime, formatNumber } from "../format";
import { useT } from "../i18n";
import { useBacktests } from "../queries";
import { describeParams } from "../strategies";
import { formatPct } from "./stats";

function codeNames(codes: readonly string[], names: ReadonlyMap<string, CodeRow>, t: ReturnType<typeof useT>): string {
  const name = (c: string) => names.get(c)?.name ?? c;
  if (codes.length <= 3) return codes.map(name).join(", ");
  return t("bt.codesMore", { first: codes.slice(0, 2).map(name).join(", "), more: formatNumber(codes.length - 2) });
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
      <td className="text codes-cell" title={bt.codes.join(", ")}>
        {codeNames(bt.codes, names, t)}
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
              {(list.data ?? []).map((bt) => (
                <Row key={bt.backtest_id} bt={bt} names={names} />
              ))}
            </tbody>
          </table>
          {list.isSuccess && list.data.length === 0 && <p className="muted center">{t("bt.list.empty")}</p>}
        </div>
      )}
    </div>
  );
}
