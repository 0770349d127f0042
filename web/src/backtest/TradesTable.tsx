// 거래 내역: every round trip in the order they closed (those still held last), with the
// code's name, KST entry and exit, prices, costs and P&L coloured red up / blue down.
// Long lists show a page at a time; a code filter when the run had several.

import { useMemo, useState } from "react";
import { Link } from "react-router";
import type { BacktestTrade, CodeRow } from "../api";
import { direction, formatNumber, formatWon } from "../format";
import { translateOr, useT } from "../i18n";
import { formatPct, formatTradeTime } from "./stats";

export const TRADE_PAGE = 100;

interface Props {
  trades: readonly BacktestTrade[];
  codes: readonly string[];
  names: ReadonlyMap<string, CodeRow>;
}

/** A trade's day (and time): the year is left out on phones, where the column is narrow. */
function TradeTime({ value }: { value: string }) {
  const text = formatTradeTime(value) ?? value;
  return (
    <span title={text}>
      <span className="wide-only">{text.slice(0, 5)}</span>
      {text.slice(5)}
    </span>
  );
}

function TradeRow({ trade, name }: { trade: BacktestTrade; name: string | undefined }) {
  const t = useT();
  const costs = trade.commission + trade.tax;
  const held = trade.exit_at === null;
  return (
    <tr data-code={trade.code} data-open={held || undefined}>
      <td className="text stock-cell">
        <Link to={`/stocks/${trade.code}`}>{name ?? trade.code}</Link>
        <div className="muted small">{trade.code}</div>
      </td>
      <td className="text">
        <TradeTime value={trade.entry_at} />
      </td>
      <td className="text">{held ? <span className="muted">{t("bt.t.held")}</span> : <TradeTime value={trade.exit_at!} />}</td>
      <td className="num wide-only">{formatNumber(trade.qty)}</td>
      <td className="num wide-only">{formatNumber(trade.entry_price)}</td>
      <td className="num wide-only">{formatNumber(trade.exit_price)}</td>
      <td
        className="num wide-only"
        title={t("bt.t.costsTitle", { commission: formatWon(trade.commission, t.lang), tax: formatWon(trade.tax, t.lang) })}
      >
        {formatNumber(costs)}
      </td>
      <td className={`num ${direction(trade.pnl)}`}>{formatWon(trade.pnl, t.lang, true)}</td>
      <td className={`num ${direction(trade.pnl)}`}>{formatPct(trade.return, true)}</td>
      <td className="text wide-only">{translateOr(t.lang, `reason.${trade.reason}`, trade.reason)}</td>
    </tr>
  );
}

export function TradesTable({ trades, codes, names }: Props) {
  const t = useT();
  const [code, setCode] = useState<string>("");
  const [shown, setShown] = useState(TRADE_PAGE);
  const rows = useMemo(() => (code ? trades.filter((x) => x.code === code) : trades), [trades, code]);
  const visible = rows.slice(0, shown);
  const traded = useMemo(() => codes.filter((c) => trades.some((x) => x.code === c)), [codes, trades]);

  return (
    <div className="card">
      <div className="card-head">
        <h2>{t("bt.trades")}</h2>
        <div className="filters">
          <span className="muted small">
            {t("bt.t.count", { shown: formatNumber(visible.length), total: formatNumber(rows.length) })}
          </span>
          {traded.length > 1 && (
            <select
              aria-label={t("bt.t.filter")}
              value={code}
              onChange={(e) => {
                setCode(e.target.value);
                setShown(TRADE_PAGE);
              }}
            >
              <option value="">{t("bt.t.all")}</option>
              {traded.map((c) => (
                <option key={c} value={c}>
                  {names.get(c)?.name ?? c} ({c})
                </option>
              ))}
            </select>
          )}
        </div>
      </div>
      <div className="table-wrap">
        <table className="data trades" aria-label={t("bt.trades")}>
          <thead>
            <tr>
              <th scope="col">{t("bt.t.stock")}</th>
              <th scope="col" className="text">{t("bt.t.entry")}</th>
              <th scope="col" className="text">{t("bt.t.exit")}</th>
              <th scope="col" className="wide-only">{t("bt.t.qty")}</th>
              <th scope="col" className="wide-only">{t("bt.t.entryPrice")}</th>
              <th scope="col" className="wide-only">{t("bt.t.exitPrice")}</th>
              <th scope="col" className="wide-only">{t("bt.t.costs")}</th>
              <th scope="col">{t("bt.t.pnl")}</th>
              <th scope="col">{t("bt.t.return")}</th>
              <th scope="col" className="text wide-only">{t("bt.t.reason")}</th>
            </tr>
          </thead>
          <tbody>
            {visible.map((trade, i) => (
              <TradeRow key={`${trade.code}-${trade.entry_at}-${i}`} trade={trade} name={names.get(trade.code)?.name} />
            ))}
          </tbody>
        </table>
        {rows.length === 0 && <p className="muted center">{t("bt.t.none")}</p>}
      </div>
      {rows.length > shown && (
        <button type="button" className="more" onClick={() => setShown((n) => n + TRADE_PAGE)}>
          {t("bt.t.more", { count: formatNumber(rows.length - shown) })}
        </button>
      )}
    </div>
  );
}
