// Choosing codes for a backtest: a combobox that finds codes as you type (name, code or
// 초성, as on the 종목 page) and adds them as chips. Arrow keys move through the matches,
// Enter adds one, Backspace in the empty field removes the last chip. Pasting codes
// ("005930, 000660") and pressing Enter adds every one of them that can be chosen.

import { type KeyboardEvent, useId, useMemo, useRef, useState } from "react";
import type { CodeRow } from "../api";
import { useT } from "../i18n";
import { buildIndex, filterCodes } from "../search";

const SHOWN = 8;
const CODE_LIST = /^[0-9A-Z]{6}(?:[\s,]+[0-9A-Z]{6})*$/;

interface Props {
  id: string;
  value: readonly string[];
  onChange: (codes: string[]) => void;
  /** The codes that can be chosen (those with bars of the strategy's timeframe). */
  candidates: readonly CodeRow[];
  /** Name lookup for the chips (every code, not only the candidates). */
  names: ReadonlyMap<string, CodeRow>;
  invalid: boolean;
  describedBy: string;
  onBlur?: () => void;
}

export function CodePicker({ id, value, onChange, candidates, names, invalid, describedBy, onBlur }: Props) {
  const t = useT();
  const listId = useId();
  const [query, setQuery] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);
  const index = useMemo(() => buildIndex([...candidates]), [candidates]);
  const chosen = useMemo(() => new Set(value), [value]);

  const matches = useMemo(() => {
    if (!query.trim()) return [];
    return filterCodes(index, query, null)
      .filter((r) => !chosen.has(r.code))
      .slice(0, SHOWN);
  }, [index, query, chosen]);
  const expanded = open && query.trim() !== "";

  const add = (codes: string[]) => {
    const next = [...value];
    for (const c of codes) if (!next.includes(c)) next.push(c);
    onChange(next);
    setQuery("");
    setActive(0);
  };
  const remove = (code: string) => onChange(value.filter((c) => c !== code));

  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      setOpen(true);
      if (matches.length > 0) setActive((a) => (a + (e.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length);
    } else if (e.key === "Enter") {
      // Enter chooses; it never submits the form from here.
      e.preventDefault();
      const typed = query.trim().toUpperCase();
      if (CODE_LIST.test(typed) && !matches[active]?.name.toUpperCase().includes(typed)) {
        const allowed = new Set(candidates.map((r) => r.code));
        const codes = typed.split(/[\s,]+/).filter((c) => allowed.has(c));
        if (codes.length > 0) add(codes);
        return;
      }
      const pick = matches[active];
      if (pick) add([pick.code]);
    } else if (e.key === "Escape") {
      setOpen(false);
    } else if (e.key === "Backspace" && query === "" && value.length > 0) {
      remove(value[value.length - 1]!);
    }
  };

  const optionId = (i: number) => `${listId}-${i}`;

  const chips = (
    <ul className="chips" aria-label={t("bt.codesChosen")}>
      {value.map((code) => {
        const name = names.get(code)?.name ?? code;
        return (
          <li key={code} className="chip" data-code={code}>
            <span>{name}</span>
            <span className="muted small">{code}</span>
            <button type="button" aria-label={t("bt.removeCode", { name })} onClick={() => remove(code)}>
              ×
            </button>
          </li>
        );
      })}
    </ul>
  );

  return (
    <div className="code-picker">
      {/* A click anywhere in the box types into the field, as in any tag input. */}
      <div
        className={`code-picker-field${invalid ? " invalid" : ""}`}
        onMouseDown={(e) => {
          if (e.target === e.currentTarget) {
            e.preventDefault();
            inputRef.current?.focus();
          }
        }}
      >
        {value.length > 0 && chips}
        <input
          ref={inputRef}
          id={id}
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={expanded}
          aria-controls={listId}
          aria-activedescendant={expanded && matches[active] ? optionId(active) : undefined}
          aria-invalid={invalid}
          aria-describedby={describedBy}
          autoComplete="off"
          spellCheck={false}
          placeholder={value.length === 0 ? t("bt.codesPlaceholder") : undefined}
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
            setOpen(true);
          }}
          onFocus={() => setOpen(true)}
          onBlur={() => {
            setOpen(false);
            onBlur?.();
          }}
          onKeyDown={onKey}
        />
        {value.length > 1 && (
          <button type="button" className="link-button" onClick={() => onChange([])}>
            {t("bt.clearCodes")}
          </button>
        )}
      </div>
      <ul id={listId} role="listbox" className="code-options" hidden={!expanded} aria-label={t("bt.codes")}>
        {matches.map((r, i) => (
          <li
            key={r.code}
            id={optionId(i)}
            role="option"
            aria-selected={i === active}
            className={i === active ? "active" : undefined}
            // mousedown, not click: the field keeps its focus and the list stays open
            onMouseDown={(e) => {
              e.preventDefault();
              add([r.code]);
            }}
            onMouseEnter={() => setActive(i)}
          >
            <span className="code-option-name">{r.name}</span>
            <span className="muted small">
              {r.code} · {r.market}
            </span>
          </li>
        ))}
        {expanded && matches.length === 0 && (
          <li className="muted small code-options-empty" role="presentation">
            {t("bt.codesNone")}
          </li>
        )}
      </ul>
    </div>
  );
}
