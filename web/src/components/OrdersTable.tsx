// The orders table: time (KST), stock, side, type, quantity, price, filled, status, reason;
// 정정 and 취소 buttons on open orders, and each order's fills on expand.

import { Fragment, useState } from "react";
import { Link } from "react-router";
import { type Order, isOpen } from "../api";
import { formatKstDateTime, formatNumber } from "../format";
import { useT } from "../i18n";
import { useFills } from "../queries";
import { ErrorBox } from "./ErrorBox";
import { ModifyForm, canModify } from "./ModifyForm";
import { OrderStatusBadge, SideText, orderTypeLabel } from "./OrderBits";

const COLUMNS = 10;

/** Newest first; ties (orders of the same second) in a fixed order, so polling never reshuffles rows. */
export function sortOrders(orders: readonly Order[]): Order[] {
  return [...orders].sort((a, b) => {
    const byTime = Date.parse(b.created_at) - Date.parse(a.created_at);
    if (byTime !== 0) return byTime;
    return a.request.client_id < b.request.client_id ? 1 : a.request.client_id > b.request.client_id ? -1 : 0;
  });
}

function OrderFills({ order, id }: { order: Order; id: string }) {
  const t = useT();
  const fills = useFills(order, true);
  return (
    <div className="order-details" id={id}>
      {fills.isError ? (
        <ErrorBox error={fills.error} onRetry={() => void fills.refetch()} />
      ) : fills.isPending ? (
        <p className="muted small">{t("common.loading")}</p>
      ) : fills.data.length === 0 ? (
        <p className="muted small">{t("orders.noFills")}</p>
      ) : (
        <table className="data fills" aria-label={t("orders.fills")}>
          <thead>
            <tr>
              <th scope="col">{t("orders.fill.time")}</th>
              <th scope="col">{t("orders.fill.qty")}</th>
              <th scope="col">{t("orders.fill.price")}</th>
              <th scope="col">{t("orders.fill.commission")}</th>
              <th scope="col">{t("orders.fill.tax")}</th>
            </tr>
          </thead>
          <tbody>
            {fills.data.map((f) => (
              <tr key={f.fill_id}>
                <td>{formatKstDateTime(f.ts, true)}</td>
                <td className="num">{formatNumber(f.qty)}</td>
                <td className="num">{formatNumber(f.price)}</td>
                <td className="num">{formatNumber(f.commission)}</td>
                <td className="num">{formatNumber(f.tax)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {order.reason && <p className="small reason-full">{order.reason}</p>}
      {order.replaces && <p className="muted small">{t("orders.replaces", { id: order.replaces })}</p>}
      <p className="muted small ids">
        {t("orders.ids", {
          client: order.request.client_id,
          broker: order.broker_order_id ?? "—",
          updated: formatKstDateTime(order.updated_at, true),
        })}
      </p>
    </div>
  );
}

interface RowProps {
  order: Order;
  name: string | null;
  expanded: boolean;
  onToggle: () => void;
  cancelling: boolean;
  onCancel: (order: Order) => void;
  modifying: boolean;
  onModifyToggle: () => void;
  onModified: (replacement: Order) => void;
}

function OrderRow({ order, name, expanded, onToggle, cancelling, onCancel, modifying, onModifyToggle, onModified }: RowProps) {
  const t = useT();
  const r = order.request;
  const label = { name: name ?? r.code, side: t(`side.${r.side}`), qty: formatNumber(r.qty) };
  const detailsId = `order-${r.client_id}-fills`;
  const avg = order.filled_qty > 0 ? Math.round(order.filled_amount / order.filled_qty) : null;
  return (
    <Fragment>
      <tr
        data-client-id={r.client_id}
        data-status={order.status}
        data-rule={order.rule ?? undefined}
        className={expanded ? "expanded" : undefined}
      >
        <td className="text c-time">{formatKstDateTime(order.created_at, true)}</td>
        <td className="text stock-cell c-stock">
          <Link to={`/stocks/${r.code}`}>{name ?? r.code}</Link>
          <div className="muted small">{r.code}</div>
        </td>
        <td className="text c-side">
          <SideText side={r.side} />
        </td>
        <td className="text c-type">{orderTypeLabel(r.order_type, t)}</td>
        <td className="num c-qty" data-label={t("orders.col.qty")}>
          {formatNumber(r.qty)}
        </td>
        <td className="num c-price" data-label={t("orders.col.price")}>
          {r.price === null ? t("otype.market") : formatNumber(r.price)}
        </td>
        <td className="num c-filled" data-label={t("orders.col.filled")}>
          {formatNumber(order.filled_qty)}
          {avg !== null && <div className="muted small">{t("orders.avgFill", { price: formatNumber(avg) })}</div>}
        </td>
        <td className="text c-status">
          <OrderStatusBadge status={order.status} />
        </td>
        <td className="text reason c-reason" title={order.reason ?? undefined}>
          {order.reason ?? ""}
        </td>
        <td className="text c-actions">
          <div className="order-actions">
            <button
              type="button"
              className="link-button"
              aria-expanded={expanded}
              aria-controls={detailsId}
              aria-label={t("orders.detailsLabel", label)}
              onClick={onToggle}
            >
              {expanded ? "▾" : "▸"} {t("orders.details")}
            </button>
            {canModify(order) && (
              <button
                type="button"
                className="modify-button"
                aria-label={t("orders.modifyLabel", label)}
                aria-expanded={modifying}
                onClick={onModifyToggle}
              >
                {t("orders.modify")}
              </button>
            )}
            {isOpen(order.status) && order.status !== "cancel_requested" && order.status !== "modify_requested" && (
              <button
                type="button"
                className="cancel-button"
                aria-label={t("orders.cancelLabel", label)}
                disabled={cancelling}
                onClick={() => onCancel(order)}
              >
                {t("orders.cancel")}
              </button>
            )}
          </div>
        </td>
      </tr>
      {modifying && canModify(order) && (
        <tr className="details-row modify-row">
          <td colSpan={COLUMNS}>
            <ModifyForm order={order} name={name ?? r.code} onDone={onModified} onClose={onModifyToggle} />
          </td>
        </tr>
      )}
      {expanded && (
        <tr className="details-row">
          <td colSpan={COLUMNS}>
            <OrderFills order={order} id={detailsId} />
          </td>
        </tr>
      )}
    </Fragment>
  );
}

interface Props {
  orders: readonly Order[] | undefined;
  names: ReadonlyMap<string, string>;
  /** Client id of the order being cancelled. */
  cancelling: string | null;
  onCancel: (order: Order) => void;
  /** A 정정 went through: the new order the server answered. */
  onModified: (replacement: Order) => void;
  busy: boolean;
  empty: string;
}

export function OrdersTable({ orders, names, cancelling, onCancel, onModified, busy, empty }: Props) {
  const t = useT();
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [modifying, setModifying] = useState<string | null>(null);
  const toggle = (id: string) =>
    setExpanded((cur) => {
      const next = new Set(cur);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const rows = orders ? sortOrders(orders) : [];
  return (
    <div className="table-wrap orders-wrap" aria-busy={busy}>
      <table className="data orders" aria-label={t("orders.list")}>
        <thead>
          <tr>
            <th scope="col" className="w-time">{t("orders.col.time")}</th>
            <th scope="col" className="text w-stock">{t("orders.col.stock")}</th>
            <th scope="col" className="text w-short">{t("orders.col.side")}</th>
            <th scope="col" className="text w-short">{t("orders.col.type")}</th>
            <th scope="col" className="w-short">{t("orders.col.qty")}</th>
            <th scope="col" className="w-num">{t("orders.col.price")}</th>
            <th scope="col" className="w-num">{t("orders.col.filled")}</th>
            <th scope="col" className="text w-status">{t("orders.col.status")}</th>
            <th scope="col" className="text">{t("orders.col.reason")}</th>
            <th scope="col" className="text w-actions">{t("orders.col.action")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((o) => (
            <OrderRow
              key={o.request.client_id}
              order={o}
              name={names.get(o.request.code) ?? null}
              expanded={expanded.has(o.request.client_id)}
              onToggle={() => toggle(o.request.client_id)}
              cancelling={cancelling === o.request.client_id}
              onCancel={onCancel}
              modifying={modifying === o.request.client_id}
              onModifyToggle={() => setModifying((cur) => (cur === o.request.client_id ? null : o.request.client_id))}
              onModified={(replacement) => {
                setModifying(null);
                onModified(replacement);
              }}
            />
          ))}
        </tbody>
      </table>
      {orders && orders.length === 0 && <p className="muted center">{empty}</p>}
    </div>
  );
}
