// 새 백테스트: strategy and its parameters, codes, period, cash, accounts, participation.
// Each field says what is wrong inline (after it is left, or after a first submit), in the
// server's terms; a valid form becomes the request `onSubmit` receives.

import { type FormEvent, type ReactNode, useEffect, useId, useMemo, useRef, useState } from "react";
import type { BacktestRequest, CodeRow, Overview, StrategyName, Timeframe } from "../api";
import { Segmented } from "../components/Segmented";
import { formatNumber } from "../format";
import { type MessageKey, type Translate, useT } from "../i18n";
import { STRATEGIES, type StrategySpec, strategySpec } from "../strategies";
import { CodePicker } from "./CodePicker";
import { type Field, type FormValues, type Problem, checkForm, groupDigits, saveForm } from "./form";
import { holdingsOf } from "./holdings";

interface Props {
  initial: FormValues;
  /** Sending, or a run still going: the button waits. */
  busy: boolean;
  onSubmit: (request: BacktestRequest) => void;
  overview: Overview | undefined;
  codes: readonly CodeRow[] | undefined;
  /** Under the button: the run's progress, or the server's refusal. */
  status: ReactNode;
}

/** "일봉" / "daily": the timeframe as a word inside a sentence. */
function tfWord(tf: Timeframe, t: Translate): string {
  const word = t(`tf.${tf}` as MessageKey);
  return t.lang === "en" ? word.toLowerCase() : word;
}

export function problemText(problem: Problem, t: Translate): string {
  const vars = { ...problem.vars, ...(problem.tf ? { tf: tfWord(problem.tf, t) } : {}) };
  return t(problem.key, vars);
}

function FieldMessage({ id, problem, hint }: { id: string; problem: Problem | undefined | false; hint: ReactNode }) {
  const t = useT();
  return (
    <p id={id} className={`field-msg ${problem ? "invalid" : "muted"}`} aria-live="polite">
      {problem ? problemText(problem, t) : hint}
    </p>
  );
}

export function BacktestForm({ initial, busy, onSubmit, overview, codes, status }: Props) {
  const t = useT();
  const ids = {
    strategy: useId(),
    codes: useId(),
    start: useId(),
    end: useId(),
    cash: useId(),
    participation: useId(),
    msg: useId(),
  };
  const paramIdBase = useId();
  const [form, setForm] = useState<FormValues>(initial);
  const [touched, setTouched] = useState<ReadonlySet<Field>>(new Set());
  const [tried, setTried] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const spec: StrategySpec = strategySpec(form.strategy) ?? STRATEGIES[0]!;
  const holdings = useMemo(() => holdingsOf(overview, spec.timeframe), [overview, spec.timeframe]);
  const checked = useMemo(() => checkForm(form, holdings), [form, holdings]);
  const candidates = useMemo(
    () => (codes ?? []).filter((r) => holdings.codes === null || holdings.codes.has(r.code)),
    [codes, holdings],
  );
  const names = useMemo(() => new Map((codes ?? []).map((r) => [r.code, r])), [codes]);

  useEffect(() => saveForm(form), [form]);

  const shown = (field: Field): Problem | undefined =>
    tried || touched.has(field) ? checked.problems[field] : undefined;
  const touch = (field: Field) => () => setTouched((s) => (s.has(field) ? s : new Set(s).add(field)));
  const set = (changes: Partial<FormValues>) => setForm((f) => ({ ...f, ...changes }));
  const setParam = (key: string, text: string) =>
    setForm((f) => ({ ...f, params: { ...f.params, [f.strategy]: { ...f.params[f.strategy], [key]: text } } }));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (checked.request) {
      onSubmit(checked.request);
      return;
    }
    // Take the user to the first field at fault.
    requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
  };

  const paramId = (key: string) => `${paramIdBase}-${key}`;
  const period = holdings.first && holdings.last ? t("bt.periodHint", { first: holdings.first, last: holdings.last }) : "\u00a0";
  const periodProblem = shown("start") ?? shown("end");
  const invalidCount = Object.keys(checked.problems).length;

  return (
    <form ref={formRef} className="card bt-form" aria-label={t("bt.form")} onSubmit={submit} noValidate>
      <h2>{t("bt.new")}</h2>

      <div className="bt-grid">
        <div className="bt-field">
          <label htmlFor={ids.strategy}>{t("bt.strategy")}</label>
          <select
            id={ids.strategy}
            value={form.strategy}
            onChange={(e) => set({ strategy: e.target.value as StrategyName })}
          >
            {STRATEGIES.map((s) => (
              <option key={s.name} value={s.name}>
                {t(s.label)}
              </option>
            ))}
          </select>
          <p className="field-msg muted about">{t(spec.description)}</p>
        </div>

        <div className="bt-params">
          {spec.params.map((p) => {
            const field: Field = `param.${p.key}`;
            const problem = shown(field);
            return (
              <div className="bt-field" key={`${spec.name}-${p.key}`}>
                <label htmlFor={paramId(p.key)}>{t(p.label)}</label>
                <div className="field">
                  <input
                    id={paramId(p.key)}
                    inputMode="numeric"
                    autoComplete="off"
                    value={form.params[spec.name][p.key] ?? ""}
                    aria-invalid={!!problem}
                    aria-describedby={`${paramId(p.key)}-msg`}
                    onChange={(e) => setParam(p.key, e.target.value)}
                    onBlur={touch(field)}
                  />
                  <span className="unit">{t(p.hint)}</span>
                </div>
                <FieldMessage
                  id={`${paramId(p.key)}-msg`}
                  problem={problem}
                  hint={`${formatNumber(p.min)} ~ ${formatNumber(p.max)}`}
                />
              </div>
            );
          })}
        </div>

        <div className="bt-field bt-wide">
          <label htmlFor={ids.codes}>{t("bt.codes")}</label>
          <CodePicker
            id={ids.codes}
            value={form.codes}
            onChange={(next) => set({ codes: next })}
            candidates={candidates}
            names={names}
            invalid={!!shown("codes")}
            describedBy={`${ids.codes}-msg`}
            onBlur={touch("codes")}
          />
          <FieldMessage
            id={`${ids.codes}-msg`}
            problem={shown("codes")}
            hint={t("bt.codesHint", {
              tf: tfWord(spec.timeframe, t),
              count: formatNumber(holdings.codes?.size ?? candidates.length),
            })}
          />
        </div>

        <div className="bt-field">
          <div className="bt-dates">
            <div>
              <label htmlFor={ids.start}>{t("bt.start")}</label>
              <input
                id={ids.start}
                type="date"
                value={form.start}
                min={holdings.first ?? undefined}
                max={holdings.last ?? undefined}
                aria-invalid={!!shown("start")}
                aria-describedby={`${ids.start}-msg`}
                onChange={(e) => set({ start: e.target.value })}
                onBlur={touch("start")}
              />
            </div>
            <div>
              <label htmlFor={ids.end}>{t("bt.end")}</label>
              <input
                id={ids.end}
                type="date"
                value={form.end}
                min={holdings.first ?? undefined}
                aria-invalid={!!shown("end")}
                aria-describedby={`${ids.start}-msg`}
                onChange={(e) => set({ end: e.target.value })}
                onBlur={touch("end")}
              />
            </div>
          </div>
          <FieldMessage id={`${ids.start}-msg`} problem={periodProblem} hint={period} />
        </div>

        <div className="bt-field">
          <label htmlFor={ids.cash}>{t("bt.cash")}</label>
          <div className="field">
            <input
              id={ids.cash}
              inputMode="numeric"
              autoComplete="off"
              value={form.cash}
              aria-invalid={!!shown("cash")}
              aria-describedby={`${ids.cash}-msg`}
              onChange={(e) => set({ cash: e.target.value })}
              onBlur={() => {
                set({ cash: groupDigits(form.cash) });
                touch("cash")();
              }}
            />
            <span className="unit">{t("bt.cashUnit")}</span>
          </div>
          <FieldMessage
            id={`${ids.cash}-msg`}
            problem={shown("cash")}
            hint={form.sharedCash ? t("bt.sharedHint") : t("bt.perCodeHint")}
          />
        </div>

        <div className="bt-field">
          <span className="label" aria-hidden="true">
            {t("bt.account")}
          </span>
          <Segmented<"per" | "shared">
            label={t("bt.account")}
            value={form.sharedCash ? "shared" : "per"}
            onChange={(v) => set({ sharedCash: v === "shared" })}
            options={[
              { value: "per", label: t("bt.perCode") },
              { value: "shared", label: t("bt.shared") },
            ]}
          />
        </div>

        <div className="bt-field">
          <label htmlFor={ids.participation}>{t("bt.participation")}</label>
          <div className="field">
            <input
              id={ids.participation}
              inputMode="decimal"
              autoComplete="off"
              value={form.participation}
              aria-invalid={!!shown("participation")}
              aria-describedby={`${ids.participation}-msg`}
              onChange={(e) => set({ participation: e.target.value })}
              onBlur={touch("participation")}
            />
            <span className="unit">%</span>
          </div>
          <FieldMessage
            id={`${ids.participation}-msg`}
            problem={shown("participation")}
            hint={t("bt.participationHint")}
          />
        </div>

        <div className="bt-submit">
          <button type="submit" className="primary submit" disabled={busy}>
            {t("bt.submit")}
          </button>
          <p id={ids.msg} className="field-msg invalid" aria-live="polite">
            {tried && invalidCount > 0 ? t("bt.err.fix") : "\u00a0"}
          </p>
        </div>
      </div>
      {status}
    </form>
  );
}
