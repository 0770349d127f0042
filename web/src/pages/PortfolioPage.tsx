// 잔고: the account's cash, what can be ordered, the holdings' value, total assets and
// today's P&L, then each holding with its average price, last price and P&L (red gains,
// blue losses), linked to its stock page. Refreshed every few seconds.

import { type ReactNode, useEffect, useId } from "react";
import { Link } from "react-router";
import type { Account, Position } from "../api";
import { Rate, Signed } from "../components/Change";
import { ErrorBox } from "../components/ErrorBox";
import { direction, formatNumber, formatWon } from "../format";
import { type MessageKey, translateOr, useT } from "../i18n";
import { useAccount, usePositions } from "../queries";

function Money({ value, signed = false }: { value: number | null | undefined; signed?: boolean }) {
  const t = useT();
  return <span className={`num ${signed ? direction(value) : ""}`}>{formatWon(value, t.lang, signed)}</span>;
}

const CARDS: { key: MessageKey; value: (a: Account) => number; signed?: boolean }[] = [
  { key: "portfolio.cash", value: (a) => a.cash },
  { key: "portfolio.orderable", value: (a) => a.orderable },
  { key: "portfolio.positionsValue", value: (a) => a.positions_value },
  { key: "portfolio.equity", value: (a) => a.equity },
  { key: "portfolio.dayPnl", value: (a) => a.day_pnl, signed: true },
];

function AccountCard({ label, children, extra }: { label: string; children: ReactNode; extra?: ReactNode }) {
  const id = useId();
  return (
    <div className="card account-card" role="group" aria-labelledby={id}>
      <span className="muted small" id={id}>
        {label}
      </span>
      <strong className="stat">{children}</strong>
      {extra}
    </div>
  );
}

function AccountCards({ account }: { account: Account | undefined }) {
  const t = useT();
  // Today's P&L against the assets the day began with.
  const start = account ? account.equity - account.day_pnl : 0;
  return (
    <section className="account-cards" aria-label={t("portfolio.summary")}>
      {CARDS.map((c) => (
        <AccountCard
          key={c.key}
          label={t(c.key)}
          extra={
            c.signed ? (
              <span className="small">
                {account && start > 0 ? <Rate bp={Math.round((account.day_pnl * 10_000) / start)} /> : "\u00a0"}
              </span>
            ) : undefined
          }
        >
          {account ? <Money value={c.value(account)} signed={c.signed ?? false} /> : "…"}
        </AccountCard>
      ))}
    </section>
  );
}

function PositionsTable({ positions }: { positions: Position[] | undefined }) {
  const t = useT();
  const rows = [...(positions ?? [])].sort((a, b) => b.value - a.value);
  const value = rows.reduce((s, p) => s + p.value, 0);
  const pnl = rows.reduce((s, p) => s + p.pnl, 0);
  const cost = rows.reduce((s, p) => s + p.avg_price * p.qty, 0);
  return (
    <div className="table-wrap positions-wrap" aria-busy={positions === undefined}>
      <table className="data positions" aria-label={t("portfolio.positions")}>
        <thead>
          <tr>
            <th scope="col" className="text">{t("orders.col.stock")}</th>
            <th scope="col">{t("portfolio.col.qty")}</th>
            <th scope="col" className="wide-only">{t("portfolio.col.avg")}</th>
            <th scope="col">{t("portfolio.col.price")}</th>
            <th scope="col" className="wide-only">{t("portfolio.col.value")}</th>
            <th scope="col">{t("portfolio.col.pnl")}</th>
            <th scope="col">{t("portfolio.col.rate")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => (
            <tr key={p.code} data-code={p.code}>
              <td className="text stock-cell">
                <Link to={`/stocks/${p.code}`}>{p.name ?? p.code}</Link>
                <div className="muted small">{p.code}</div>
              </td>
              <td className="num">{formatNumber(p.qty)}</td>
              <td className="num wide-only">{formatNumber(p.avg_price)}</td>
              <td className={`num ${direction(p.price - p.avg_price)}`}>{formatNumber(p.price)}</td>
              <td className="num wide-only">{formatNumber(p.value)}</td>
              <td>
                <Signed value={p.pnl} />
              </td>
              <td>
                <Rate bp={p.pnl_bp} />
              </td>
            </tr>
          ))}
        </tbody>
        {rows.length > 0 && (
          <tfoot>
            <tr>
              <th scope="row">{t("portfolio.total")}</th>
              <td />
              <td className="wide-only" />
              <td />
              <td className="num wide-only">{formatNumber(value)}</td>
              <td>
                <Signed value={pnl} />
              </td>
              <td>
                <Rate bp={cost > 0 ? Math.round((pnl * 10_000) / cost) : null} />
              </td>
            </tr>
          </tfoot>
        )}
      </table>
      {positions && positions.length === 0 && <p className="muted center">{t("portfolio.empty")}</p>}
    </div>
  );
}

export function PortfolioPage() {
  const t = useT();
  const account = useAccount();
  const positions = usePositions();
  const a = account.data;

  useEffect(() => {
    document.title = `${t("portfolio.title")} · stocklab`;
    return () => {
      document.title = "stocklab";
    };
  }, [t]);

  return (
    <section className="page">
      <div className="page-head">
        <h1>{t("portfolio.title")}</h1>
        <span className="muted small">
          {a ? t("portfolio.account", { id: a.account_id, broker: translateOr(t.lang, `broker.${a.broker}`, a.broker) }) : "\u00a0"}
        </span>
        {a?.killed && (
          <Link to="/orders" className="badge bad">
            {t("portfolio.killed")}
          </Link>
        )}
      </div>
      {account.isError ? (
        <ErrorBox error={account.error} onRetry={() => void account.refetch()} />
      ) : (
        <AccountCards account={a} />
      )}
      <div className="card">
        <h2>{t("portfolio.positions")}</h2>
        {positions.isError ? (
          <ErrorBox error={positions.error} onRetry={() => void positions.refetch()} />
        ) : (
          <PositionsTable positions={positions.data} />
        )}
      </div>
    </section>
  );
}
