// 주문: every order of the account, newest first, filtered by status (kept in the URL),
// refreshed every few seconds; open orders can be modified (정정) or cancelled (with the token), each order's
// fills open on expand, and the kill switch sits on top.

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import { type Order, api } from "../api";
import { ActionError } from "../components/ActionError";
import { ErrorBox } from "../components/ErrorBox";
import { KillSwitch } from "../components/KillSwitch";
import { OrdersTable } from "../components/OrdersTable";
import { Segmented } from "../components/Segmented";
import { useTokenApi, withToken } from "../components/TokenProvider";
import { formatNumber } from "../format";
import { useT } from "../i18n";
import { ORDERS_POLL, ORDER_FILTERS, ORDER_LIMIT, type OrderFilter, TRADING_KEYS, useCodes, useOrders } from "../queries";

const FILTERS = Object.keys(ORDER_FILTERS) as OrderFilter[];

function isFilter(value: string | null): value is OrderFilter {
  return value !== null && (FILTERS as string[]).includes(value);
}

/** What a finished cancel or 정정 left: the order as the server returned it. */
interface Done {
  order: Order;
  name: string;
  action: "cancel" | "modify";
}

export function OrdersPage() {
  const t = useT();
  const [params, setParams] = useSearchParams();
  const param = params.get("status");
  const filter: OrderFilter = isFilter(param) ? param : "all";
  const orders = useOrders(filter);
  const codes = useCodes();
  const names = useMemo(() => new Map((codes.data ?? []).map((c) => [c.code, c.name])), [codes.data]);
  const tokens = useTokenApi();
  const client = useQueryClient();
  const [result, setResult] = useState<Done | null>(null);

  useEffect(() => {
    document.title = `${t("orders.title")} · stocklab`;
    return () => {
      document.title = "stocklab";
    };
  }, [t]);

  const cancel = useMutation({
    mutationFn: (order: Order) => withToken(tokens, (token) => api.cancelOrder(order.request.client_id, token)),
    onSuccess: (order) => {
      if (order) setResult({ order, name: names.get(order.request.code) ?? order.request.code, action: "cancel" });
    },
    onSettled: () => {
      for (const key of TRADING_KEYS) void client.invalidateQueries({ queryKey: key });
    },
  });

  const setFilter = (next: OrderFilter) => {
    const p = new URLSearchParams(params);
    if (next === "all") p.delete("status");
    else p.set("status", next);
    setParams(p, { replace: true });
  };

  const done = result?.order;
  const label = done && {
    name: result.name,
    side: t(`side.${done.request.side}`),
    qty: formatNumber(done.request.qty),
    price: formatNumber(done.request.price),
  };

  return (
    <section className="page">
      <div className="page-head">
        <h1>{t("orders.title")}</h1>
        <span className="muted small">
          {t("orders.refresh", { seconds: ORDERS_POLL / 1000 })} · {t("orders.shown", { limit: ORDER_LIMIT })}
        </span>
      </div>

      <KillSwitch />

      <div className="card">
        <div className="card-head">
          <h2>{t("orders.list")}</h2>
          <Segmented<OrderFilter>
            label={t("orders.filter")}
            value={filter}
            onChange={setFilter}
            options={FILTERS.map((f) => ({ value: f, label: t(`orders.filter.${f}`) }))}
          />
        </div>
        <div className="launch-status" role="status" aria-live="polite">
          {cancel.isError ? (
            <ActionError error={cancel.error} />
          ) : done && label ? (
            <p data-client-id={done.request.client_id}>
              {result.action === "modify"
                ? t("orders.modifyDone", label)
                : done.status === "filled"
                  ? t("orders.filledFirst", label)
                  : t("orders.cancelDone", label)}
            </p>
          ) : null}
        </div>
        {orders.isError ? (
          <ErrorBox error={orders.error} onRetry={() => void orders.refetch()} />
        ) : (
          <OrdersTable
            orders={orders.data}
            names={names}
            busy={orders.isPending || orders.isPlaceholderData}
            cancelling={cancel.isPending ? (cancel.variables?.request.client_id ?? null) : null}
            onCancel={(o) => cancel.mutate(o)}
            onModified={(o) => {
              cancel.reset();
              setResult({ order: o, name: names.get(o.request.code) ?? o.request.code, action: "modify" });
            }}
            empty={filter === "all" ? t("orders.empty") : t("orders.emptyFilter")}
          />
        )}
      </div>
    </section>
  );
}
