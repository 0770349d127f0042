// An API failure as a sentence a person can act on: the server's own detail when it sent
// one, with a retry button, and a token button when the server wants a token (401).

import { useQueryClient } from "@tanstack/react-query";
import { ApiError } from "../api";
import { type Translate, useT } from "../i18n";
import { useTokenApi } from "./TokenProvider";

export function errorMessage(error: unknown, t: Translate): string {
  if (error instanceof ApiError) {
    if (error.kind === "network") return t("common.network");
    return error.detail ?? t("common.httpStatus", { status: error.status });
  }
  return error instanceof Error ? error.message : String(error);
}

interface Props {
  error: unknown;
  onRetry?: () => void;
  /** Leave out the "could not load" heading (for errors of an action, not a load). */
  bare?: boolean;
}

export function ErrorBox({ error, onRetry, bare = false }: Props) {
  const t = useT();
  const tokens = useTokenApi();
  const client = useQueryClient();
  const unauthorized = error instanceof ApiError && error.status === 401;
  // A bad code or a missing stock (4xx) stays wrong however often it is asked for.
  const retryable = !(error instanceof ApiError && error.kind === "http" && error.status >= 400 && error.status < 500);

  const enterToken = async () => {
    const detail = error instanceof ApiError ? error.detail : null;
    if (await tokens.requestToken(detail)) await client.invalidateQueries();
  };

  return (
    <div className="error-box" role="alert">
      {!bare && <strong>{t("common.error")}</strong>}
      <p>{errorMessage(error, t)}</p>
      <div className="error-actions">
        {unauthorized && (
          <button type="button" onClick={enterToken}>
            {t("common.enterToken")}
          </button>
        )}
        {onRetry && retryable && (
          <button type="button" onClick={onRetry}>
            {t("common.retry")}
          </button>
        )}
      </div>
    </div>
  );
}
