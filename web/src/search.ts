// Matching a code list against what the user types: a code prefix, part of the name
// (case-insensitive), or the name's Korean initial consonants (초성: "ㅅㅅㅈㅈ" → 삼성전자),
// the shortcut Korean trading apps teach their users.

import type { CodeRow, Market } from "./api";

const INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ";
const HANGUL_FIRST = 0xac00;
const HANGUL_LAST = 0xd7a3;
const PER_INITIAL = 21 * 28; // vowels × finals per initial consonant

/** "삼성전자" → "ㅅㅅㅈㅈ"; characters that are not Hangul syllables stay as they are. */
export function initials(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    out +=
      code >= HANGUL_FIRST && code <= HANGUL_LAST
        ? INITIALS[Math.floor((code - HANGUL_FIRST) / PER_INITIAL)]
        : ch;
  }
  return out;
}

const ONLY_INITIALS = /^[ㄱ-ㅎ]+$/;

export interface SearchIndex {
  row: CodeRow;
  name: string;
  initials: string;
}

/** Lower-cased names and initials computed once per list, not once per keystroke. */
export function buildIndex(rows: CodeRow[]): SearchIndex[] {
  return rows.map((row) => ({ row, name: row.name.toLowerCase(), initials: initials(row.name) }));
}

export function matches(entry: SearchIndex, query: string): boolean {
  const q = query.trim().toLowerCase().replace(/\s+/g, "");
  if (!q) return true;
  if (entry.row.code.toLowerCase().startsWith(q)) return true;
  if (entry.name.replace(/\s+/g, "").includes(q)) return true;
  return ONLY_INITIALS.test(q) && entry.initials.includes(q);
}

export function filterCodes(index: SearchIndex[], query: string, market: Market | null): CodeRow[] {
  const out: CodeRow[] = [];
  for (const entry of index) {
    if (market && entry.row.market !== market) continue;
    if (matches(entry, query)) out.push(entry.row);
  }
  return out;
}

export type SortKey = "name" | "close" | "change" | "rate";
export type SortDir = "asc" | "desc";

/** Missing prices sort last in either direction, so a sort never opens with blanks. */
export function sortCodes(rows: CodeRow[], key: SortKey | null, dir: SortDir): CodeRow[] {
  if (!key) return rows;
  const value = (r: CodeRow): number | string | null =>
    key === "name" ? r.name : key === "close" ? r.last_close : key === "change" ? r.change : r.change_bp;
  const sign = dir === "asc" ? 1 : -1;
  return [...rows].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va === null || vb === null) return va === vb ? 0 : va === null ? 1 : -1;
    if (typeof va === "string" && typeof vb === "string") return sign * va.localeCompare(vb, "ko");
    return sign * ((va as number) - (vb as number));
  });
}
