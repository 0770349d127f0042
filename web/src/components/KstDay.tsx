import { formatKstDate, kstWeekday } from "../format";
import type { Lang } from "../i18n";

/** A KST trading day; the weekday is left out on phones, where the column is narrow. */
export function KstDay({ value, lang }: { value: number | string; lang: Lang }) {
  return (
    <>
      {formatKstDate(value)}
      <span className="wide-only"> ({kstWeekday(value, lang)})</span>
    </>
  );
}
