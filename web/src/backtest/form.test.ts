import { describe, expect, it } from "vitest";
import {
  type FormValues,
  type Holdings,
  checkForm,
  formFromRecord,
  groupDigits,
  initialForm,
  isDay,
  loadForm,
  participationFraction,
  percentText,
  saveForm,
} from "./form";

const HELD: Holdings = { codes: new Set(["005930", "000660", "035420"]), first: "2024-01-02", last: "2024-11-14" };

function form(changes: Partial<FormValues> = {}, params?: Record<string, string>): FormValues {
  const base = initialForm();
  return {
    ...base,
    codes: ["005930", "000660"],
    ...changes,
    params: params ? { ...base.params, [changes.strategy ?? base.strategy]: params } : base.params,
  };
}

describe("the backtest form's checks", () => {
  it("turns the defaults into the request the API takes", () => {
    const { problems, request } = checkForm(form({ start: "2024-01-01", end: "2024-12-31" }), HELD);
    expect(problems).toEqual({});
    expect(request).toEqual({
      strategy: "sma_cross",
      params: { fast: 5, slow: 20 },
      codes: ["005930", "000660"],
      start: "2024-01-01",
      end: "2024-12-31",
      cash: 10_000_000,
      shared_cash: false,
      participation: "0.1",
    });
  });

  it("sends no dates when they are left empty (everything held)", () => {
    const { request } = checkForm(form(), HELD);
    expect(request).toMatchObject({ start: null, end: null });
  });

  it("wants whole-number parameters within the strategy's bounds", () => {
    expect(checkForm(form({}, { fast: "0", slow: "20" })).problems["param.fast"]).toEqual({
      key: "bt.err.int",
      vars: { min: 1, max: 500 },
    });
    expect(checkForm(form({}, { fast: "5", slow: "1001" })).problems["param.slow"]?.key).toBe("bt.err.int");
    expect(checkForm(form({}, { fast: "2.5", slow: "20" })).problems["param.fast"]?.key).toBe("bt.err.int");
    expect(checkForm(form({}, { fast: "", slow: "20" })).problems["param.fast"]?.key).toBe("bt.err.int");
  });

  it("says fast must be shorter than slow, as the server does", () => {
    const { problems, request } = checkForm(form({}, { fast: "20", slow: "5" }));
    expect(problems["param.fast"]).toEqual({ key: "strategy.sma_cross.order", vars: { fast: 20, slow: 5 } });
    expect(request).toBeNull();
  });

  it("checks ten_tick's own parameters", () => {
    const ok = checkForm(form({ strategy: "ten_tick" }, { qty: "1,000", ticks: "10" }));
    expect(ok.request?.params).toEqual({ qty: 1000, ticks: 10 });
    expect(checkForm(form({ strategy: "ten_tick" }, { qty: "10", ticks: "101" })).problems["param.ticks"]?.vars).toEqual({
      min: 1,
      max: 100,
    });
  });

  it("refuses codes without bars of the strategy's timeframe, naming them", () => {
    const { problems } = checkForm(form({ codes: ["005930", "999999"] }), HELD);
    expect(problems.codes).toEqual({ key: "bt.err.codes", vars: { codes: "999999" }, tf: "1d" });
    // before the store's holdings are known, nothing is refused
    expect(checkForm(form({ codes: ["999999"] })).problems.codes).toBeUndefined();
  });

  it("allows no codes at all: the server takes every code held", () => {
    expect(checkForm(form({ codes: [] }), HELD).request?.codes).toEqual([]);
  });

  it("checks the dates: real days, in order, overlapping what is held", () => {
    expect(checkForm(form({ start: "2024-02-30" }), HELD).problems.start?.key).toBe("bt.err.date");
    expect(checkForm(form({ end: "24-1-1" }), HELD).problems.end?.key).toBe("bt.err.date");
    expect(checkForm(form({ start: "2024-06-01", end: "2024-05-01" }), HELD).problems.start?.key).toBe("bt.err.order");
    expect(checkForm(form({ start: "2025-01-01" }), HELD).problems.start).toEqual({
      key: "bt.err.noData",
      vars: { first: "2024-01-02", last: "2024-11-14" },
      tf: "1d",
    });
    expect(checkForm(form({ end: "2023-12-31" }), HELD).problems.end?.key).toBe("bt.err.noData");
  });

  it("reads cash with separators, between 10,000 and a trillion won", () => {
    expect(checkForm(form({ cash: "50,000,000" }), HELD).request?.cash).toBe(50_000_000);
    expect(checkForm(form({ cash: "9999" }), HELD).problems.cash).toEqual({
      key: "bt.err.cash",
      vars: { min: "10,000", max: "1,000,000,000,000" },
    });
    expect(checkForm(form({ cash: "1e7" }), HELD).problems.cash?.key).toBe("bt.err.cash");
    expect(checkForm(form({ cash: "1,000,000,000,001" }), HELD).problems.cash?.key).toBe("bt.err.cash");
  });

  it("sends shared cash when chosen", () => {
    expect(checkForm(form({ sharedCash: true }), HELD).request?.shared_cash).toBe(true);
  });

  it("takes participation in percent and sends the exact fraction", () => {
    expect(participationFraction("10")).toBe("0.1");
    expect(participationFraction("12.5")).toBe("0.125");
    expect(participationFraction("0.01")).toBe("0.0001");
    expect(participationFraction("100")).toBe("1");
    for (const bad of ["0", "100.01", "1.234", "-5", "abc", ""]) expect(participationFraction(bad)).toBeNull();
    expect(checkForm(form({ participation: "0" }), HELD).problems.participation?.key).toBe("bt.err.participation");
  });
});

describe("helpers", () => {
  it("groups digits and knows real days", () => {
    expect(groupDigits("10000000")).toBe("10,000,000");
    expect(groupDigits("00012,345")).toBe("12,345");
    expect(groupDigits("12a")).toBe("12a");
    expect(isDay("2024-02-29")).toBe(true);
    expect(isDay("2023-02-29")).toBe(false);
  });

  it("fills the form from a stored backtest (이 설정으로 다시)", () => {
    const f = formFromRecord({
      strategy: "sma_cross",
      params: { strategy: { fast: 10, slow: 60 }, timeframe: "1d", cash: 30_000_000, shared_cash: true, participation: "0.125" },
      codes: ["035420"],
      start: "2024-01-02",
      end: "2024-11-14",
    });
    expect(f).toMatchObject({
      strategy: "sma_cross",
      codes: ["035420"],
      start: "2024-01-02",
      end: "2024-11-14",
      cash: "30,000,000",
      sharedCash: true,
      participation: "12.5",
    });
    expect(f.params.sma_cross).toEqual({ fast: "10", slow: "60" });
    expect(percentText(undefined)).toBe("10");
  });

  it("keeps the form for the tab", () => {
    saveForm(form({ codes: ["035420"], cash: "20,000,000" }));
    expect(loadForm()).toMatchObject({ codes: ["035420"], cash: "20,000,000", strategy: "sma_cross" });
    sessionStorage.setItem("stocklab.backtestForm", "{broken");
    expect(loadForm()).toEqual(initialForm());
  });
});
