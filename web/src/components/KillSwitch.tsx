// 긴급 정지: its state, and the switch. Turning it on asks first (and offers to cancel every
// open order, which it does by default); turning it off does not ask.

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import { type KillState, api } from "../api";
import { useT } from "../i18n";
import { TRADING_KEYS, useKill, useOrders } from "../queries";
import { ActionError } from "./ActionError";
import { ConfirmDialog } from "./ConfirmDialog";
import { useTokenApi, withToken } from "./TokenProvider";

export function KillSwitch() {
  const t = useT();
  const kill = useKill();
  const tokens = useTokenApi();
  const client = useQueryClient();
  const [asking, setAsking] = useState(false);
  const open = useOrders("open", asking);
  const [cancelOpen, setCancelOpen] = useState(true);
  const [done, setDone] = useState<KillState | null>(null);

  const set = useMutation({
    mutationFn: (v: { on: boolean; cancelOpen: boolean }) => withToken(tokens, (token) => api.setKill(v.on, v.cancelOpen, token)),
    onSuccess: (state) => {
      if (!state) return; // the token dialog was cancelled
      setDone(state);
      client.setQueryData(["kill"], { killed: state.killed, cancelled: [] });
      for (const key of TRADING_KEYS) void client.invalidateQueries({ queryKey: key });
    },
  });

  const onCancel = useCallback(() => setAsking(false), []);
  const killed = kill.data?.killed ?? null;
  const openCount = open.data ? open.data.length : "…";

  return (
    <div className="card kill-card" data-killed={killed === null ? undefined : String(killed)}>
      <div className="kill-state">
        <h2>{t("kill.title")}</h2>
        <span className={`badge ${killed ? "bad" : killed === false ? "ok" : ""}`} aria-live="polite">
          {killed === null ? "…" : killed ? t("kill.on") : t("kill.off")}
        </span>
        <span className="muted small">{killed === null ? "\u00a0" : killed ? t("kill.onHint") : t("kill.offHint")}</span>
      </div>
      <div className="kill-actions">
        {killed ? (
          <button type="button" disabled={set.isPending} onClick={() => set.mutate({ on: false, cancelOpen: false })}>
            {t("kill.turnOff")}
          </button>
        ) : (
          <button type="button" className="primary danger" disabled={killed === null || set.isPending} onClick={() => setAsking(true)}>
            {t("kill.turnOn")}
          </button>
        )}
      </div>
      <div className="kill-result" role="status" aria-live="polite">
        {set.isError ? (
          <ActionError error={set.error} />
        ) : done ? (
          <p className="small">{done.killed ? t("kill.turnedOn", { count: done.cancelled.length }) : t("kill.turnedOff")}</p>
        ) : null}
      </div>
      {asking && (
        <ConfirmDialog
          title={t("kill.confirmTitle")}
          confirmLabel={t("kill.confirm")}
          danger
          onCancel={onCancel}
          onConfirm={() => {
            setAsking(false);
            set.mutate({ on: true, cancelOpen });
          }}
        >
          <p>{t("kill.confirmText")}</p>
          <label className="check">
            <input type="checkbox" checked={cancelOpen} onChange={(e) => setCancelOpen(e.target.checked)} />
            {t("kill.cancelOpen", { count: openCount })}
          </label>
        </ConfirmDialog>
      )}
    </div>
  );
}
