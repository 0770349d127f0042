// Small pieces every trading screen shows: an order's status as a badge, and the side in
// the Korean colours (매수 red, 매도 blue).

import { type OrderStatus, type OrderType, type Side, isOpen } from "../api";
import { type MessageKey, useT } from "../i18n";

export function OrderStatusBadge({ status }: { status: OrderStatus }) {
  const t = useT();
  const group = status === "filled" ? "done" : isOpen(status) ? "open" : status === "rejected" ? "refused" : "ended";
  return (
    <span className={`badge order-${group}`} data-status={status}>
      {t(`ostatus.${status}` as MessageKey)}
    </span>
  );
}

export function SideText({ side }: { side: Side }) {
  const t = useT();
  return <span className={`side ${side === "buy" ? "rise" : "fall"}`}>{t(`side.${side}`)}</span>;
}

export function orderTypeLabel(type: OrderType, t: (key: MessageKey) => string): string {
  return t(`otype.${type}`);
}
