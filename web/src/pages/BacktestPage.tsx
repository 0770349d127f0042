// 백테스트 결과 (/backtests/:id): what was run, the headline statistics, the equity curve
// over its drawdown, every statistic, and the trades; links to the server's HTML report
// (a new tab) and the JSON export. The figures are the stored record's, the same ones the
// report prints.

import { useEffect, useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import type { BacktestDetail, CodeRow } from "../api";
import { EquityChart, EquityReadout } from "../backtest/EquityChart";
import { Headline, StatsTable } from "../backtest/StatsPanel";
import { TradesTable } from "../backtest/TradesTable";
import { equityPoints, formatPct } from "../backtest/stats";
import { ErrorBox } from "../components/ErrorBox";
import { formatBp, formatKstDateTime, formatWon } from "../format";
import { translateOr, useT } from "../i18n";
import { useBacktest, useCodes } from "../queries";
import { describeParams, strategySpec } from "../strategies";

function Facts({ bt, names }: { bt: BacktestDetail; names: ReadonlyMap<string, CodeRow> }) {
  const t = useT();
  const p = bt.params;
  const cash = formatWon(typeof p.cash === "number" ? p.cash : null, t.lang);
  const commission = Number(p.commission_rate);
  return (
    <dl className="facts bt-facts">
      <dt>{t("bt.fact.period")}</dt>
      <dd>
        {bt.start} ~ {bt.end}
        {p.timeframe && <span className="tag">{translateOr(t.lang, `tf.${p.timeframe}`, p.timeframe)}</span>}
      </dd>
      <dt>{t("bt.codes")}</dt>
      <dd className="bt-codes">
        {bt.codes.map((c, i) => (
          <span key={c}>
            {i > 0 && ", "}
            <Link to={`/stocks/${c}`}>{names.get(c)?.name ?? c}</Link> <span className="muted small">{c}</span>
          </span>
        ))}
      </dd>
      <dt>{t("bt.fact.params")}</dt>
      <dd>{describeParams(p.strategy) || "—"}</dd>
      <dt>{t("bt.fact.cash")}</dt>
      <dd>{p.shared_cash ? t("bt.fact.shared", { cash }) : t("bt.fact.perCode", { cash })}</dd>
      <dt>{t("bt.fact.costs")}</dt>
      <dd>
        {Number.isFinite(commission) ? formatBp(commission * 10_000) : "—"} ·{" "}
        {p.participation !== undefined ? formatPct(Number(p.participation)) : "—"}
      </dd>
      <dt>{t("bt.fact.created")}</dt>
      <dd>{formatKstDateTime(bt.created_at, true)}</dd>
    </dl>
  );
}

function EquityCard({ bt }: { bt: BacktestDetail }) {
  const t = useT();
  const [hover, setHover] = useState<number | null>(null);
  const initial = bt.stats.initial_equity ?? bt.equity[0]?.[1] ?? 0;
  const points = useMemo(() => equityPoints(bt.equity, initial), [bt.equity, initial]);
  return (
    <div className="card chart-card">
      <h2>{t("bt.equity")}</h2>
      <EquityReadout
        points={points}
        index={hover}
        lang={t.lang}
        labels={{ equity: t("bt.equityValue"), drawdown: t("bt.drawdown") }}
      />
      <div className="chart-box equity-box">
        {points.length > 0 && (
          <EquityChart points={points} initial={initial} lang={t.lang} label={t("bt.equityChart")} onHover={setHover} />
        )}
      </div>
    </div>
  );
}

function Links({ bt }: { bt: BacktestDetail }) {
  const t = useT();
  return (
    <div className="bt-links">
      {bt.links.report ? (
        <a className="button primary" href={bt.links.report} target="_blank" rel="noopener" aria-label={t("bt.reportLabel")}>
          {t("bt.report")} ↗
        </a>
      ) : (
        <span className="muted small">{t("bt.noReport")}</span>
      )}
      <a className="button" href={bt.links.json_export} download={`${bt.backtest_id}.json`}>
        {t("bt.json")}
      </a>
      <Link className="button" to={`/backtests?from=${encodeURIComponent(bt.backtest_id)}`}>
        {t("bt.rerun")}
      </Link>
    </div>
  );
}

export function BacktestPage() {
  const t = useT();
  const { id = "" } = useParams();
  const bt = useBacktest(id);
  const codes = useCodes();
  const names = useMemo(() => new Map((codes.data ?? []).map((r) => [r.code, r])), [codes.data]);
  const data = bt.data;
  const strategyName = data ? translateOr(t.lang, strategySpec(data.strategy)?.label ?? "", data.strategy) : null;

  useEffect(() => {
    document.title = `${t("bt.title")} ${id} · stocklab`;
    return () => {
      document.title = "stocklab";
    };
  }, [t, id]);

  return (
    <section className="page">
      <p className="crumbs">
        <Link to="/backtests">← {t("bt.back")}</Link>
      </p>
      {bt.isError ? (
        <ErrorBox error={bt.error} onRetry={() => void bt.refetch()} />
      ) : (
        <>
          <div className="page-head bt-head">
            <h1>{strategyName ? t("bt.heading", { strategy: strategyName }) : "\u00a0"}</h1>
            <code className="muted small">{id}</code>
            {data && <Links bt={data} />}
          </div>
          <div className="card bt-summary" aria-busy={!data}>
            {data ? <Facts bt={data} names={names} /> : <p className="muted">{t("common.loading")}</p>}
          </div>
          {data ? <Headline stats={data.stats} /> : <div className="bt-cards placeholder" />}
          {data ? <EquityCard bt={data} /> : <div className="card chart-card bt-chart-placeholder" />}
          {data && <StatsTable stats={data.stats} />}
          {data && <TradesTable trades={data.trades} codes={data.codes} names={names} />}
        </>
      )}
    </section>
  );
}
