// Trading fixtures for component tests: an account, orders and fills shaped as the API
// sends them (paper broker, the simulator's clock at 2024-11-15 10:30 KST).

import type { Account, CodeRow, Fill, Order, OrderRequest, PriceSeries } from "../api";

export const TOKEN = "right-token-0123456789abcdef";
export const UNAUTHORIZED = "API 토큰이 맞지 않습니다 — 데이터 디렉터리의 api-token 파일에 있는 토큰을 그대로 넣으세요";

export const STATUS_OPEN = {
  at: "2024-11-15T10:30:00+09:00",
  phase: "open",
  session_day: "2024-11-15",
  next_open: "2024-11-18T09:00:00+09:00",
  is_trading_day: true,
};

export function account(changes: Partial<Account> = {}): Account {
  return {
    account_id: "paper",
    broker: "paper",
    cash: 100_000_000,
    orderable: 99_382_908,
    equity: 100_002_925,
    positions_value: 2_178_150,
    day_pnl: 2_925,
    killed: false,
    limits: { max_order_krw: 10_000_000, max_position_bp: 3_000, commission_units: 15_000, phases: ["pre_open", "open"] },
    ...changes,
  };
}

export function order(
  clientId: string,
  request: Partial<OrderRequest>,
  changes: Partial<Omit<Order, "request">> = {},
): Order {
  return {
    request: {
      client_id: clientId,
      account_id: "paper",
      code: "005930",
      side: "buy",
      qty: 10,
      order_type: "limit",
      price: 37_000,
      ...request,
    },
    status: "accepted",
    broker_order_id: "1",
    filled_qty: 0,
    filled_amount: 0,
    reason: null,
    created_at: "2024-11-15T10:30:00+09:00",
    updated_at: "2024-11-15T10:30:00+09:00",
    version: 3,
    ...changes,
  };
}

export function fill(clientId: string, changes: Partial<Fill> = {}): Fill {
  return {
    fill_id: `${clientId}-1`,
    client_id: clientId,
    account_id: "paper",
    code: "005930",
    side: "buy",
    qty: 20,
    price: 38_400,
    commission: 115,
    tax: 0,
    ts: "2024-11-15T10:31:00+09:00",
    ...changes,
  };
}

export function codeRow(code: string, name: string, kind = "stock"): CodeRow {
  return {
    code,
    name,
    market: "KOSPI",
    kind,
    source: "sim",
    last_close: 38_000,
    change: -100,
    change_bp: -26,
    last_date: "2024-11-14",
  };
}

export const CODES = {
  total: 3,
  limit: 5000,
  offset: 0,
  items: [codeRow("005930", "삼성전자"), codeRow("000660", "SK하이닉스"), codeRow("069500", "KODEX 200", "etf")],
};

/** Epoch seconds of a KST wall-clock time ("2024-11-15T10:29:00"). */
export const kst = (iso: string) => Date.parse(`${iso}+09:00`) / 1000;

export function bars(timeframe: "1d" | "1m", points: [string, number][]): PriceSeries {
  return {
    code: "005930",
    timeframe,
    source: "sim",
    count: points.length,
    t: points.map(([at]) => kst(at)),
    open: points.map(([, c]) => c),
    high: points.map(([, c]) => c),
    low: points.map(([, c]) => c),
    close: points.map(([, c]) => c),
    volume: points.map(() => 1_000),
    value: points.map(() => null),
  };
}
