// A small modal that asks for the API token. Not window.prompt: it can show the server's
// reason for asking again (a 401's detail), hides what is typed, and is testable.

import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { useT } from "../i18n";

interface Props {
  /** Why it asks (e.g. the server's 401 detail), shown above the field. */
  message: string | null;
  onSubmit: (token: string) => void;
  onCancel: () => void;
}

export function TokenDialog({ message, onSubmit, onCancel }: Props) {
  const t = useT();
  const [value, setValue] = useState("");
  const input = useRef<HTMLInputElement>(null);
  const titleId = useId();
  const fieldId = useId();

  useEffect(() => {
    input.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onCancel();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onCancel]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const token = value.trim();
    if (token) onSubmit(token);
  };

  return (
    <div className="modal-backdrop">
      <form className="modal" role="dialog" aria-modal="true" aria-labelledby={titleId} onSubmit={submit}>
        <h2 id={titleId}>{t("token.title")}</h2>
        {message && (
          <p className="modal-error" role="alert">
            {message}
          </p>
        )}
        <p className="muted">{t("token.explain")}</p>
        <label htmlFor={fieldId}>{t("token.label")}</label>
        <input
          id={fieldId}
          ref={input}
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <div className="modal-actions">
          <button type="button" onClick={onCancel}>
            {t("token.cancel")}
          </button>
          <button type="submit" className="primary" disabled={!value.trim()}>
            {t("token.ok")}
          </button>
        </div>
      </form>
    </div>
  );
}
