import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Instrument, OrderTicket as Ticket } from "../api";
import { type Call, fakeApi, json, problem } from "../test/fakeApi";
import { renderPage } from "../test/render";
import { STATUS_OPEN, TOKEN, UNAUTHORIZED, account, bars, order } from "../test/trading";
import { saveToken } from "../token";
import { OrderTicket } from "./OrderTicket";

const SAMSUNG: Instrument = { code: "005930", name: "삼성전자", market: "KOSPI", kind: "stock", listed_on: null, source: "sim" };
// Reference 70,000 (the close of 11-14): the band is 49,000 ~ 91,000.
const DAILY = bars("1d", [
  ["2024-11-13T00:00:00", 69_900],
  ["2024-11-14T00:00:00", 70_000],
]);
const LAST_MINUTE = bars("1m", [["2024-11-15T10:29:00", 70_300]]);

let calls: Call[];
let refusal: string | null;
/** How the next POSTs end before one is answered: "drop" (no answer) or an HTTP status. */
let failures: ("drop" | number)[];
let routes: Parameters<typeof fakeApi>[0];

beforeEach(() => {
  refusal = null;
  failures = [];
  routes = {
    "GET /api/market/status": () => json(STATUS_OPEN),
    "GET /api/codes/005930/prices": () => json(LAST_MINUTE),
    "GET /api/account": () => json(account()),
    "GET /api/positions": () =>
      json([{ code: "005930", name: "삼성전자", qty: 20, sellable: 20, avg_price: 38_405, price: 38_400, value: 768_000, pnl: -100, pnl_bp: -1 }]),
    "POST /api/orders": (call) => {
      if (call.headers.Authorization !== `Bearer ${TOKEN}`) return problem(401, UNAUTHORIZED);
      const failure = failures.shift();
      if (failure === "drop") throw new TypeError("Failed to fetch");
      if (failure !== undefined) return problem(failure, "잠시 후 다시 시도하세요");
      if (refusal) {
        return new Response(JSON.stringify({ status: 400, title: "Bad Request", detail: `body: ${refusal}`, param: "body" }), {
          status: 400,
          headers: { "content-type": "application/problem+json" },
        });
      }
      const body = call.body as Ticket;
      return json(order(body.client_id!, { ...body, price: body.price ?? null }), 201);
    },
  };
  calls = fakeApi(routes);
});
afterEach(() => vi.unstubAllGlobals());

const posts = () => calls.filter((c) => c.method === "POST");


function renderTicket() {
  renderPage(<OrderTicket code="005930" instrument={SAMSUNG} daily={DAILY} />, { path: "/ticket" });
  return screen.getByRole("form", { name: "주문하기" });
}

const price = () => screen.getByLabelText("가격") as HTMLInputElement;
const type = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe("order ticket", () => {
  it("shows the reference, the day's band and the last price, and starts at the last price", async () => {
    const form = renderTicket();
    await waitFor(() => expect(price().value).toBe("70,300"));
    expect(form.textContent).toContain("기준가70,000 11-14 종가");
    expect(form.textContent).toContain("가격제한폭49,000 ~ 91,000");
    expect(form.textContent).toContain("현재가70,300");
    expect(form.textContent).toContain("호가단위 100원");
    expect(form.textContent).toContain("주문가능 99,382,908원");
  });

  it("says at once when the price is off the tick or outside the band", async () => {
    renderTicket();
    await waitFor(() => expect(price().value).toBe("70,300"));
    type("가격", "70,050");
    expect(screen.getByText("호가단위 100원: 70,000 또는 70,100")).toBeTruthy();
    expect(price().getAttribute("aria-invalid")).toBe("true");
    type("가격", "95,000");
    expect(screen.getByText("가격제한폭 밖입니다: 49,000 ~ 91,000 (기준가 70,000)")).toBeTruthy();
    type("가격", "91,000");
    expect(price().getAttribute("aria-invalid")).toBe("false");
    expect(screen.queryByText(/가격제한폭 밖입니다/)).toBeNull();
  });

  it("steps by the tick of the band it lands in, and stays inside the band", async () => {
    renderTicket();
    await waitFor(() => expect(price().value).toBe("70,300"));
    const up = screen.getByRole("button", { name: "한 호가 올리기" });
    const down = screen.getByRole("button", { name: "한 호가 내리기" });
    type("가격", "50,000");
    fireEvent.click(down);
    expect(price().value).toBe("49,950"); // below 50,000 the tick is 50
    fireEvent.click(up);
    expect(price().value).toBe("50,000");
    fireEvent.click(up);
    expect(price().value).toBe("50,100"); // from 50,000 up it is 100
    type("가격", "70,050");
    fireEvent.click(up);
    expect(price().value).toBe("70,100"); // off the grid: snaps in the direction of the step
    type("가격", "95,000");
    fireEvent.click(down);
    expect(price().value).toBe("91,000"); // back inside the band at its top
    expect((up as HTMLButtonElement).disabled).toBe(true);
    type("가격", "49,000");
    expect((down as HTMLButtonElement).disabled).toBe(true);
    // The arrow keys step too.
    fireEvent.keyDown(price(), { key: "ArrowUp" });
    expect(price().value).toBe("49,050");
  });

  it("estimates the amount, the commission and, for sells, the tax", async () => {
    const form = renderTicket();
    await waitFor(() => expect(price().value).toBe("70,300"));
    type("수량", "10");
    type("가격", "70,000");
    expect(form.textContent).toContain("주문금액700,000원");
    expect(form.textContent).toContain("수수료 0.015%105원");
    expect(form.textContent).toContain("결제 예정700,105원");
    fireEvent.click(within(form).getByRole("button", { name: "매도" }));
    // 2024-11-15 (the server's clock) settles in 2024: 0.18%.
    expect(form.textContent).toContain("거래세 0.18%1,260원");
    expect(form.textContent).toContain("받을 금액698,635원");
    expect(form.textContent).toContain("보유 20주");
    expect(screen.getByRole("button", { name: "매도 주문" })).toBeTruthy();
  });

  it("asks for the token, sends the ticket and shows the order with a link to 주문", async () => {
    renderTicket();
    await waitFor(() => expect(price().value).toBe("70,300"));
    type("수량", "10");
    type("가격", "70,000");
    fireEvent.click(screen.getByRole("button", { name: "매수 주문" }));
    const dialog = await screen.findByRole("dialog", { name: "API 토큰" });
    fireEvent.change(within(dialog).getByLabelText("토큰"), { target: { value: TOKEN } });
    fireEvent.click(within(dialog).getByRole("button", { name: "확인" }));

    await screen.findByText("주문을 냈습니다");
    expect(posts()).toHaveLength(1);
    const body = posts()[0]!.body as Ticket;
    expect(body).toMatchObject({ code: "005930", side: "buy", qty: 10, order_type: "limit", price: 70_000 });
    expect(body.client_id).toMatch(/^web-\d{14}-[0-9a-f]{8}$/);
    expect(screen.getByText("접수").getAttribute("data-status")).toBe("accepted");
    expect(screen.getByText("매수 지정가 10주 × 70,000원")).toBeTruthy();
    expect(screen.getByRole("link", { name: /주문 화면에서 보기/ }).getAttribute("href")).toBe("/orders");
  });

  it("retries a lost answer with the same key, so the order is placed once", async () => {
    saveToken(TOKEN);
    failures = ["drop", 502];
    renderTicket();
    await waitFor(() => expect(price().value).toBe("70,300"));
    type("수량", "10");
    fireEvent.click(screen.getByRole("button", { name: "매수 주문" }));
    await screen.findByText("주문을 냈습니다", undefined, { timeout: 5000 });
    const keys = posts().map((c) => (c.body as Ticket).client_id);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
  });

  it("a second press after no answer sends the same key; new terms get a new one", async () => {
    saveToken(TOKEN);
    failures = ["drop", "drop", "drop"];
    renderTicket();
    await waitFor(() => expect(price().value).toBe("70,300"));
    type("수량", "10");
    fireEvent.click(screen.getByRole("button", { name: "매수 주문" }));
    expect(await screen.findByText(/같은 주문번호로 보내므로 두 번 주문되지 않습니다/, undefined, { timeout: 5000 })).toBeTruthy();
    expect(posts()).toHaveLength(3);
    fireEvent.click(screen.getByRole("button", { name: "매수 주문" }));
    await screen.findByText("주문을 냈습니다");
    const first = (posts()[0]!.body as Ticket).client_id;
    expect((posts()[3]!.body as Ticket).client_id).toBe(first);

    // A refusal or an answer settles the key: the next order is a new one.
    type("수량", "11");
    fireEvent.click(screen.getByRole("button", { name: "매수 주문" }));
    await waitFor(() => expect(posts()).toHaveLength(5));
    expect((posts()[4]!.body as Ticket).client_id).not.toBe(first);
  });

  it("a refusal is not retried", async () => {
    saveToken(TOKEN);
    refusal = "매수가능금액이 부족합니다";
    renderTicket();
    await waitFor(() => expect(price().value).toBe("70,300"));
    type("수량", "1");
    fireEvent.click(screen.getByRole("button", { name: "매수 주문" }));
    await screen.findByRole("alert");
    await new Promise((r) => setTimeout(r, 600));
    expect(posts()).toHaveLength(1);
  });

  it("modifies the order it placed (정정) from the ticket", async () => {
    saveToken(TOKEN);
    renderTicket();
    await waitFor(() => expect(price().value).toBe("70,300"));
    type("수량", "10");
    type("가격", "70,000");
    fireEvent.click(screen.getByRole("button", { name: "매수 주문" }));
    await screen.findByText("주문을 냈습니다");
    const placedId = (posts()[0]!.body as Ticket).client_id!;
    routes[`PATCH /api/orders/${placedId}`] = (call) => {
      const change = call.body as { price: number };
      return json(order(`${placedId}.m1`, { price: change.price, qty: 10 }, { replaces: placedId }));
    };
    fireEvent.click(screen.getByRole("button", { name: "정정" }));
    const form = await screen.findByRole("form", { name: "삼성전자 매수 주문 정정" });
    fireEvent.change(within(form).getByLabelText("정정 가격"), { target: { value: "69,900" } });
    fireEvent.click(within(form).getByRole("button", { name: "정정 주문" }));
    await screen.findByText("정정되었습니다");
    const patches = calls.filter((c) => c.method === "PATCH");
    expect(patches.map((c) => [c.path, c.body])).toEqual([[`/api/orders/${placedId}`, { price: 69_900 }]]);
    expect(screen.getByText("매수 지정가 10주 × 69,900원")).toBeTruthy();
  });

  it("sends a market order without a price", async () => {
    saveToken(TOKEN);
    const form = renderTicket();
    await waitFor(() => expect(price().value).toBe("70,300"));
    fireEvent.click(within(form).getByRole("button", { name: "시장가" }));
    expect(price().disabled).toBe(true);
    type("수량", "5");
    expect(form.textContent).toContain("주문금액 (현재가 기준)351,500원");
    fireEvent.click(screen.getByRole("button", { name: "매수 주문" }));
    await screen.findByText("주문을 냈습니다");
    expect(posts()[0]!.body).toMatchObject({ code: "005930", side: "buy", qty: 5, order_type: "market" });
    expect(posts()[0]!.body).not.toHaveProperty("price");
  });

  it("does not send an invalid ticket", async () => {
    saveToken(TOKEN);
    renderTicket();
    await waitFor(() => expect(price().value).toBe("70,300"));
    fireEvent.click(screen.getByRole("button", { name: "매수 주문" }));
    expect(await screen.findByText("수량을 넣으세요")).toBeTruthy();
    type("수량", "3");
    type("가격", "70,050");
    fireEvent.click(screen.getByRole("button", { name: "매수 주문" }));
    expect(posts()).toHaveLength(0);
  });

  it("shows the server's refusal as it said it, without the parameter prefix", async () => {
    saveToken(TOKEN);
    refusal = "[trading_hours] 지금은 주문을 낼 수 없는 시간입니다 (after_hours); 다음 정규장 2024-11-18 09:00 KST";
    renderTicket();
    await waitFor(() => expect(price().value).toBe("70,300"));
    type("수량", "1");
    fireEvent.click(screen.getByRole("button", { name: "매수 주문" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe(refusal);
    expect(screen.queryByText("주문을 냈습니다")).toBeNull();
  });

  it("warns when the kill switch is on", async () => {
    fakeApi({
      "GET /api/market/status": () => json(STATUS_OPEN),
      "GET /api/codes/005930/prices": () => json(LAST_MINUTE),
      "GET /api/account": () => json(account({ killed: true })),
      "GET /api/positions": () => json([]),
    });
    renderTicket();
    expect(await screen.findByText("긴급 정지 중이라 새 주문은 거절됩니다.")).toBeTruthy();
  });

  describe("refuses before sending what the risk rules would refuse", () => {
    const posts = () => calls.filter((c) => c.method === "POST").length;
    const qty = () => screen.getByLabelText("수량") as HTMLInputElement;
    const maxButton = () => screen.getByRole("button", { name: "최대 주문 가능량 넣기" }) as HTMLButtonElement;
    const submitButton = (name: string) => screen.getByRole("button", { name }) as HTMLButtonElement;

    it("holds a buy to the per-order limit, with 최대 the most it allows", async () => {
      renderTicket();
      await waitFor(() => expect(price().value).toBe("70,300"));
      await waitFor(() => expect(maxButton().disabled).toBe(false));
      fireEvent.click(maxButton());
      // 10,000,000 won per order / 70,300 → 142 (cash would allow 1,413, the weight 415).
      expect(qty().value).toBe("142");
      expect(qty().getAttribute("aria-invalid")).toBe("false");
      type("수량", "143");
      expect(screen.getByText("주문금액 10,052,900원이 한 주문 한도 10,000,000원을 넘습니다 — 최대 142주")).toBeTruthy();
      fireEvent.click(submitButton("매수 주문"));
      expect(posts()).toBe(0);
    });

    it("holds a buy to the orderable cash, commission included", async () => {
      routes["GET /api/account"] = () => json(account({ orderable: 1_000_000 }));
      renderTicket();
      await waitFor(() => expect(price().value).toBe("70,300"));
      type("수량", "15");
      // 15 × 70,300 = 1,054,500 + 158 commission.
      expect(await screen.findByText("주문가능금액 1,000,000원으로는 1,054,658원(수수료 포함)을 낼 수 없습니다 — 최대 14주")).toBeTruthy();
      fireEvent.click(maxButton());
      expect(qty().value).toBe("14"); // 984,200 + 147 ≤ 1,000,000
      saveToken(TOKEN);
      fireEvent.click(submitButton("매수 주문"));
      expect(await screen.findByText("주문을 냈습니다")).toBeTruthy();
      expect(posts()).toBe(1);
    });

    it("holds a sell to the sellable quantity", async () => {
      const form = renderTicket();
      await waitFor(() => expect(price().value).toBe("70,300"));
      fireEvent.click(within(form).getByRole("button", { name: "매도" }));
      type("수량", "21");
      expect(await screen.findByText("매도가능수량은 20주입니다")).toBeTruthy();
      fireEvent.click(submitButton("매도 주문"));
      expect(posts()).toBe(0);
      fireEvent.click(maxButton());
      expect(qty().value).toBe("20");
    });

    it("says the market is closed and sends nothing", async () => {
      routes["GET /api/market/status"] = () => json({ ...STATUS_OPEN, phase: "closed" });
      renderTicket();
      expect(await screen.findByText("지금은 주문을 받지 않는 시간입니다 (장 마감)")).toBeTruthy();
      type("수량", "1");
      expect(submitButton("매수 주문").disabled).toBe(true);
      fireEvent.click(submitButton("매수 주문"));
      expect(posts()).toBe(0);
    });
  });
});
