import { describe, expect, it } from "vitest";
import {
  changeBp,
  direction,
  formatChange,
  formatCompact,
  formatDuration,
  formatKstDate,
  formatKstDateTime,
  formatKstDay,
  formatKstTime,
  formatNumber,
  formatRateBp,
  formatRelative,
  formatSigned,
} from "./format";

describe("KRW and quantities", () => {
  it("puts thousands separators in prices", () => {
    expect(formatNumber(38050)).toBe("38,050");
    expect(formatNumber(1234567890)).toBe("1,234,567,890");
    expect(formatNumber(950)).toBe("950");
    expect(formatNumber(0)).toBe("0");
  });

  it("shows a dash for missing values", () => {
    expect(formatNumber(null)).toBe("—");
    expect(formatNumber(undefined)).toBe("—");
    expect(formatChange(null)).toBe("—");
    expect(formatRateBp(null)).toBe("—");
  });

  it("marks changes with ▲/▼ and separators", () => {
    expect(formatChange(50)).toBe("▲50");
    expect(formatChange(-5500)).toBe("▼5,500");
    expect(formatChange(0)).toBe("0");
  });

  it("writes basis points as a signed percent", () => {
    expect(formatRateBp(13)).toBe("+0.13%");
    expect(formatRateBp(-459)).toBe("-4.59%");
    expect(formatRateBp(0)).toBe("0.00%");
    expect(formatRateBp(3000)).toBe("+30.00%");
  });

  it("computes a change in basis points, rounded", () => {
    expect(changeBp(38050, 38000)).toBe(13);
    expect(changeBp(100, 0)).toBeNull();
    expect(changeBp(100, null)).toBeNull();
  });

  it("signs net quantities", () => {
    expect(formatSigned(33147)).toBe("+33,147");
    expect(formatSigned(-42284)).toBe("-42,284");
    expect(formatSigned(0)).toBe("0");
  });

  it("abbreviates large amounts the Korean way", () => {
    expect(formatCompact(23_922_711_800, "ko")).toBe("239억");
    expect(formatCompact(1_500_000_000_000, "ko")).toBe("1.5조");
    expect(formatCompact(626_249, "ko")).toBe("62.6만");
    expect(formatCompact(626_249, "en")).toBe("626K");
    expect(formatCompact(-2_500_000, "en")).toBe("-2.5M");
  });
});

describe("signed change colours", () => {
  it("is red up, blue down, grey unchanged", () => {
    expect(direction(50)).toBe("rise");
    expect(direction(-1)).toBe("fall");
    expect(direction(0)).toBe("flat");
    expect(direction(null)).toBe("flat");
  });
});

describe("KST times", () => {
  // 2024-11-15T06:30:00Z is 15:30 in Seoul, whatever zone the test machine runs in.
  const closingPrint = Date.UTC(2024, 10, 15, 6, 30) / 1000;

  it("formats epoch seconds in KST", () => {
    expect(formatKstDate(closingPrint)).toBe("2024-11-15");
    expect(formatKstTime(closingPrint)).toBe("15:30");
    expect(formatKstDateTime(closingPrint)).toBe("2024-11-15 15:30");
  });

  it("formats ISO strings with any offset in KST", () => {
    expect(formatKstDateTime("2024-11-18T09:00:00+09:00")).toBe("2024-11-18 09:00");
    expect(formatKstDateTime("2024-11-17T23:30:00Z")).toBe("2024-11-18 08:30");
    expect(formatKstDateTime("2026-11-26T10:10:10.257000+09:00", true)).toBe("2026-11-26 10:10:10");
  });

  it("keeps a daily bar's 00:00 KST on its own trading day", () => {
    // The API sends daily bars as 00:00 KST, i.e. 15:00 UTC the day before.
    expect(formatKstDate(1731596400)).toBe("2024-11-15");
  });

  it("names the weekday in both languages", () => {
    expect(formatKstDay("2024-11-18T00:00:00+09:00", "ko")).toBe("2024-11-18 (월)");
    expect(formatKstDay("2024-11-18T00:00:00+09:00", "en")).toBe("2024-11-18 (Mon)");
  });

  it("says how long and how far away", () => {
    expect(formatDuration(4100, "ko")).toBe("4.1초");
    expect(formatDuration(125_000, "ko")).toBe("2분 5초");
    expect(formatDuration(125_000, "en")).toBe("2 min 5 s");
    expect(formatDuration(65 * 3600_000, "ko")).toBe("2일 17시간");
    const at = Date.parse("2024-11-15T16:00:00+09:00");
    expect(formatRelative("2024-11-15T19:00:00+09:00", at, "ko")).toBe("3시간 후");
    expect(formatRelative("2024-11-15T15:55:00+09:00", at, "en")).toBe("5 min ago");
  });
});
