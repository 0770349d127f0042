// Signed values in the Korean colours: red for a rise, blue for a fall, grey unchanged.

import { direction, formatChange, formatNumber, formatRateBp, formatSigned } from "../format";

export function Change({ value }: { value: number | null | undefined }) {
  return <span className={`num ${direction(value)}`}>{formatChange(value)}</span>;
}

export function Rate({ bp }: { bp: number | null | undefined }) {
  return <span className={`num ${direction(bp)}`}>{formatRateBp(bp)}</span>;
}

export function Signed({ value }: { value: number | null | undefined }) {
  return <span className={`num ${direction(value)}`}>{formatSigned(value)}</span>;
}

/** A price coloured by how it compares with a reference (e.g. the previous close). */
export function Price({ value, base }: { value: number | null | undefined; base?: number | null }) {
  const diff = value === null || value === undefined || base === null || base === undefined ? null : value - base;
  return <span className={`num ${direction(diff)}`}>{formatNumber(value)}</span>;
}
