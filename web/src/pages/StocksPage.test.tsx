import { fireEvent, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CodeRow } from "../api";
import { fakeApi, json } from "../test/fakeApi";
import { renderPage } from "../test/render";
import { StocksPage } from "./StocksPage";

const NAMED: [string, string, "KOSPI" | "KOSDAQ"][] = [
  ["005930", "삼성전자", "KOSPI"],
  ["005935", "삼성전자우", "KOSPI"],
  ["006400", "삼성SDI", "KOSPI"],
  ["000660", "SK하이닉스", "KOSPI"],
  ["247540", "에코프로비엠", "KOSDAQ"],
];

/** 3,000 codes: the named ones first, then filler alternating markets and rises/falls. */
function codeList(): CodeRow[] {
  const rows: CodeRow[] = NAMED.map(([code, name, market], i) => ({
    code,
    name,
    market,
    kind: "stock",
    source: "sim",
    last_close: 38050 + i,
    change: i % 2 === 0 ? 50 : -880,
    change_bp: i % 2 === 0 ? 13 : -459,
    last_date: "2024-11-15",
  }));
  for (let i = rows.length; i < 3000; i++) {
    rows.push({
      code: String(100000 + i),
      name: `종목${i}`,
      market: i % 2 ? "KOSPI" : "KOSDAQ",
      kind: "stock",
      source: "sim",
      last_close: 1000 + i,
      change: i % 3 === 0 ? 0 : 10,
      change_bp: i % 3 === 0 ? 0 : 100,
      last_date: "2024-11-15",
    });
  }
  return rows;
}

// jsdom lays nothing out; give the list's scroller the height a laptop would.
const clientHeight = Object.getOwnPropertyDescriptor(HTMLElement.prototype, "clientHeight");
beforeEach(() => {
  Object.defineProperty(HTMLElement.prototype, "clientHeight", {
    configurable: true,
    get(this: HTMLElement) {
      return this.classList.contains("tbody") ? 520 : 0;
    },
  });
  const all = codeList();
  fakeApi({ "GET /api/codes": () => json({ total: all.length, limit: 5000, offset: 0, items: all }) });
});
afterEach(() => {
  if (clientHeight) Object.defineProperty(HTMLElement.prototype, "clientHeight", clientHeight);
  vi.unstubAllGlobals();
});

function dataRows() {
  const table = screen.getByRole("table", { name: "종목 목록" });
  return within(table)
    .getAllByRole("row")
    .filter((r) => r.dataset.code);
}

describe("종목 list", () => {
  it("renders only a window of 3,000 rows, with prices and coloured changes", async () => {
    renderPage(<StocksPage />, { path: "/stocks" });
    await screen.findByText("3,000개 중 3,000개");
    const rows = dataRows();
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(60);
    const samsung = rows.find((r) => r.dataset.code === "005930")!;
    expect(samsung.textContent).toContain("삼성전자");
    expect(within(samsung).getByText("38,050")).toBeTruthy();
    expect(within(samsung).getByText("▲50").classList.contains("rise")).toBe(true);
    const preferred = rows.find((r) => r.dataset.code === "005935")!;
    expect(within(preferred).getByText("▼880").classList.contains("fall")).toBe(true);
    expect(within(preferred).getByText("-4.59%").classList.contains("fall")).toBe(true);
  });

  it("filters as you type: name, code and 초성", async () => {
    renderPage(<StocksPage />, { path: "/stocks" });
    await screen.findByText("3,000개 중 3,000개");
    const search = screen.getByRole("searchbox", { name: "종목 검색" });

    fireEvent.change(search, { target: { value: "삼성" } });
    await screen.findByText("3,000개 중 3개");
    expect(dataRows().map((r) => r.dataset.code)).toEqual(["005930", "005935", "006400"]);

    fireEvent.change(search, { target: { value: "0006" } });
    await screen.findByText("3,000개 중 1개");
    expect(dataRows()[0]?.textContent).toContain("SK하이닉스");

    fireEvent.change(search, { target: { value: "ㅅㅅㅈㅈ" } });
    await screen.findByText("3,000개 중 2개");

    fireEvent.change(search, { target: { value: "없는종목" } });
    await screen.findByText("조건에 맞는 종목이 없습니다");
  });

  it("filters by market", async () => {
    renderPage(<StocksPage />, { path: "/stocks" });
    await screen.findByText("3,000개 중 3,000개");
    fireEvent.click(within(screen.getByRole("group", { name: "시장" })).getByRole("button", { name: "KOSDAQ" }));
    await screen.findByText("3,000개 중 1,498개");
    expect(dataRows().every((r) => r.textContent?.includes("KOSDAQ"))).toBe(true);
  });

  it("opens a stock when its row is clicked", async () => {
    renderPage(<StocksPage />, { path: "/stocks" });
    await screen.findByText("3,000개 중 3,000개");
    fireEvent.click(dataRows().find((r) => r.dataset.code === "006400")!);
    await screen.findByText("detail page");
  });

  it("shows the server's message when the list cannot be loaded", async () => {
    fakeApi({
      "GET /api/codes": () =>
        new Response(JSON.stringify({ status: 503, detail: "저장소 오류: database is locked" }), {
          status: 503,
          headers: { "content-type": "application/problem+json" },
        }),
    });
    renderPage(<StocksPage />, { path: "/stocks" });
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("저장소 오류: database is locked");
    expect(within(alert).getByRole("button", { name: "다시 시도" })).toBeTruthy();
  });
});
