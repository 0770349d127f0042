import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CodeDetail, IndicatorSeries } from "../api";
import { quietCanvas } from "../test/canvas";
import { type Call, fakeApi, json, problem } from "../test/fakeApi";
import { renderPage } from "../test/render";
import { bars } from "../test/trading";
import { StockPage } from "./StockPage";

const DETAIL: CodeDetail = {
  instrument: { code: "005930", name: "삼성전자", market: "KOSPI", kind: "stock", listed_on: null, source: "sim" },
  coverage: [],
  simulated: true,
};

const DAYS = ["2024-11-11", "2024-11-12", "2024-11-13", "2024-11-14"];
const DAILY = bars(
  "1d",
  DAYS.map((d, i) => [`${d}T00:00:00`, 38_000 + i * 100]),
);

const INDICATORS: IndicatorSeries = {
  code: "005930",
  timeframe: "1d",
  count: 4,
  t: DAILY.t,
  columns: {
    bb20_mid: [null, 38_050, 38_100, 38_150],
    bb20_upper: [null, 38_450, 38_500, 38_550],
    bb20_lower: [null, 37_650, 37_700, 37_750],
    ema12: [null, null, 38_090.5, 38_120.25],
    ema26: [null, null, 38_050, 38_080],
    rsi14: [null, 55, 48.5, 61.25],
    macd: [null, 12.5, -3.25, 20.75],
    macd_signal: [null, 10, 7.2, 9.9],
    macd_hist: [null, 2.5, -10.45, 10.85],
  },
};

let calls: Call[];

beforeEach(() => {
  quietCanvas();
  calls = fakeApi({
    "GET /api/codes/005930": () => json(DETAIL),
    "GET /api/codes/005930/prices": () => json(DAILY),
    "GET /api/codes/005930/indicators": () => json(INDICATORS),
  });
});
afterEach(() => {
  cleanup(); // the chart goes before the quiet canvas does
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const chart = () => screen.getByTestId("price-chart");
const toggles = () => screen.getByRole("group", { name: "보조지표" });
const toggle = (name: string) => fireEvent.click(within(toggles()).getByRole("button", { name }));
const indicatorCalls = () => calls.filter((c) => c.path.endsWith("/indicators"));

async function open(path = "/stocks/005930") {
  renderPage(<StockPage />, { path, route: "/stocks/:code" });
  await waitFor(() => expect(chart().dataset.bars).toBe("4"));
}

describe("종목 상세: indicator overlays", () => {
  it("starts with none: no request, two panes, a hint where the values go", async () => {
    await open();
    expect(chart().dataset.panes).toBe("2");
    expect(chart().dataset.indicatorSeries).toBe("0");
    expect(indicatorCalls()).toHaveLength(0);
    expect(screen.getByTestId("indicator-readout").textContent).toBe("보조지표(볼린저·EMA·RSI·MACD)는 서버가 계산한 값입니다");
    for (const b of within(toggles()).getAllByRole("button")) expect(b.getAttribute("aria-pressed")).toBe("false");
  });

  it("fetches the server's values for the loaded bars once, and adds and removes series as toggled", async () => {
    await open();
    toggle("RSI");
    await waitFor(() => expect(screen.getByTestId("indicator-readout").textContent).toContain("RSI14 61.3"));
    expect(indicatorCalls()).toHaveLength(1);
    const q = indicatorCalls()[0]!.search;
    expect(q.get("names")).toBe("bb20,ema12,ema26,rsi14,macd");
    expect([q.get("tf"), q.get("start"), q.get("end"), q.get("limit")]).toEqual(["1d", "2024-11-11", "2024-11-14", "4"]);
    expect(chart().dataset.panes).toBe("3");
    expect(chart().dataset.indicatorSeries).toBe("1");
    expect(within(toggles()).getByRole("button", { name: "RSI" }).getAttribute("aria-pressed")).toBe("true");

    toggle("MACD");
    await waitFor(() => expect(chart().dataset.panes).toBe("4"));
    expect(chart().dataset.indicatorSeries).toBe("4");
    expect(screen.getByTestId("indicator-readout").textContent).toContain("MACD 20.75 시그널 9.90 히스토그램 10.85");

    toggle("볼린저");
    toggle("EMA 12·26");
    await waitFor(() => expect(chart().dataset.indicatorSeries).toBe("9"));
    expect(chart().dataset.panes).toBe("4"); // bands and EMAs go over the candles
    const text = screen.getByTestId("indicator-readout").textContent;
    expect(text).toContain("BB20 38,550 · 38,150 · 37,750");
    expect(text).toContain("EMA12 38,120");

    toggle("RSI");
    await waitFor(() => expect(chart().dataset.panes).toBe("3"));
    expect(chart().dataset.indicatorSeries).toBe("8");
    toggle("MACD");
    toggle("볼린저");
    toggle("EMA 12·26");
    await waitFor(() => expect(chart().dataset.indicatorSeries).toBe("0"));
    expect(chart().dataset.panes).toBe("2");
    // every toggle was served by the one request
    expect(indicatorCalls()).toHaveLength(1);
  });

  it("makes room for each oscillator pane below the chart, and keeps the choice in the URL", async () => {
    await open("/stocks/005930?ind=rsi,macd");
    const box = chart().parentElement!;
    await waitFor(() => expect(chart().dataset.panes).toBe("4"));
    expect(box.dataset.oscillators).toBe("2");
    expect(box.style.getPropertyValue("--osc")).toBe("2");
    toggle("MACD");
    await waitFor(() => expect(box.dataset.oscillators).toBe("1"));
    expect(box.style.getPropertyValue("--osc")).toBe("1");
  });
});

describe("종목 상세: loading", () => {
  it("asks for the prices while the detail is still on its way", async () => {
    let answer: (r: Response) => void = () => {};
    calls = fakeApi({
      "GET /api/codes/005930": () => new Promise<Response>((resolve) => (answer = resolve)),
      "GET /api/codes/005930/prices": () => json(DAILY),
    });
    renderPage(<StockPage />, { path: "/stocks/005930", route: "/stocks/:code" });
    const daily = () => calls.filter((c) => c.path.endsWith("/prices") && c.search.get("tf") === "1d");
    await waitFor(() => expect(daily()).toHaveLength(1));
    answer(json(DETAIL)); // only now does the detail arrive
    await waitFor(() => expect(chart().dataset.bars).toBe("4"));
  });

  it("shows the detail's error for an unknown code and asks nothing more", async () => {
    calls = fakeApi({
      "GET /api/codes/123456": () => problem(404, "종목 123456가 없습니다"),
      "GET /api/codes/123456/prices": () => problem(404, "종목 123456가 없습니다"),
    });
    renderPage(<StockPage />, { path: "/stocks/123456", route: "/stocks/:code" });
    await screen.findByText(/종목 123456가 없습니다/);
    const asked = calls.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(calls.length).toBe(asked);
    expect(calls.filter((c) => c.path.endsWith("/flows"))).toHaveLength(0);
  });
});
