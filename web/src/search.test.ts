import { describe, expect, it } from "vitest";
import type { CodeRow } from "./api";
import { buildIndex, filterCodes, initials, sortCodes } from "./search";

export function row(code: string, name: string, market: "KOSPI" | "KOSDAQ", change_bp: number | null = 0): CodeRow {
  return {
    code,
    name,
    market,
    kind: "stock",
    source: "sim",
    last_close: change_bp === null ? null : 10000,
    change: change_bp === null ? null : change_bp,
    change_bp,
    last_date: "2024-11-15",
  };
}

const ROWS = [
  row("005930", "삼성전자", "KOSPI", 13),
  row("005935", "삼성전자우", "KOSPI", 18),
  row("000660", "SK하이닉스", "KOSPI", -33),
  row("035720", "카카오", "KOSPI", null),
  row("247540", "에코프로비엠", "KOSDAQ", 250),
];
const index = buildIndex(ROWS);
const codes = (rows: CodeRow[]) => rows.map((r) => r.code);

describe("search", () => {
  it("finds by part of the name", () => {
    expect(codes(filterCodes(index, "삼성", null))).toEqual(["005930", "005935"]);
    expect(codes(filterCodes(index, "하이닉스", null))).toEqual(["000660"]);
  });

  it("finds by code prefix, and by name case-insensitively", () => {
    expect(codes(filterCodes(index, "0059", null))).toEqual(["005930", "005935"]);
    expect(codes(filterCodes(index, "sk", null))).toEqual(["000660"]);
  });

  it("finds by Korean initial consonants (초성)", () => {
    expect(initials("삼성전자")).toBe("ㅅㅅㅈㅈ");
    expect(initials("SK하이닉스")).toBe("SKㅎㅇㄴㅅ");
    expect(codes(filterCodes(index, "ㅅㅅㅈㅈ", null))).toEqual(["005930", "005935"]);
    expect(codes(filterCodes(index, "ㅋㅋㅇ", null))).toEqual(["035720"]);
  });

  it("filters by market, with or without a query", () => {
    expect(codes(filterCodes(index, "", "KOSDAQ"))).toEqual(["247540"]);
    expect(codes(filterCodes(index, "삼성", "KOSDAQ"))).toEqual([]);
    expect(filterCodes(index, "  ", null)).toHaveLength(5);
  });

  it("sorts by change, missing prices last either way", () => {
    expect(codes(sortCodes(ROWS, "rate", "desc"))).toEqual(["247540", "005935", "005930", "000660", "035720"]);
    expect(codes(sortCodes(ROWS, "rate", "asc"))).toEqual(["000660", "005930", "005935", "247540", "035720"]);
    expect(sortCodes(ROWS, null, "asc")).toBe(ROWS);
  });
});
