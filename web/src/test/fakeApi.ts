// A stand-in for the API server in component tests: routes "METHOD /path" to handlers
// that answer real Response objects (problem+json errors included).

import { vi } from "vitest";

export interface Call {
  method: string;
  path: string;
  search: URLSearchParams;
  headers: Record<string, string>;
  /** The JSON body sent, parsed (undefined without one). */
  body: unknown;
}

type Handler = (call: Call) => Response | Promise<Response>;

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

export function problem(status: number, detail: string): Response {
  return new Response(JSON.stringify({ type: "about:blank", title: "Error", status, detail, instance: "/api" }), {
    status,
    headers: { "content-type": "application/problem+json" },
  });
}

/** Installs a fetch that serves `routes`; returns the calls it saw. Unknown routes are a 404. */
export function fakeApi(routes: Record<string, Handler>): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string, init?: RequestInit) => {
      const url = new URL(input, "http://localhost");
      const call: Call = {
        method: init?.method ?? "GET",
        path: url.pathname,
        search: url.searchParams,
        headers: (init?.headers ?? {}) as Record<string, string>,
        body: typeof init?.body === "string" ? (JSON.parse(init.body) as unknown) : undefined,
      };
      calls.push(call);
      const handler = routes[`${call.method} ${call.path}`];
      return handler ? handler(call) : problem(404, `${call.path}: 없는 주소입니다`);
    }),
  );
  return calls;
}
