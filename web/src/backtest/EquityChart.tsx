// The equity curve over its drawdown (lightweight-charts v5): a baseline series at the
// starting equity (red above, blue below, as gains and losses are coloured everywhere
// else), and underneath, in its own pane, the fall from the running peak in percent.

import {
  BaselineSeries,
  ColorType,
  CrosshairMode,
  HistogramSeries,
  LineStyle,
  type TickMarkType,
  type Time,
  createChart,
} from "lightweight-charts";
import { useEffect, useRef } from "react";
import { crosshairLabel, tickLabel } from "../chart/PriceChart";
import { formatCompact, formatWon } from "../format";
import type { Lang } from "../i18n";
import { BACKGROUND, BORDER, FALL, FONT, GRID, RISE, TEXT } from "../theme";
import { type EquityPoint, drawdownBars, equityLine } from "./stats";

const DRAWDOWN = "rgba(0, 81, 199, 0.55)";

interface Props {
  points: readonly EquityPoint[];
  initial: number;
  lang: Lang;
  label: string;
  onHover: (index: number | null) => void;
}

export function EquityChart({ points, initial, lang, label, onHover }: Props) {
  const boxRef = useRef<HTMLDivElement>(null);
  const hover = useRef(onHover);
  hover.current = onHover;

  useEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const chart = createChart(box, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: BACKGROUND },
        textColor: TEXT,
        fontFamily: FONT,
        fontSize: 11,
        panes: { separatorColor: BORDER, enableResize: false },
      },
      grid: { vertLines: { color: GRID }, horzLines: { color: GRID } },
      rightPriceScale: { borderColor: BORDER },
      timeScale: { borderColor: BORDER, rightOffset: 2, minBarSpacing: 0.1 },
      crosshair: { mode: CrosshairMode.Magnet },
      localization: { locale: lang === "ko" ? "ko-KR" : "en-US", timeFormatter: crosshairLabel },
    });
    chart.applyOptions({
      timeScale: { tickMarkFormatter: (time: Time, type: TickMarkType) => tickLabel(time, type, lang) },
    });
    const equity = chart.addSeries(BaselineSeries, {
      baseValue: { type: "price", price: initial },
      topLineColor: RISE,
      topFillColor1: "rgba(214, 0, 0, 0.22)",
      topFillColor2: "rgba(214, 0, 0, 0.03)",
      bottomLineColor: FALL,
      bottomFillColor1: "rgba(0, 81, 199, 0.03)",
      bottomFillColor2: "rgba(0, 81, 199, 0.22)",
      lineWidth: 2,
      priceLineVisible: false,
      priceFormat: { type: "custom", minMove: 1, formatter: (v: number) => formatCompact(Math.round(v), lang) },
    });
    equity.createPriceLine({
      price: initial,
      color: "#adb5bd",
      lineStyle: LineStyle.Dashed,
      lineWidth: 1,
      axisLabelVisible: false,
      title: "",
    });
    const drawdown = chart.addSeries(
      HistogramSeries,
      {
        color: DRAWDOWN,
        priceLineVisible: false,
        lastValueVisible: false,
        priceFormat: { type: "custom", minMove: 0.01, formatter: (v: number) => `${v.toFixed(1)}%` },
      },
      1,
    );
    const panes = chart.panes();
    panes[0]?.setStretchFactor(3);
    panes[1]?.setStretchFactor(1);
    equity.setData(equityLine(points));
    drawdown.setData(drawdownBars(points, DRAWDOWN));
    chart.timeScale().fitContent();
    chart.subscribeCrosshairMove((param) => {
      const index = param.logical;
      hover.current(param.point && index !== undefined ? Math.round(index) : null);
    });
    box.dataset.points = String(points.length);
    return () => chart.remove();
  }, [points, initial, lang]);

  return <div ref={boxRef} className="chart-canvas" role="img" aria-label={label} data-testid="equity-chart" />;
}

/** The line above the chart: the day under the crosshair (or the last), its equity and drawdown. */
export function EquityReadout({
  points,
  index,
  labels,
  lang,
}: {
  points: readonly EquityPoint[];
  index: number | null;
  labels: { equity: string; drawdown: string };
  lang: Lang;
}) {
  const n = points.length;
  if (n === 0) return <div className="readout" aria-hidden="true" />;
  const p = points[index === null ? n - 1 : Math.min(Math.max(index, 0), n - 1)]!;
  return (
    <div className="readout" data-testid="equity-readout">
      <span className="readout-time">{p.day}</span>
      <span>
        {labels.equity} <span className="num">{formatWon(p.equity, lang)}</span>
      </span>
      <span>
        {labels.drawdown}{" "}
        <span className={`num ${p.drawdown < 0 ? "fall" : "flat"}`}>{(p.drawdown * 100).toFixed(2)}%</span>
      </span>
    </div>
  );
}
