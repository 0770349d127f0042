import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { JobRun } from "../api";
import { type Call, fakeApi, json, problem } from "../test/fakeApi";
import { renderPage } from "../test/render";
import { readToken, saveToken } from "../token";
import { JobsPage } from "./JobsPage";

const TOKEN = "right-token-0123456789abcdef";
const UNAUTHORIZED = "API 토큰이 맞지 않습니다 — 데이터 디렉터리의 api-token 파일에 있는 토큰을 그대로 넣으세요";

const JOBS = {
  scheduler_alive: true,
  jobs: [
    {
      name: "collect_codes",
      description: "종목 목록 수집 (instruments)",
      cron: "0 8 * * mon-fri",
      enabled: true,
      trading_days_only: false,
      timeout: 600,
      next_run: "2024-11-18T08:00:00+09:00",
      last_status: "failed",
      last_started: "2024-11-15T08:00:00+09:00",
    },
  ],
};

let runs: JobRun[];
let calls: Call[];

beforeEach(() => {
  runs = [
    {
      run_id: "collect_codes-old",
      job: "collect_codes",
      status: "failed",
      trigger: "schedule",
      started_at: "2024-11-15T08:00:00+09:00",
      ended_at: "2024-11-15T08:00:04.100+09:00",
      pid: 1,
      rows: 0,
      counts: {},
      error: "원천 응답 없음: 다시 시도하세요",
      log_tail: "",
    },
  ];
  calls = fakeApi({
    "GET /api/jobs": () => json(JOBS),
    "GET /api/jobs/runs": () => json(runs),
    "POST /api/jobs/collect_codes/run": (call) => {
      if (call.headers.Authorization !== `Bearer ${TOKEN}`) return problem(401, UNAUTHORIZED);
      runs = [{ ...runs[0]!, run_id: "collect_codes-new", status: "running", trigger: "api", error: null, ended_at: null }, ...runs];
      return json({ run_id: "collect_codes-new", job: "collect_codes", status: "running" }, 202);
    },
  });
});
afterEach(() => vi.unstubAllGlobals());

const posts = () => calls.filter((c) => c.method === "POST");

describe("작업 page", () => {
  it("shows the schedule in KST and past runs with status and error", async () => {
    renderPage(<JobsPage />, { path: "/jobs" });
    const schedule = await screen.findByRole("table", { name: "일정" });
    await within(schedule).findByText("collect_codes");
    expect(within(schedule).getByText("2024-11-18 08:00")).toBeTruthy();
    const history = screen.getByRole("table", { name: "실행 기록" });
    const row = await within(history).findByText("원천 응답 없음: 다시 시도하세요");
    const tr = row.closest("tr")!;
    expect(tr.textContent).toContain("2024-11-15 08:00:00");
    expect(tr.textContent).toContain("실패");
    expect(tr.textContent).toContain("4.1초");
  });

  it("asks for the token, asks again with the server's message on 401, then starts the run", async () => {
    renderPage(<JobsPage />, { path: "/jobs" });
    fireEvent.click(await screen.findByRole("button", { name: "collect_codes 지금 실행" }));

    let dialog = await screen.findByRole("dialog", { name: "API 토큰" });
    fireEvent.change(within(dialog).getByLabelText("토큰"), { target: { value: "wrong-token-000000000" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "확인" }));

    await waitFor(() => expect(posts()).toHaveLength(1));
    expect(posts()[0]?.headers.Authorization).toBe("Bearer wrong-token-000000000");
    dialog = await screen.findByRole("dialog", { name: "API 토큰" });
    expect((await within(dialog).findByRole("alert")).textContent).toBe(UNAUTHORIZED);
    expect(readToken()).toBeNull(); // the wrong token was forgotten

    fireEvent.change(within(dialog).getByLabelText("토큰"), { target: { value: TOKEN } });
    fireEvent.click(within(dialog).getByRole("button", { name: "확인" }));

    await screen.findByText("collect_codes 실행을 요청했습니다", { exact: false });
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(readToken()).toBe(TOKEN);
    // The new run shows up in the history.
    await waitFor(() => expect(document.querySelector('tr[data-run-id="collect_codes-new"]')).not.toBeNull());
  });

  it("does not ask again while the session keeps the token", async () => {
    saveToken(TOKEN);
    renderPage(<JobsPage />, { path: "/jobs" });
    fireEvent.click(await screen.findByRole("button", { name: "collect_codes 지금 실행" }));
    await screen.findByText("collect_codes 실행을 요청했습니다", { exact: false });
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(posts()[0]?.headers.Authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("shows a run that a shutdown or a restart interrupted, with its reason", async () => {
    runs = [
      {
        ...runs[0]!,
        run_id: "collect_codes-cut",
        status: "interrupted",
        error: "프로세스 4242가 끝나 있었습니다 (강제 종료 또는 재시작 추정)",
      },
    ];
    renderPage(<JobsPage />, { path: "/jobs" });
    const history = screen.getByRole("table", { name: "실행 기록" });
    const row = await within(history).findByText("프로세스 4242가 끝나 있었습니다 (강제 종료 또는 재시작 추정)");
    expect(row.closest("tr")!.textContent).toContain("중단됨");
    const filter = screen.getByRole("combobox", { name: "상태로 거르기" });
    expect(within(filter).getByRole("option", { name: "중단됨" })).toBeTruthy();
  });

  it("says so when the server's queue is full (429)", async () => {
    saveToken(TOKEN);
    const full = "API로 시작한 작업 8개가 이미 대기·실행 중입니다 (한도 8); 10초쯤 뒤에 다시 시도하거나 STOCKLAB_JOB_QUEUE_LIMIT를 늘리세요";
    fakeApi({
      "GET /api/jobs": () => json(JOBS),
      "GET /api/jobs/runs": () => json(runs),
      "POST /api/jobs/collect_codes/run": () => problem(429, full),
    });
    renderPage(<JobsPage />, { path: "/jobs" });
    fireEvent.click(await screen.findByRole("button", { name: "collect_codes 지금 실행" }));
    expect(await screen.findByText(full, { exact: false })).toBeTruthy();
  });

  it("sends nothing when the dialog is cancelled", async () => {
    renderPage(<JobsPage />, { path: "/jobs" });
    fireEvent.click(await screen.findByRole("button", { name: "collect_codes 지금 실행" }));
    const dialog = await screen.findByRole("dialog", { name: "API 토큰" });
    fireEvent.click(within(dialog).getByRole("button", { name: "취소" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(posts()).toHaveLength(0);
  });
});
