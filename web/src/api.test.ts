import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, api, errorFromResponse } from "./api";
import { saveToken } from "./token";

function problem(status: number, detail: string, extra: Record<string, unknown> = {}): Response {
  return new Response(JSON.stringify({ type: "about:blank", title: "x", status, detail, instance: "/api/x", ...extra }), {
    status,
    headers: { "content-type": "application/problem+json" },
  });
}

afterEach(() => vi.unstubAllGlobals());

describe("problem+json errors", () => {
  it("carries the server's detail and parameter", async () => {
    const err = await errorFromResponse(
      problem(400, "code: 종목코드 'ZZZ'는 올바르지 않습니다", { param: "code" }),
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.kind).toBe("http");
    expect(err.detail).toBe("code: 종목코드 'ZZZ'는 올바르지 않습니다");
    expect(err.param).toBe("code");
    expect(err.message).toBe(err.detail);
  });

  it("survives a body that is not JSON", async () => {
    const err = await errorFromResponse(new Response("<html>Bad Gateway</html>", { status: 502, headers: { "content-type": "text/html" } }));
    expect(err.status).toBe(502);
    expect(err.detail).toBeNull();
    expect(err.message).toBe("HTTP 502");
  });

  it("is thrown by the client for a 404, with the Korean detail", async () => {
    const fetchMock = vi.fn().mockResolvedValue(problem(404, "종목 999999가 없습니다"));
    vi.stubGlobal("fetch", fetchMock);
    await expect(api.code("999999")).rejects.toMatchObject({ status: 404, detail: "종목 999999가 없습니다" });
    expect(fetchMock).toHaveBeenCalledWith("/api/codes/999999", expect.objectContaining({ method: "GET" }));
  });

  it("reports an unreachable server as a network error", async () => {
    vi.stubGlobal("fetch", vi.fn().mockRejectedValue(new TypeError("Failed to fetch")));
    await expect(api.health()).rejects.toMatchObject({ kind: "network", status: 0 });
  });
});

describe("requests", () => {
  it("sends the run-now token as a Bearer header, with POST", async () => {
    const fetchMock = vi.fn().mockResolvedValue(
      new Response(JSON.stringify({ run_id: "collect_codes-1", job: "collect_codes", status: "running" }), {
        status: 202,
        headers: { "content-type": "application/json" },
      }),
    );
    vi.stubGlobal("fetch", fetchMock);
    const run = await api.runJob("collect_codes", "s3cret-token-0123456789");
    expect(run.run_id).toBe("collect_codes-1");
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(url).toBe("/api/jobs/collect_codes/run");
    expect(init.method).toBe("POST");
    expect((init.headers as Record<string, string>).Authorization).toBe("Bearer s3cret-token-0123456789");
  });

  it("sends the session's token on reads too, and leaves out empty query values", async () => {
    saveToken("session-token-0123456789");
    const fetchMock = vi.fn().mockResolvedValue(new Response("[]", { headers: { "content-type": "application/json" } }));
    vi.stubGlobal("fetch", fetchMock);
    await api.runs({ name: "collect_codes", status: undefined, limit: 5 });
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(url).toBe("/api/jobs/runs?name=collect_codes&limit=5");
    expect((init.headers as Record<string, string>).Authorization).toBe("Bearer session-token-0123456789");
  });

  it("pages through a code list longer than one page", async () => {
    const items = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ code: String(from + i).padStart(6, "0"), name: `n${from + i}` }));
    const fetchMock = vi
      .fn()
      .mockImplementation(async (url: string) => {
        const offset = Number(new URL(url, "http://x").searchParams.get("offset"));
        const body = { total: 7000, limit: 5000, offset, items: items(offset, offset === 0 ? 5000 : 2000) };
        return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
      });
    vi.stubGlobal("fetch", fetchMock);
    const rows = await api.allCodes();
    expect(rows).toHaveLength(7000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(String(fetchMock.mock.calls[1]?.[0])).toContain("offset=5000");
  });

  it("repeats a list parameter and asks for open orders by flag", async () => {
    const fetchMock = vi.fn().mockImplementation(async () => new Response("[]", { headers: { "content-type": "application/json" } }));
    vi.stubGlobal("fetch", fetchMock);
    await api.orders({ status: ["filled", "partially_filled"], limit: 200 });
    await api.orders({ open: true });
    expect(fetchMock.mock.calls[0]?.[0]).toBe("/api/orders?status=filled&status=partially_filled&limit=200");
    expect(fetchMock.mock.calls[1]?.[0]).toBe("/api/orders?open=true");
  });

  it("sends an order as JSON with the token, and cancels with DELETE", async () => {
    const fetchMock = vi.fn().mockImplementation(async () => new Response("{}", { status: 201, headers: { "content-type": "application/json" } }));
    vi.stubGlobal("fetch", fetchMock);
    await api.placeOrder({ code: "005930", side: "buy", qty: 10, order_type: "limit", price: 70_000 }, "tok-0123456789");
    let [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(url).toBe("/api/orders");
    expect(init.method).toBe("POST");
    expect(JSON.parse(String(init.body))).toEqual({ code: "005930", side: "buy", qty: 10, order_type: "limit", price: 70_000 });
    expect(init.headers).toMatchObject({ "Content-Type": "application/json", Authorization: "Bearer tok-0123456789" });
    await api.cancelOrder("web-1:a", "tok-0123456789");
    [url, init] = fetchMock.mock.calls[1] as [string, RequestInit];
    expect(url).toBe("/api/orders/web-1%3Aa");
    expect(init.method).toBe("DELETE");
    expect(init.body).toBeUndefined();
  });
});
