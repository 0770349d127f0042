// 종목 상세: header with the last close, the chart (timeframe, range, moving averages,
// the server's indicators, crosshair readout) beside the order ticket, and tables of
// recent daily prices and investor flows.
// Timeframe, range and indicators live in the URL so a chart can be linked as seen.

import { type CSSProperties, useEffect, useMemo, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import type { CodeDetail, PriceSeries, Timeframe } from "../api";
import { IndicatorReadout } from "../chart/IndicatorReadout";
import { PriceChart } from "../chart/PriceChart";
import {
  INDICATOR_COLORS,
  INDICATOR_KEYS,
  INDICATOR_NAMES,
  type IndicatorKey,
  alignIndicators,
  indicatorQuery,
  isOscillator,
  parseIndicators,
  toggleIndicator,
} from "../chart/indicators";
import { Readout } from "../chart/Readout";
import {
  DEFAULT_RANGE,
  MA_PERIODS,
  type MaPeriod,
  RANGES,
  type RangeKey,
  isRange,
  movingAverage,
} from "../chart/series";
import { Change, Price, Rate } from "../components/Change";
import { CollectingNote } from "../components/CollectingNote";
import { ErrorBox } from "../components/ErrorBox";
import { Segmented } from "../components/Segmented";
import { FlowTable } from "../components/FlowTable";
import { OrderTicket } from "../components/OrderTicket";
import { PriceTable } from "../components/PriceTable";
import { changeBp, formatKstDate, formatKstDateTime, formatNumber } from "../format";
import { type MessageKey, useT } from "../i18n";
import { useCode, useIndicators, usePrices } from "../queries";
import { MA_COLORS } from "../theme";

function StockHeader({ detail, daily }: { detail: CodeDetail | undefined; daily: PriceSeries | undefined }) {
  const t = useT();
  const n = daily?.t.length ?? 0;
  const close = n > 0 ? daily!.close[n - 1]! : null;
  const prev = n > 1 ? daily!.close[n - 2]! : null;
  const inst = detail?.instrument;
  return (
    <div className="stock-head">
      <div className="stock-title">
        <h1>{inst?.name ?? "\u00a0"}</h1>
        <span className="muted">
          {inst ? `${inst.code} · ${inst.market}` : "\u00a0"}
        </span>
        {detail?.simulated && (
          <span className="badge simulated" title={t("common.simulatedHint")}>
            {t("common.simulated")}
          </span>
        )}
      </div>
      <div className="stock-quote">
        <span className="big">
          <Price value={close} base={prev} />
        </span>
        <Change value={close !== null && prev !== null ? close - prev : null} />
        <Rate bp={close !== null ? changeBp(close, prev) : null} />
        <span className="muted small">{n > 0 ? formatKstDate(daily!.t[n - 1]!) : "\u00a0"}</span>
      </div>
    </div>
  );
}

const SWATCH: Record<IndicatorKey, string> = {
  bb: INDICATOR_COLORS.bb,
  ema: INDICATOR_COLORS.ema12,
  rsi: INDICATOR_COLORS.rsi,
  macd: INDICATOR_COLORS.macd,
};

function IndicatorToggles({ on, onToggle }: { on: readonly IndicatorKey[]; onToggle: (k: IndicatorKey) => void }) {
  const t = useT();
  return (
    <div className="ma-toggles ind-toggles" role="group" aria-label={t("stock.indicators")}>
      {INDICATOR_KEYS.map((k) => (
        <button
          key={k}
          type="button"
          aria-pressed={on.includes(k)}
          className={on.includes(k) ? "on" : undefined}
          onClick={() => onToggle(k)}
        >
          <span className="swatch" style={{ background: SWATCH[k] }} aria-hidden="true" />
          {t(`ind.${k}` as MessageKey)}
        </button>
      ))}
    </div>
  );
}

function Coverage({ detail }: { detail: CodeDetail | undefined }) {
  const t = useT();
  if (!detail) return <p className="muted small coverage">{"\u00a0"}</p>;
  const parts = detail.coverage.map((c) =>
    t("stock.coverage", {
      tf: t(`tf.${c.timeframe}` as MessageKey),
      count: formatNumber(c.count),
      first: c.timeframe === "1d" ? formatKstDate(c.first) : formatKstDateTime(c.first),
      last: c.timeframe === "1d" ? formatKstDate(c.last) : formatKstDateTime(c.last),
    }),
  );
  return (
    <p className="muted small coverage">
      {parts.join(" · ")}
      {parts.length > 0 && " · "}
      {t("stock.maHint")}
    </p>
  );
}

export function StockPage() {
  const t = useT();
  const { code = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const tf: Timeframe = params.get("tf") === "1m" ? "1m" : "1d";
  const rangeParam = params.get("range");
  const range: RangeKey = isRange(tf, rangeParam) ? rangeParam : DEFAULT_RANGE[tf];
  const indParam = params.get("ind");
  const indicators = useMemo(() => parseIndicators(indParam), [indParam]);
  const [maPeriods, setMaPeriods] = useState<MaPeriod[]>([5, 20, 60, 120]);
  const [hover, setHover] = useState<number | null>(null);

  const detail = useCode(code);
  // Prices are asked for alongside the detail, not after it: the chart is what the page is
  // for. They stop only once the detail has said the code is unknown or malformed.
  const daily = usePrices(code, "1d", !detail.isError);
  const minute = usePrices(code, "1m", !detail.isError && tf === "1m");
  const active = tf === "1d" ? daily : minute;
  const series = active.data;

  const indQuery = useMemo(() => (series ? indicatorQuery(series) : { tf }), [series, tf]);
  const ind = useIndicators(code, INDICATOR_NAMES, indQuery, indicators.length > 0 && !!series && series.t.length > 0);
  const aligned = useMemo(
    () => (series && ind.data && ind.data.timeframe === series.timeframe ? alignIndicators(series.t, ind.data) : null),
    [series, ind.data],
  );
  const oscillators = indicators.filter(isOscillator).length;

  const name = detail.data?.instrument.name;
  useEffect(() => {
    document.title = name ? `${name} (${code}) · stocklab` : "stocklab";
    return () => {
      document.title = "stocklab";
    };
  }, [name, code]);

  useEffect(() => setHover(null), [series]);

  const ma = useMemo(() => {
    const out = new Map<MaPeriod, (number | null)[]>();
    if (series) for (const p of MA_PERIODS) out.set(p, movingAverage(series.close, p));
    return out;
  }, [series]);

  const setView = (nextTf: Timeframe, nextRange: RangeKey | null) => {
    const next = new URLSearchParams(params);
    if (nextTf === "1d") next.delete("tf");
    else next.set("tf", nextTf);
    if (nextRange === null || nextRange === DEFAULT_RANGE[nextTf]) next.delete("range");
    else next.set("range", nextRange);
    setParams(next, { replace: true });
  };

  const toggleInd = (k: IndicatorKey) => {
    const next = new URLSearchParams(params);
    const on = toggleIndicator(indicators, k);
    if (on.length > 0) next.set("ind", on.join(","));
    else next.delete("ind");
    setParams(next, { replace: true });
  };

  const toggleMa = (p: MaPeriod) =>
    setMaPeriods((cur) => (cur.includes(p) ? cur.filter((x) => x !== p) : [...cur, p].sort((a, b) => a - b)));

  if (detail.isError) {
    return (
      <section className="page">
        <p className="crumbs">
          <Link to="/stocks">← {t("stock.back")}</Link>
        </p>
        <ErrorBox error={detail.error} onRetry={() => void detail.refetch()} />
        <p className="muted">
          <CollectingNote />
        </p>
      </section>
    );
  }

  return (
    <section className="page">
      <p className="crumbs">
        <Link to="/stocks">← {t("stock.back")}</Link>
      </p>
      <StockHeader detail={detail.data} daily={daily.data} />

      <div className="stock-main">
        <div className="card chart-card">
          <div className="chart-tools">
            <Segmented<Timeframe>
              label={t("stock.timeframe")}
              value={tf}
              onChange={(v) => setView(v, null)}
              options={[
                { value: "1d", label: t("tf.1d") },
                { value: "1m", label: t("tf.1m") },
              ]}
            />
            <Segmented<RangeKey>
              label={t("stock.range")}
              value={range}
              onChange={(v) => setView(tf, v)}
              options={RANGES[tf].map((r) => ({ value: r, label: t(`stock.range.${r}` as MessageKey) }))}
            />
            <div className="ma-toggles" role="group" aria-label={t("stock.ma")}>
              {MA_PERIODS.map((p) => (
                <button
                  key={p}
                  type="button"
                  aria-pressed={maPeriods.includes(p)}
                  className={maPeriods.includes(p) ? "on" : undefined}
                  onClick={() => toggleMa(p)}
                >
                  <span className="swatch" style={{ background: MA_COLORS[p] }} aria-hidden="true" />
                  MA{p}
                </button>
              ))}
            </div>
            <IndicatorToggles on={indicators} onToggle={toggleInd} />
          </div>
          {series ? (
            <Readout series={series} index={hover} ma={ma} maPeriods={maPeriods} />
          ) : (
            <div className="readout" aria-hidden="true" />
          )}
          <IndicatorReadout
            on={indicators}
            data={aligned}
            bars={series?.t.length ?? 0}
            index={hover}
            error={ind.isError ? ind.error : null}
          />
          <div className="chart-box" style={{ "--osc": oscillators } as CSSProperties} data-oscillators={oscillators}>
            {series && series.t.length > 0 && (
              <PriceChart
                series={series}
                range={range}
                maPeriods={maPeriods}
                indicators={indicators}
                indicatorData={aligned}
                lang={t.lang}
                label={t("stock.chart", { name: name ?? code })}
                onHover={setHover}
              />
            )}
            {active.isError ? (
              <div className="chart-overlay">
                <ErrorBox error={active.error} onRetry={() => void active.refetch()} />
              </div>
            ) : !series ? (
              <div className="chart-overlay" aria-busy="true">
                <span className="muted">{t("common.loading")}</span>
              </div>
            ) : series.t.length === 0 ? (
              <div className="chart-overlay">
                <span className="muted">{t("stock.noBars")}</span>
              </div>
            ) : null}
          </div>
          <Coverage detail={detail.data} />
        </div>
        <OrderTicket key={code} code={code} instrument={detail.data?.instrument} daily={daily.data} />
      </div>

      <div className="grid-2">
        <PriceTable query={daily} />
        <FlowTable code={code} enabled={detail.isSuccess} />
      </div>
    </section>
  );
}
