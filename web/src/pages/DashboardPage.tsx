// 대시보드: is the market open and when does it open next, what data the store holds,
// which jobs are failing, and the day's biggest movers.

import { useMemo } from "react";
import { Link } from "react-router";
import type { CodeRow, Coverage, JobStatus } from "../api";
import { Change, Price, Rate } from "../components/Change";
import { CollectingNote } from "../components/CollectingNote";
import { ErrorBox } from "../components/ErrorBox";
import { StatusBadge } from "../components/StatusBadge";
import { formatKstDateTime, formatKstDay, formatNumber, formatRelative } from "../format";
import { type MessageKey, translateOr, useT } from "../i18n";
import { useCodes, useHealth, useJobs, useMarketStatus, useOverview, useRuns } from "../queries";

const FAILING: JobStatus[] = ["failed", "timed_out"];

function MarketCard() {
  const t = useT();
  const q = useMarketStatus();
  const s = q.data;
  return (
    <div className="card dash-card">
      <h2>{t("dash.market")}</h2>
      {q.isError ? (
        <ErrorBox error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <>
          <p className={`phase-big phase-${s?.phase ?? "unknown"}`}>
            <span className="dot" aria-hidden="true" />
            {s ? translateOr(t.lang, `phase.${s.phase}`, s.phase) : t("common.loading")}
          </p>
          <dl className="facts">
            <dt>{t("dash.nextOpen")}</dt>
            <dd>
              {s ? (
                <>
                  {formatKstDateTime(s.next_open)} <span className="muted small">({formatRelative(s.next_open, Date.parse(s.at), t.lang)})</span>
                </>
              ) : (
                "…"
              )}
            </dd>
            <dt>{t("dash.sessionDay")}</dt>
            <dd>{s?.session_day ? formatKstDay(`${s.session_day}T00:00:00+09:00`, t.lang) : s ? t("common.none") : "…"}</dd>
            <dt>{t("dash.tradingDay")}</dt>
            <dd>{s ? (s.is_trading_day ? t("common.yes") : t("common.no")) : "…"}</dd>
            <dt>{t("dash.asOf")}</dt>
            <dd>{s ? `${formatKstDateTime(s.at)} ${t("common.kst")}` : "…"}</dd>
          </dl>
        </>
      )}
    </div>
  );
}

interface TimeframeSummary {
  timeframe: string;
  codes: number;
  bars: number;
  last: string;
}

export function summarise(series: Coverage[]): TimeframeSummary[] {
  const by = new Map<string, TimeframeSummary>();
  for (const c of series) {
    const s = by.get(c.timeframe) ?? { timeframe: c.timeframe, codes: 0, bars: 0, last: c.last };
    s.codes += 1;
    s.bars += c.count;
    if (Date.parse(c.last) > Date.parse(s.last)) s.last = c.last;
    by.set(c.timeframe, s);
  }
  return [...by.values()].sort((a, b) => (a.timeframe < b.timeframe ? -1 : 1));
}

function StoreCard() {
  const t = useT();
  const q = useOverview();
  const o = q.data;
  const lines = useMemo(() => summarise(o?.series ?? []), [o]);
  return (
    <div className="card dash-card">
      <h2>{t("dash.store")}</h2>
      {q.isError ? (
        <ErrorBox error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <>
          <div className="stats">
            <div>
              <span className="stat">{o ? formatNumber(o.instruments) : "…"}</span>
              <span className="muted small">{t("dash.instruments")}</span>
            </div>
            <div>
              <span className="stat">{o ? formatNumber(o.codes) : "…"}</span>
              <span className="muted small">{t("dash.codesWithBars")}</span>
            </div>
            <div>
              <span className="stat">{o ? formatNumber(o.bars) : "…"}</span>
              <span className="muted small">{t("dash.bars")}</span>
            </div>
          </div>
          <ul className="plain">
            {lines.map((l) => (
              <li key={l.timeframe}>
                <strong>{translateOr(t.lang, `tf.${l.timeframe}`, l.timeframe)}</strong>{" "}
                {t("dash.seriesLine", {
                  codes: formatNumber(l.codes),
                  bars: formatNumber(l.bars),
                  last: l.timeframe === "1d" ? formatKstDay(l.last, t.lang) : formatKstDateTime(l.last),
                })}
              </li>
            ))}
            {o && lines.length === 0 && (
              <li className="muted">
                <CollectingNote otherwise={t("dash.noBars")} />
              </li>
            )}
          </ul>
        </>
      )}
    </div>
  );
}

function JobsCard() {
  const t = useT();
  const jobs = useJobs();
  const failed = useRuns(null, "failed", 5);
  const timedOut = useRuns(null, "timed_out", 5);
  const failing = (jobs.data?.jobs ?? []).filter((j) => j.last_status && FAILING.includes(j.last_status));
  const recent = [...(failed.data ?? []), ...(timedOut.data ?? [])]
    .sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at))
    .slice(0, 5);
  return (
    <div className="card dash-card">
      <h2>
        <Link to="/jobs">{t("dash.jobs")}</Link>
      </h2>
      {jobs.isError ? (
        <ErrorBox error={jobs.error} onRetry={() => void jobs.refetch()} />
      ) : (
        <>
          <p>
            {jobs.data ? (
              <span className={`badge ${jobs.data.scheduler_alive ? "ok" : "bad"}`}>
                {jobs.data.scheduler_alive ? t("dash.schedulerAlive") : t("dash.schedulerDown")}
              </span>
            ) : (
              "…"
            )}
          </p>
          <h3>{t("dash.failing")}</h3>
          {jobs.data && failing.length === 0 ? (
            <p className="muted">{t("dash.noFailing")}</p>
          ) : (
            <ul className="plain">
              {failing.map((j) => (
                <li key={j.name}>
                  <code>{j.name}</code> <StatusBadge status={j.last_status} />{" "}
                  <span className="muted small">{j.last_started ? formatKstDateTime(j.last_started) : ""}</span>
                </li>
              ))}
            </ul>
          )}
          {recent.length > 0 && (
            <>
              <h3>{t("dash.recentFailures")}</h3>
              <ul className="plain failures">
                {recent.map((r) => (
                  <li key={r.run_id}>
                    <code>{r.job}</code> <span className="muted small">{formatKstDateTime(r.started_at)}</span>
                    {r.error && <div className="fall-text small">{r.error}</div>}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </div>
  );
}

export function topMovers(rows: CodeRow[], n: number): { up: CodeRow[]; down: CodeRow[] } {
  const priced = rows.filter((r) => r.change_bp !== null);
  const up = [...priced].sort((a, b) => b.change_bp! - a.change_bp!).filter((r) => r.change_bp! > 0).slice(0, n);
  const down = [...priced].sort((a, b) => a.change_bp! - b.change_bp!).filter((r) => r.change_bp! < 0).slice(0, n);
  return { up, down };
}

function MoverList({ title, rows }: { title: MessageKey; rows: CodeRow[] }) {
  const t = useT();
  return (
    <div>
      <h3>{t(title)}</h3>
      <ol className="movers">
        {rows.map((r) => (
          <li key={r.code}>
            <Link to={`/stocks/${r.code}`}>{r.name}</Link>
            <Price value={r.last_close} base={r.last_close !== null && r.change !== null ? r.last_close - r.change : null} />
            <Change value={r.change} />
            <Rate bp={r.change_bp} />
          </li>
        ))}
      </ol>
    </div>
  );
}

function MoversCard() {
  const t = useT();
  const codes = useCodes();
  const movers = useMemo(() => topMovers(codes.data ?? [], 5), [codes.data]);
  return (
    <div className="card dash-card wide">
      <h2>{t("dash.movers")}</h2>
      {codes.isError ? (
        <ErrorBox error={codes.error} onRetry={() => void codes.refetch()} />
      ) : (
        <div className="grid-2 tight">
          <MoverList title="dash.gainers" rows={movers.up} />
          <MoverList title="dash.losers" rows={movers.down} />
        </div>
      )}
    </div>
  );
}

export function DashboardPage() {
  const t = useT();
  const health = useHealth();
  return (
    <section className="page">
      <div className="page-head">
        <h1>{t("dash.title")}</h1>
        <span className="muted small">
          {health.data
            ? `${t("dash.health")}: stocklab ${health.data.version} · ${health.data.store.backend ?? "?"}`
            : "\u00a0"}
        </span>
      </div>
      <div className="dash-grid">
        <MarketCard />
        <StoreCard />
        <JobsCard />
        <MoversCard />
      </div>
    </section>
  );
}
