import { describe, expect, it } from "vitest";
import { ApiError, type JobRun } from "../api";
import { NETWORK_RETRIES, RunMissing, followRun, rememberRun, rememberedRun, sleep } from "./follow";

function run(status: JobRun["status"], changes: Partial<JobRun> = {}): JobRun {
  return {
    run_id: "backtest-1",
    job: "backtest",
    status,
    trigger: "api",
    started_at: "2024-11-15T10:30:00+09:00",
    ended_at: status === "running" ? null : "2024-11-15T10:30:08+09:00",
    pid: 1,
    rows: 0,
    counts: {},
    error: null,
    log_tail: "",
    ...changes,
  };
}

const NOT_FOUND = new ApiError("http", 404, "실행 기록 backtest-1가 없습니다", null);
const DROPPED = new ApiError("network", 0, null, null);

/** A fake server answering from a script (an error is thrown), and a clock the waits move. */
function script(answers: (JobRun | Error)[]) {
  let clock = 0;
  const asked: number[] = [];
  const updates: (string | null)[] = [];
  const options = {
    fetchRun: async (id: string) => {
      expect(id).toBe("backtest-1");
      asked.push(clock);
      const next = answers.length > 1 ? answers.shift()! : answers[0]!;
      if (next instanceof Error) throw next;
      return next;
    },
    onUpdate: (r: JobRun | null) => updates.push(r ? r.status : null),
    signal: new AbortController().signal,
    sleep: async (ms: number) => {
      clock += ms;
    },
    now: () => clock,
    interval: 500,
    grace: 2_000,
  };
  return { options, asked, updates };
}

describe("following a backtest's run", () => {
  it("waits through the 404 before the run appears, then polls until it ends", async () => {
    const s = script([NOT_FOUND, run("running"), run("running"), run("succeeded", { rows: 19 })]);
    const done = await followRun("backtest-1", s.options);
    expect(done.status).toBe("succeeded");
    expect(done.rows).toBe(19);
    expect(s.updates).toEqual([null, "running", "running", "succeeded"]);
    expect(s.asked).toEqual([0, 500, 1000, 1500]);
  });

  it("hands back a failed run with its error (the page shows it)", async () => {
    const s = script([run("running"), run("failed", { error: "2030-01-01 ~ 2030-02-01 기간에 1d 봉이 있는 종목이 없습니다" })]);
    const done = await followRun("backtest-1", s.options);
    expect(done.status).toBe("failed");
    expect(done.error).toContain("봉이 있는 종목이 없습니다");
  });

  it("gives up when the run never appears", async () => {
    const s = script([NOT_FOUND]);
    await expect(followRun("backtest-1", s.options)).rejects.toBeInstanceOf(RunMissing);
    expect(s.asked.at(-1)).toBeGreaterThan(2_000);
  });

  it("rides out a few dropped connections, not a lasting outage", async () => {
    const s = script([DROPPED, DROPPED, run("succeeded")]);
    expect((await followRun("backtest-1", s.options)).status).toBe("succeeded");
    const down = script([DROPPED]);
    await expect(followRun("backtest-1", down.options)).rejects.toBe(DROPPED);
    expect(down.asked).toHaveLength(NETWORK_RETRIES + 1);
  });

  it("stops on any other error", async () => {
    const boom = new ApiError("http", 500, "store down", null);
    await expect(followRun("backtest-1", script([boom]).options)).rejects.toBe(boom);
  });

  it("stops when the page goes away", async () => {
    const control = new AbortController();
    const s = script([run("running")]);
    const following = followRun("backtest-1", { ...s.options, signal: control.signal, sleep, interval: 60_000 });
    await new Promise((r) => setTimeout(r, 10)); // now waiting for the next poll
    control.abort(new Error("left the page"));
    await expect(following).rejects.toThrow("left the page");
    expect(s.asked).toHaveLength(1);
  });

  it("remembers the run being followed for the tab", () => {
    rememberRun({ run_id: "backtest-1", job: "backtest", status: "running", backtest_id: "bt-1" });
    expect(rememberedRun()?.backtest_id).toBe("bt-1");
    rememberRun(null);
    expect(rememberedRun()).toBeNull();
  });
});
