// 주문하기: the order ticket on the stock page. Side, type, quantity and a price that ▲/▼
// step by the tick of the band they land in; the day's reference and band; inline checks
// as the server will make them (tick grid, band, quantity); an estimate of the amount,
// commission and tax. Sending asks for the token once per session; a refusal shows the
// server's own words, a success the order, a 정정 button and a link to 주문.
// Each submission gets its key (client_id) once: a retry after no answer or a server
// error — automatic or a second press with the same terms — sends the same key, so the
// server answers the first order and never places a second.

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, type KeyboardEvent, useEffect, useId, useMemo, useRef, useState } from "react";
import { Link } from "react-router";
import {
  type Instrument,
  type Order,
  type OrderTicket as Ticket,
  type OrderType,
  type PriceSeries,
  type Side,
  api,
  outcomeUnknown,
} from "../api";
import { direction, formatBp, formatKstDate, formatNumber, formatWon } from "../format";
import { translateOr, useT } from "../i18n";
import { COMMISSION_PER_100K, priceLimits, sellTaxBp, stepTick, tickSize } from "../krx";
import { TRADING_KEYS, useAccount, useLastMinute, useMarketStatus, usePositions } from "../queries";
import {
  type Funds,
  checkFunds,
  checkTicket,
  fundsMessage,
  lastPrice,
  maxQty,
  newClientId,
  parseCount,
  priceMessage,
  qtyMessage,
  referenceClose,
} from "../ticket";
import { ActionError } from "./ActionError";
import { ModifyForm, canModify } from "./ModifyForm";
import { OrderStatusBadge } from "./OrderBits";
import { Segmented } from "./Segmented";
import { useTokenApi, withToken } from "./TokenProvider";

interface Props {
  code: string;
  instrument: Instrument | undefined;
  /** The daily bars the page already holds: the reference price is the last close before today. */
  daily: PriceSeries | undefined;
}

/** Automatic tries after the first when the answer was lost: the same ticket, the same key. */
export const ORDER_RETRIES = 2;

/**
 * POST /api/orders with the session's token; null when the token dialog was cancelled. A
 * lost answer is retried with the same ticket (the same client_id): the server answers the
 * order it already holds.
 */
function usePlaceOrder() {
  const tokens = useTokenApi();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (ticket: Ticket) => withToken(tokens, (token) => api.placeOrder(ticket, token)),
    retry: (failures, err) => failures < ORDER_RETRIES && outcomeUnknown(err),
    retryDelay: (attempt) => 400 * 2 ** attempt,
    onSettled: () => {
      for (const key of TRADING_KEYS) void client.invalidateQueries({ queryKey: key });
    },
  });
}

function Placed({ placed, name, kind }: { placed: Order; name: string; kind: string }) {
  const t = useT();
  const [order, setOrder] = useState(placed);
  const [modifying, setModifying] = useState(false);
  const r = order.request;
  return (
    <div className="ticket-done" data-client-id={r.client_id}>
      <p>
        <strong>{order.replaces ? t("ticket.modified") : t("ticket.placed")}</strong> <OrderStatusBadge status={order.status} />
      </p>
      <p className="small">
        {t("ticket.summary", {
          side: t(`side.${r.side}`),
          type: t(`otype.${r.order_type}`),
          qty: formatNumber(r.qty),
          price: r.price === null ? "" : ` × ${formatWon(r.price, t.lang)}`,
        })}
      </p>
      {modifying ? (
        <ModifyForm
          order={order}
          name={name}
          kind={kind}
          onDone={(replacement) => {
            setOrder(replacement);
            setModifying(false);
          }}
          onClose={() => setModifying(false)}
        />
      ) : (
        canModify(order) && (
          <button type="button" className="modify-button" onClick={() => setModifying(true)}>
            {t("orders.modify")}
          </button>
        )
      )}{" "}
      <Link to="/orders">{t("ticket.toOrders")} →</Link>
    </div>
  );
}

/** The terms that make two submissions the same order (everything but the key). */
function termsOf(ticket: Ticket): string {
  return JSON.stringify([ticket.code, ticket.side, ticket.qty, ticket.order_type, ticket.price ?? null]);
}

export function OrderTicket({ code, instrument, daily }: Props) {
  const t = useT();
  const ids = { title: useId(), qty: useId(), qtyMsg: useId(), price: useId(), priceMsg: useId() };
  const [side, setSide] = useState<Side>("buy");
  const [orderType, setOrderType] = useState<OrderType>("limit");
  const [qtyText, setQtyText] = useState("");
  const [priceText, setPriceText] = useState("");
  const [priceTouched, setPriceTouched] = useState(false);
  const [tried, setTried] = useState(false);

  const status = useMarketStatus();
  const minute = useLastMinute(code);
  const account = useAccount();
  const positions = usePositions();
  const place = usePlaceOrder();
  // The key of the last submission whose outcome is unknown: pressing again with the same
  // terms must not make a second order.
  const pending = useRef<{ terms: string; clientId: string } | null>(null);

  const kind = instrument?.kind ?? "stock";
  const today = status.data ? formatKstDate(status.data.at) : null;
  const ref = today ? referenceClose(daily, today) : null;
  const reference = ref?.price ?? null;
  const last = today && daily ? lastPrice(minute.data, daily, today, reference) : null;
  const band = reference !== null ? priceLimits(reference, kind) : null;
  const taxBp = today ? sellTaxBp(today, instrument?.market ?? null, kind) : 0;

  // The price starts at the last price, until the user types or steps it.
  useEffect(() => {
    if (!priceTouched && last !== null) setPriceText(formatNumber(last));
  }, [last, priceTouched]);

  const check = useMemo(
    () => checkTicket({ side, orderType, qtyText, priceText }, { reference, last, kind, taxBp }),
    [side, orderType, qtyText, priceText, reference, last, kind, taxBp],
  );
  const fmt = formatNumber;
  const killed = account.data?.killed ?? false;
  const position = positions.data?.find((p) => p.code === code);
  const held = position?.qty ?? 0;

  // What the risk rules would refuse, checked here before sending (once the account, the
  // positions and the market's phase are known; the server checks again).
  const funds: Funds | null =
    account.data && positions.data && status.data
      ? {
          orderable: account.data.orderable,
          sellable: position?.sellable ?? 0,
          equity: account.data.equity,
          held: position?.value ?? 0,
          limits: account.data.limits,
          phase: status.data.phase,
          upper: band?.upper ?? null,
          last,
        }
      : null;
  const terms = { side, orderType, price: orderType === "limit" && check.priceProblem === null ? check.price : null };
  const most = funds ? maxQty(terms, funds) : null;
  const fundsProblem = funds && check.qtyProblem === null && check.qty !== null && (orderType === "market" || terms.price !== null) ? checkFunds(terms, check.qty, funds) : null;
  const closed = funds && !funds.limits.phases.includes(funds.phase) ? funds.phase : null;
  const ready = check.ready && fundsProblem === null && !killed;

  const edit = <T,>(setter: (v: T) => void) => (v: T) => {
    setter(v);
    if (!place.isPending) place.reset();
  };

  const current = parseCount(priceText);
  const validCurrent = current !== null && Number.isSafeInteger(current) && current > 0 ? current : null;
  const step = (dir: 1 | -1) => {
    const base = validCurrent ?? last ?? reference;
    if (base === null) return;
    let next = stepTick(base, dir, kind);
    if (next === null) return;
    if (band) next = Math.min(Math.max(next, band.lower), band.upper);
    edit(setPriceText)(formatNumber(next));
    setPriceTouched(true);
  };
  const onPriceKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "ArrowUp" || e.key === "ArrowDown") {
      e.preventDefault();
      step(e.key === "ArrowUp" ? 1 : -1);
    }
  };
  const atUpper = validCurrent !== null && band !== null && validCurrent >= band.upper;
  const atLower = validCurrent !== null && ((band !== null && validCurrent <= band.lower) || stepTick(validCurrent, -1, kind) === null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!ready || check.qty === null || place.isPending) return;
    const ticket: Ticket = { code, side, qty: check.qty, order_type: orderType };
    if (orderType === "limit" && check.price !== null) ticket.price = check.price;
    const terms = termsOf(ticket);
    const clientId = pending.current?.terms === terms ? pending.current.clientId : newClientId();
    pending.current = { terms, clientId };
    place.mutate(
      { ...ticket, client_id: clientId },
      {
        // An answer (an order or a refusal) settles the key; a lost one keeps it for the next press.
        onSuccess: () => {
          pending.current = null;
        },
        onError: (err) => {
          if (!outcomeUnknown(err)) pending.current = null;
        },
      },
    );
  };

  const limit = orderType === "limit";
  const showQty = check.qtyProblem !== null && (tried || (qtyText !== "" && check.qtyProblem.kind !== "missing"));
  const showFunds = fundsProblem !== null && fundsProblem.kind !== "closed";
  const phaseName = (phase: string) => translateOr(t.lang, `phase.${phase}`, phase);
  const won = (n: number) => formatWon(n, t.lang);
  const showPrice = limit && check.priceProblem !== null && (tried || priceText !== "");
  const tickHere = validCurrent ?? last;
  const costs = check.costs;

  return (
    <form className={`card ticket side-${side}`} aria-labelledby={ids.title} onSubmit={submit} noValidate>
      <h2 id={ids.title}>{t("ticket.title")}</h2>

      <div className="ticket-toggles">
        <Segmented<Side>
          label={t("ticket.side")}
          value={side}
          onChange={edit(setSide)}
          options={[
            { value: "buy", label: t("side.buy") },
            { value: "sell", label: t("side.sell") },
          ]}
        />
        <Segmented<OrderType>
          label={t("ticket.type")}
          value={orderType}
          onChange={edit(setOrderType)}
          options={[
            { value: "limit", label: t("otype.limit") },
            { value: "market", label: t("otype.market") },
          ]}
        />
      </div>

      <label htmlFor={ids.qty}>{t("ticket.qty")}</label>
      <div className="field">
        <input
          id={ids.qty}
          inputMode="numeric"
          autoComplete="off"
          value={qtyText}
          aria-invalid={showQty}
          aria-describedby={ids.qtyMsg}
          onChange={(e) => edit(setQtyText)(e.target.value)}
        />
        <span className="unit">{t("ticket.qtyUnit")}</span>
        <button
          type="button"
          className="max-button"
          aria-label={t("ticket.maxLabel")}
          disabled={most === null || most < 1}
          onClick={() => most !== null && edit(setQtyText)(formatNumber(most))}
        >
          {t("ticket.max")}
        </button>
      </div>
      <p id={ids.qtyMsg} className={`field-msg ${showQty || showFunds ? "invalid" : "muted"}`} aria-live="polite">
        {showQty && check.qtyProblem
          ? qtyMessage(check.qtyProblem, t, fmt)
          : showFunds && fundsProblem
            ? fundsMessage(fundsProblem, t, won, fmt, phaseName)
          : side === "buy"
            ? t("ticket.orderable", { amount: formatWon(account.data?.orderable ?? null, t.lang) })
            : t("ticket.held", { qty: formatNumber(held) })}
      </p>

      <label htmlFor={ids.price}>{t("ticket.price")}</label>
      <div className="field price-field">
        <input
          id={ids.price}
          inputMode="numeric"
          autoComplete="off"
          disabled={!limit}
          value={limit ? priceText : t("ticket.atMarket")}
          aria-invalid={showPrice}
          aria-describedby={ids.priceMsg}
          onChange={(e) => {
            setPriceTouched(true);
            edit(setPriceText)(e.target.value);
          }}
          onKeyDown={onPriceKey}
        />
        <span className="unit">{t("ticket.priceUnit")}</span>
        <div className="steppers">
          <button type="button" aria-label={t("ticket.up")} disabled={!limit || atUpper} onClick={() => step(1)}>
            ▲
          </button>
          <button type="button" aria-label={t("ticket.down")} disabled={!limit || atLower} onClick={() => step(-1)}>
            ▼
          </button>
        </div>
      </div>
      <p id={ids.priceMsg} className={`field-msg price-msg ${showPrice ? "invalid" : "muted"}`} aria-live="polite">
        {showPrice && check.priceProblem
          ? priceMessage(check.priceProblem, t, fmt)
          : limit && tickHere !== null
            ? `${t("ticket.tick")} ${formatWon(tickSize(tickHere, kind), t.lang)}`
            : "\u00a0"}
      </p>

      <dl className="ticket-facts">
        <dt>{t("ticket.reference")}</dt>
        <dd>
          <span className="num">{fmt(reference)}</span>
          {ref && <span className="muted small"> {t("ticket.referenceOf", { day: ref.day.slice(5) })}</span>}
        </dd>
        <dt>{t("ticket.band")}</dt>
        <dd className="num">
          {band ? (
            <>
              <span className="fall">{fmt(band.lower)}</span> ~ <span className="rise">{fmt(band.upper)}</span>
            </>
          ) : (
            "—"
          )}
        </dd>
        <dt>{t("ticket.last")}</dt>
        <dd className={`num ${direction(last !== null && reference !== null ? last - reference : null)}`}>{fmt(last)}</dd>
      </dl>

      <dl className="ticket-costs">
        <dt>{limit ? t("ticket.amount") : t("ticket.amountAtLast")}</dt>
        <dd className="num">{formatWon(costs?.amount ?? null, t.lang)}</dd>
        <dt>{t("ticket.commission", { rate: formatBp(COMMISSION_PER_100K / 10) })}</dt>
        <dd className="num">{formatWon(costs?.commission ?? null, t.lang)}</dd>
        <dt>{t("ticket.tax", { rate: formatBp(taxBp) })}</dt>
        <dd className="num">{side === "buy" ? <span className="muted">{t("ticket.taxNone")}</span> : formatWon(costs?.tax ?? null, t.lang)}</dd>
        <dt className="total">{side === "buy" ? t("ticket.totalBuy") : t("ticket.totalSell")}</dt>
        <dd className="num total">{formatWon(costs?.net ?? null, t.lang)}</dd>
      </dl>
      <p className="muted small estimate">{t("ticket.estimate")}</p>

      {closed !== null && (
        <p className="ticket-closed small field-msg invalid" role="note">
          {fundsMessage({ kind: "closed", phase: closed }, t, won, fmt, phaseName)}
        </p>
      )}
      {killed && (
        <p className="ticket-killed small" role="note">
          {t("ticket.killed")} <Link to="/orders">{t("ticket.killedLink")}</Link>
        </p>
      )}

      <button type="submit" className={`primary submit ${side}`} disabled={place.isPending || killed || closed !== null || (tried && !ready)}>
        {place.isPending ? t("ticket.sending") : t(`ticket.submit.${side}`)}
      </button>

      <div className="ticket-result" role="status" aria-live="polite">
        {place.isError ? (
          <>
            <ActionError error={place.error} />
            {outcomeUnknown(place.error) && <p className="small muted">{t("ticket.unknownOutcome")}</p>}
          </>
        ) : place.data ? (
          <Placed key={place.data.request.client_id} placed={place.data} name={instrument?.name ?? code} kind={kind} />
        ) : null}
      </div>
    </form>
  );
}
