// While a collection runs, pages that would say "run a collection" say it is running and
// that they will fill in by themselves (the layout refetches when it ends).

import type { ReactNode } from "react";
import { useT } from "../i18n";
import { useCollecting } from "../queries";

export function CollectingNote({ otherwise = null }: { otherwise?: ReactNode }) {
  const t = useT();
  const running = useCollecting();
  if (running.length === 0) return <>{otherwise}</>;
  const jobs = [...new Set(running.map((r) => r.job))].join(", ");
  return (
    <span className="collecting" role="status">
      {t("common.collecting", { jobs })}
    </span>
  );
}
