// First start: the collection is running when the user opens 종목 — the page says so (not
// "run collect_codes"), and fills in by itself when the run ends, with no reload.

import { screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CodeRow, JobRun } from "../api";
import { useRefreshOnCollect } from "../queries";
import { fakeApi, json } from "../test/fakeApi";
import { renderPage } from "../test/render";
import { StocksPage } from "./StocksPage";

afterEach(() => vi.unstubAllGlobals());

const RUN: JobRun = {
  run_id: "r1",
  job: "collect_codes",
  status: "running",
  trigger: "cli",
  started_at: "2024-11-15T18:00:00+09:00",
  ended_at: null,
  pid: 42,
  rows: 0,
  counts: {},
  error: null,
  log_tail: "",
};

const ROW: CodeRow = {
  code: "005930",
  name: "삼성전자",
  market: "KOSPI",
  kind: "stock",
  source: "sim",
  last_close: null,
  change: null,
  change_bp: null,
  last_date: null,
};

function WithRefresh() {
  useRefreshOnCollect();
  return <StocksPage />;
}

describe("first start", () => {
  it("says the collection is running and fills the list in when it ends", async () => {
    const state = { runs: [RUN], codes: [] as CodeRow[] };
    const calls = fakeApi({
      "GET /api/jobs/runs": () => json(state.runs),
      "GET /api/codes": () => json({ total: state.codes.length, limit: 5000, offset: 0, items: state.codes }),
    });
    renderPage(<WithRefresh />, { path: "/stocks" });
    expect((await screen.findByRole("status")).textContent).toContain("자료를 받는 중입니다 (collect_codes)");
    expect(screen.queryByText(/collect_codes\)을 실행하세요/)).toBeNull();

    state.codes = [ROW];
    state.runs = [{ ...RUN, status: "succeeded", ended_at: "2024-11-15T18:00:05+09:00", rows: 1 }];
    // The list is virtual (jsdom lays out no rows): its count says the code arrived.
    expect((await screen.findByText("1개 중 1개", {}, { timeout: 5000 })).textContent).toBe("1개 중 1개");
    expect(calls.filter((c) => c.path === "/api/codes").length).toBe(2); // asked again once, on the end
    expect(screen.queryByRole("status")).toBeNull();
  }, 10_000);

  it("asks the user to collect only when nothing is running", async () => {
    fakeApi({
      "GET /api/jobs/runs": () => json([{ ...RUN, status: "succeeded" }]),
      "GET /api/codes": () => json({ total: 0, limit: 5000, offset: 0, items: [] }),
    });
    renderPage(<WithRefresh />, { path: "/stocks" });
    expect((await screen.findByText(/collect_codes\)을 실행하세요/)).textContent).toContain("종목 목록이 비어 있습니다");
    expect(screen.queryByRole("status")).toBeNull();
  });
});
