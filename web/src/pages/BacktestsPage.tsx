// 백테스트: the form that starts one (with the API token, asked once per session) and
// follows its run to the end, then opens the result; below, the past backtests.
// `?from=<id>` fills the form with a stored backtest's settings ("이 설정으로 다시").

import { useMutation } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { type BacktestAccepted, type BacktestRequest, api } from "../api";
import { BacktestForm } from "../backtest/BacktestForm";
import { BacktestList } from "../backtest/BacktestList";
import { RunStatus } from "../backtest/RunStatus";
import { formFromRecord, loadForm } from "../backtest/form";
import { rememberRun, rememberedRun } from "../backtest/follow";
import { useFollowRun } from "../backtest/useFollowRun";
import { ErrorBox } from "../components/ErrorBox";
import { useTokenApi, withToken } from "../components/TokenProvider";
import { useT } from "../i18n";
import { useBacktest, useCodes, useOverview } from "../queries";

function useStartBacktest(onAccepted: (accepted: BacktestAccepted) => void) {
  const tokens = useTokenApi();
  return useMutation({
    // null: the token dialog was cancelled
    mutationFn: (body: BacktestRequest) => withToken(tokens, (token) => api.startBacktest(body, token)),
    onSuccess: (accepted) => {
      if (accepted) onAccepted(accepted);
    },
  });
}

export function BacktestsPage() {
  const t = useT();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const from = params.get("from");
  const source = useBacktest(from);
  const overview = useOverview();
  const codes = useCodes();
  const names = useMemo(() => new Map((codes.data ?? []).map((r) => [r.code, r])), [codes.data]);

  // A run launched before a trip to another page is followed again on return. If it ended
  // meanwhile, the page says so with a link rather than leaving at once.
  const [accepted, setAccepted] = useState<BacktestAccepted | null>(() => rememberedRun());
  const resumed = useRef(accepted !== null);
  const sawRunning = useRef(false);
  const follow = useFollowRun(accepted);
  const start = useStartBacktest((a) => {
    rememberRun(a);
    resumed.current = false;
    setAccepted(a);
  });
  if (follow.phase === "running" && follow.run?.status === "running") sawRunning.current = true;

  useEffect(() => {
    document.title = `${t("bt.title")} · stocklab`;
    return () => {
      document.title = "stocklab";
    };
  }, [t]);

  useEffect(() => {
    if (follow.phase === "succeeded") {
      rememberRun(null);
      if (!resumed.current || sawRunning.current) navigate(`/backtests/${follow.accepted.backtest_id}`);
    } else if (follow.phase === "failed") {
      rememberRun(null);
    }
  }, [follow, navigate]);

  const running = follow.phase === "waiting" || follow.phase === "running";
  const initial = from ? (source.data ? formFromRecord(source.data) : null) : loadForm();

  return (
    <section className="page">
      <div className="page-head">
        <h1>{t("bt.title")}</h1>
      </div>
      {from && source.isError ? (
        <ErrorBox error={source.error} />
      ) : initial ? (
        <BacktestForm
          key={from ?? "form"}
          initial={initial}
          busy={start.isPending || running}
          onSubmit={(body) => {
            start.reset();
            start.mutate(body);
          }}
          overview={overview.data}
          codes={codes.data}
          status={<RunStatus follow={follow} sendError={start.isError ? start.error : null} />}
        />
      ) : (
        <div className="card bt-form placeholder-form" aria-busy="true">
          <p className="muted">{t("common.loading")}</p>
        </div>
      )}
      <BacktestList names={names} />
    </section>
  );
}
