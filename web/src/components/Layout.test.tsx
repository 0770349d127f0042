import { screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeApi, json } from "../test/fakeApi";
import { renderPage } from "../test/render";
import { STATUS_OPEN } from "../test/trading";
import { Layout } from "./Layout";

afterEach(() => vi.unstubAllGlobals());

describe("main menu", () => {
  it("links 주문, 잔고 and 백테스트", async () => {
    fakeApi({ "GET /api/market/status": () => json(STATUS_OPEN) });
    renderPage(<Layout />, { path: "/orders" });
    const nav = screen.getByRole("navigation", { name: "주 메뉴" });
    expect(within(nav).getByRole("link", { name: "주문" }).getAttribute("href")).toBe("/orders");
    expect(within(nav).getByRole("link", { name: "주문" }).getAttribute("aria-current")).toBe("page");
    expect(within(nav).getByRole("link", { name: "잔고" }).getAttribute("href")).toBe("/portfolio");
    expect(within(nav).getByRole("link", { name: "백테스트" }).getAttribute("href")).toBe("/backtests");
    await screen.findByText("장 중");
  });
});
