// The server's refusal of an action (an order, a cancel, the kill switch), as it said it.
// Its detail starts with the parameter at fault ("body: [price] …"); the rule in brackets
// is what a person reads, so the "body: " / "client_id: " prefix is dropped.

import { ApiError } from "../api";
import { type Translate, useT } from "../i18n";
import { errorMessage } from "./ErrorBox";

export function actionMessage(error: unknown, t: Translate): string {
  const text = errorMessage(error, t);
  if (error instanceof ApiError && error.param && text.startsWith(`${error.param}: `)) {
    return text.slice(error.param.length + 2);
  }
  return text;
}

export function ActionError({ error }: { error: unknown }) {
  const t = useT();
  return (
    <div className="error-box action-error" role="alert">
      <p>{actionMessage(error, t)}</p>
    </div>
  );
}
