// 정정: a small form that changes an open limit order's price and/or lowers its quantity.
// The server answers the new order (the broker's new number, linked to the old by
// `replaces`); the old one ends as 정정됨. Shown on 주문 and in the ticket after placing:
// inside the ticket's own <form>, so it is a role="form" group sent by its button or Enter.

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type KeyboardEvent, useId, useState } from "react";
import { type Order, type OrderChange, api } from "../api";
import { formatNumber, formatWon } from "../format";
import { useT } from "../i18n";
import { isOnTick, tickSize } from "../krx";
import { TRADING_KEYS } from "../queries";
import { parseCount } from "../ticket";
import { ActionError } from "./ActionError";
import { useTokenApi, withToken } from "./TokenProvider";

/** Shares still open: what a 정정 may keep (the rest is cancelled). */
export function openQty(order: Order): number {
  return order.request.qty - order.filled_qty;
}

/** True when a 정정 can be asked for: an open limit order with nothing else in flight. */
export function canModify(order: Order): boolean {
  return (
    order.request.order_type === "limit" &&
    (order.status === "accepted" || order.status === "partially_filled") &&
    openQty(order) > 0
  );
}

type Problem = { field: "price" | "qty"; key: "modify.err.price" | "modify.err.tick" | "modify.err.qty" } | { field: null; key: "modify.err.same" };

/** What was typed, checked as the server will (tick grid, 1..open quantity, something changes). */
export function checkChange(order: Order, priceText: string, qtyText: string, kind: string | null): OrderChange | Problem {
  const price = parseCount(priceText);
  const qty = parseCount(qtyText);
  const open = openQty(order);
  if (price === null || !Number.isSafeInteger(price) || price < 1) return { field: "price", key: "modify.err.price" };
  if (!isOnTick(price, kind)) return { field: "price", key: "modify.err.tick" };
  if (qty === null || !Number.isSafeInteger(qty) || qty < 1 || qty > open) return { field: "qty", key: "modify.err.qty" };
  const change: OrderChange = {};
  if (price !== order.request.price) change.price = price;
  if (qty !== open) change.qty = qty;
  if (change.price === undefined && change.qty === undefined) return { field: null, key: "modify.err.same" };
  return change;
}

interface Props {
  order: Order;
  name: string;
  /** The instrument's kind when known ("stock", "etf", …): it picks the tick table. */
  kind?: string | null;
  onDone: (replacement: Order) => void;
  onClose: () => void;
}

export function ModifyForm({ order, name, kind = "stock", onDone, onClose }: Props) {
  const t = useT();
  const ids = { price: useId(), qty: useId(), msg: useId() };
  const open = openQty(order);
  const [priceText, setPriceText] = useState(formatNumber(order.request.price));
  const [qtyText, setQtyText] = useState(formatNumber(open));
  const [tried, setTried] = useState(false);
  const tokens = useTokenApi();
  const client = useQueryClient();
  const send = useMutation({
    mutationFn: (change: OrderChange) =>
      withToken(tokens, (token) => api.modifyOrder(order.request.client_id, change, token)),
    onSuccess: (replacement) => {
      if (replacement) onDone(replacement);
    },
    onSettled: () => {
      for (const key of TRADING_KEYS) void client.invalidateQueries({ queryKey: key });
    },
  });
  const checked = checkChange(order, priceText, qtyText, kind);
  const problem = "key" in checked ? checked : null;
  const price = parseCount(priceText);
  const hint =
    problem && tried
      ? t(problem.key, { open: formatNumber(open), tick: formatNumber(tickSize(price && price > 0 ? price : 1, kind)) })
      : t("modify.hint", { open: formatNumber(open) });

  const submit = () => {
    setTried(true);
    if (problem || send.isPending) return;
    send.mutate(checked as OrderChange);
  };
  const label = t("modify.title", { name, side: t(`side.${order.request.side}`) });
  const onEnter = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter") {
      e.preventDefault();
      submit();
    }
  };

  return (
    <div className="modify-form" role="form" aria-label={label}>
      <p className="small">
        <strong>{label}</strong>{" "}
        <span className="muted">
          {t("modify.now", { qty: formatNumber(open), price: formatWon(order.request.price, t.lang) })}
        </span>
      </p>
      <div className="modify-fields">
        <label htmlFor={ids.price}>{t("modify.price")}</label>
        <input
          id={ids.price}
          inputMode="numeric"
          autoComplete="off"
          value={priceText}
          aria-invalid={tried && problem?.field === "price"}
          aria-describedby={ids.msg}
          onChange={(e) => setPriceText(e.target.value)}
          onKeyDown={onEnter}
        />
        <label htmlFor={ids.qty}>{t("modify.qty")}</label>
        <input
          id={ids.qty}
          inputMode="numeric"
          autoComplete="off"
          value={qtyText}
          aria-invalid={tried && problem?.field === "qty"}
          aria-describedby={ids.msg}
          onChange={(e) => setQtyText(e.target.value)}
          onKeyDown={onEnter}
        />
        <button type="button" className="primary" disabled={send.isPending} onClick={submit}>
          {send.isPending ? t("ticket.sending") : t("modify.submit")}
        </button>
        <button type="button" className="link-button" onClick={onClose}>
          {t("modify.close")}
        </button>
      </div>
      <p id={ids.msg} className={`field-msg ${problem && tried ? "invalid" : "muted"}`} aria-live="polite">
        {hint}
      </p>
      {send.isError && <ActionError error={send.error} />}
    </div>
  );
}
