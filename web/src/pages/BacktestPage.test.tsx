import { cleanup, fireEvent, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { BacktestDetail } from "../api";
import { detail, trade } from "../test/backtests";
import { quietCanvas } from "../test/canvas";
import { fakeApi, json, problem } from "../test/fakeApi";
import { renderPage } from "../test/render";
import { CODES } from "../test/trading";
import { BacktestPage } from "./BacktestPage";

const ID = "bt-20241115103000-abcdef";
let record: BacktestDetail;

beforeEach(() => {
  quietCanvas();
  record = detail();
  fakeApi({
    "GET /api/codes": () => json(CODES),
    [`GET /api/backtests/${ID}`]: () => json(record),
  });
});
afterEach(() => {
  cleanup(); // the chart goes before the quiet canvas does
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const open = async () => {
  renderPage(<BacktestPage />, { path: `/backtests/${ID}`, route: "/backtests/:id" });
  await screen.findByRole("heading", { level: 1, name: "이동평균 교차 (sma_cross) 백테스트" });
};
const card = (name: string) => screen.getByRole("group", { name });

describe("백테스트 결과: statistics", () => {
  it("leads with the headline figures: won with separators, signed percentages, — for a missing ratio", async () => {
    await open();
    expect(card("최종 자산").textContent).toContain("29,547,984원");
    const ret = within(card("총수익률")).getByText("-1.51%");
    expect(ret.className).toContain("fall");
    expect(card("연환산 수익률").textContent).toContain("-1.73%");
    expect(card("최대 낙폭").textContent).toContain("2.62%");
    expect(card("샤프 비율").textContent).toContain("—"); // null: no volatility
    expect(card("거래 수 (청산)").textContent).toContain("17");
    expect(card("승률").textContent).toContain("23.53%");
  });

  it("lists every statistic as the report labels it", async () => {
    await open();
    const all = screen.getByLabelText("모든 지표");
    const value = (key: string) => all.querySelector(`[data-stat="${key}"] dd`)?.textContent;
    const label = (key: string) => all.querySelector(`[data-stat="${key}"] dt`)?.textContent;
    expect(label("initial_equity")).toBe("시작 자산");
    expect(value("initial_equity")).toBe("30,000,000원");
    expect(value("avg_trade_pnl")).toBe("-48,110원");
    expect(value("volatility")).toBe("11.44%");
    expect(value("sortino")).toBe("-0.18");
    expect(value("profit_factor")).toBe("—");
    expect(label("max_drawdown_duration")).toBe("최장 낙폭 기간");
    expect(value("max_drawdown_duration")).toBe("118거래일");
    expect(value("turnover")).toBe("11.32");
    expect(value("costs")).toBe("351,216원");
    expect(value("bars")).toBe("639");
  });

  it("says what was run and links the report (new tab) and the JSON", async () => {
    await open();
    const facts = document.querySelector(".bt-facts")!;
    expect(facts.textContent).toContain("2024-01-02 ~ 2024-11-14");
    expect(facts.textContent).toContain("fast 5 · slow 20");
    expect(facts.textContent).toContain("10,000,000원 (종목마다)");
    expect(facts.textContent).toContain("0.015% · 10.00%");
    expect(within(facts as HTMLElement).getByRole("link", { name: "삼성전자" }).getAttribute("href")).toBe("/stocks/005930");
    const report = screen.getByRole("link", { name: "HTML 보고서 (새 탭)" });
    expect(report.getAttribute("href")).toBe(`/api/backtests/${ID}/report`);
    expect(report.getAttribute("target")).toBe("_blank");
    expect(report.getAttribute("rel")).toContain("noopener");
    const exported = screen.getByRole("link", { name: "JSON 내려받기" });
    expect(exported.getAttribute("href")).toBe(`/api/backtests/${ID}/result.json`);
    expect(exported.getAttribute("download")).toBe(`${ID}.json`);
    expect(screen.getByRole("link", { name: "이 설정으로 다시" }).getAttribute("href")).toBe(`/backtests?from=${ID}`);
  });

  it("draws the equity curve and reads out the last day with its drawdown", async () => {
    await open();
    const chart = screen.getByRole("img", { name: "자산 곡선과 낙폭 차트" });
    expect(chart.dataset.points).toBe("4");
    const readout = screen.getByTestId("equity-readout");
    expect(readout.textContent).toContain("2024-11-14");
    expect(readout.textContent).toContain("자산 29,547,984원");
    // 29,547,984 from the peak of 30,500,000
    expect(readout.textContent).toContain("낙폭 -3.12%");
  });

  it("says so when the backtest does not exist", async () => {
    fakeApi({ [`GET /api/backtests/${ID}`]: () => problem(404, `백테스트 ${ID}가 없습니다`) });
    renderPage(<BacktestPage />, { path: `/backtests/${ID}`, route: "/backtests/:id" });
    expect((await screen.findByRole("alert")).textContent).toContain(`백테스트 ${ID}가 없습니다`);
  });
});

describe("백테스트 결과: trades", () => {
  const rows = () => within(screen.getByRole("table", { name: "거래 내역" })).getAllByRole("row").slice(1);
  const cells = (row: HTMLElement) => within(row).getAllByRole("cell").map((c) => c.textContent);

  it("shows each trade with the code's name, KST dates, prices, costs and coloured P&L", async () => {
    await open();
    const [first, second, held] = rows();
    expect(cells(first!)).toEqual([
      "삼성전자005930",
      "2024-03-07",
      "2024-03-15",
      "261",
      "38,250",
      "36,450",
      "20,048",
      "-489,848원",
      "-4.91%",
      "신호",
    ]);
    expect(within(first!).getByText("-489,848원").className).toContain("fall");
    expect(within(second!).getByText("+247,439원").className).toContain("rise");
    expect(within(second!).getByText("+2.52%").className).toContain("rise");
    expect(cells(held!).slice(1, 3)).toEqual(["2024-10-14", "보유 중"]);
    expect(cells(held!)[5]).toBe("—");
    expect(cells(held!)[9]).toBe("보유 중");
    expect(within(first!).getByText("20,048").getAttribute("title")).toBe("수수료 2,924원 + 거래세 17,124원");
  });

  it("prints minute trades' times in KST", async () => {
    record = detail({
      trades: [trade({ entry_at: "2024-11-15T09:01:00+09:00", exit_at: "2024-11-15T00:30:00Z", reason: "take_profit" })],
    });
    await open();
    expect(cells(rows()[0]!).slice(1, 3)).toEqual(["2024-11-15 09:01", "2024-11-15 09:30"]);
    expect(cells(rows()[0]!)[9]).toBe("익절");
  });

  it("shows a hundred at a time and filters by code", async () => {
    record = detail({
      trades: Array.from({ length: 150 }, (_, i) => trade({ code: i % 3 === 0 ? "000660" : "005930", qty: i + 1 })),
    });
    await open();
    expect(rows()).toHaveLength(100);
    expect(screen.getByText("100 / 150건")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "더 보기 (50건 남음)" }));
    expect(rows()).toHaveLength(150);
    fireEvent.change(screen.getByRole("combobox", { name: "종목으로 거르기" }), { target: { value: "000660" } });
    expect(rows()).toHaveLength(50);
    expect(rows().every((r) => r.dataset.code === "000660")).toBe(true);
  });
});
