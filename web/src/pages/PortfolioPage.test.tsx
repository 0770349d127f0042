import { screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Position } from "../api";
import { fakeApi, json } from "../test/fakeApi";
import { renderPage } from "../test/render";
import { account } from "../test/trading";
import { PortfolioPage } from "./PortfolioPage";

const POSITIONS: Position[] = [
  { code: "000660", name: "SK하이닉스", qty: 10, sellable: 10, avg_price: 60_209, price: 60_300, value: 603_000, pnl: 910, pnl_bp: 15 },
  { code: "005930", name: "삼성전자", qty: 20, sellable: 20, avg_price: 38_405, price: 38_400, value: 768_000, pnl: -100, pnl_bp: -1 },
];

afterEach(() => vi.unstubAllGlobals());

const card = (name: string) => screen.getByRole("group", { name });

describe("잔고 page", () => {
  it("shows the account summary cards in won", async () => {
    fakeApi({ "GET /api/account": () => json(account()), "GET /api/positions": () => json(POSITIONS) });
    renderPage(<PortfolioPage />, { path: "/portfolio" });
    await screen.findByText("100,000,000원");
    expect(card("예수금").textContent).toContain("100,000,000원");
    expect(card("주문가능").textContent).toContain("99,382,908원");
    expect(card("평가금액").textContent).toContain("2,178,150원");
    expect(card("총자산").textContent).toContain("100,002,925원");
    const pnl = within(card("오늘 손익")).getByText("+2,925원");
    expect(pnl.className).toContain("rise");
    expect(screen.getByText("계좌 paper · 모의투자")).toBeTruthy();
  });

  it("lists holdings by value with P&L coloured, a total, and links to each stock", async () => {
    fakeApi({ "GET /api/account": () => json(account()), "GET /api/positions": () => json(POSITIONS) });
    renderPage(<PortfolioPage />, { path: "/portfolio" });
    const table = await screen.findByRole("table", { name: "보유 종목" });
    await within(table).findByText("SK하이닉스");
    const rows = within(table).getAllByRole("row");
    // header, two holdings (the larger value first), total
    expect(rows.map((r) => r.getAttribute("data-code"))).toEqual([null, "005930", "000660", null]);
    const samsung = rows[1]!;
    expect(within(samsung).getByRole("link", { name: "삼성전자" }).getAttribute("href")).toBe("/stocks/005930");
    expect(samsung.textContent).toContain("38,405");
    expect(within(samsung).getByText("-100").className).toContain("fall");
    expect(within(samsung).getByText("-0.01%").className).toContain("fall");
    expect(within(rows[2]!).getByText("+910").className).toContain("rise");
    expect(within(rows[2]!).getByText("+0.15%").className).toContain("rise");
    const total = rows[3]!;
    expect(total.textContent).toContain("합계");
    expect(total.textContent).toContain("1,371,000");
    expect(within(total).getByText("+810").className).toContain("rise");
  });

  it("says so when nothing is held, and shows the kill switch", async () => {
    fakeApi({
      "GET /api/account": () => json(account({ killed: true, positions_value: 0, day_pnl: 0 })),
      "GET /api/positions": () => json([]),
    });
    renderPage(<PortfolioPage />, { path: "/portfolio" });
    expect(await screen.findByText("보유 종목이 없습니다")).toBeTruthy();
    expect((await screen.findByRole("link", { name: "긴급 정지 중" })).getAttribute("href")).toBe("/orders");
  });
});
