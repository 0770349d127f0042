// A backtest's statistics: the headline figures as cards, then every statistic the
// server stored, labelled as the HTML report labels them.

import type { BacktestStats } from "../api";
import { direction } from "../format";
import { translateOr, useT } from "../i18n";
import { HEADLINE, formatStat, specOf, statLabel, statList } from "./stats";

export function Headline({ stats }: { stats: BacktestStats }) {
  const t = useT();
  return (
    <div className="bt-cards">
      {HEADLINE.map((key) => {
        const spec = specOf(key);
        const value = stats[key];
        return (
          <div key={key} className="card bt-card" role="group" aria-label={t(statLabel(key))} data-stat={key}>
            <span className="muted small">{t(statLabel(key))}</span>
            <span className={`stat ${spec.signed ? direction(value) : ""}`}>{formatStat(spec, value, t.lang)}</span>
          </div>
        );
      })}
    </div>
  );
}

export function StatsTable({ stats }: { stats: BacktestStats }) {
  const t = useT();
  return (
    <div className="card">
      <h2>{t("bt.allStats")}</h2>
      <dl className="bt-stats" aria-label={t("bt.allStats")}>
        {statList(stats).map((spec) => {
          const value = stats[spec.key];
          return (
            <div key={spec.key} data-stat={spec.key}>
              <dt>{translateOr(t.lang, statLabel(spec.key), spec.key)}</dt>
              <dd className={`num ${spec.signed ? direction(value) : ""}`}>{formatStat(spec, value, t.lang)}</dd>
            </div>
          );
        })}
      </dl>
    </div>
  );
}
