import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Order } from "../api";
import { type Call, fakeApi, json, problem } from "../test/fakeApi";
import { renderPage } from "../test/render";
import { CODES, TOKEN, UNAUTHORIZED, fill, order } from "../test/trading";
import { readToken, saveToken } from "../token";
import { OrdersPage } from "./OrdersPage";

const LIMIT_ID = "web-20241115013000-aaaa0001";
const MARKET_ID = "web-20241115013000-aaaa0002";
const FILLED_ID = "web-20241115012900-aaaa0003";
const REJECTED_ID = "web-20241115012800-aaaa0004";

let orders: Order[];
let killed: boolean;
let calls: Call[];

beforeEach(() => {
  killed = false;
  orders = [
    order(LIMIT_ID, { qty: 10, price: 37_000 }),
    order(MARKET_ID, { code: "000660", qty: 5, order_type: "market", price: null }, { broker_order_id: "2" }),
    order(
      FILLED_ID,
      { qty: 20, order_type: "market", price: null },
      { status: "filled", filled_qty: 20, filled_amount: 768_000, created_at: "2024-11-15T10:29:00+09:00" },
    ),
    order(
      REJECTED_ID,
      { side: "sell", qty: 5, price: 38_000 },
      {
        status: "rejected",
        broker_order_id: null,
        reason: "매도가능수량 0주보다 많이 팔 수 없습니다",
        rule: "sellable_qty",
        created_at: "2024-11-15T10:28:00+09:00",
      },
    ),
  ];
  const open = ["new", "submitted", "accepted", "partially_filled", "cancel_requested", "modify_requested"];
  calls = fakeApi({
    "GET /api/codes": () => json(CODES),
    "GET /api/orders": (call) => {
      const statuses = call.search.getAll("status");
      const wanted = call.search.get("open") === "true" ? open : statuses;
      return json(wanted.length ? orders.filter((o) => wanted.includes(o.status)) : orders);
    },
    "GET /api/fills": (call) => json(call.search.get("client_id") === FILLED_ID ? [fill(FILLED_ID)] : []),
    [`DELETE /api/orders/${LIMIT_ID}`]: (call) => {
      if (call.headers.Authorization !== `Bearer ${TOKEN}`) return problem(401, UNAUTHORIZED);
      orders = orders.map((o) => (o.request.client_id === LIMIT_ID ? { ...o, status: "cancelled", version: 5 } : o));
      return json(orders[0]);
    },
    [`PATCH /api/orders/${LIMIT_ID}`]: (call) => {
      if (call.headers.Authorization !== `Bearer ${TOKEN}`) return problem(401, UNAUTHORIZED);
      const change = call.body as { price?: number; qty?: number };
      if (change.price === 36_000) {
        return new Response(JSON.stringify({ status: 400, detail: "price: 36,000원은 오늘 가격제한폭 밖입니다", param: "price" }), {
          status: 400,
          headers: { "content-type": "application/problem+json" },
        });
      }
      const old = orders.find((o) => o.request.client_id === LIMIT_ID)!;
      const replacement = order(
        `${LIMIT_ID}.m1`,
        { qty: change.qty ?? old.request.qty, price: change.price ?? old.request.price },
        { broker_order_id: "9", replaces: LIMIT_ID, created_at: "2024-11-15T10:31:00+09:00" },
      );
      orders = [replacement, ...orders.map((o) => (o.request.client_id === LIMIT_ID ? { ...o, status: "replaced" as const } : o))];
      return json(replacement);
    },
    [`DELETE /api/orders/${MARKET_ID}`]: () =>
      new Response(
        JSON.stringify({ status: 400, detail: `client_id: 주문 ${MARKET_ID}는 이미 filled라 취소할 수 없습니다`, param: "client_id" }),
        { status: 400, headers: { "content-type": "application/problem+json" } },
      ),
    "GET /api/kill": () => json({ killed, cancelled: [] }),
    "POST /api/kill": (call) => {
      if (call.headers.Authorization !== `Bearer ${TOKEN}`) return problem(401, UNAUTHORIZED);
      const body = call.body as { on: boolean; cancel_open: boolean };
      killed = body.on;
      const cancelled = body.on && body.cancel_open ? [LIMIT_ID, MARKET_ID] : [];
      orders = orders.map((o) => (cancelled.includes(o.request.client_id) ? { ...o, status: "cancelled" } : o));
      return json({ killed, cancelled });
    },
  });
});
afterEach(() => vi.unstubAllGlobals());

const table = () => screen.getByRole("table", { name: "주문 목록" });
const row = (id: string) => document.querySelector(`tr[data-client-id="${id}"]`) as HTMLTableRowElement | null;
const orderCalls = () => calls.filter((c) => c.method === "GET" && c.path === "/api/orders");

describe("주문 page", () => {
  it("lists orders newest first with KST time, name, side, type, price, fills, status and reason", async () => {
    renderPage(<OrdersPage />, { path: "/orders" });
    await within(table()).findAllByText("삼성전자");
    const ids = [...table().querySelectorAll("tbody tr[data-client-id]")].map((tr) => tr.getAttribute("data-client-id"));
    expect(ids).toEqual([MARKET_ID, LIMIT_ID, FILLED_ID, REJECTED_ID]);

    const limit = row(LIMIT_ID)!;
    expect(limit.textContent).toContain("2024-11-15 10:30:00");
    expect(limit.textContent).toContain("매수");
    expect(limit.textContent).toContain("지정가");
    expect(limit.textContent).toContain("37,000");
    expect(within(limit).getByText("접수").getAttribute("data-status")).toBe("accepted");
    expect(within(limit).getByRole("link", { name: "삼성전자" }).getAttribute("href")).toBe("/stocks/005930");
    await within(row(MARKET_ID)!).findByText("SK하이닉스");
    expect(row(MARKET_ID)!.textContent).toContain("시장가");

    const filled = row(FILLED_ID)!;
    expect(filled.textContent).toContain("평균 38,400");
    expect(within(filled).getByText("체결")).toBeTruthy();
    expect(within(filled).queryByRole("button", { name: /주문 취소/ })).toBeNull();

    const rejected = row(REJECTED_ID)!;
    expect(within(rejected).getByText("매도").className).toContain("fall");
    expect(within(rejected).getByText("매도가능수량 0주보다 많이 팔 수 없습니다")).toBeTruthy();
    expect(rejected.textContent).not.toContain("[");
    expect(rejected.getAttribute("data-rule")).toBe("sellable_qty");
    expect(within(rejected).getByText("거절")).toBeTruthy();
  });

  it("filters by status through the API", async () => {
    renderPage(<OrdersPage />, { path: "/orders" });
    await within(table()).findAllByText("삼성전자");
    const filters = screen.getByRole("group", { name: "상태로 거르기" });

    fireEvent.click(within(filters).getByRole("button", { name: "미체결" }));
    await waitFor(() => expect(row(FILLED_ID)).toBeNull());
    expect(row(LIMIT_ID)).not.toBeNull();
    expect(orderCalls().at(-1)?.search.get("open")).toBe("true");

    fireEvent.click(within(filters).getByRole("button", { name: "체결" }));
    await waitFor(() => expect(row(LIMIT_ID)).toBeNull());
    expect(row(FILLED_ID)).not.toBeNull();
    expect(orderCalls().at(-1)?.search.getAll("status")).toEqual(["filled", "partially_filled"]);

    fireEvent.click(within(filters).getByRole("button", { name: "거절" }));
    await waitFor(() => expect(row(REJECTED_ID)).not.toBeNull());
    expect(row(FILLED_ID)).toBeNull();

    fireEvent.click(within(filters).getByRole("button", { name: "취소·정정·만료" }));
    expect(await screen.findByText("이 상태의 주문이 없습니다")).toBeTruthy();
    expect(orderCalls().at(-1)?.search.getAll("status")).toEqual(["cancelled", "replaced", "expired"]);
  });

  it("opens an order's fills", async () => {
    renderPage(<OrdersPage />, { path: "/orders" });
    await within(table()).findAllByText("삼성전자");
    const toggle = within(row(FILLED_ID)!).getByRole("button", { name: "삼성전자 매수 20주 주문의 체결 내역" });
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    fireEvent.click(toggle);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    const fills = await screen.findByRole("table", { name: "체결 내역" });
    const cells = within(fills).getAllByRole("cell").map((c) => c.textContent);
    expect(cells).toEqual(["2024-11-15 10:31:00", "20", "38,400", "115", "0"]);
    expect(screen.getByText(new RegExp(`주문번호 ${FILLED_ID}`))).toBeTruthy();

    fireEvent.click(within(row(LIMIT_ID)!).getByRole("button", { name: /체결 내역/ }));
    expect(await screen.findByText("체결이 없습니다")).toBeTruthy();
  });

  it("cancels an open order with the token and shows it cancelled", async () => {
    renderPage(<OrdersPage />, { path: "/orders" });
    await within(table()).findAllByText("삼성전자");
    fireEvent.click(within(row(LIMIT_ID)!).getByRole("button", { name: "삼성전자 매수 10주 주문 취소" }));
    const dialog = await screen.findByRole("dialog", { name: "API 토큰" });
    fireEvent.change(within(dialog).getByLabelText("토큰"), { target: { value: TOKEN } });
    fireEvent.click(within(dialog).getByRole("button", { name: "확인" }));

    expect(await screen.findByText("삼성전자 매수 10주 주문을 취소했습니다")).toBeTruthy();
    await waitFor(() => expect(row(LIMIT_ID)?.getAttribute("data-status")).toBe("cancelled"));
    expect(within(row(LIMIT_ID)!).getByText("취소")).toBeTruthy();
    expect(within(row(LIMIT_ID)!).queryByRole("button", { name: /주문 취소/ })).toBeNull();
    const del = calls.find((c) => c.method === "DELETE");
    expect(del?.headers.Authorization).toBe(`Bearer ${TOKEN}`);
    expect(readToken()).toBe(TOKEN);
  });

  it("modifies an open limit order: the new order listed, the old one 정정됨", async () => {
    saveToken(TOKEN);
    renderPage(<OrdersPage />, { path: "/orders" });
    await within(table()).findAllByText("삼성전자");
    // Market orders have no price to change.
    expect(within(row(MARKET_ID)!).queryByRole("button", { name: /주문 정정/ })).toBeNull();
    fireEvent.click(within(row(LIMIT_ID)!).getByRole("button", { name: "삼성전자 매수 10주 주문 정정" }));
    const form = await screen.findByRole("form", { name: "삼성전자 매수 주문 정정" });
    const priceBox = within(form).getByLabelText("정정 가격") as HTMLInputElement;
    const qtyBox = within(form).getByLabelText("정정 수량") as HTMLInputElement;
    expect([priceBox.value, qtyBox.value]).toEqual(["37,000", "10"]);

    // Checked before sending: nothing changed, off the tick, more than is open.
    fireEvent.click(within(form).getByRole("button", { name: "정정 주문" }));
    expect(await within(form).findByText("바꾼 것이 없습니다: 가격이나 수량을 바꾸세요")).toBeTruthy();
    fireEvent.change(priceBox, { target: { value: "37,010" } });
    expect(await within(form).findByText("호가단위 50원에 맞는 가격을 입력하세요")).toBeTruthy();
    fireEvent.change(priceBox, { target: { value: "37,500" } });
    fireEvent.change(qtyBox, { target: { value: "11" } });
    expect(await within(form).findByText("수량은 1주부터 남은 10주까지입니다")).toBeTruthy();
    expect(calls.filter((c) => c.method === "PATCH")).toHaveLength(0);

    // The server's refusal, as it said it.
    fireEvent.change(qtyBox, { target: { value: "10" } });
    fireEvent.change(priceBox, { target: { value: "36,000" } });
    fireEvent.click(within(form).getByRole("button", { name: "정정 주문" }));
    expect((await within(form).findByRole("alert")).textContent).toBe("36,000원은 오늘 가격제한폭 밖입니다");

    fireEvent.change(priceBox, { target: { value: "37,500" } });
    fireEvent.change(qtyBox, { target: { value: "6" } });
    fireEvent.click(within(form).getByRole("button", { name: "정정 주문" }));
    expect(await screen.findByText("삼성전자 매수 주문을 정정했습니다: 6주 × 37,500원")).toBeTruthy();
    const patches = calls.filter((c) => c.method === "PATCH");
    expect(patches.map((c) => c.body)).toEqual([{ price: 36_000 }, { price: 37_500, qty: 6 }]);
    expect(patches[1]!.headers.Authorization).toBe(`Bearer ${TOKEN}`);
    await waitFor(() => expect(row(LIMIT_ID)?.getAttribute("data-status")).toBe("replaced"));
    expect(within(row(LIMIT_ID)!).getByText("정정됨")).toBeTruthy();
    expect(within(row(LIMIT_ID)!).queryByRole("button", { name: /주문 (정정|취소)/ })).toBeNull();
    const replacement = row(`${LIMIT_ID}.m1`)!;
    expect(replacement.getAttribute("data-status")).toBe("accepted");
    expect(replacement.textContent).toContain("37,500");
    expect(screen.queryByRole("form", { name: "삼성전자 매수 주문 정정" })).toBeNull();
  });

  it("shows the server's reason when the order can no longer be cancelled", async () => {
    saveToken(TOKEN);
    renderPage(<OrdersPage />, { path: "/orders" });
    await within(table()).findAllByText("삼성전자");
    fireEvent.click(await within(row(MARKET_ID)!).findByRole("button", { name: "SK하이닉스 매수 5주 주문 취소" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe(`주문 ${MARKET_ID}는 이미 filled라 취소할 수 없습니다`);
  });

  it("turns the kill switch on after confirming, cancelling open orders", async () => {
    saveToken(TOKEN);
    renderPage(<OrdersPage />, { path: "/orders" });
    await screen.findByText("꺼짐");
    fireEvent.click(screen.getByRole("button", { name: "긴급 정지 켜기" }));
    const dialog = await screen.findByRole("dialog", { name: "긴급 정지를 켤까요?" });
    const box = within(dialog).getByRole("checkbox", { name: /미체결 주문도 모두 취소/ }) as HTMLInputElement;
    expect(box.checked).toBe(true);
    await within(dialog).findByText("미체결 주문도 모두 취소 (2건)");
    expect(calls.some((c) => c.method === "POST")).toBe(false); // nothing sent before confirming
    fireEvent.click(within(dialog).getByRole("button", { name: "켜기" }));

    expect(await screen.findByText("긴급 정지를 켰습니다. 취소한 주문 2건")).toBeTruthy();
    expect(calls.find((c) => c.method === "POST" && c.path === "/api/kill")?.body).toEqual({ on: true, cancel_open: true });
    await screen.findByText("켜짐");
    await waitFor(() => expect(row(LIMIT_ID)?.getAttribute("data-status")).toBe("cancelled"));

    fireEvent.click(screen.getByRole("button", { name: "긴급 정지 끄기" }));
    expect(await screen.findByText("긴급 정지를 껐습니다")).toBeTruthy();
    await screen.findByText("꺼짐");
  });

  it("asks before turning on, and Escape says no", async () => {
    saveToken(TOKEN);
    renderPage(<OrdersPage />, { path: "/orders" });
    await screen.findByText("꺼짐");
    fireEvent.click(screen.getByRole("button", { name: "긴급 정지 켜기" }));
    await screen.findByRole("dialog", { name: "긴급 정지를 켤까요?" });
    fireEvent.keyDown(window, { key: "Escape" });
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(calls.some((c) => c.method === "POST")).toBe(false);
  });
});
