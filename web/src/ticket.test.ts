import { describe, expect, it } from "vitest";
import { formatNumber } from "./format";
import { type Lang, type Translate, translate } from "./i18n";
import { bars } from "./test/trading";
import { checkTicket, lastPrice, newClientId, parseCount, priceMessage, qtyMessage, referenceClose } from "./ticket";

const tr = (lang: Lang): Translate => Object.assign((key: Parameters<Translate>[0], vars?: Parameters<Translate>[1]) => translate(lang, key, vars), { lang });
const ko = tr("ko");
const en = tr("en");

const MARKET = { reference: 70_000, last: 70_300, kind: "stock", taxBp: 20 };

function message(priceText: string, lang = ko, reference: number | null = 70_000): string | null {
  const check = checkTicket({ side: "buy", orderType: "limit", qtyText: "1", priceText }, { ...MARKET, reference });
  return check.priceProblem ? priceMessage(check.priceProblem, lang, formatNumber) : null;
}

const series = (points: [string, number][]) => bars("1d", points);

describe("reading what was typed", () => {
  it("takes thousands separators and spaces, refuses anything else", () => {
    expect(parseCount("70,000")).toBe(70_000);
    expect(parseCount(" 1 200 ")).toBe(1_200);
    expect(parseCount("")).toBeNull();
    expect(parseCount("70000.5")).toBeNaN();
    expect(parseCount("-5")).toBeNaN();
    expect(parseCount("7만")).toBeNaN();
  });
});

describe("the ticket's price messages", () => {
  it("names the tick and the two nearest valid prices", () => {
    expect(message("70,050")).toBe("호가단위 100원: 70,000 또는 70,100");
    expect(message("4,527", ko, 4_525)).toBe("호가단위 5원: 4,525 또는 4,530");
    expect(message("70,050", en)).toBe("Tick size 100: 70,000 or 70,100");
  });

  it("names the band and the reference when outside it", () => {
    expect(message("95,000")).toBe("가격제한폭 밖입니다: 49,000 ~ 91,000 (기준가 70,000)");
    expect(message("48,950")).toBe("가격제한폭 밖입니다: 49,000 ~ 91,000 (기준가 70,000)");
    expect(message("95,000", en)).toBe("Outside today's limits: 49,000 – 91,000 (reference 70,000)");
  });

  it("accepts the band's ends and any price on the grid inside it", () => {
    expect(message("91,000")).toBeNull();
    expect(message("49,000")).toBeNull();
    expect(message("70,100")).toBeNull();
  });

  it("asks for a price, and for a whole one", () => {
    expect(message("")).toBe("가격을 넣으세요");
    expect(message("0")).toBe("가격은 1원 이상의 정수로 넣으세요");
    expect(message("abc")).toBe("가격은 1원 이상의 정수로 넣으세요");
  });

  it("checks only the grid while the reference is unknown", () => {
    expect(message("95,000", ko, null)).toBeNull();
    expect(message("95,050", ko, null)).toBe("호가단위 100원: 95,000 또는 95,100");
  });
});

describe("the quantity", () => {
  const qty = (qtyText: string) => {
    const check = checkTicket({ side: "buy", orderType: "market", qtyText, priceText: "" }, MARKET);
    return check.qtyProblem ? qtyMessage(check.qtyProblem, ko, formatNumber) : null;
  };
  it("must be a whole number from 1 to 10,000,000", () => {
    expect(qty("10")).toBeNull();
    expect(qty("")).toBe("수량을 넣으세요");
    expect(qty("0")).toBe("수량은 1주 이상의 정수로 넣으세요");
    expect(qty("1.5")).toBe("수량은 1주 이상의 정수로 넣으세요");
    expect(qty("10,000,001")).toBe("수량은 10,000,000주까지 넣을 수 있습니다");
  });
});

describe("readiness and the estimate", () => {
  it("is ready with a valid quantity and price, and estimates buy costs", () => {
    const check = checkTicket({ side: "buy", orderType: "limit", qtyText: "10", priceText: "70,000" }, MARKET);
    expect(check.ready).toBe(true);
    expect(check.costs).toEqual({ amount: 700_000, commission: 105, tax: 0, net: 700_105 });
  });

  it("adds the tax on sells", () => {
    const check = checkTicket({ side: "sell", orderType: "limit", qtyText: "10", priceText: "70,000" }, MARKET);
    expect(check.costs).toEqual({ amount: 700_000, commission: 105, tax: 1_400, net: 698_495 });
  });

  it("estimates a market order at the last price, and ignores the price field", () => {
    const check = checkTicket({ side: "buy", orderType: "market", qtyText: "10", priceText: "70,050" }, MARKET);
    expect(check.ready).toBe(true);
    expect(check.price).toBeNull();
    expect(check.costs?.amount).toBe(703_000);
  });

  it("is not ready and estimates nothing with an invalid price", () => {
    const check = checkTicket({ side: "buy", orderType: "limit", qtyText: "10", priceText: "70,050" }, MARKET);
    expect(check.ready).toBe(false);
    expect(check.costs).toBeNull();
  });
});

describe("reference and last price", () => {
  const daily = series([
    ["2024-11-13T00:00:00", 69_900],
    ["2024-11-14T00:00:00", 70_000],
  ]);

  it("takes the close of the last day before today as the reference", () => {
    expect(referenceClose(daily, "2024-11-15")).toEqual({ price: 70_000, day: "2024-11-14" });
    // After the close the store may hold today's bar: still yesterday's close.
    const withToday = series([
      ["2024-11-14T00:00:00", 70_000],
      ["2024-11-15T00:00:00", 71_000],
    ]);
    expect(referenceClose(withToday, "2024-11-15")).toEqual({ price: 70_000, day: "2024-11-14" });
    expect(referenceClose(undefined, "2024-11-15")).toBeNull();
  });

  it("takes today's newest minute as the last price, else today's close, else the reference", () => {
    const minute = series([["2024-11-15T10:29:00", 70_300]]);
    expect(lastPrice(minute, daily, "2024-11-15", 70_000)).toBe(70_300);
    const old = series([["2024-11-14T15:30:00", 69_000]]);
    expect(lastPrice(old, daily, "2024-11-15", 70_000)).toBe(70_000);
    const withToday = series([["2024-11-15T00:00:00", 71_000]]);
    expect(lastPrice(undefined, withToday, "2024-11-15", 70_000)).toBe(71_000);
  });
});

describe("client ids", () => {
  it("match the server's pattern and differ each time", () => {
    const a = newClientId(new Date("2024-11-15T01:30:00Z"));
    const b = newClientId(new Date("2024-11-15T01:30:00Z"));
    expect(a).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/);
    expect(a.startsWith("web-20241115013000-")).toBe(true);
    expect(a).not.toBe(b);
  });
});
