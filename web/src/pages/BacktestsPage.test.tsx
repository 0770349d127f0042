import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { BacktestAccepted, BacktestPage, BacktestSummary, JobRun } from "../api";
import { rememberRun, rememberedRun } from "../backtest/follow";
import { OVERVIEW, detail, jobRun } from "../test/backtests";
import { type Call, fakeApi, json, problem } from "../test/fakeApi";
import { renderPage } from "../test/render";
import { CODES, TOKEN, UNAUTHORIZED } from "../test/trading";
import { saveToken } from "../token";
import { BacktestsPage } from "./BacktestsPage";

const ACCEPTED: BacktestAccepted = { run_id: "backtest-1", job: "backtest", status: "running", backtest_id: "bt-new" };

let calls: Call[];
/** What GET /api/jobs/runs/backtest-1 answers, one after another (the last one repeats). */
let runAnswers: (JobRun | null)[];
let postAnswer: () => Response;

function summary(id: string, total_return: number): BacktestSummary {
  const { trades: _t, equity: _e, links: _l, ...rest } = detail({ backtest_id: id });
  return { ...rest, stats: { ...rest.stats, total_return } };
}

function page(items: BacktestSummary[], total = items.length, offset = 0): BacktestPage {
  return { total, limit: 50, offset, items };
}

beforeEach(() => {
  runAnswers = [null, jobRun("running"), jobRun("succeeded")];
  postAnswer = () => json(ACCEPTED, 202);
  calls = fakeApi({
    "GET /api/store/overview": () => json(OVERVIEW),
    "GET /api/codes": () => json(CODES),
    "GET /api/backtests": () => json(page([summary("bt-2", 0.0151), summary("bt-1", -0.0151)])),
    "GET /api/backtests/bt-1": () => json(detail({ backtest_id: "bt-1" })),
    "POST /api/backtests": (call) =>
      call.headers.Authorization === `Bearer ${TOKEN}` ? postAnswer() : problem(401, UNAUTHORIZED),
    "GET /api/jobs/runs/backtest-1": () => {
      const next = runAnswers.length > 1 ? runAnswers.shift()! : runAnswers[0]!;
      return next ? json(next) : problem(404, "실행 기록 backtest-1가 없습니다 (아직 시작하지 않았을 수 있습니다)");
    },
  });
});
afterEach(() => vi.unstubAllGlobals());

const posts = () => calls.filter((c) => c.method === "POST");
const form = () => screen.getByRole("form", { name: "백테스트 설정" });
const field = (label: string) => within(form()).getByLabelText(label, { selector: "input,select" });

async function pickCode(query: string, name: string) {
  const box = within(form()).getByRole("combobox", { name: "종목" });
  fireEvent.change(box, { target: { value: query } });
  const list = await screen.findByRole("listbox", { name: "종목" });
  fireEvent.mouseDown(within(list).getByRole("option", { name: new RegExp(name) }));
}

async function ready() {
  renderPage(<BacktestsPage />, { path: "/backtests", route: "/backtests" });
  // the store's holdings are in: the hint names how many codes have daily bars
  await within(form()).findByText("일봉이 있는 종목만 고를 수 있습니다. 비워 두면 3종목 전부로 합니다.");
}

describe("백테스트 form", () => {
  it("starts with sma_cross 5/20, 10,000,000원 per code and 10% participation", async () => {
    await ready();
    expect((field("전략") as HTMLSelectElement).value).toBe("sma_cross");
    expect((field("단기 이동평균") as HTMLInputElement).value).toBe("5");
    expect((field("장기 이동평균") as HTMLInputElement).value).toBe("20");
    expect((field("시작 자금") as HTMLInputElement).value).toBe("10,000,000");
    expect((field("거래량 참여율") as HTMLInputElement).value).toBe("10");
    expect(within(form()).getByRole("button", { name: "종목별 계좌" }).getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByText("비우면 보유한 전 기간: 2024-01-02 ~ 2024-11-14")).toBeTruthy();
  });

  it("says what is wrong inline and sends nothing", async () => {
    await ready();
    fireEvent.change(field("단기 이동평균"), { target: { value: "20" } });
    fireEvent.blur(field("단기 이동평균"));
    expect(await within(form()).findByText("단기(20)는 장기(20)보다 짧아야 합니다")).toBeTruthy();
    expect(field("단기 이동평균").getAttribute("aria-invalid")).toBe("true");

    fireEvent.change(field("시작 자금"), { target: { value: "5,000" } });
    fireEvent.change(field("시작일"), { target: { value: "2024-06-01" } });
    fireEvent.change(field("종료일"), { target: { value: "2024-05-01" } });
    fireEvent.change(field("거래량 참여율"), { target: { value: "150" } });
    fireEvent.click(within(form()).getByRole("button", { name: "백테스트 실행" }));

    expect(await within(form()).findByText("빨간 칸을 고쳐 주세요")).toBeTruthy();
    expect(within(form()).getByText("10,000원 이상 1,000,000,000,000원 이하의 정수로 넣으세요")).toBeTruthy();
    expect(within(form()).getByText("시작일이 종료일보다 늦습니다")).toBeTruthy();
    expect(within(form()).getByText("0 초과 100 이하, 소수 둘째 자리까지 넣으세요")).toBeTruthy();
    expect(posts()).toHaveLength(0);
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("shows the parameters of the strategy chosen", async () => {
    await ready();
    fireEvent.change(field("전략"), { target: { value: "ten_tick" } });
    expect((field("주문 수량") as HTMLInputElement).value).toBe("10");
    expect((field("익절 호가 수") as HTMLInputElement).value).toBe("10");
    expect(within(form()).queryByLabelText("단기 이동평균")).toBeNull();
    expect(within(form()).getByText("분봉이 있는 종목만 고를 수 있습니다. 비워 두면 3종목 전부로 합니다.")).toBeTruthy();
  });

  it("finds codes by name, code or 초성 and takes them off again", async () => {
    await ready();
    await pickCode("ㅅㅅㅈㅈ", "삼성전자");
    await pickCode("0006", "SK하이닉스");
    const chosen = within(form()).getByRole("list", { name: "고른 종목" });
    expect(within(chosen).getAllByRole("listitem").map((li) => li.dataset.code)).toEqual(["005930", "000660"]);
    // chosen codes are not offered again
    const box = within(form()).getByRole("combobox", { name: "종목" });
    fireEvent.change(box, { target: { value: "삼성" } });
    expect(within(screen.getByRole("listbox", { name: "종목" })).queryByRole("option")).toBeNull();
    // keyboard: arrow and Enter add; Backspace in the empty field removes the last
    fireEvent.change(box, { target: { value: "KODEX" } });
    fireEvent.keyDown(box, { key: "ArrowDown" });
    fireEvent.keyDown(box, { key: "Enter" });
    expect(within(chosen).getAllByRole("listitem")).toHaveLength(3);
    fireEvent.keyDown(box, { key: "Backspace" });
    expect(within(chosen).getAllByRole("listitem")).toHaveLength(2);
    fireEvent.click(within(chosen).getByRole("button", { name: "삼성전자 빼기" }));
    expect(within(chosen).getAllByRole("listitem").map((li) => li.dataset.code)).toEqual(["000660"]);
  });

  it("adds pasted codes on Enter", async () => {
    await ready();
    const box = within(form()).getByRole("combobox", { name: "종목" });
    fireEvent.change(box, { target: { value: "005930, 069500 999999" } });
    fireEvent.keyDown(box, { key: "Enter" });
    const chosen = within(form()).getByRole("list", { name: "고른 종목" });
    expect(within(chosen).getAllByRole("listitem").map((li) => li.dataset.code)).toEqual(["005930", "069500"]);
  });

  it("asks for the token, starts the run, follows it and opens the result", async () => {
    await ready();
    await pickCode("삼성", "삼성전자");
    await pickCode("SK", "SK하이닉스");
    fireEvent.change(field("시작일"), { target: { value: "2024-01-01" } });
    fireEvent.change(field("종료일"), { target: { value: "2024-12-31" } });
    fireEvent.click(within(form()).getByRole("button", { name: "공유 자금" }));
    fireEvent.click(within(form()).getByRole("button", { name: "백테스트 실행" }));

    const dialog = await screen.findByRole("dialog", { name: "API 토큰" });
    fireEvent.change(within(dialog).getByLabelText("토큰"), { target: { value: TOKEN } });
    fireEvent.click(within(dialog).getByRole("button", { name: "확인" }));

    await waitFor(() => expect(posts()).toHaveLength(1));
    expect(posts()[0]!.body).toEqual({
      strategy: "sma_cross",
      params: { fast: 5, slow: 20 },
      codes: ["005930", "000660"],
      start: "2024-01-01",
      end: "2024-12-31",
      cash: 10_000_000,
      shared_cash: true,
      participation: "0.1",
    });
    // the run is followed: waiting (404), running, then the result page
    const status = screen.getByRole("status", { name: "실행 상태" });
    await within(status).findByText(/실행을 기다리는 중|실행 중/);
    expect(within(form()).getByRole("button", { name: "백테스트 실행" })).toHaveProperty("disabled", true);
    expect(rememberedRun()?.backtest_id).toBe("bt-new");
    await screen.findByText("result page", {}, { timeout: 5_000 });
    expect(rememberedRun()).toBeNull();
    const polls = calls.filter((c) => c.path === "/api/jobs/runs/backtest-1");
    expect(polls.length).toBeGreaterThanOrEqual(2);
  });

  it("shows the run's own error when it fails", async () => {
    saveToken(TOKEN);
    runAnswers = [jobRun("failed", { error: "2030-01-01 ~ 2030-02-01 기간에 1d 봉이 있는 종목이 없습니다: 기간과 종목을 확인하세요", log_tail: "ERROR 실패" })];
    await ready();
    fireEvent.click(within(form()).getByRole("button", { name: "백테스트 실행" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("백테스트가 실패했습니다");
    expect(alert.textContent).toContain("기간에 1d 봉이 있는 종목이 없습니다: 기간과 종목을 확인하세요");
    expect(within(alert).getByText("로그")).toBeTruthy();
    expect(screen.queryByText("result page")).toBeNull();
    // the button is free again
    expect(within(form()).getByRole("button", { name: "백테스트 실행" })).toHaveProperty("disabled", false);
  });

  it("shows the server's refusal as it said it, without the field prefix", async () => {
    saveToken(TOKEN);
    postAnswer = () =>
      new Response(
        JSON.stringify({ status: 400, detail: "codes: 저장소에 1d 봉이 없는 종목: 005935", param: "codes" }),
        { status: 400, headers: { "content-type": "application/problem+json" } },
      );
    await ready();
    fireEvent.click(within(form()).getByRole("button", { name: "백테스트 실행" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe("저장소에 1d 봉이 없는 종목: 005935");
  });

  it("follows a run launched before leaving the page; one that ended meanwhile gets a link", async () => {
    rememberRun(ACCEPTED);
    runAnswers = [jobRun("succeeded")];
    await ready();
    const status = screen.getByRole("status", { name: "실행 상태" });
    const link = await within(status).findByRole("link", { name: "결과 보기" });
    expect(link.getAttribute("href")).toBe("/backtests/bt-new");
    expect(status.textContent).toContain("끝났습니다 (8.8초)");
    expect(screen.queryByText("result page")).toBeNull();
    expect(rememberedRun()).toBeNull();
  });

  it("fills the form from a past backtest (?from=)", async () => {
    renderPage(<BacktestsPage />, { path: "/backtests?from=bt-1", route: "/backtests" });
    await waitFor(() => expect(within(form()).getAllByRole("listitem").length).toBe(3));
    expect((field("시작일") as HTMLInputElement).value).toBe("2024-01-02");
    expect((field("종료일") as HTMLInputElement).value).toBe("2024-11-14");
  });
});

describe("지난 백테스트", () => {
  it("lists them newest first with names, return and trades", async () => {
    await ready();
    const table = await screen.findByRole("table", { name: "지난 백테스트" });
    const rows = await within(table).findAllByRole("row");
    const body = rows.slice(1);
    expect(body.map((r) => r.dataset.backtestId)).toEqual(["bt-2", "bt-1"]);
    const first = body[0]!;
    expect(first.textContent).toContain("2024-11-15 10:30");
    expect(first.textContent).toContain("fast 5 · slow 20");
    expect(first.textContent).toContain("삼성전자, SK하이닉스, KODEX 200");
    expect(within(first).getByText("+1.51%").className).toContain("rise");
    expect(within(body[1]!).getByText("-1.51%").className).toContain("fall");
    fireEvent.click(within(first).getByText("fast 5 · slow 20"));
    await screen.findByText("result page");
  });

  it("names a backtest over many codes by its first two and the count, and pages on", async () => {
    const many = (id: string) => ({ ...summary(id, 0.01), codes: ["005930", "000660"], code_count: 1_200 });
    const older = (n: number) => summary(`bt-old-${n}`, 0.01);
    calls = fakeApi({
      "GET /api/store/overview": () => json(OVERVIEW),
      "GET /api/codes": () => json(CODES),
      "GET /api/backtests": (call) =>
        call.search.get("offset") === "50"
          ? json(page([older(1), older(2)], 52, 50))
          : json(page([many("bt-many"), ...Array.from({ length: 49 }, (_, n) => summary(`bt-${n}`, 0.01))], 52)),
    });
    await ready();
    const table = await screen.findByRole("table", { name: "지난 백테스트" });
    const first = (await within(table).findAllByRole("row"))[1]!;
    expect(first.textContent).toContain("삼성전자, SK하이닉스 외 1,198종목");
    const more = await screen.findByRole("button", { name: "더 보기 (2건 남음)" });
    fireEvent.click(more);
    await waitFor(() => expect(within(table).getAllByRole("row")).toHaveLength(1 + 52));
    const asked = calls.filter((c) => c.method === "GET" && c.path === "/api/backtests");
    expect(asked.map((c) => [c.search.get("limit"), c.search.get("offset")])).toEqual([["50", "0"], ["50", "50"]]);
    expect(screen.queryByRole("button", { name: /더 보기/ })).toBeNull();
  });
});
